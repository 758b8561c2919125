/**
 * RabbitMQ stops and starts again (rabbitmqctl stop_app / start_app) while partners post: the
 * gateway keeps answering 202 into its outbox, and the relay delivers everything once the broker is
 * back. Publishes cut by the outage are published again: at-least-once, duplicates counted.
 */
import { expect } from 'chai';
import { FaultRun, Ledger, rabbitmqctl, sendAll, settle, sleep, waitUntil } from '../fixtures/faults.js';

describe('@integration @faults RabbitMQ stopped and started in the middle of traffic', function () {
  this.timeout(180_000);
  let run: FaultRun | undefined;
  let brokerStopped = false;

  after(async () => {
    // Whatever happened, the broker runs again for the tests that follow.
    if (brokerStopped) await rabbitmqctl('-q', 'start_app');
    await run?.dispose();
  });

  it('answers 202 while the broker is down, and every accepted message reaches the recipient', async () => {
    run = new FaultRun({ name: 'RabbitMQ stop_app/start_app' });
    await run.start();
    const ledger = new Ledger();
    let outageOver = false;
    // Partners post all along, paced, until the outage is over.
    const traffic = sendAll({ run, ledger, concurrency: 2, paceMs: 250, until: () => outageOver, deadline: Date.now() + 120_000 });
    await waitUntil('answers before the outage', () => (ledger.answered() >= 5 ? true : undefined), 30_000);
    await rabbitmqctl('-q', 'stop_app');
    brokerStopped = true;
    const stopped = ledger.answered();
    // The broker stays down until the partners got a few more answers, and at least 1.5 s.
    await Promise.all([sleep(1500), waitUntil('answers while RabbitMQ is down', () => (ledger.answered() >= stopped + 5 ? true : undefined), 30_000)]);
    const answeredWhileDown = ledger.answered() - stopped;
    // start_app returns once the application has booted.
    await rabbitmqctl('-q', 'start_app');
    brokerStopped = false;
    await waitUntil('answers after the outage', () => (ledger.answered() >= stopped + answeredWhileDown + 3 ? true : undefined), 30_000);
    outageOver = true;
    await traffic;
    const counts = await settle(run, ledger, { note: `answered while the broker was down: ${answeredWhileDown}` });
    expect(counts.accepted).to.equal(counts.sent);
    // The store never failed: every message got its own 202, at the first attempt.
    for (const outcome of ledger.outcomes.values()) expect(outcome.answers, outcome.messageId).to.deep.equal([202]);
  });
});
