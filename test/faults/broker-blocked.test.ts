/**
 * A blocked broker: RabbitMQ's memory alarm (`rabbitmqctl set_vm_memory_high_watermark 0.0001`) makes
 * it stop reading from publishing connections. The gateway keeps answering (202 into its outbox, or
 * 503/429), its relay stops publishing instead of piling unconfirmed messages up in memory (the backlog
 * stays in the outbox, on disk), and everything is delivered once the alarm clears.
 */
import { expect } from 'chai';
import { FaultRun, Ledger, brokerBacklogBytes, operatorStatus, outboxDrained, rabbitmqctl, sealMessages, sendAll, settle, waitUntil } from '../fixtures/faults.js';

/** The relay's default batch size: the most publishes it keeps outstanding (src/broker/relay.ts). */
const RELAY_BATCH_SIZE = 100;
/** An orientation as published (armored OpenPGP, about 3.2 KB) with its AMQP frames, rounded up. */
const MESSAGE_BYTES_BOUND = 4 * 1024;
/** Messages posted while the broker is blocked: well over one batch, so that a relay without bound would show. */
const DURING = 250;

/** The watermark in force, as the argument list of set_vm_memory_high_watermark that restores it. */
async function currentWatermark(): Promise<string[]> {
  const out = (await rabbitmqctl('-q', 'eval', 'vm_memory_monitor:get_vm_memory_high_watermark().')).trim();
  const absolute = /^\{absolute,\s*(\d+)\}$/.exec(out);
  if (absolute) return ['absolute', absolute[1]!];
  if (/^\d+(\.\d+)?$/.test(out)) return [out];
  throw new Error(`unexpected memory watermark from rabbitmqctl: ${out}`);
}

describe('@integration @faults RabbitMQ memory alarm: blocked publishing connection', function () {
  this.timeout(180_000);
  let run: FaultRun | undefined;
  let restore: string[] | undefined;

  after(async () => {
    // Whatever happened, the broker takes publishes again for the tests that follow.
    if (restore) await rabbitmqctl('-q', 'set_vm_memory_high_watermark', ...restore);
    await run?.dispose();
  });

  it('answers 202 into the outbox while blocked, sends the broker at most one batch of publishes, with bounded memory, and delivers all once unblocked', async () => {
    const bench = new FaultRun({ name: 'RabbitMQ memory alarm' });
    run = bench;
    const gateway = await bench.start();
    const ledger = new Ledger();
    await sendAll({ run: bench, ledger, messages: await sealMessages(10), concurrency: 4, deadline: Date.now() + 60_000 });
    await outboxDrained(gateway);
    const during = await sealMessages(DURING);

    const watermark = await currentWatermark();
    const residentBefore = gateway.residentKiB();
    await rabbitmqctl('-q', 'set_vm_memory_high_watermark', '0.0001');
    restore = watermark;
    await sendAll({ run: bench, ledger, messages: during, concurrency: 6, deadline: Date.now() + 90_000 });
    for (const { messageId } of during) {
      expect([202, 503, 429], `answer to ${messageId} while the broker is blocked`).to.include(ledger.final(messageId));
    }
    const accepted = during.filter((m) => ledger.final(m.messageId) === 202).length;
    // RabbitMQ tells a connection it is blocked when it publishes during the alarm.
    const logged = () => gateway.logLines().map((l) => String(l['message']));
    await waitUntil('the gateway sees its connection blocked', () => (logged().includes('broker.blocked') ? true : undefined), 10_000);
    const backlog = brokerBacklogBytes(gateway.pid);
    const depth = (await operatorStatus(gateway)).body['outboxDepth'] as number;
    const residentDuring = gateway.residentKiB();
    expect(accepted, 'messages answered 202 while blocked').to.be.above(2 * RELAY_BATCH_SIZE);
    expect(depth, 'outbox rows while blocked').to.be.at.least(accepted - RELAY_BATCH_SIZE);
    // What the gateway sent the broker and the broker did not read: one batch of messages at most.
    expect(backlog, 'bytes sent to the blocked broker and not read by it').to.be.below(RELAY_BATCH_SIZE * MESSAGE_BYTES_BOUND);
    // A sanity bound only (garbage collection decides the rest): the backlog check above is the proof.
    expect(residentDuring - residentBefore, "growth of the gateway's resident memory while blocked (KiB)").to.be.below(128 * 1024);

    await rabbitmqctl('-q', 'set_vm_memory_high_watermark', ...watermark);
    restore = undefined;
    const counts = await settle(bench, ledger, {
      allowFinal: [503, 429],
      note: `while blocked: ${accepted} of ${during.length} answered 202, outbox depth ${depth}, ${Math.round(backlog / 1024)} KiB unread by the broker, resident memory ${Math.round(residentBefore / 1024)} -> ${Math.round(residentDuring / 1024)} MiB`,
    });
    expect(counts.lost).to.equal(0);
  });
});
