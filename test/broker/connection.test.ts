import { expect } from 'chai';
import { connectBroker } from '../../src/broker/connection.js';
import type { BrokerConnection } from '../../src/broker/connection.js';
import { GatewayError, isGatewayError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import { connectTestBroker, forceCloseConnection, rejection, until } from '../fixtures/broker.js';
import { AMQP_URL, uniquePrefix } from '../fixtures/gateway.js';

describe('broker/connection @integration', function () {
  this.timeout(20_000);

  it('fails fast with broker_unreachable, naming PASSERELLE_AMQP_URL and hiding the password', async () => {
    const started = Date.now();
    const caught = await rejection(connectBroker({ url: 'amqp://guest:s3cret-pw@127.0.0.1:1', logger: silentLogger }));
    expect(Date.now() - started).to.be.below(3000);
    expect(isGatewayError(caught, 'broker_unreachable'), String(caught)).to.equal(true);
    const message = (caught as GatewayError).message;
    expect(message).to.contain('PASSERELLE_AMQP_URL');
    expect(message).to.contain('127.0.0.1:1');
    expect(message).to.contain('ECONNREFUSED');
    expect(message).to.not.contain('s3cret-pw');
  });

  it('fails fast on wrong credentials without showing them', async () => {
    const caught = await rejection(connectBroker({ url: 'amqp://guest:wrong-pw-123@127.0.0.1:5672', logger: silentLogger }));
    expect(isGatewayError(caught, 'broker_unreachable'), String(caught)).to.equal(true);
    expect((caught as Error).message).to.not.contain('wrong-pw-123');
    expect((caught as Error).message).to.contain('password');
  });

  it('passes a GatewayError thrown by onReady through unchanged', async () => {
    const caught = await rejection(
      connectBroker({
        url: AMQP_URL,
        logger: silentLogger,
        onReady: async () => {
          throw new GatewayError('config_invalid', 'topology refused');
        },
      }),
    );
    expect(isGatewayError(caught, 'config_invalid')).to.equal(true);
    expect((caught as Error).message).to.equal('topology refused');
  });

  it('reconnects after the broker closes the connection and runs onReady again', async () => {
    const connectionName = uniquePrefix();
    const states: boolean[] = [];
    let broker: BrokerConnection | undefined;
    try {
      // onReady opens and closes a channel and counts its runs; no topology.
      const opened = await connectTestBroker({ connectionName });
      broker = opened.broker;
      const ready = opened.readyCount;
      broker.onStateChange((connected) => states.push(connected));
      expect(broker.isConnected()).to.equal(true);
      expect(ready()).to.equal(1);

      await forceCloseConnection(connectionName);
      await until(() => states.includes(false), 5000, 'connection lost');
      await until(() => broker!.isConnected(), 10_000, 'reconnected');
      expect(ready()).to.equal(2);
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
