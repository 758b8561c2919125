/**
 * The store contract, messages and outbox, on both engines: what one acceptance writes together,
 * duplicates, the outbox, acknowledgements, receipts, lock contention and reopening.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import canonicalize from 'canonicalize';
import { expect } from 'chai';
import pg from 'pg';
import { GatewayError } from '../../src/domain/errors.js';
import { committedOutbox } from '../../src/store/messages.js';
import { OUTBOX_LEASE_SECONDS } from '../../src/store/postgres/engine.js';
import type { CommittedOutbox } from '../../src/store/port.js';
import { forEachEngine, newMessage, PG_TEST_URL, reopenTempStore, SQLITE_FILE, thrownBy, type TempStore } from '../fixtures/store.js';

/** Holds the store's write lock from another connection while `work` runs. */
async function whileLocked(temp: TempStore, work: () => Promise<void>): Promise<void> {
  if (temp.engine === 'sqlite') {
    const other = new Database(path.join(temp.dir, SQLITE_FILE));
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

const events = async (temp: TempStore) => (await temp.store.readAuditEntries(0, 100, 100)).map((r) => (JSON.parse(r.entry) as { event: string }).event);

forEachEngine('store contract: messages', (current) => {
  it('writes the message, its outbox row and its audit entry together', async () => {
    const { store } = current();
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
    const { store } = current();
    await store.accept(newMessage());
    const again = await store.accept(newMessage({ payloadSha256: 'c'.repeat(64) }));
    expect(again.kind).to.equal('duplicate');
    expect(again.kind === 'duplicate' && again.existing.payloadSha256).to.equal('b'.repeat(64));
    expect(await store.auditSize()).to.equal(1);
    expect(await store.outboxDepth()).to.equal(1);
  });

  it('marks a message queued once: the outbox row goes and one queued entry is appended', async () => {
    const { store } = current();
    await store.accept(newMessage());
    const [pending] = await store.pendingOutbox(10);
    expect(pending).to.include({ messageId: newMessage().messageId, recipient: 'mission-locale-paris', type: 'orientation', auditIndex: 0, attempts: 0 });
    await store.recordPublishFailure(newMessage().messageId);
    expect((await store.pendingOutbox(10))[0]!.attempts).to.equal(1);
    await store.markQueued(newMessage().messageId, '2026-11-27T09:30:02.000Z');
    await store.markQueued(newMessage().messageId, '2026-11-27T09:30:03.000Z');
    expect(await store.outboxDepth()).to.equal(0);
    expect(await store.findMessage(newMessage().messageId)).to.include({ status: 'queued', queuedAt: '2026-11-27T09:30:02.000Z' });
    expect(await events(current())).to.deep.equal(['accepted', 'queued']);
  });

  it('hands each accepted message\'s outbox row to the relay once committed, exactly as pendingOutbox reads it', async () => {
    const { store, engine } = current();
    const handed: CommittedOutbox[] = [];
    const unsubscribe = store.onCommitted!((committed) => handed.push(committed));
    const traceContext = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'passerelle=t61rcWkgMzE' };
    await store.accept(newMessage({ traceContext }));
    await store.accept(newMessage({ messageId: '11111111-2222-4333-8444-555555555555', type: 'status-update', sender: 'mission-locale-paris', recipient: 'ofii-paris', acceptedAt: '2026-11-27T09:30:02.000Z', outboxBody: 'update' }));
    // Nothing written: nothing handed.
    await store.accept(newMessage({ traceContext }));
    // Addressed to the gateway itself: no outbox row.
    await store.accept(newMessage({ messageId: '22222222-2222-4333-8444-555555555555', recipient: 'passerelle', outboxBody: undefined }));
    const heldForMs = engine === 'postgresql' ? (OUTBOX_LEASE_SECONDS * 1000) / 2 : undefined;

    expect(handed.map((committed) => [committed.entries.length, committed.unlisted, committed.heldForMs])).to.deep.equal([
      [1, false, heldForMs],
      [1, false, heldForMs],
      [0, false, heldForMs],
    ]);
    expect(handed.flatMap((committed) => committed.entries)).to.deep.equal(await store.pendingOutbox(10));
    expect(handed[0]!.entries[0]).to.deep.include({ attempts: 0, auditIndex: 0, traceContext });

    unsubscribe();
    await store.accept(newMessage({ messageId: '33333333-2222-4333-8444-555555555555' }));
    expect(handed).to.have.length(3);
  });

  it('keeps a final state when the confirm comes after it (an acknowledgement before the relay\'s confirm)', async () => {
    const { store } = current();
    await store.accept(newMessage());
    await store.accept(newMessage({ messageId: '11111111-2222-4333-8444-555555555555', type: 'acknowledgement', sender: 'mission-locale-paris', recipient: 'ofii-paris', inReplyTo: newMessage().messageId, outboxBody: 'ack' }));
    await store.markQueued(newMessage().messageId, '2026-11-27T09:30:02.000Z');
    expect(await store.findMessage(newMessage().messageId)).to.include({ status: 'acknowledged', queuedAt: '2026-11-27T09:30:02.000Z' });
  });

  it('marks the original acknowledged when its recipient acknowledges it, not when another agency does', async () => {
    const { store } = current();
    await store.accept(newMessage());
    await store.accept(newMessage({ messageId: '99999999-2222-4333-8444-555555555555', type: 'acknowledgement', sender: 'cap-emploi-75', recipient: 'ofii-paris', inReplyTo: newMessage().messageId }));
    expect((await store.findMessage(newMessage().messageId))?.status).to.equal('accepted');
    await store.accept(newMessage({ messageId: '11111111-2222-4333-8444-555555555555', type: 'acknowledgement', sender: 'mission-locale-paris', recipient: 'ofii-paris', inReplyTo: newMessage().messageId }));
    const original = await store.findMessage(newMessage().messageId);
    expect(original?.status).to.equal('acknowledged');
    expect(original?.acknowledgedAt).to.equal(newMessage().acceptedAt);
    expect(await events(current())).to.deep.equal(['accepted', 'accepted', 'accepted', 'acknowledged']);
  });

  it('marks a message dead-lettered once, and leaves an acknowledged one alone', async () => {
    const { store } = current();
    await store.accept(newMessage());
    expect(await store.markDeadLettered(newMessage().messageId, '2026-11-27T10:00:00.000Z')).to.equal('marked');
    expect(await store.markDeadLettered(newMessage().messageId, '2026-11-27T10:00:01.000Z')).to.equal('unchanged');
    expect(await store.markDeadLettered('00000000-0000-4000-8000-000000000000', '2026-11-27T10:00:01.000Z')).to.equal('unknown');
    expect(await store.findMessage(newMessage().messageId)).to.include({ status: 'dead-lettered', deadLetteredAt: '2026-11-27T10:00:00.000Z' });
    expect(await store.auditSize()).to.equal(2);
  });

  it('keeps the first receipt, and a replay finds it without waiting for anything else', async () => {
    const { store } = current();
    await store.accept(newMessage());
    await store.saveReceipt(newMessage().messageId, 'first');
    await store.saveReceipt(newMessage().messageId, 'second');
    expect((await store.findMessage(newMessage().messageId))?.receipt).to.equal('first');
  });

  it('appends standalone events with the next index', async () => {
    const { store } = current();
    expect(await store.recordEvent({ event: 'rejected', timestamp: '2026-11-27T09:30:01.000Z', sender: 'ofii-paris', code: 'schema_invalid' })).to.equal(0);
    await store.accept(newMessage());
    expect(await store.recordEvent({ event: 'rejected', timestamp: '2026-11-27T09:30:02.000Z', sender: 'ofii-paris', code: 'stale_message' })).to.equal(2);
    expect(await store.auditSize()).to.equal(3);
  });

  it('answers unavailable, and writes nothing, while another writer holds the lock too long', async () => {
    const temp = current();
    await whileLocked(temp, async () => {
      const error = await thrownBy(() => temp.store.accept(newMessage()));
      expect(error).to.be.instanceOf(GatewayError);
      expect((error as GatewayError).code).to.equal('unavailable');
      // SQLite's lock is the whole file's: nothing can be written. PostgreSQL's sequencer serialises
      // appends only: the store can still take a write, and /readyz says so.
      const probe = await thrownBy(() => temp.store.checkWritable());
      if (temp.engine === 'sqlite') expect((probe as GatewayError).code).to.equal('store_unavailable');
      else expect(probe).to.equal(undefined);
    });
    expect(await temp.store.auditSize()).to.equal(0);
    expect(await temp.store.findMessage(newMessage().messageId)).to.equal(undefined);
    await temp.store.checkWritable();
    expect((await temp.store.accept(newMessage())).kind).to.equal('accepted');
  });

  it('survives a reopen with its data and does not migrate twice', async () => {
    const temp = current();
    await temp.store.accept(newMessage());
    await reopenTempStore(temp);
    expect((await temp.store.findMessage(newMessage().messageId))?.status).to.equal('accepted');
    expect((await temp.store.pendingOutbox(10)).map((e) => e.messageId)).to.deep.equal([newMessage().messageId]);
    await temp.store.accept(newMessage({ messageId: '11111111-2222-4333-8444-555555555555' }));
    expect(await temp.store.auditSize()).to.equal(2);
  });
});

describe('store: what an acceptance hands to the relay', () => {
  const notice = (outboxBody: string | undefined) => ({ messageId: '44444444-2222-4333-8444-555555555555', type: 'dossier' as const, recipient: 'epec-paris', inReplyTo: undefined, payloadSha256: 'c'.repeat(64), ...(outboxBody === undefined ? { held: new Uint8Array([1]) } : { outboxBody }) });
  const dossier = (notices: ReturnType<typeof notice>[]) => ({ lookup: 'd'.repeat(64), follow: { takenInCharge: false }, notices });

  it('says when the same commit wrote outbox rows it does not list (the notices of a dossier update), so that the relay reads them', () => {
    expect(committedOutbox(newMessage(), 7).unlisted).to.equal(false);
    expect(committedOutbox(newMessage({ dossier: dossier([]) }), 7).unlisted).to.equal(false);
    // A notice held for a recipient without a key writes no outbox row.
    expect(committedOutbox(newMessage({ dossier: dossier([notice(undefined)]) }), 7).unlisted).to.equal(false);
    expect(committedOutbox(newMessage({ dossier: dossier([notice(undefined), notice('sealed')]) }), 7).unlisted).to.equal(true);
  });
});
