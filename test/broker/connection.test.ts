import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { connectBroker } from '../../src/broker/connection.js';
import type { BrokerConnection } from '../../src/broker/connection.js';
import { GatewayError, isGatewayError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/log/logger.js';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const run = promisify(execFile);

/** Closes, from the broker's side, the connection that announced this connection_name. */
async function forceCloseConnection(connectionName: string): Promise<void> {
  const { stdout } = await run('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '-q']);
  const line = stdout.split('\n').find((l) => l.includes(`{"connection_name","${connectionName}"}`));
  if (!line) throw new Error(`no broker connection named ${connectionName}`);
  await run('rabbitmqctl', ['close_connection', line.split('\t')[0]!, 'forced by a test']);
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('broker/connection @integration', function () {
  this.timeout(20_000);

  it('fails fast with broker_unreachable, naming PASSERELLE_AMQP_URL and hiding the password', async () => {
    const started = Date.now();
    let caught: unknown;
    try {
      await connectBroker({ url: 'amqp://guest:s3cret-pw@127.0.0.1:1', logger: silentLogger });
    } catch (err) {
      caught = err;
    }
    expect(Date.now() - started).to.be.below(3000);
    expect(isGatewayError(caught, 'broker_unreachable'), String(caught)).to.equal(true);
    const message = (caught as GatewayError).message;
    expect(message).to.contain('PASSERELLE_AMQP_URL');
    expect(message).to.contain('127.0.0.1:1');
    expect(message).to.contain('ECONNREFUSED');
    expect(message).to.not.contain('s3cret-pw');
  });

  it('fails fast on wrong credentials without showing them', async () => {
    let caught: unknown;
    try {
      await connectBroker({ url: 'amqp://guest:wrong-pw-123@127.0.0.1:5672', logger: silentLogger });
    } catch (err) {
      caught = err;
    }
    expect(isGatewayError(caught, 'broker_unreachable'), String(caught)).to.equal(true);
    expect((caught as Error).message).to.not.contain('wrong-pw-123');
    expect((caught as Error).message).to.contain('password');
  });

  it('passes a GatewayError thrown by onReady through unchanged', async () => {
    let caught: unknown;
    try {
      await connectBroker({
        url: AMQP_URL,
        logger: silentLogger,
        onReady: async () => {
          throw new GatewayError('config_invalid', 'topology refused');
        },
      });
    } catch (err) {
      caught = err;
    }
    expect(isGatewayError(caught, 'config_invalid')).to.equal(true);
    expect((caught as Error).message).to.equal('topology refused');
  });

  it('reconnects after the broker closes the connection and runs onReady again', async () => {
    const connectionName = `test-${randomBytes(4).toString('hex')}`;
    let ready = 0;
    const states: boolean[] = [];
    let broker: BrokerConnection | undefined;
    try {
      broker = await connectBroker({
        url: AMQP_URL,
        logger: silentLogger,
        connectionName,
        onReady: async (session) => {
          const channel = await session.createChannel();
          await channel.close();
          ready += 1;
        },
      });
      broker.onStateChange((connected) => states.push(connected));
      expect(broker.isConnected()).to.equal(true);
      expect(ready).to.equal(1);

      await forceCloseConnection(connectionName);
      await until(() => states.includes(false), 5000);
      await until(() => broker!.isConnected(), 10_000);
      expect(ready).to.equal(2);
      expect(states).to.deep.equal([false, true]);

      // The new connection is usable.
      const channel = await broker.createConfirmChannel();
      await channel.checkExchange('amq.topic');
      await channel.close();
    } finally {
      await broker?.close();
    }
    expect(broker.isConnected()).to.equal(false);
  });
});
