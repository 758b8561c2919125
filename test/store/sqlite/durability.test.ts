/**
 * The embedded engine's promise: nothing leaves the store before its WAL sync. Rows of a group commit
 * are visible before the fsync of the WAL that makes them durable; the relay and the audit readers
 * must not publish or show them until it completes (a crash could still remove them, and a reused
 * audit index would look like a fork of the log).
 */
import fs from 'node:fs';
import { expect } from 'chai';
import { disposeTempStore, newMessage, openTempStore, STORE_THREAD, type TempStore } from '../../fixtures/store.js';

describe('store (sqlite): nothing leaves the store before its WAL sync', () => {
  let temp: TempStore;
  const realFsync = fs.fsync;
  beforeEach(async function () {
    // The fsync is held by replacing this thread's fs.fsync: the store's own thread has its own.
    if (STORE_THREAD) this.skip();
    temp = await openTempStore('passerelle-store-sync-', 'sqlite');
  });
  afterEach(async () => {
    fs.fsync = realFsync;
    await disposeTempStore(temp);
  });

  it('the relay and the audit readers do not see an acceptance whose commit is not yet on disk', async () => {
    const held: Array<() => void> = [];
    let syncing!: () => void;
    const started = new Promise<void>((resolve) => (syncing = resolve));
    fs.fsync = ((fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
      held.push(() => realFsync(fd, callback));
      syncing();
    }) as typeof fs.fsync;
    const message = newMessage();
    const accepting = temp.store.accept(message);
    await started;
    expect(held, 'the commit is done and its WAL sync is running').to.have.length(1);

    const answered: string[] = [];
    const outbox = temp.store.pendingOutbox(10).then((rows) => (answered.push('outbox'), rows));
    const entries = temp.store.readAuditEntries(0, 10, 10).then((rows) => (answered.push('entries'), rows));
    const size = temp.store.auditSize().then((n) => (answered.push('size'), n));
    const found = temp.store.findMessage(message.messageId).then((record) => (answered.push('found'), record));
    await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
    expect(answered, 'a crash now could still remove the message: nothing of it may be published or shown').to.deep.equal([]);

    held.shift()!();
    await accepting;
    expect((await outbox).map((row) => row.messageId)).to.deep.equal([message.messageId]);
    expect(await entries).to.have.length(1);
    expect(await size).to.equal(1);
    expect((await found)?.status).to.equal('accepted');
  });
});
