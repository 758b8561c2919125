/**
 * Several gateways on one PostgreSQL database, as two stores with two pools on one schema: the audit
 * log stays one tree (one sequencer: no index twice, no gap), the same message id accepted by both
 * at once is accepted once, the relays' outbox leases never overlap, and a dead relay's rows are
 * taken over once its lease expires.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { rootOf, treeRoot } from '../../src/audit/merkle.js';
import { verifyEntries, type ExportedEntry } from '../../src/audit/verify.js';
import { GatewayError } from '../../src/domain/errors.js';
import type { PgStore } from '../../src/store/pg.js';
import { createSchema, dropSchema, newMessage, openPgStore, pgQuery } from '../fixtures/store.js';

describe('store (postgresql): several gateways on one database', () => {
  let schema: string;
  let dir: string;
  let first: PgStore;
  let second: PgStore;

  beforeEach(async () => {
    schema = await createSchema();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-pg-two-'));
    // Both open at once on an empty schema: the migrations must not race.
    [first, second] = await Promise.all([openPgStore(dir, schema, { lockTimeoutMs: 10_000 }), openPgStore(dir, schema, { lockTimeoutMs: 10_000 })]);
  });
  afterEach(async () => {
    await first.close();
    await second.close();
    await dropSchema(schema);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the schema once when two gateways start together', async () => {
    const applied = await pgQuery<{ component: string; n: number }>('SELECT component, COUNT(*)::int AS n FROM schema_migrations GROUP BY component ORDER BY component', [], schema);
    expect(applied.length).to.be.greaterThan(0);
    for (const row of applied) expect(row.n, row.component).to.equal(1);
  });

  it('keeps one gap-free audit log and one valid tree under concurrent writes from both', async () => {
    const perStore = 60;
    const work: Array<Promise<unknown>> = [];
    for (let i = 0; i < perStore; i++) {
      for (const store of [first, second]) {
        const id = randomUUID();
        work.push(
          store.accept(newMessage({ messageId: id })).then(async (outcome) => {
            expect(outcome.kind).to.equal('accepted');
            // The relay's part too: a confirm appends `queued` from whichever gateway published it.
            await (store === first ? second : first).markQueued(id, new Date().toISOString());
          }),
        );
        if (i % 10 === 0) work.push(store.recordEvent({ event: 'rejected', timestamp: new Date().toISOString(), sender: 'ofii-paris', code: 'schema_invalid' }));
      }
    }
    await Promise.all(work);
    const expected = perStore * 2 * 2 + 12;
    expect(await first.auditSize()).to.equal(expected);
    const rows = await pgQuery<{ idx: number; n: number }>('SELECT idx::int, COUNT(*)::int AS n FROM audit_log GROUP BY idx ORDER BY idx', [], schema);
    expect(rows.map((r) => r.idx), 'indexes 0..n-1, each once').to.deep.equal(Array.from({ length: expected }, (_, i) => i));
    // As an auditor checks it (src/audit/verify.ts): every entry at its index, hashing to its leaf, and
    // the leaves hashing to the root of the tree the two gateways built node by node.
    const entries = await second.readAuditEntries(0, expected, expected);
    const exported: ExportedEntry[] = entries.map((e) => ({ ...(JSON.parse(e.entry) as Record<string, unknown>), index: e.index, leafHash: e.leafHash }));
    const rootHash = await treeRoot({ node: (level, index) => first.auditNode(level, index) }, expected);
    expect(rootHash).to.equal(rootOf(entries.map((e) => e.leafHash)));
    const events = verifyEntries(exported, { treeSize: expected, rootHash, timestamp: new Date().toISOString() });
    expect(events).to.deep.equal({ accepted: perStore * 2, queued: perStore * 2, rejected: 12 });
    expect(await first.outboxDepth()).to.equal(0);
  });

  it('accepts a message id once when both gateways accept it at the same moment: one accepted, one duplicate', async () => {
    for (let round = 0; round < 25; round++) {
      const message = newMessage({ messageId: randomUUID() });
      const outcomes = await Promise.all([first.accept(message), second.accept(message)]);
      expect(outcomes.map((o) => o.kind).sort(), `round ${round}`).to.deep.equal(['accepted', 'duplicate']);
      const accepted = outcomes.find((o) => o.kind === 'accepted')!;
      const duplicate = outcomes.find((o) => o.kind === 'duplicate')!;
      if (accepted.kind === 'accepted' && duplicate.kind === 'duplicate') expect(duplicate.existing.auditIndex).to.equal(accepted.auditIndex);
    }
    expect(await first.auditSize()).to.equal(25);
    expect(await first.outboxDepth()).to.equal(25);
  });

  it('never leases one outbox row to both relays, and hands rows back on close', async () => {
    const ids = Array.from({ length: 40 }, () => randomUUID());
    for (const id of ids) await first.accept(newMessage({ messageId: id }));
    const seen = { first: new Set<string>(), second: new Set<string>() };
    for (let round = 0; round < 5; round++) {
      const [a, b] = await Promise.all([first.pendingOutbox(15), second.pendingOutbox(15)]);
      for (const row of a) seen.first.add(row.messageId);
      for (const row of b) seen.second.add(row.messageId);
    }
    const overlap = [...seen.first].filter((id) => seen.second.has(id));
    expect(overlap, 'rows leased by both').to.deep.equal([]);
    expect(seen.first.size + seen.second.size).to.equal(30);
    // The owner reads its own rows again (renewing the lease); the other relay still does not get them.
    const again = await first.pendingOutbox(100);
    expect(again.map((r) => r.messageId).filter((id) => seen.second.has(id))).to.deep.equal([]);
    expect(new Set(again.map((r) => r.messageId))).to.have.property('size', 40 - seen.second.size);

    await first.close();
    const takenOver = await second.pendingOutbox(100);
    expect(takenOver.map((r) => r.messageId).sort()).to.deep.equal([...ids].sort());
  });

  it('takes over the rows of a relay whose lease expired (its gateway died), and queues each once', async () => {
    const dying = await openPgStore(dir, schema, { outboxLeaseSeconds: 1 });
    try {
      const ids = Array.from({ length: 5 }, () => randomUUID());
      for (const id of ids) await first.accept(newMessage({ messageId: id }));
      expect(await dying.pendingOutbox(10)).to.have.length(5);
      expect(await second.pendingOutbox(10), 'leased to the other relay').to.deep.equal([]);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const taken = await second.pendingOutbox(10);
      expect(taken.map((r) => r.messageId).sort()).to.deep.equal([...ids].sort());
      // The dead relay had published them after all: both confirms arrive, one `queued` entry each.
      for (const id of ids) {
        await dying.markQueued(id, new Date().toISOString());
        await second.markQueued(id, new Date().toISOString());
      }
      const events = (await first.readAuditEntries(0, 100, 100)).map((e) => (JSON.parse(e.entry) as { event: string }).event);
      expect(events.filter((e) => e === 'queued')).to.have.length(5);
    } finally {
      await dying.pool.end().catch(() => undefined);
    }
  });

  it('refuses to start a gateway whose secrets differ from those of the others on the database', async () => {
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-pg-other-'));
    try {
      let thrown: unknown;
      try {
        await openPgStore(otherDir, schema);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).to.be.instanceOf(GatewayError).with.property('code', 'config_invalid');
      expect((thrown as GatewayError).message).to.include('secrets/pseudonym.key').and.include('copy the secrets directory');
      fs.cpSync(path.join(dir, 'secrets'), path.join(otherDir, 'secrets'), { recursive: true });
      await (await openPgStore(otherDir, schema)).close();
    } finally {
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('creates one subject when both gateways see a new person at once', async () => {
    const lookup = 'f'.repeat(64);
    let made = 0;
    const create = () => {
      made += 1;
      return { pseudonymKey: Buffer.alloc(32, made), pseudonym: String(made).repeat(64).slice(0, 64), createdAt: new Date().toISOString() };
    };
    const [a, b] = await Promise.all([first.dossiers.pseudonymFor(lookup, create), second.dossiers.pseudonymFor(lookup, create)]);
    expect(a).to.equal(b);
    expect((await pgQuery<{ n: number }>('SELECT COUNT(*)::int AS n FROM subjects', [], schema))[0]!.n).to.equal(1);
  });
});
