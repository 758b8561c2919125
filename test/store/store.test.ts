/**
 * The store port on both engines (SQLite and PostgreSQL): what one acceptance writes together,
 * duplicates, the outbox, acknowledgements, receipts, lock contention and reopening.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import canonicalize from 'canonicalize';
import { expect } from 'chai';
import pg from 'pg';
import { GatewayError } from '../../src/domain/errors.js';
import { PgStore } from '../../src/store/pg.js';
import type { SqliteStore } from '../../src/store/sqlite.js';
import { disposeTempStore, ENGINES, newMessage, openTempStore, PG_TEST_URL, pgQuery, reopenTempStore, type TempStore } from '../fixtures/store.js';

async function thrownBy(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** Holds the store's write lock from another connection while `work` runs. */
async function whileLocked(temp: TempStore, work: () => Promise<void>): Promise<void> {
  if (temp.engine === 'sqlite') {
    const other = new Database((temp.store as SqliteStore).file);
    other.prepare('BEGIN EXCLUSIVE').run();
    try {
      await work();
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    return;
  }
  // Another gateway in the middle of an acceptance: it holds the audit sequencer.
  const other = new pg.Client({ connectionString: PG_TEST_URL, options: `-c search_path=${temp.schema}` });
  await other.connect();
  try {
    await other.query('BEGIN');
    await other.query('SELECT id FROM audit_sequencer FOR UPDATE');
    await work();
  } finally {
    await other.query('ROLLBACK');
    await other.end();
  }
}

for (const engine of ENGINES) {
  describe(`store (${engine})`, () => {
    let temp: TempStore;
    beforeEach(async () => {
      temp = await openTempStore('passerelle-store-', engine);
    });
    afterEach(() => disposeTempStore(temp));

    it('writes the message, its outbox row and its audit entry together', async () => {
      const { store } = temp;
      const outcome = await store.accept(newMessage());
      expect(outcome).to.deep.equal({ kind: 'accepted', auditIndex: 0 });
      const record = await store.findMessage(newMessage().messageId);
      expect(record?.status).to.equal('accepted');
      expect(await store.outboxDepth()).to.equal(1);
      const [row] = await store.readAuditEntries(0, 10, 10);
      const entry = JSON.parse(row!.entry) as Record<string, unknown>;
      expect(entry).to.deep.equal({
        index: 0,
        event: 'accepted',
        timestamp: '2026-11-27T09:30:01.000Z',
        messageId: newMessage().messageId,
        type: 'orientation',
        sender: 'ofii-paris',
        recipient: 'mission-locale-paris',
        beneficiary: 'a'.repeat(64),
        payloadSha256: 'b'.repeat(64),
      });
      // RFC 8785 bytes and RFC 9162 leaf hash, recomputed independently.
      expect(row!.entry).to.equal(canonicalize(entry));
      expect(row!.leafHash).to.equal(createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(row!.entry)])).digest('hex'));
    });

    it('reports a duplicate id without writing anything', async () => {
      const { store } = temp;
      await store.accept(newMessage());
      const again = await store.accept(newMessage({ payloadSha256: 'c'.repeat(64) }));
      expect(again.kind).to.equal('duplicate');
      expect(await store.auditSize()).to.equal(1);
      expect(await store.outboxDepth()).to.equal(1);
    });

    it('marks a message queued once: the outbox row goes and one queued entry is appended', async () => {
      const { store } = temp;
      await store.accept(newMessage());
      const [pending] = await store.pendingOutbox(10);
      expect(pending).to.include({ messageId: newMessage().messageId, recipient: 'mission-locale-paris', type: 'orientation', auditIndex: 0, attempts: 0 });
      await store.recordPublishFailure(newMessage().messageId);
      expect((await store.pendingOutbox(10))[0]!.attempts).to.equal(1);
      await store.markQueued(newMessage().messageId, '2026-11-27T09:30:02.000Z');
      await store.markQueued(newMessage().messageId, '2026-11-27T09:30:03.000Z');
      expect(await store.outboxDepth()).to.equal(0);
      expect((await store.findMessage(newMessage().messageId))?.status).to.equal('queued');
      expect((await store.readAuditEntries(0, 10, 10)).map((r) => (JSON.parse(r.entry) as { event: string }).event)).to.deep.equal(['accepted', 'queued']);
    });

    it('marks the original acknowledged when its recipient acknowledges it, not when another agency does', async () => {
      const { store } = temp;
      await store.accept(newMessage());
      const ackId = '11111111-2222-4333-8444-555555555555';
      await store.accept(newMessage({ messageId: '99999999-2222-4333-8444-555555555555', type: 'acknowledgement', sender: 'cap-emploi-75', recipient: 'ofii-paris', inReplyTo: newMessage().messageId }));
      expect((await store.findMessage(newMessage().messageId))?.status).to.equal('accepted');
      await store.accept(newMessage({ messageId: ackId, type: 'acknowledgement', sender: 'mission-locale-paris', recipient: 'ofii-paris', inReplyTo: newMessage().messageId }));
      const original = await store.findMessage(newMessage().messageId);
      expect(original?.status).to.equal('acknowledged');
      expect(original?.acknowledgedAt).to.equal(newMessage().acceptedAt);
      expect((await store.readAuditEntries(0, 10, 10)).map((r) => (JSON.parse(r.entry) as { event: string }).event)).to.deep.equal(['accepted', 'accepted', 'accepted', 'acknowledged']);
    });

    it('marks a message dead-lettered once, and leaves an acknowledged one alone', async () => {
      const { store } = temp;
      await store.accept(newMessage());
      expect(await store.markDeadLettered(newMessage().messageId, '2026-11-27T10:00:00.000Z')).to.equal('marked');
      expect(await store.markDeadLettered(newMessage().messageId, '2026-11-27T10:00:01.000Z')).to.equal('unchanged');
      expect(await store.markDeadLettered('00000000-0000-4000-8000-000000000000', '2026-11-27T10:00:01.000Z')).to.equal('unknown');
      expect(await store.findMessage(newMessage().messageId)).to.include({ status: 'dead-lettered', deadLetteredAt: '2026-11-27T10:00:00.000Z' });
      expect(await store.auditSize()).to.equal(2);
    });

    it('keeps the first receipt', async () => {
      const { store } = temp;
      await store.accept(newMessage());
      await store.saveReceipt(newMessage().messageId, 'first');
      await store.saveReceipt(newMessage().messageId, 'second');
      expect((await store.findMessage(newMessage().messageId))?.receipt).to.equal('first');
    });

    it('answers unavailable, and writes nothing, while another writer holds the lock too long', async () => {
      await whileLocked(temp, async () => {
        const error = await thrownBy(() => temp.store.accept(newMessage()));
        expect(error).to.be.instanceOf(GatewayError);
        expect((error as GatewayError).code).to.equal('unavailable');
        if (engine === 'sqlite') {
          const probe = await thrownBy(() => temp.store.checkWritable());
          expect((probe as GatewayError).code).to.equal('store_unavailable');
        }
      });
      expect(await temp.store.auditSize()).to.equal(0);
      expect(await temp.store.findMessage(newMessage().messageId)).to.equal(undefined);
      await temp.store.checkWritable();
      expect((await temp.store.accept(newMessage())).kind).to.equal('accepted');
    });

    it('survives a reopen with its data and does not migrate twice', async () => {
      await temp.store.accept(newMessage());
      await reopenTempStore(temp);
      expect((await temp.store.findMessage(newMessage().messageId))?.status).to.equal('accepted');
      await temp.store.accept(newMessage({ messageId: '11111111-2222-4333-8444-555555555555' }));
      expect(await temp.store.auditSize()).to.equal(2);
    });
  });
}

describe('store (postgresql) faults', () => {
  let temp: TempStore;
  beforeEach(async () => {
    temp = await openTempStore('passerelle-store-', 'postgresql');
  });
  afterEach(() => disposeTempStore(temp));

  it('answers unavailable, and writes nothing, when its connection is cut in the middle of an acceptance', async () => {
    const store = temp.store as PgStore;
    const name = `passerelle ${store.relayId.slice(0, 8)}`;
    // The acceptance waits on the sequencer (another writer holds it) while its server process is terminated.
    const other = new pg.Client({ connectionString: PG_TEST_URL, options: `-c search_path=${temp.schema}` });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT id FROM audit_sequencer FOR UPDATE');
      const accepting = thrownBy(() => store.accept(newMessage()));
      const waiting = async () => (await pgQuery<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [name]))[0]?.pid;
      let pid: number | undefined;
      for (let tries = 0; pid === undefined && tries < 100; tries++) pid = await waiting();
      expect(pid, 'the acceptance is waiting for the sequencer').to.be.a('number');
      await pgQuery('SELECT pg_terminate_backend($1)', [pid]);
      const error = await accepting;
      expect(error).to.be.instanceOf(GatewayError);
      expect((error as GatewayError).code).to.equal('unavailable');
      expect((error as GatewayError).status).to.equal(503);
    } finally {
      await other.query('ROLLBACK');
      await other.end();
    }
    expect(await store.findMessage(newMessage().messageId)).to.equal(undefined);
    expect(await store.auditSize()).to.equal(0);
    // The pool replaces the lost connection: the retry is accepted.
    expect((await store.accept(newMessage())).kind).to.equal('accepted');
  });
});

describe('store (postgresql) opening', () => {
  it('fails in one line naming PASSERELLE_DATABASE_URL, never the password, when the server cannot be reached', async () => {
    const url = 'postgres://passerelle:s3cret-pw@127.0.0.1:1/passerelle';
    const error = await thrownBy(() => PgStore.open({ url, dataDir: '/nonexistent' }));
    expect(error).to.be.instanceOf(GatewayError);
    expect((error as GatewayError).code).to.equal('store_unavailable');
    expect((error as GatewayError).message).to.include('PASSERELLE_DATABASE_URL').and.include('127.0.0.1:1').and.not.include('s3cret-pw');
    expect((error as GatewayError).message).not.to.include('\n');
  });
});

describe('store (sqlite) group commit: nothing leaves the store before its WAL sync', () => {
  let temp: TempStore;
  const realFsync = fs.fsync;
  beforeEach(async () => {
    temp = await openTempStore('passerelle-store-sync-', 'sqlite');
  });
  afterEach(async () => {
    fs.fsync = realFsync;
    await disposeTempStore(temp);
  });

  it('the relay and the audit readers do not see an acceptance whose commit is not yet on disk', async () => {
    const held: Array<() => void> = [];
    fs.fsync = ((fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
      held.push(() => realFsync(fd, callback));
    }) as typeof fs.fsync;
    const message = newMessage();
    const accepting = temp.store.accept(message);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(held, 'the commit is done and its WAL sync is running').to.have.length(1);

    const answered: string[] = [];
    const outbox = temp.store.pendingOutbox(10).then((rows) => (answered.push('outbox'), rows));
    const entries = temp.store.readAuditEntries(0, 10, 10).then((rows) => (answered.push('entries'), rows));
    const size = temp.store.auditSize().then((n) => (answered.push('size'), n));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answered, 'a crash now could still remove the message: nothing of it may be published or shown').to.deep.equal([]);

    held.shift()!();
    await accepting;
    expect((await outbox).map((row) => row.messageId)).to.deep.equal([message.messageId]);
    expect(await entries).to.have.length(1);
    expect(await size).to.equal(1);
  });
});
