/**
 * The broker goes away while the gateway runs (RabbitMQ's application stopped, as in a broker restart):
 * the gateway keeps accepting into its outbox, and delivers everything once the broker is back.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { drainQueue, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { example, get, send } from '../fixtures/partner.js';

const run = promisify(execFile);

async function brokerApp(action: 'stop_app' | 'start_app'): Promise<void> {
  await run('rabbitmqctl', ['-q', action], { timeout: 120_000 });
  if (action === 'start_app') await run('rabbitmq-diagnostics', ['-q', 'check_running'], { timeout: 60_000 });
}

describe('@integration broker outage: accepted into the outbox, delivered when the broker returns', function () {
  this.timeout(180_000);
  let gw: TestGateway;
  let stopped = false;

  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => {
    if (stopped) await brokerApp('start_app');
    await gw?.dispose();
  });

  it("answers 202 while RabbitMQ is down, ready all the same, reports it in the operator's status, and delivers every message after it returns", async () => {
    const before = example('orientation');
    expect((await send(gw.baseUrl, 'ofii-paris', before)).status).to.equal(202);
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));

    await brokerApp('stop_app');
    stopped = true;
    const during = [example('orientation'), example('orientation'), example('orientation')];
    for (const document of during) expect((await send(gw.baseUrl, 'ofii-paris', document)).status).to.equal(202);
    expect(await gw.store.outboxDepth()).to.equal(3);
    const ready = await get(gw.baseUrl, 'ofii-paris', '/readyz');
    expect(ready.status).to.equal(200);
    expect(ready.body).to.deep.equal({ status: 'ready' });
    const status = (await get(gw.baseUrl, 'operator', '/v1/operator/status')).body as Record<string, unknown>;
    expect(status).to.include({ status: 'ready', store: 'writable', broker: 'disconnected', outboxDepth: 3 });
    expect(status['outbox']).to.include({ depth: 3, held: 0 });
    // The broker is away: no queue could be checked, and the page says so rather than showing stale depths.
    expect(status['queues']).to.deep.equal([]);
    for (const document of during) expect((await gw.store.findMessage(document['header']['messageId']))?.status).to.equal('accepted');

    await brokerApp('start_app');
    stopped = false;
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined), 90_000);
    const delivered = await drainQueue(queueName(gw.settings.amqpPrefix, 'mission-locale-paris'));
    const ids = new Set(delivered.map((m) => m.properties['messageId']));
    for (const document of [before, ...during]) expect(ids.has(document['header']['messageId']), document['header']['messageId']).to.equal(true);
    for (const document of during) expect((await gw.store.findMessage(document['header']['messageId']))?.status).to.equal('queued');
  });
});
