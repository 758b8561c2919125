import type { Channel } from 'amqplib';
import { expect } from 'chai';
import { consumeQueue } from '../../src/broker/consumer.js';
import type { ConsumeOptions, ConsumeResult, Delivery } from '../../src/broker/consumer.js';
import { createPublisher } from '../../src/broker/publisher.js';
import type { Publisher } from '../../src/broker/publisher.js';
import { deadLetterQueueName, queueName } from '../../src/broker/topology.js';
import { isGatewayError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import type { OutboxEntry } from '../../src/store/port.js';
import { openBrokerBed, outboxEntry, rejection, takeAll } from '../fixtures/broker.js';
import type { BrokerBed } from '../fixtures/broker.js';
import { AMQP_URL, eventually, uniquePrefix } from '../fixtures/gateway.js';

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
    const controller = new AbortController();
    const result = await consume({
      signal: controller.signal,
      handle: async (delivery) => {
        seen.push(delivery);
        if (seen.length === rows.length) controller.abort();
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
    const controller = new AbortController();
    const result = await consume({
      signal: controller.signal,
      handle: async (delivery) => {
        redelivered.push(delivery.redelivered);
        if (redelivered.length === 1) throw new Error('store down');
        controller.abort();
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
    const controller = new AbortController();
    const result = await consume({
      signal: controller.signal,
      handle: async () => {
        deliveries += 1;
        // Delivery limit 2: the first delivery and two redeliveries, then the dead-letter queue.
        if (deliveries === 3) controller.abort();
        return 'reject';
      },
    });

    expect(deliveries).to.equal(3);
    expect(result).to.deep.equal({ acked: 0, rejected: 3 });
    const message = await eventually(async () => {
      const dead = await channel.get(deadQueue, { noAck: true });
      return dead === false ? undefined : dead;
    });
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
    let handled = 0;
    // The first deliveries stay in the handler until the prefetch window is full.
    let windowFull!: () => void;
    const full = new Promise<void>((resolve) => (windowFull = resolve));
    const controller = new AbortController();
    const result = await consume({
      prefetch: 3,
      signal: controller.signal,
      handle: async () => {
        inHandler += 1;
        most = Math.max(most, inHandler);
        if (inHandler === 3) windowFull();
        await full;
        inHandler -= 1;
        handled += 1;
        if (handled === 8) controller.abort();
        return 'ack';
      },
    });

    expect(result.acked).to.equal(8);
    expect(most).to.equal(3);
  });

  it('stops when the signal aborts and leaves unhandled messages in the queue', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => entry(recipient, i));
    await Promise.all(rows.map((row) => publisher.publish(row, prefix)));
    const controller = new AbortController();
    const handled: string[] = [];
    const result = await consume({
      prefetch: 1,
      signal: controller.signal,
      handle: async (delivery) => {
        handled.push(delivery.messageId);
        controller.abort();
        // Barrier: the consumer reacts to the abort by cancelling its subscription in the same turn of
        // the event loop (basic.cancel is written as the abort's promise chain runs), so after one
        // macrotask the cancel is on the channel ahead of this delivery's acknowledgement. With
        // prefetch 1 the broker sends the next message only after that acknowledgement, to a consumer
        // it has then cancelled: this is the only delivery (without the barrier one or two more could be
        // on the wire, by timing).
        await new Promise((resolve) => setImmediate(resolve));
        return 'ack';
      },
    });

    // The delivery in the handler when the signal aborted is still handled and acknowledged, not bounced.
    expect(handled).to.have.length(1);
    expect(result).to.deep.equal({ acked: 1, rejected: 0 });
    // The quorum queue takes back what the closed consumer held asynchronously: take messages until
    // as many as were left unhandled are back, then compare which ones they are.
    const unhandled = rows.map((row) => row.messageId).filter((id) => !handled.includes(id));
    const left: string[] = [];
    await eventually(async () => {
      for (const message of await takeAll(channel, queue)) left.push(message.properties.messageId as string);
      return left.length >= unhandled.length ? true : undefined;
    });
    expect(left.sort()).to.deep.equal(unhandled.sort());
  });

  it('ends by itself once no delivery came for idleExitMs', async () => {
    const result = await consume({ idleExitMs: 100, handle: async () => 'ack' });
    expect(result).to.deep.equal({ acked: 0, rejected: 0 });
  });

  it('says which queue is missing', async () => {
    const caught = await rejection(consume({ queue: `${prefix}.nobody`, idleExitMs: 100, handle: async () => 'ack' }));
    expect(isGatewayError(caught, 'config_invalid'), String(caught)).to.equal(true);
    expect((caught as Error).message).to.contain(`"${prefix}.nobody"`);
  });
});
