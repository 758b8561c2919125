/**
 * The gateway process dies or is stopped while partners post concurrently, and starts again on the
 * same data directory (docs/interface.md: a partner that got no answer sends the same message again).
 *
 * SIGKILL may strike between the store's commit and the answer (the retry then gets 200 and the
 * original answer), or between the broker's confirm and markQueued (the row is published again: an
 * AMQP-level duplicate that the consumer drops). SIGTERM must do neither: in-flight requests finish,
 * the relay drains, and the restart publishes nothing twice.
 */
import { expect } from 'chai';
import { FaultRun, Ledger, faultSeed, sealMessages, seededRandom, sendAll, settle, sleep, waitUntil } from '../fixtures/faults.js';

describe('@integration @faults gateway killed or stopped under concurrent traffic, restarted on the same store', function () {
  this.timeout(180_000);
  let run: FaultRun | undefined;

  afterEach(async () => {
    await run?.dispose();
    run = undefined;
  });

  /** Stops the gateway `rounds` times with `signal`, each at a random point of the traffic, and restarts it. */
  async function trafficWithRestarts(signal: NodeJS.Signals, rounds: number, count: number, env: Record<string, string> = {}): Promise<{ run: FaultRun; ledger: Ledger; seed: number }> {
    const seed = faultSeed();
    const random = seededRandom(seed);
    const messages = await sealMessages(count);
    const bench = new FaultRun({ name: `${signal} x${rounds}, seed ${seed}`, env });
    run = bench;
    await bench.start();
    const ledger = new Ledger();
    const traffic = sendAll({ run: bench, messages, ledger, concurrency: 8, deadline: Date.now() + 120_000 });
    for (let round = 1; round <= rounds; round++) {
      // A point in the round's share of the traffic, then a few random milliseconds: somewhere among
      // decryption, the commit, the receipt, the publish and markQueued of the requests in flight.
      const target = Math.floor((count * (round - 1 + 0.3 + random() * 0.6)) / (rounds + 1));
      await waitUntil(`answers before stop ${round}`, () => (ledger.answered() >= target ? true : undefined), 60_000, 5);
      await sleep(random() * 30);
      await bench.stop(signal);
      await bench.start();
    }
    await traffic;
    return { run: bench, ledger, seed };
  }

  it('SIGKILL at random points: every message answered 202 or 200 reaches the recipient once, a retry never gets 409, the audit log verifies', async () => {
    const { run: bench, ledger } = await trafficWithRestarts('SIGKILL', 4, 140);
    expect(bench.exits.map((e) => e.signal)).to.deep.equal(['SIGKILL', 'SIGKILL', 'SIGKILL', 'SIGKILL']);
    const counts = await settle(bench, ledger, { note: `stops took ${bench.stopDurations.join(', ')} ms` });
    expect(counts.sent).to.equal(140);
    expect(counts.accepted).to.equal(140);
    expect(counts.lost).to.equal(0);
  });

  it('SIGTERM and restart: in-flight requests get their answer, the relay drains, and no message is published twice', async () => {
    const { run: bench, ledger } = await trafficWithRestarts('SIGTERM', 3, 90, { PASSERELLE_SHUTDOWN_TIMEOUT_MS: '10000' });
    expect(bench.exits, 'every SIGTERM ends with exit code 0').to.deep.equal([
      { code: 0, signal: null },
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    // Well inside the grace period: nothing was cut by it, even with partners posting on kept-alive connections.
    for (const ms of bench.stopDurations) expect(ms, 'duration of a SIGTERM stop (ms)').to.be.below(5000);
    const counts = await settle(bench, ledger, { note: `stops took ${bench.stopDurations.join(', ')} ms` });
    expect(counts.accepted).to.equal(90);
    // An accepted message whose 202 was cut would be answered 200 on retry: none was.
    expect(counts.answeredOnRetry, 'accepted messages whose 202 never reached the partner').to.equal(0);
    expect(counts.duplicates, 'AMQP-level duplicates after clean restarts').to.equal(0);
    const drainTimeouts = bench.logs.filter((l) => l['message'] === 'relay.drain_timeout');
    expect(drainTimeouts, 'relay drains that timed out').to.deep.equal([]);
  });
});
