/**
 * A poison message: the recipient's consumer rejects it every time. RabbitMQ dead-letters it after the
 * delivery limit (PASSERELLE_DELIVERY_LIMIT=2), the gateway records it, and its sender sees
 * `dead-lettered` with `deadLetteredAt`; the operators' copy stays in `<prefix>.<partner>.dead`.
 */
import { connect } from 'amqplib';
import { expect } from 'chai';
import { consumeQueue } from '../../src/broker/consumer.js';
import { deadLetterQueueName, queueName } from '../../src/broker/topology.js';
import { silentLogger } from '../../src/log/logger.js';
import { AMQP_URL } from '../fixtures/gateway.js';
import { FaultRun, Ledger, RECIPIENT, SENDER, outboxDrained, readStore, sealMessages, sendAll, verifyAuditLog, waitUntil } from '../fixtures/faults.js';
import { get } from '../fixtures/partner.js';

describe('@integration @faults poison message: rejected forever, dead-lettered, visible to its sender', function () {
  this.timeout(120_000);
  let run: FaultRun | undefined;

  after(async () => {
    await run?.dispose();
  });

  it('dead-letters it after the delivery limit, marks it dead-lettered once, and delivers the others', async () => {
    const deliveryLimit = 2;
    const bench = new FaultRun({ name: 'poison message', env: { PASSERELLE_DELIVERY_LIMIT: String(deliveryLimit) } });
    run = bench;
    const gateway = await bench.start();
    const messages = await sealMessages(4);
    const poison = messages[1]!.messageId;
    const ledger = new Ledger();
    await sendAll({ run: bench, ledger, messages, concurrency: 4, deadline: Date.now() + 30_000 });
    for (const { messageId } of messages) expect(ledger.final(messageId), messageId).to.equal(202);
    await outboxDrained(gateway);

    // The recipient's consumer: the project's consumeQueue, whose handler refuses the poison every time.
    const deliveries = new Map<string, number>();
    const consumed = await consumeQueue({
      url: AMQP_URL,
      queue: queueName(bench.prefix, RECIPIENT),
      logger: silentLogger,
      idleExitMs: 1500,
      handle: async (delivery) => {
        deliveries.set(delivery.messageId, (deliveries.get(delivery.messageId) ?? 0) + 1);
        return delivery.messageId === poison ? 'reject' : 'ack';
      },
    });
    expect(consumed.acked).to.equal(messages.length - 1);
    // Past the limit RabbitMQ stops delivering it: the first delivery, then `deliveryLimit` redeliveries.
    expect(deliveries.get(poison), 'deliveries of the poison message').to.equal(deliveryLimit + 1);

    const status = await waitUntil(
      'the sender sees the message dead-lettered',
      async () => {
        const answer = await get(gateway.baseUrl, SENDER, `/v1/messages/${poison}`);
        return (answer.body as { status?: string }).status === 'dead-lettered' ? (answer.body as Record<string, unknown>) : undefined;
      },
      15_000,
      100,
    );
    expect(status['deadLetteredAt'], 'deadLetteredAt').to.be.a('string');
    expect(Date.parse(status['deadLetteredAt'] as string)).to.be.at.least(Date.parse(status['acceptedAt'] as string) - 1000);
    for (const { messageId } of messages.filter((m) => m.messageId !== poison)) {
      const answer = await get(gateway.baseUrl, SENDER, `/v1/messages/${messageId}`);
      expect((answer.body as { status: string }).status, messageId).to.equal('queued');
    }

    // The operators' copy is still in the partner's dead-letter queue.
    const connection = await connect(AMQP_URL);
    try {
      const channel = await connection.createChannel();
      const dead = await channel.get(deadLetterQueueName(bench.prefix, RECIPIENT), { noAck: false });
      expect(dead && dead.properties.messageId, 'message in the dead-letter queue').to.equal(poison);
      if (dead) channel.nack(dead, false, true);
      await channel.close();
    } finally {
      await connection.close();
    }

    await bench.stop('SIGTERM');
    const stored = readStore(bench.dataDir);
    expect(stored.messages.get(poison)?.status).to.equal('dead-lettered');
    expect(stored.events.get(poison), 'audit events of the poison message').to.deep.equal({ accepted: 1, queued: 1, 'dead-lettered': 1 });
    const audit = await verifyAuditLog(bench.dataDir);
    console.log(
      `      faults [poison message]: sent ${messages.length}, accepted ${messages.length}, delivered ${consumed.acked}, ` +
        `dead-lettered 1 after ${deliveries.get(poison)} deliveries (limit ${deliveryLimit}), lost 0 (status visible to the sender: dead-lettered at ${status['deadLetteredAt'] as string}; audit log verified: ${audit.treeSize} entries)`,
    );
  });
});
