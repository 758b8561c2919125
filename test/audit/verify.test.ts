/**
 * The auditor's verification of an export: a real checkpoint signed with the example gateway key
 * (openpgp), real canonical entries, and each kind of tampering named with its first index.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { PrivateKey, PublicKey } from 'openpgp';
import { signCheckpoint } from '../../src/audit/checkpoint.js';
import { entryBytes, leafHash, toEntry, type AuditEvent } from '../../src/audit/entry.js';
import { inclusionPath, nodeSourceOf, rootOf } from '../../src/audit/merkle.js';
import { EXPORT_FORMAT, recomputeLeafHash, verifyEntryInclusion, verifyExport, type AuditExport, type ExportedEntry } from '../../src/audit/verify.js';
import { readPrivateKey, readPublicKeys } from '../../src/crypto/keys.js';
import { GatewayError } from '../../src/domain/errors.js';
import { EXAMPLE_CERTS } from '../fixtures/gateway.js';

const SIZE = 12;

function event(i: number): AuditEvent {
  return {
    event: i % 3 === 0 ? 'accepted' : i % 3 === 1 ? 'queued' : 'acknowledged',
    timestamp: new Date(Date.UTC(2026, 10, 27, 9, 30, i)).toISOString(),
    messageId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    type: 'orientation',
    sender: 'ofii-paris',
    recipient: 'mission-locale-paris',
    beneficiary: 'ab'.repeat(32),
    payloadSha256: 'cd'.repeat(32),
  };
}

/** What the entries endpoint answers for entry i: the entry's fields and the leaf hash of its canonical bytes. */
function exported(i: number, overrides: Partial<AuditEvent> = {}): ExportedEntry {
  const entry = toEntry(i, { ...event(i), ...overrides });
  return { ...entry, leafHash: leafHash(entryBytes(entry)) } as ExportedEntry;
}

async function expectInvalid(work: Promise<unknown>, index: number | undefined, reason: RegExp): Promise<GatewayError> {
  try {
    await work;
  } catch (err) {
    expect(err).to.be.instanceOf(GatewayError);
    const error = err as GatewayError;
    expect(error.code).to.equal('audit_invalid');
    expect(error.index, error.message).to.equal(index);
    expect(error.message).to.match(reason);
    if (index !== undefined) expect(error.message).to.include(String(index));
    return error;
  }
  return expect.fail('the export verified');
}

describe('audit/verify', () => {
  let gatewayKey: PrivateKey;
  let gatewayKeys: PublicKey[];
  let otherKey: PrivateKey;
  let entries: ExportedEntry[];
  let good: AuditExport;

  before(async () => {
    const read = (relative: string) => fs.readFileSync(path.join(EXAMPLE_CERTS, relative), 'utf8');
    gatewayKey = await readPrivateKey({ armored: read('gateway/openpgp.key.asc'), source: 'gateway key' });
    gatewayKeys = await readPublicKeys({ armored: read('gateway/openpgp.asc'), source: 'gateway public key' });
    otherKey = await readPrivateKey({ armored: read('partners/ofii-paris/openpgp.key.asc'), source: 'ofii key' });
    entries = Array.from({ length: SIZE }, (_, i) => exported(i));
    const checkpoint = await signCheckpoint({ treeSize: SIZE, rootHash: rootOf(entries.map((e) => e.leafHash)), timestamp: '2026-11-27T10:00:00.000Z' }, gatewayKey);
    good = { format: EXPORT_FORMAT, exportedAt: '2026-11-27T10:00:01.000Z', checkpoint: { ...checkpoint, cosignatures: [] }, entries };
  });

  function withEntries(changed: ExportedEntry[]): AuditExport {
    return { ...good, entries: changed };
  }

  it('accepts an untouched export and counts its events', async () => {
    const summary = await verifyExport(JSON.parse(JSON.stringify(good)), gatewayKeys);
    expect(summary).to.deep.include({ treeSize: SIZE, rootHash: good.checkpoint.rootHash });
    expect(summary.events).to.deep.equal({ accepted: 4, queued: 4, acknowledged: 4 });
  });

  it('names a modified entry', async () => {
    const changed = entries.map((e) => (e.index === 7 ? { ...e, recipient: 'cap-emploi-75' } : e));
    await expectInvalid(verifyExport(withEntries(changed), gatewayKeys), 7, /modified/);
  });

  it('names a modified first entry', async () => {
    const changed = entries.map((e) => (e.index === 0 ? { ...e, timestamp: '2026-11-27T09:30:00.001Z' } : e));
    await expectInvalid(verifyExport(withEntries(changed), gatewayKeys), 0, /modified/);
  });

  it('names a removed entry, in the middle and at the end', async () => {
    await expectInvalid(verifyExport(withEntries(entries.filter((e) => e.index !== 5)), gatewayKeys), 5, /removed/);
    await expectInvalid(verifyExport(withEntries(entries.slice(0, SIZE - 1)), gatewayKeys), SIZE - 1, /removed/);
  });

  it('names the first of two reordered entries', async () => {
    const changed = [...entries];
    [changed[3], changed[9]] = [changed[9]!, changed[3]!];
    await expectInvalid(verifyExport(withEntries(changed), gatewayKeys), 3, /reordered/);
  });

  it('names an inserted entry, whatever index it claims, and one appended after the checkpoint', async () => {
    const forged = { ...exported(4, { recipient: 'cap-emploi-75' }) };
    await expectInvalid(verifyExport(withEntries([...entries.slice(0, 4), forged, ...entries.slice(4)]), gatewayKeys), 4, /inserted/);
    const claimingLater = { ...exported(8, { recipient: 'cap-emploi-75' }) };
    await expectInvalid(verifyExport(withEntries([...entries.slice(0, 4), claimingLater, ...entries.slice(4)]), gatewayKeys), 4, /inserted/);
    await expectInvalid(verifyExport(withEntries([...entries, exported(SIZE)]), gatewayKeys), SIZE, /inserted/);
  });

  it('catches an entry changed together with its leaf hash by the root, without an index to name', async () => {
    const rewritten = exported(6, { recipient: 'cap-emploi-75' });
    expect(recomputeLeafHash(rewritten)).to.equal(rewritten.leafHash);
    await expectInvalid(verifyExport(withEntries(entries.map((e) => (e.index === 6 ? rewritten : e))), gatewayKeys), undefined, /root/);
  });

  it('refuses a checkpoint that was altered or signed by another key', async () => {
    await expectInvalid(verifyExport({ ...good, checkpoint: { ...good.checkpoint, treeSize: SIZE - 1 } }, gatewayKeys), undefined, /signature/);
    await expectInvalid(verifyExport({ ...good, checkpoint: { ...good.checkpoint, timestamp: '2026-11-27T10:00:00.001Z' } }, gatewayKeys), undefined, /signature/);
    const forged = await signCheckpoint(good.checkpoint, otherKey);
    await expectInvalid(verifyExport({ ...good, checkpoint: { ...forged, cosignatures: [] } }, gatewayKeys), undefined, /signature/);
  });

  it('refuses what is not an export', async () => {
    await expectInvalid(verifyExport({ ...good, format: 'other' }, gatewayKeys), undefined, /not an audit export/);
    await expectInvalid(verifyExport({ ...good, entries: 'none' }, gatewayKeys), undefined, /no list of entries/);
  });

  it('checks one entry against a checkpoint with its inclusion proof', async () => {
    const source = nodeSourceOf(entries.map((e) => e.leafHash));
    const checkpoint = good.checkpoint;
    for (const entry of entries) {
      const proof = { index: entry.index, treeSize: SIZE, leafHash: entry.leafHash, auditPath: await inclusionPath(source, entry.index, SIZE) };
      verifyEntryInclusion({ entry, proof, checkpoint });
    }
    const proof = { index: 2, treeSize: SIZE, leafHash: entries[2]!.leafHash, auditPath: await inclusionPath(source, 2, SIZE) };
    await expectInvalid(Promise.resolve().then(() => verifyEntryInclusion({ entry: { ...entries[2]!, sender: 'cap-emploi-75' }, proof, checkpoint })), 2, /modified/);
    await expectInvalid(Promise.resolve().then(() => verifyEntryInclusion({ entry: entries[3]!, proof, checkpoint })), 3, /not for entry 3/);
  });
});
