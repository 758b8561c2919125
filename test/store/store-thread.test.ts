/**
 * The embedded store on its own thread (src/store/store-thread.ts). The contract suite runs through
 * it too (`npm run test:store-thread`); these are what only the thread can get wrong: an operation
 * left out, the order of the relay's hand-off and the answer, errors and bytes crossing, a thread that
 * cannot start or dies.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { GatewayError } from '../../src/domain/errors.js';
import { openSqliteStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/port.js';
import { asBuffers, FORWARDED, openStoreThread, storeThreadOf } from '../../src/store/store-thread.js';
import { newMessage, SQLITE_FILE, thrownBy } from '../fixtures/store.js';

describe('store: on a thread of its own', function () {
  this.timeout(20_000);
  let dir: string;
  let store: Store | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-store-thread-'));
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('forwards every operation of the store, so that none is missing on the thread', async () => {
    const direct = await openSqliteStore({ dataDir: dir });
    try {
      const operations = Object.keys(direct).filter((name) => typeof (direct as unknown as Record<string, unknown>)[name] === 'function');
      const handledApart = ['onCommitted', 'pseudonymFor', 'saveReceipt', 'close'];
      expect([...FORWARDED, ...handledApart].sort()).to.deep.equal(operations.sort());
    } finally {
      await direct.close();
    }
  });

  it('hands the relay its outbox row before the acceptance answers, and the row is on disk when it does', async () => {
    store = await openStoreThread({ dataDir: dir });
    const order: string[] = [];
    store.onCommitted!((committed) => order.push(`handed ${committed.entries[0]!.messageId}`));
    const message = newMessage();
    const outcome = await store.accept(message);
    order.push('answered');
    expect(outcome).to.deep.equal({ kind: 'accepted', auditIndex: 0 });
    expect(order).to.deep.equal([`handed ${message.messageId}`, 'answered']);
    const db = new Database(path.join(dir, SQLITE_FILE), { readonly: true });
    try {
      expect(db.prepare('SELECT status FROM messages WHERE message_id = ?').get(message.messageId)).to.deep.equal({ status: 'accepted' });
    } finally {
      db.close();
    }
  });

  it("keeps a refusal's code and sentence across the thread", async () => {
    store = await openStoreThread({ dataDir: dir });
    const err = await thrownBy(() => store!.auditNode(3, 7));
    expect(err).to.be.instanceOf(GatewayError);
    expect((err as GatewayError).code).to.equal('internal');
    expect((err as GatewayError).message).to.match(/no stored subtree at level 3, index 7/);
  });

  it('fails a call whose value cannot cross to the thread, alone', async () => {
    store = await openStoreThread({ dataDir: dir });
    const err = await thrownBy(() => store!.findMessage((() => 'not an id') as unknown as string));
    expect((err as Error).name).to.equal('DataCloneError');
    expect(await store.auditSize()).to.equal(0);
  });

  it('gives bytes back as Buffers, views of what crossed rather than copies', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const value = asBuffers({ documents: [{ signedMessage: bytes, at: '2026-12-06' }], when: new Date(0) }) as { documents: Array<{ signedMessage: Buffer }>; when: Date };
    expect(Buffer.isBuffer(value.documents[0]!.signedMessage)).to.equal(true);
    expect(value.documents[0]!.signedMessage.buffer).to.equal(bytes.buffer);
    expect(value.when).to.be.instanceOf(Date);
  });

  it('fails to open as the store on the main thread does, with the setting to check', async () => {
    const file = path.join(dir, 'not-a-directory');
    fs.writeFileSync(file, '');
    const err = await thrownBy(() => openStoreThread({ dataDir: file }));
    expect(err).to.be.instanceOf(GatewayError);
    expect((err as GatewayError).code).to.equal('store_unavailable');
    expect((err as GatewayError).message).to.contain('PASSERELLE_DATA_DIR');
  });

  it('leaves no call waiting when its thread dies: those in flight have an unknown outcome, later ones are refused', async () => {
    store = await openStoreThread({ dataDir: dir });
    const waiting = Array.from({ length: 100 }, (_, i) => thrownBy(() => store!.accept(newMessage({ messageId: `${String(i).padStart(8, '0')}-1b7a-4c3e-9f60-2a5b7d9e1c44` }))));
    await storeThreadOf(store)!.terminate();
    const outcomes = await Promise.all(waiting);
    // Each call answered before the thread stopped, or may have been committed: none is left pending.
    for (const err of outcomes) if (err !== undefined) expect((err as GatewayError).code).to.equal('outcome_unknown');
    expect(outcomes.some((err) => err !== undefined), 'some calls were in flight when the thread stopped').to.equal(true);
    const later = await thrownBy(() => store!.findMessage('8d4c2f9e-1b7a-4c3e-9f60-2a5b7d9e1c44'));
    expect(later).to.be.instanceOf(GatewayError);
    expect((later as GatewayError).code).to.equal('unavailable');
    expect((later as GatewayError).message).to.contain('restart the gateway');
  });
});
