import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import canonicalize from 'canonicalize';
import { expect } from 'chai';
import { GatewayError } from '../../src/domain/errors.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { disposeTempStore, newMessage, openTempStore } from '../fixtures/store.js';


describe('store/sqlite', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(() => {
    ({ dir, store } = openTempStore('passerelle-store-'));
  });
  afterEach(() => disposeTempStore({ dir, store }));

  it('writes the message, its outbox row and its audit entry together', async () => {
    const outcome = await store.accept(newMessage());
    expect(outcome).to.deep.equal({ kind: 'accepted', auditIndex: 0 });
    const record = await store.findMessage(newMessage().messageId);
    expect(record?.status).to.equal('accepted');
    expect(await store.outboxDepth()).to.equal(1);
    const [row] = store.auditEntries(0, 10);
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
    await store.accept(newMessage());
    const again = await store.accept(newMessage({ payloadSha256: 'c'.repeat(64) }));
    expect(again.kind).to.equal('duplicate');
    expect(await store.auditSize()).to.equal(1);
    expect(await store.outboxDepth()).to.equal(1);
  });

  it('marks a message queued once: the outbox row goes and one queued entry is appended', async () => {
    await store.accept(newMessage());
    const [pending] = await store.pendingOutbox(10);
    expect(pending).to.include({ messageId: newMessage().messageId, recipient: 'mission-locale-paris', type: 'orientation', auditIndex: 0, attempts: 0 });
    await store.recordPublishFailure(newMessage().messageId);
    expect((await store.pendingOutbox(10))[0]!.attempts).to.equal(1);
    await store.markQueued(newMessage().messageId, '2026-11-27T09:30:02.000Z');
    await store.markQueued(newMessage().messageId, '2026-11-27T09:30:03.000Z');
    expect(await store.outboxDepth()).to.equal(0);
    expect((await store.findMessage(newMessage().messageId))?.status).to.equal('queued');
    expect(store.auditEntries(0, 10).map((r) => (JSON.parse(r.entry) as { event: string }).event)).to.deep.equal(['accepted', 'queued']);
  });

  it('marks the original acknowledged when its recipient acknowledges it, not when another agency does', async () => {
    await store.accept(newMessage());
    const ackId = '11111111-2222-4333-8444-555555555555';
    await store.accept(newMessage({ messageId: '99999999-2222-4333-8444-555555555555', type: 'acknowledgement', sender: 'cap-emploi-75', recipient: 'ofii-paris', inReplyTo: newMessage().messageId }));
    expect((await store.findMessage(newMessage().messageId))?.status).to.equal('accepted');
    await store.accept(newMessage({ messageId: ackId, type: 'acknowledgement', sender: 'mission-locale-paris', recipient: 'ofii-paris', inReplyTo: newMessage().messageId }));
    const original = await store.findMessage(newMessage().messageId);
    expect(original?.status).to.equal('acknowledged');
    expect(original?.acknowledgedAt).to.equal(newMessage().acceptedAt);
    expect(store.auditEntries(0, 10).map((r) => (JSON.parse(r.entry) as { event: string }).event)).to.deep.equal(['accepted', 'accepted', 'accepted', 'acknowledged']);
  });

  it('keeps the first receipt', async () => {
    await store.accept(newMessage());
    await store.saveReceipt(newMessage().messageId, 'first');
    await store.saveReceipt(newMessage().messageId, 'second');
    expect((await store.findMessage(newMessage().messageId))?.receipt).to.equal('first');
  });

  it('answers unavailable, and writes nothing, while another process holds the write lock', async () => {
    const other = new Database(store.file);
    other.prepare('BEGIN EXCLUSIVE').run();
    try {
      let error: unknown;
      try {
        await store.accept(newMessage());
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(GatewayError);
      expect((error as GatewayError).code).to.equal('unavailable');
      let probe: unknown;
      try {
        await store.checkWritable();
      } catch (err) {
        probe = err;
      }
      expect((probe as GatewayError).code).to.equal('store_unavailable');
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    expect(await store.auditSize()).to.equal(0);
    expect(await store.findMessage(newMessage().messageId)).to.equal(undefined);
    await store.checkWritable();
  });

  it('survives a reopen with its data and does not migrate twice', async () => {
    await store.accept(newMessage());
    await store.close();
    store = SqliteStore.open({ dataDir: dir });
    expect((await store.findMessage(newMessage().messageId))?.status).to.equal('accepted');
  });
});
