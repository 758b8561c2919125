import type { Channel } from 'amqplib';
import { expect } from 'chai';
import { connectBroker } from '../../src/broker/connection.js';
import { createPublisher, publishOptions } from '../../src/broker/publisher.js';
import type { Publisher } from '../../src/broker/publisher.js';
import { queueName } from '../../src/broker/topology.js';
import { isGatewayError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import type { OutboxEntry } from '../../src/store/port.js';
import { openBrokerBed, outboxEntry, rejection, takeAll } from '../fixtures/broker.js';
import type { BrokerBed } from '../fixtures/broker.js';
import { AMQP_URL, uniquePrefix } from '../fixtures/gateway.js';

/** The options test compares these values with the contract. */
function entry(recipient: string): OutboxEntry {
  return outboxEntry(recipient, { type: 'acknowledgement', sender: 'france-travail', auditIndex: 3, acceptedAt: '2026-01-02T03:04:05.999Z' });
}

describe('broker/publisher options', () => {
  it('sets exactly the properties of docs/interface.md (section 5)', () => {
    const row = entry('ofii');
    expect(publishOptions(row)).to.deep.equal({
      persistent: true,
      mandatory: true,
      contentType: 'application/pgp-encrypted',
      messageId: row.messageId,
      type: 'acknowledgement',
      timestamp: Date.UTC(2026, 0, 2, 3, 4, 5) / 1000,
      appId: 'passerelle',
      headers: { 'x-passerelle-sender': 'france-travail', 'x-passerelle-audit-index': { '!': 'long', value: 3 } },
    });
  });

  it('refuses a row whose acceptance time is not a date', () => {
    expect(() => publishOptions({ ...entry('ofii'), acceptedAt: 'yesterday' })).to.throw().that.satisfies((e: unknown) => isGatewayError(e, 'internal'));
  });
});

describe('broker/publisher @integration', function () {
  this.timeout(20_000);
  const prefix = uniquePrefix();
  let bed: BrokerBed;
  let channel: Channel;
  let publisher: Publisher;

  before(async () => {
    bed = await openBrokerBed({ prefix, topologies: [{ recipients: ['ofii'], deliveryLimit: 2 }] });
    channel = bed.channel;
    publisher = createPublisher({ broker: bed.broker, logger: silentLogger });
  });

  after(async () => {
    await publisher.close();
    await bed.dispose();
  });

  it('resolves on the broker ack, with the message in the queue', async () => {
    await publisher.publish(entry('ofii'), prefix);
    expect((await channel.checkQueue(queueName(prefix, 'ofii'))).messageCount).to.equal(1);
    await channel.purgeQueue(queueName(prefix, 'ofii'));
  });

  it('rejects an unroutable message although the broker acks it', async () => {
    const err = await rejection(publisher.publish(entry('nobody'), prefix));
    expect(isGatewayError(err, 'unavailable'), String(err)).to.equal(true);
    expect((err as Error).message).to.contain('NO_ROUTE');
  });

  it('rejects when the channel dies (exchange missing: 404) and publishes again on a new channel', async () => {
    const err = await rejection(publisher.publish(entry('ofii'), `${prefix}-missing`));
    expect(isGatewayError(err, 'broker_unreachable'), String(err)).to.equal(true);
    await publisher.publish(entry('ofii'), prefix);
    expect((await channel.checkQueue(queueName(prefix, 'ofii'))).messageCount).to.equal(1);
    await channel.purgeQueue(queueName(prefix, 'ofii'));
  });

  it('correlates a return with its own message among many outstanding ones', async () => {
    const good = Array.from({ length: 20 }, () => entry('ofii'));
    const results = await Promise.allSettled([
      ...good.map((row) => publisher.publish(row, prefix)),
      publisher.publish(entry('nobody'), prefix),
    ]);
    expect(results.slice(0, 20).every((r) => r.status === 'fulfilled')).to.equal(true);
    expect(results[20]!.status).to.equal('rejected');
    expect((await channel.checkQueue(queueName(prefix, 'ofii'))).messageCount).to.equal(20);
    await channel.purgeQueue(queueName(prefix, 'ofii'));
  });

  it('resolves only the publishes the broker confirmed when a channel dies with many outstanding', async () => {
    const rows = Array.from({ length: 30 }, () => entry('ofii'));
    const results = await Promise.allSettled([
      ...rows.slice(0, 15).map((row) => publisher.publish(row, prefix)),
      publisher.publish(entry('ofii'), `${prefix}-missing`),
      ...rows.slice(15).map((row) => publisher.publish(row, prefix)),
    ]);
    const all = [...rows.slice(0, 15), entry('ofii'), ...rows.slice(15)];
    const fulfilled = all.filter((_, i) => results[i]!.status === 'fulfilled').map((row) => row.messageId);
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed.length).to.be.at.least(16);
    expect(failed.every((r) => isGatewayError((r as PromiseRejectedResult).reason, 'broker_unreachable'))).to.equal(true);
    // Nothing resolved without being in the queue. The converse need not hold: the broker may have
    // queued a message whose ack the closing channel never carried (a duplicate after the retry).
    const inQueue = new Set((await takeAll(channel, queueName(prefix, 'ofii'))).map((m) => m.properties.messageId as string));
    expect(fulfilled.every((id) => inQueue.has(id))).to.equal(true);
  });

  it('rejects at once when the broker connection is closed', async () => {
    const other = await connectBroker({ url: AMQP_URL, logger: silentLogger });
    const lonely = createPublisher({ broker: other, logger: silentLogger });
    await other.close();
    const started = Date.now();
    const err = await rejection(lonely.publish(entry('ofii'), prefix));
    expect(isGatewayError(err, 'broker_unreachable')).to.equal(true);
    expect(Date.now() - started).to.be.below(500);
  });
});
