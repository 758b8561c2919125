/**
 * The store cannot write: its filesystem turns read-only under the running gateway (EROFS on every
 * write), then fills up (ENOSPC, a tmpfs of a few MiB). Each message is either accepted (202) or
 * refused with 503 `unavailable`, and a 503 leaves nothing behind: the message is not in the store,
 * not in the outbox, not in the audit log, not in the queue, and the same message sent again once the
 * fault is cleared gets 202, not the 200 of a message that was already accepted.
 *
 * A gateway restarted on a read-only data directory does not start: it fails closed with one line.
 *
 * Root only (mount); CI runs as root.
 */
import path from 'node:path';
import fs from 'node:fs';
import { expect } from 'chai';
import {
  FaultRun,
  GatewayProcess,
  Ledger,
  bindReadOnly,
  fillUp,
  injectWriteErrors,
  mountTmpfs,
  operatorStatus,
  outboxDrained,
  probe,
  sealMessages,
  sendAll,
  settle,
  SENDER,
  waitUntil,
  type SealedMessage,
} from '../fixtures/faults.js';
import { get } from '../fixtures/partner.js';

describe('@integration @faults store failures: 503 unavailable, nothing half-accepted', function () {
  this.timeout(180_000);
  let fsMount: { dir: string; unmount: () => Promise<void> } | undefined;
  let run: FaultRun | undefined;
  let stopInjection: (() => Promise<void>) | undefined;

  before(function () {
    if (process.getuid?.() !== 0) {
      // Mounting needs root; CI runs as root, so there this never skips.
      this.skip();
    }
  });

  afterEach(async () => {
    try {
      await stopInjection?.();
      await run?.dispose();
    } finally {
      stopInjection = undefined;
      run = undefined;
      // Whatever failed above, no mount is left behind (the gateway is dead by now: dispose kills it first).
      await fsMount?.unmount();
      fsMount = undefined;
    }
  });

  /** Sends the messages; each must be answered 202 or 503 `unavailable`. */
  async function sendDuringFault(bench: FaultRun, ledger: Ledger, messages: SealedMessage[]): Promise<void> {
    await sendAll({ run: bench, ledger, messages, concurrency: 4, deadline: Date.now() + 60_000 });
    for (const { messageId } of messages) {
      const outcome = ledger.outcomes.get(messageId)!;
      expect([202, 503], `answer to ${messageId} during the fault`).to.include(outcome.answers.at(-1));
      if (outcome.answers.at(-1) === 503) expect(outcome.codes.at(-1)).to.equal('unavailable');
    }
  }

  /** The messages answered 503 are unknown to the gateway (404 to their own sender). */
  async function expectUnknown(gateway: GatewayProcess, ids: string[]): Promise<void> {
    for (const id of ids) {
      const answer = await get(gateway.baseUrl, SENDER, `/v1/messages/${id}`);
      expect(answer.status, `GET /v1/messages/${id} after a 503`).to.equal(404);
    }
  }

  it('read-only, then full: each message is accepted or refused with 503, a refused one is not there, and its retry gets 202', async () => {
    fsMount = await mountTmpfs(8);
    const bench = new FaultRun({ name: 'store read-only (EROFS), then full (ENOSPC)', dataDir: fsMount.dir });
    run = bench;
    const gateway = await bench.start();
    const ledger = new Ledger();
    const [before, whileReadOnly, whileFull] = [await sealMessages(10), await sealMessages(8), await sealMessages(8)];

    await sendAll({ run: bench, ledger, messages: before, concurrency: 4, deadline: Date.now() + 60_000 });
    await outboxDrained(gateway);

    // Read-only: every write of SQLite to its database and journal fails with EROFS.
    const database = path.join(bench.dataDir, 'passerelle.sqlite');
    const injection = await injectWriteErrors(gateway.pid, [database, `${database}-wal`], 'EROFS');
    stopInjection = injection.stop;
    await sendDuringFault(bench, ledger, whileReadOnly);
    const readiness = await probe(gateway.baseUrl, '/readyz');
    expect(readiness.status, 'GET /readyz while the store is read-only').to.equal(503);
    expect(readiness.body).to.deep.equal({ status: 'not-ready' });
    expect((await operatorStatus(gateway)).body['store'], "the operator's status while the store is read-only").to.equal('unavailable');
    expect(injection.injected(), 'writes refused by the filesystem').to.be.above(0);
    await injection.stop();
    stopInjection = undefined;
    const refusedReadOnly = whileReadOnly.filter((m) => ledger.final(m.messageId) === 503).map((m) => m.messageId);
    expect(refusedReadOnly, 'messages refused while the store was read-only').to.have.length(whileReadOnly.length);
    await outboxDrained(gateway);
    await expectUnknown(gateway, refusedReadOnly);

    // Full: the filesystem has no free block left.
    const filler = fillUp(bench.dataDir);
    await sendDuringFault(bench, ledger, whileFull);
    const refusedFull = whileFull.filter((m) => ledger.final(m.messageId) === 503).map((m) => m.messageId);
    expect(refusedFull.length, 'messages refused while the disk was full').to.be.above(0);
    const full = await probe(gateway.baseUrl, '/readyz');
    expect(full.status, 'GET /readyz while the disk is full').to.equal(503);
    fs.rmSync(filler);
    await waitUntil('store writable again', async () => ((await probe(gateway.baseUrl, '/readyz')).status === 200 ? true : undefined), 10_000);
    await outboxDrained(gateway);
    await expectUnknown(gateway, refusedFull);

    // The same sealed messages again: a 503 kept nothing, so each is new to the gateway (202, not 200).
    const refused = new Set([...refusedReadOnly, ...refusedFull]);
    const retries = [...whileReadOnly, ...whileFull].filter((m) => refused.has(m.messageId));
    await sendAll({ run: bench, ledger, messages: retries, concurrency: 4, deadline: Date.now() + 60_000 });
    for (const { messageId } of retries) expect(ledger.outcomes.get(messageId)!.answers.at(-1), `retry of ${messageId} after the fault`).to.equal(202);

    const counts = await settle(bench, ledger, { note: `refused while read-only ${refusedReadOnly.length}, while full ${refusedFull.length}, all accepted on retry` });
    expect(counts.accepted).to.equal(before.length + whileReadOnly.length + whileFull.length);
  });

  it('a gateway started on a read-only data directory does not start; once writable again it starts and accepts', async () => {
    fsMount = await mountTmpfs(8);
    const bench = new FaultRun({ name: 'restart on a read-only data directory', dataDir: fsMount.dir });
    run = bench;
    await bench.start();
    await bench.stop('SIGTERM');

    const writable = await bindReadOnly(bench.dataDir);
    let refused: Error | undefined;
    try {
      await GatewayProcess.spawn(bench.env).then((g) => g.kill('SIGKILL'));
    } catch (err) {
      refused = err as Error;
    } finally {
      await writable();
    }
    expect(refused?.message, 'the gateway refuses to start').to.match(/exited \(1\) before listening/);
    expect(refused?.message).to.include('PASSERELLE_DATA_DIR');

    const gateway = await bench.start();
    const ledger = new Ledger();
    await sendAll({ run: bench, ledger, messages: await sealMessages(3), concurrency: 3, deadline: Date.now() + 30_000 });
    await outboxDrained(gateway);
    const counts = await settle(bench, ledger);
    expect(counts.accepted).to.equal(3);
  });
});
