/**
 * Least privilege on RabbitMQ (docs/operator.md, "Broker accounts and permissions"): the accounts made by
 * `passerelle broker setup` on the real broker, then every agency tries what it must not do. The
 * registry is the example one plus `ft` and `ft-paris`, a partner id that is a prefix of another: an
 * unanchored or unescaped grant for `ft` would open `ft-paris`'s queue.
 *
 * Each attack uses a plain amqplib connection, as a partner's own software would; the broker must
 * close the channel with 403 ACCESS_REFUSED.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { connect, type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { expect } from 'chai';
import { consumeQueue } from '../../src/broker/consumer.js';
import { declareDeadLetterWatch, deadLetterWatchQueueName } from '../../src/broker/dead-letter-watcher.js';
import { brokerAccounts, gatewayUser, partnerUser } from '../../src/broker/permissions.js';
import { AUDIT_INDEX_HEADER, SENDER_HEADER } from '../../src/broker/publisher.js';
import { deadLetterQueueName, declareTopology, exchangeName, queueName, routingKey } from '../../src/broker/topology.js';
import { brokerSetup, definitionsText, recipientsOf } from '../../src/cli/broker.js';
import { silentLogger } from '../../src/log/logger.js';
import { amqpUrlAs, deleteUsers, refusalCode, setUpBrokerAccounts, type BrokerAccounts } from '../fixtures/broker.js';
import { deleteTopology, eventually, EXAMPLE_CERTS, testSettings, uniquePrefix } from '../fixtures/gateway.js';

const ACCESS_REFUSED = 403;
const run = promisify(execFile);

describe('@integration security: broker authorisation (least privilege)', function () {
  // rabbitmqctl takes about a second per call, and setting up 10 accounts takes some 25 calls.
  this.timeout(180_000);
  const prefix = uniquePrefix();
  const certsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-broker-registry-'));
  const registry = JSON.parse(fs.readFileSync(path.join(EXAMPLE_CERTS, 'partners.json'), 'utf8')) as { partners: Array<Record<string, unknown>> };
  const francetravail = registry.partners.find((p) => p['id'] === 'france-travail-paris')!;
  registry.partners.push({ ...francetravail, id: 'ft', name: 'FT' }, { ...francetravail, id: 'ft-paris', name: 'FT Paris' });
  fs.writeFileSync(path.join(certsDir, 'partners.json'), JSON.stringify(registry));
  const agencies = recipientsOf(certsDir);
  let accounts: BrokerAccounts;
  let gateway: ChannelModel;
  let gatewayChannel: ConfirmChannel;
  const models: ChannelModel[] = [];

  async function as(user: string): Promise<ChannelModel> {
    const model = await connect(amqpUrlAs(user, accounts.password(user)));
    model.on('error', () => undefined);
    models.push(model);
    return model;
  }

  async function channelOf(model: ChannelModel): Promise<Channel> {
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    return channel;
  }

  /** Publishing is asynchronous: a refused publish closes the channel; a confirm channel sees it. */
  async function publishRefusal(model: ChannelModel, exchange: string, key: string): Promise<number | undefined> {
    const channel = await model.createConfirmChannel();
    channel.on('error', () => undefined);
    const closed = new Promise<unknown>((_resolve, reject) => channel.once('error', reject));
    const confirmed = new Promise<void>((resolve, reject) => {
      channel.publish(exchange, key, Buffer.from('forged'), { persistent: true }, (err) => (err ? reject(err) : resolve()));
    });
    return refusalCode(Promise.race([closed, confirmed]));
  }

  before(async () => {
    accounts = await setUpBrokerAccounts({ prefix, certsDir });
    gateway = await connect(amqpUrlAs(gatewayUser(prefix), accounts.password(gatewayUser(prefix))));
    gateway.on('error', () => undefined);
    const setup = await gateway.createChannel();
    await declareTopology(setup, { prefix, recipients: agencies, deliveryLimit: 5 });
    await declareDeadLetterWatch(setup, prefix);
    await setup.close();
    gatewayChannel = await gateway.createConfirmChannel();
  });

  after(async () => {
    for (const model of models) await model.close().catch(() => undefined);
    await gateway?.close().catch(() => undefined);
    await deleteTopology(prefix, agencies);
    await accounts?.dispose();
    fs.rmSync(certsDir, { recursive: true, force: true });
  });

  it('broker setup creates one account for the gateway and one per receiving partner, and a second run changes no permission', async () => {
    expect(accounts.lines.filter((l) => l.startsWith('user '))).to.have.length(agencies.length + 1);
    const again: string[] = [];
    const settings = testSettings({ PASSERELLE_AMQP_PREFIX: prefix, PASSERELLE_CERTS_DIR: certsDir });
    fs.rmSync(settings.dataDir, { recursive: true, force: true });
    const passwordsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-amqp-passwords-again-'));
    try {
      for (const user of [gatewayUser(prefix), ...agencies.map((id) => partnerUser(prefix, id))]) {
        fs.writeFileSync(path.join(passwordsDir, `${user}.password`), `${accounts.password(user)}\n`);
      }
      await brokerSetup({ settings, passwordsDir, report: (line) => again.push(line) });
    } finally {
      fs.rmSync(passwordsDir, { recursive: true, force: true });
    }
    expect(again.filter((l) => l.includes('permissions on'))).to.have.length(agencies.length + 1);
    expect(again.filter((l) => l.includes('permissions on') && !l.includes(': unchanged'))).to.deep.equal([]);
    expect(again.filter((l) => l.includes('generated'))).to.deep.equal([]);
  });

  it('the definitions file imports with rabbitmqctl import_definitions: passwordless accounts with these permissions', async () => {
    const other = uniquePrefix();
    const file = path.join(certsDir, 'definitions.json');
    fs.writeFileSync(file, definitionsText({ prefix: other, vhost: '/', recipients: agencies }), { mode: 0o644 });
    // The node runs as the rabbitmq user: it must be able to read the file.
    fs.chmodSync(certsDir, 0o755);
    const expected = brokerAccounts(other, agencies);
    try {
      await run('rabbitmqctl', ['import_definitions', file, '-q']);
      const listed = await eventually(async () => {
        const { stdout } = await run('rabbitmqctl', ['list_permissions', '-p', '/', '-q']);
        const rows = stdout.split('\n').filter((line) => line.startsWith(`${other}.`)).sort();
        return rows.length === expected.length ? rows : undefined;
      });
      expect(listed).to.deep.equal(expected.map((a) => [a.user, a.permission.configure, a.permission.write, a.permission.read].join('\t')).sort());
      const { stdout } = await run('rabbitmqctl', ['authenticate_user', partnerUser(other, agencies[0]!), ''], { env: process.env }).catch((err: { stdout: string }) => err);
      expect(stdout).to.not.include('Success');
    } finally {
      await deleteUsers(expected.map((a) => a.user));
    }
  });

  it('the gateway account declares the topology and publishes to every agency with confirms', async () => {
    for (const id of agencies) {
      await new Promise<void>((resolve, reject) => {
        gatewayChannel.publish(exchangeName(prefix), routingKey(id, 'orientation'), Buffer.from('sealed'), {
          persistent: true,
          messageId: `00000000-0000-4000-8000-${agencies.indexOf(id).toString().padStart(12, '0')}`,
          type: 'orientation',
          headers: { [SENDER_HEADER]: 'ofii-paris', [AUDIT_INDEX_HEADER]: 1 },
        }, (err) => (err ? reject(err) : resolve()));
      });
    }
  });

  it("the gateway account cannot take messages from the operators' dead-letter queues", async () => {
    const channel = await channelOf(gateway);
    expect(await refusalCode(channel.get(deadLetterQueueName(prefix, agencies[0]!)))).to.equal(ACCESS_REFUSED);
  });

  it('the gateway account cannot publish to the default exchange', async () => {
    expect(await publishRefusal(gateway, '', queueName(prefix, agencies[0]!))).to.equal(ACCESS_REFUSED);
  });

  for (const id of agencies) {
    describe(`agency ${id}`, () => {
      const user = () => partnerUser(prefix, id);
      let model: ChannelModel;
      before(async () => {
        model = await as(user());
      });

      it('consumes its own queue with the project consumer (passive check, then basic.consume)', async () => {
        const seen: string[] = [];
        const result = await consumeQueue({
          url: amqpUrlAs(user(), accounts.password(user())),
          queue: queueName(prefix, id),
          logger: silentLogger,
          idleExitMs: 300,
          handle: async (delivery) => {
            seen.push(delivery.sender);
            return 'ack';
          },
        });
        expect(result).to.deep.equal({ acked: 1, rejected: 0 });
        expect(seen).to.deep.equal(['ofii-paris']);
      });

      it("cannot consume or get any other agency's queue (ACCESS_REFUSED)", async () => {
        for (const other of agencies.filter((o) => o !== id)) {
          const channel = await channelOf(model);
          expect(await refusalCode(channel.consume(queueName(prefix, other), () => undefined)), `consume ${other}`).to.equal(ACCESS_REFUSED);
          const again = await channelOf(model);
          expect(await refusalCode(again.get(queueName(prefix, other))), `get ${other}`).to.equal(ACCESS_REFUSED);
        }
      });

      it('cannot read its dead-letter queue (the operators\') nor the gateway\'s dead-letter watch queue', async () => {
        for (const queue of [deadLetterQueueName(prefix, id), deadLetterWatchQueueName(prefix)]) {
          const channel = await channelOf(model);
          expect(await refusalCode(channel.get(queue)), queue).to.equal(ACCESS_REFUSED);
        }
      });

      it('cannot publish to the deliveries exchange (forged delivery to another agency)', async () => {
        const other = agencies.find((o) => o !== id)!;
        expect(await publishRefusal(model, exchangeName(prefix), routingKey(other, 'orientation'))).to.equal(ACCESS_REFUSED);
      });

      it('cannot publish through the default exchange straight into a queue', async () => {
        expect(await publishRefusal(model, '', queueName(prefix, id))).to.equal(ACCESS_REFUSED);
      });

      it('cannot declare a queue, not even under its own name', async () => {
        for (const queue of [`${queueName(prefix, id)}.copy`, 'amq.gen-stolen', '']) {
          const channel = await channelOf(model);
          expect(await refusalCode(channel.assertQueue(queue, { exclusive: true })), queue || '(server-named)').to.equal(ACCESS_REFUSED);
        }
      });

      it('cannot delete its own queue nor another agency\'s', async () => {
        const other = agencies.find((o) => o !== id)!;
        for (const queue of [queueName(prefix, id), queueName(prefix, other)]) {
          const channel = await channelOf(model);
          expect(await refusalCode(channel.deleteQueue(queue)), queue).to.equal(ACCESS_REFUSED);
        }
      });

      it('cannot bind its queue to the deliveries exchange with "#" to receive every delivery', async () => {
        const channel = await channelOf(model);
        expect(await refusalCode(channel.bindQueue(queueName(prefix, id), exchangeName(prefix), '#'))).to.equal(ACCESS_REFUSED);
      });

      it('cannot declare or delete exchanges', async () => {
        const declare = await channelOf(model);
        expect(await refusalCode(declare.assertExchange(`${prefix}.rogue`, 'fanout'))).to.equal(ACCESS_REFUSED);
        const remove = await channelOf(model);
        expect(await refusalCode(remove.deleteExchange(exchangeName(prefix)))).to.equal(ACCESS_REFUSED);
      });
    });
  }
});
