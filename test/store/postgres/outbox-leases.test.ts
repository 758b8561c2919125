/**
 * The PostgreSQL engine's outbox leases: several gateways share one outbox, each relay publishes the
 * rows it leased, and a dead gateway's rows are taken over once their lease expires.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { GatewayStore } from '../../../src/store/gateway-store.js';
import { OUTBOX_LEASE_SECONDS } from '../../../src/store/postgres/engine.js';
import { createSchema, dropSchema, newMessage, openTestPgStore, pgQuery } from '../../fixtures/store.js';

describe('store (postgresql): outbox leases shared by several relays', () => {
  let schema: string;
  let dir: string;
  let first: GatewayStore;
  let second: GatewayStore;

  beforeEach(async () => {
    schema = await createSchema();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-pg-leases-'));
    first = await openTestPgStore(dir, schema);
    second = await openTestPgStore(dir, schema);
  });
  afterEach(async () => {
    await first.close();
    await second.close();
    await dropSchema(schema);
    fs.rmSync(dir, { recursive: true, force: true });
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

  it('leases a row accepted for the relay of its own gateway to that gateway from its insert on, until the lease runs out', async () => {
    const handed: string[] = [];
    first.onCommitted((committed) => handed.push(...committed.entries.map((entry) => entry.messageId)));
    const ids = Array.from({ length: 5 }, () => randomUUID());
    for (const id of ids) await first.accept(newMessage({ messageId: id }));
    // A gateway whose relay does not listen (a command using the store) leases nothing.
    const unleased = randomUUID();
    await second.accept(newMessage({ messageId: unleased }));

    expect(handed).to.deep.equal(ids);
    const leases = await pgQuery<{ message_id: string; owned: boolean; seconds: number }>(
      'SELECT message_id, lease_owner IS NOT NULL AS owned, extract(epoch FROM lease_until - now())::float AS seconds FROM outbox ORDER BY seq',
      [],
      schema,
    );
    expect(leases.map((l) => [l.message_id, l.owned])).to.deep.equal([...ids.map((id) => [id, true]), [unleased, false]]);
    for (const lease of leases.slice(0, 5)) expect(lease.seconds).to.be.within(OUTBOX_LEASE_SECONDS - 10, OUTBOX_LEASE_SECONDS);
    // The other relay, publishing from its own reads, does not take them while the accepting one publishes them from memory.
    expect((await second.pendingOutbox(10)).map((r) => r.messageId)).to.deep.equal([unleased]);
    // The accepting gateway's own reads find them (what its memory dropped, what failed).
    expect((await first.pendingOutbox(10)).map((r) => r.messageId)).to.deep.equal(ids);

    // Its gateway died: the leases run out and the other relay takes the rows over.
    await pgQuery("UPDATE outbox SET lease_until = now() - interval '1 second'", [], schema);
    expect((await second.pendingOutbox(10)).map((r) => r.messageId)).to.deep.equal([...ids, unleased]);
  });

  it('takes over the rows of a relay whose lease expired (its gateway died), and queues each once', async () => {
    const dying = await openTestPgStore(dir, schema);
    try {
      const ids = Array.from({ length: 5 }, () => randomUUID());
      for (const id of ids) await first.accept(newMessage({ messageId: id }));
      expect(await dying.pendingOutbox(10)).to.have.length(5);
      expect(await second.pendingOutbox(10), 'leased to the other relay').to.deep.equal([]);
      // The dying gateway stops renewing: its leases run out (as OUTBOX_LEASE_SECONDS after its last read).
      await pgQuery("UPDATE outbox SET lease_until = now() - interval '1 second'", [], schema);
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
      await dying.close();
    }
  });
});
