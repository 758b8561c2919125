import type { Channel, GetMessage } from 'amqplib';
import { expect } from 'chai';
import { consumeQueue } from '../../src/broker/consumer.js';
import type { ConsumeOptions, ConsumeResult, Delivery } from '../../src/broker/consumer.js';
import { createPublisher } from '../../src/broker/publisher.js';
import type { Publisher } from '../../src/broker/publisher.js';
import { deadLetterQueueName, queueName } from '../../src/broker/topology.js';
import { isGatewayError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import type { OutboxEntry } from '../../src/store/outbox.js';
import { openBrokerBed, outboxEntry, rejection } from '../fixtures/broker.js';
import type { BrokerBed } from '../fixtures/broker.js';
import { AMQP_URL, uniquePrefix } from '../fixtures/gateway.js';

function entry(recipient: string, auditIndex: number): OutboxEntry {
  return outboxEntry(recipient, { auditIndex, acceptedAt: new Date().toISOString() });
}

describe('broker/consumer @integration', function () {
  this.timeout(30_000);
  const prefix = uniquePrefix();
  const recipient = 'france-travail';
  const queue = queueName(prefix, recipient);
  const deadQueue = deadLetterQueueName(prefix, recipient);
  let bed: BrokerBed;
  let channel: Channel;
  let publisher: Publisher;

  /** The queue under test unless the options name another, on the local broker, without logs. */
  const consume = (options: Omit<ConsumeOptions, 'url' | 'queue' | 'logger'> & { queue?: string }): Promise<ConsumeResult> =>
    consumeQueue({ url: AMQP_URL, queue, logger: silentLogger, ...options });

  before(async () => {
    bed = await openBrokerBed({ prefix, topologies: [{ recipients: [recipient], deliveryLimit: 2 }] });
    channel = bed.channel;
    publisher = createPublisher({ broker: bed.broker, logger: silentLogger });
  });

  afterEach(async () => {
    await channel.purgeQueue(queue);
    await channel.purgeQueue(deadQueue);
  });

  after(async () => {
    await publisher.close();
    await bed.dispose();
  });

  it('hands every message to the handler with its fields and acknowledges it after the handler', async () => {
    const rows = [entry(recipient, 1), entry(recipient, 2), entry(recipient, 3)];
    await Promise.all(rows.map((row) => publisher.publish(row, prefix)));
    const seen: Delivery[] = [];
    const result = await consume({
      idleExitMs: 400,
      handle: async (delivery) => {
        seen.push(delivery);
        return 'ack';
      },
    });

    expect(result).to.deep.equal({ acked: 3, rejected: 0 });
    expect(seen.map((d) => ({ ...d, body: d.body.toString('utf8') }))).to.deep.equal(
      rows.map((row) => ({
        messageId: row.messageId,
        type: row.type,
        sender: row.sender,
        auditIndex: row.auditIndex,
        body: row.body,
        redelivered: false,
      })),
    );
    expect((await channel.checkQueue(queue)).messageCount).to.equal(0);
  });

  it('does not acknowledge before the handler finished: a failing handler gets the message again', async () => {
    const row = entry(recipient, 7);
    await publisher.publish(row, prefix);
    const redelivered: boolean[] = [];
    const result = await consume({
      idleExitMs: 400,
      handle: async (delivery) => {
        redelivered.push(delivery.redelivered);
        if (redelivered.length === 1) throw new Error('store down');
        return 'ack';
      },
    });

    expect(redelivered).to.deep.equal([false, true]);
    expect(result).to.deep.equal({ acked: 1, rejected: 1 });
  });

  it('dead-letters a message rejected on every delivery after the delivery limit', async () => {
    const row = entry(recipient, 9);
    await publisher.publish(row, prefix);
    let deliveries = 0;
    const result = await consume({
      idleExitMs: 800,
      handle: async () => {
        deliveries += 1;
        return 'reject';
      },
    });

    // Delivery limit 2: the first delivery and two redeliveries, then the dead-letter queue.
    expect(deliveries).to.equal(3);
    expect(result).to.deep.equal({ acked: 0, rejected: 3 });
    let dead: GetMessage | false = false;
    for (let i = 0; i < 100 && dead === false; i++) {
      dead = await channel.get(deadQueue, { noAck: true });
      if (dead === false) await new Promise((r) => setTimeout(r, 20));
    }
    expect(dead, 'message in the dead-letter queue').to.not.equal(false);
    const message = dead as GetMessage;
    expect(message.properties.messageId).to.equal(row.messageId);
    expect(message.content.toString('utf8')).to.equal(row.body);
    expect(message.fields.routingKey).to.equal(`${recipient}.orientation`);
    expect(message.properties.headers?.['x-death']?.[0]?.reason).to.equal('delivery_limit');
    expect((await channel.checkQueue(queue)).messageCount).to.equal(0);
  });

  it('keeps at most prefetch deliveries in the handler at once', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => publisher.publish(entry(recipient, i), prefix)));
    let inHandler = 0;
    let most = 0;
    const result = await consume({
      prefetch: 3,
      idleExitMs: 400,
      handle: async () => {
        inHandler += 1;
        most = Math.max(most, inHandler);
        await new Promise((r) => setTimeout(r, 40));
        inHandler -= 1;
        return 'ack';
      },
    });

    expect(result.acked).to.equal(8);
    expect(most).to.equal(3);
  });

  it('stops when the signal aborts and leaves unhandled messages in the queue', async () => {
    await Promise.all(Array.from({ length: 5 }, (_, i) => publisher.publish(entry(recipient, i), prefix)));
    const controller = new AbortController();
    const result = await consume({
      prefetch: 1,
      signal: controller.signal,
      handle: async () => {
        controller.abort();
        return 'ack';
      },
    });

    // A delivery already on the wire when the consumer is cancelled is still handled, not bounced.
    expect(result.acked).to.be.within(1, 2);
    expect(result.rejected).to.equal(0);
    // The quorum queue takes back what the closed consumer held asynchronously: poll.
    let ready = -1;
    for (let i = 0; i < 100 && ready !== 5 - result.acked; i++) {
      ready = (await channel.checkQueue(queue)).messageCount;
      if (ready !== 5 - result.acked) await new Promise((r) => setTimeout(r, 20));
    }
    expect(ready).to.equal(5 - result.acked);
  });

  it('says which queue is missing', async () => {
    const caught = await rejection(consume({ queue: `${prefix}.nobody`, idleExitMs: 100, handle: async () => 'ack' }));
    expect(isGatewayError(caught, 'config_invalid'), String(caught)).to.equal(true);
    expect((caught as Error).message).to.contain(`"${prefix}.nobody"`);
  });
});
