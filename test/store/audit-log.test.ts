/**
 * The store contract, audit log, on both engines: the nodes stored at append time are exactly the
 * perfect subtrees of the RFC 9162 tree, partners' views are by name, and checkpoints and
 * cosignatures are kept once.
 */
import { expect } from 'chai';
import type { AuditEvent } from '../../src/audit/entry.js';
import { consistencyProof, inclusionPath, nodeSourceOf, rootOf, treeRoot, type NodeSource } from '../../src/audit/merkle.js';
import type { Store } from '../../src/store/port.js';
import { forEachEngine, rawQuery } from '../fixtures/store.js';

const PARTNERS = ['ofii-paris', 'france-travail-paris', 'mission-locale-paris'];

function event(i: number): AuditEvent {
  return {
    event: 'rejected',
    timestamp: new Date(Date.UTC(2026, 10, 27, 9, 0, i)).toISOString(),
    sender: PARTNERS[i % 3]!,
    ...(i % 2 === 0 ? { recipient: PARTNERS[(i + 1) % 3]! } : {}),
    code: 'schema_invalid',
  };
}

function popcount(n: number): number {
  let ones = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) ones += rest % 2;
  return ones;
}

forEachEngine('store contract: audit log', (current) => {
  let store: Store;
  const nodesOf = (s: Store): NodeSource => ({ node: (level, index) => s.auditNode(level, index) });
  const leafHashes = async (s: Store) => (await s.readAuditEntries(0, Number.MAX_SAFE_INTEGER, 1_000_000)).map((e) => e.leafHash);
  const countNodes = async () => Number((await rawQuery<{ n: number }>(current(), 'SELECT COUNT(*) AS n FROM audit_nodes'))[0]!.n);

  beforeEach(() => {
    store = current().store;
  });

  it('stores every perfect subtree when its last leaf is appended, so proofs from the store equal proofs from the leaves', async () => {
    for (let i = 0; i < 37; i++) {
      await store.recordEvent(event(i));
      const size = i + 1;
      expect(await countNodes(), `after ${size} leaves`).to.equal(size - popcount(size));
      const leaves = await leafHashes(store);
      expect(await treeRoot(nodesOf(store), size)).to.equal(rootOf(leaves));
    }
    const memory = nodeSourceOf(await leafHashes(store));
    for (let index = 0; index < 37; index++) {
      expect(await inclusionPath(nodesOf(store), index, 37)).to.deep.equal(await inclusionPath(memory, index, 37));
      expect(await inclusionPath(nodesOf(store), index, Math.max(index + 1, 20))).to.deep.equal(await inclusionPath(memory, index, Math.max(index + 1, 20)));
    }
    for (let first = 1; first <= 37; first++) expect(await consistencyProof(nodesOf(store), first, 37)).to.deep.equal(await consistencyProof(memory, first, 37));
    await store.auditNode(5, 1).then(
      () => expect.fail('the subtree of leaves 32 to 63 is not complete with 37 leaves'),
      () => undefined,
    );
  });

  it('answers a partner with the entries that name it as sender or recipient, in order, within the range and the limit', async () => {
    for (let i = 0; i < 30; i++) await store.recordEvent(event(i));
    const all = await store.readAuditEntries(0, 30, 1000);
    for (const partner of PARTNERS) {
      const expected = all.filter((e) => {
        const entry = JSON.parse(e.entry) as { sender?: string; recipient?: string };
        return entry.sender === partner || entry.recipient === partner;
      });
      expect(await store.readAuditEntriesNaming(partner, 0, 30, 1000)).to.deep.equal(expected);
      expect(await store.readAuditEntriesNaming(partner, 10, 20, 3)).to.deep.equal(expected.filter((e) => e.index >= 10 && e.index < 20).slice(0, 3));
    }
    expect(await store.readAuditEntriesNaming('nobody', 0, 30, 1000)).to.deep.equal([]);
  });

  it('keeps the first checkpoint of a tree size and the first cosignature of a partner', async () => {
    expect(await store.latestCheckpoint()).to.equal(undefined);
    const first = { treeSize: 3, rootHash: 'a'.repeat(64), timestamp: '2026-11-27T10:00:00.000Z', signature: 'first' };
    expect(await store.saveCheckpoint(first)).to.deep.equal({ checkpoint: first, created: true });
    expect(await store.saveCheckpoint({ ...first, signature: 'second' })).to.deep.equal({ checkpoint: first, created: false });
    const later = { ...first, treeSize: 5, signature: 'later' };
    await store.saveCheckpoint(later);
    expect(await store.latestCheckpoint()).to.deep.equal(later);
    expect(await store.findCheckpoint(3)).to.deep.equal(first);

    const cosignature = { partner: 'auditor', signature: 'cosigned', signedAt: '2026-11-27T10:01:00.000Z' };
    expect(await store.addCosignature(first, cosignature)).to.deep.equal({ cosignature, created: true });
    expect(await store.addCosignature(first, { ...cosignature, signature: 'again' })).to.deep.equal({ cosignature, created: false });
    expect(await store.cosignatures(3)).to.deep.equal([cosignature]);
    expect(await store.cosignatures(5)).to.deep.equal([]);
  });
});
