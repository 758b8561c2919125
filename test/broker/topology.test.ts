import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Channel } from 'amqplib';
import { expect } from 'chai';
import { isGatewayError } from '../../src/domain/errors.js';
import {
  DEFAULT_MAX_LENGTH,
  deadLetterExchangeName,
  deadLetterQueueName,
  declareTopology,
  exchangeName,
  queueName,
  routingKey,
} from '../../src/broker/topology.js';
import { openInspector, rejection } from '../fixtures/broker.js';
import type { Inspector } from '../fixtures/broker.js';
import { deleteTopology, uniquePrefix } from '../fixtures/gateway.js';

const run = promisify(execFile);

interface ListedQueue {
  name: string;
  type: string;
  arguments: Record<string, unknown>;
}

/** What the broker itself says about the queues, not what amqplib was asked to declare. */
async function listQueues(prefix: string): Promise<Map<string, ListedQueue>> {
  const { stdout } = await run('rabbitmqctl', ['list_queues', 'name', 'type', 'arguments', '--formatter', 'json', '-q']);
  const rows = JSON.parse(stdout) as Array<{ name: string; type: string; arguments: unknown }>;
  const result = new Map<string, ListedQueue>();
  for (const row of rows) {
    if (!row.name.startsWith(`${prefix}.`)) continue;
    // rabbitmqctl prints arguments as [[name, type, value], ...] or as an object, by version.
    const args: Record<string, unknown> = {};
    if (Array.isArray(row.arguments)) {
      for (const item of row.arguments as unknown[][]) args[String(item[0])] = item[item.length - 1];
    } else if (row.arguments && typeof row.arguments === 'object') {
      Object.assign(args, row.arguments);
    }
    result.set(row.name, { name: row.name, type: row.type, arguments: args });
  }
  return result;
}

describe('broker/topology names', () => {
  it('names exchanges and queues from the prefix as docs/interface.md does', () => {
    expect(exchangeName('passerelle')).to.equal('passerelle.deliveries');
    expect(deadLetterExchangeName('passerelle')).to.equal('passerelle.dead-letters');
    expect(queueName('passerelle', 'ofii')).to.equal('passerelle.ofii');
    expect(deadLetterQueueName('passerelle', 'ofii')).to.equal('passerelle.ofii.dead');
    expect(routingKey('france-travail', 'status-update')).to.equal('france-travail.status-update');
  });

  it('refuses a recipient or a type that would break the routing key', () => {
    for (const [recipient, type] of [['ofii.x', 'orientation'], ['ofii', 'a#'], ['ofii', ''], ['#', 'orientation']]) {
      expect(() => routingKey(recipient!, type!)).to.throw().that.satisfies((e: unknown) => isGatewayError(e, 'internal'));
    }
  });
});

describe('broker/topology against RabbitMQ @integration', function () {
  this.timeout(20_000);
  const prefix = uniquePrefix();
  const recipients = ['ofii', 'france-travail'];
  let inspector: Inspector;
  const channel = (): Promise<Channel> => inspector.channel();

  before(async () => {
    inspector = await openInspector();
  });

  after(async () => {
    await deleteTopology(prefix, [...recipients, 'other']);
    await inspector.model.close();
  });

  it('declares twice without error and makes quorum queues with the chosen arguments', async () => {
    const opts = { prefix, recipients, deliveryLimit: 3 };
    const ch = await channel();
    await declareTopology(ch, opts);
    await declareTopology(ch, opts);
    await ch.close();

    const queues = await listQueues(prefix);
    expect([...queues.keys()].sort()).to.deep.equal(
      [queueName(prefix, 'ofii'), deadLetterQueueName(prefix, 'ofii'), queueName(prefix, 'france-travail'), deadLetterQueueName(prefix, 'france-travail')].sort(),
    );
    for (const id of recipients) {
      const main = queues.get(queueName(prefix, id))!;
      expect(main.type).to.equal('quorum');
      expect(main.arguments).to.deep.equal({
        'x-queue-type': 'quorum',
        'x-delivery-limit': 3,
        'x-dead-letter-exchange': deadLetterExchangeName(prefix),
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
        'x-max-length': DEFAULT_MAX_LENGTH,
      });
      const dead = queues.get(deadLetterQueueName(prefix, id))!;
      expect(dead.type).to.equal('quorum');
      expect(dead.arguments).to.deep.equal({ 'x-queue-type': 'quorum', 'x-overflow': 'reject-publish', 'x-max-length': DEFAULT_MAX_LENGTH });
    }
    const check = await channel();
    await check.checkExchange(exchangeName(prefix));
    await check.checkExchange(deadLetterExchangeName(prefix));
    await check.close();
  });

  it('routes <recipient>.<type> to the recipient queue only', async () => {
    const ch = await inspector.model.createConfirmChannel();
    await declareTopology(ch, { prefix, recipients, deliveryLimit: 3 });
    ch.publish(exchangeName(prefix), routingKey('ofii', 'status-update'), Buffer.from('x'));
    // The broker confirms once every queue the message was routed to has it.
    await ch.waitForConfirms();
    expect(await ch.get(queueName(prefix, 'ofii'), { noAck: true })).to.not.equal(false);
    expect(await ch.get(queueName(prefix, 'france-travail'), { noAck: true })).to.equal(false);
    await ch.close();
  });

  it('turns a queue declared with other arguments into config_invalid naming the queue and the way out', async () => {
    const ch = await channel();
    await declareTopology(ch, { prefix, recipients: ['other'], deliveryLimit: 3 });
    await ch.close();
    const again = await channel();
    const caught = await rejection(declareTopology(again, { prefix, recipients: ['other'], deliveryLimit: 4 }));
    expect(isGatewayError(caught, 'config_invalid'), String(caught)).to.equal(true);
    const message = (caught as Error).message;
    expect(message).to.contain(`"${queueName(prefix, 'other')}"`);
    expect(message).to.contain('PASSERELLE_AMQP_PREFIX');
    expect(message).to.match(/delete/i);
  });

  it('refuses a partner id that cannot name a queue', async () => {
    const ch = await channel();
    const caught = await rejection(declareTopology(ch, { prefix, recipients: ['Bad.Id'], deliveryLimit: 3 }));
    expect(isGatewayError(caught, 'config_invalid')).to.equal(true);
    await ch.close();
  });
});
