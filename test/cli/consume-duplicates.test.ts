/**
 * `passerelle consume` hands a message to the application once, even when two copies of it are in hand
 * at the same time: the relay publishes a row again after a crash between the broker's confirm and
 * markQueued, and the consumer's prefetch takes both copies together.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'amqplib';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { consumeAs } from '../../src/cli/consume.js';
import { AMQP_URL, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { example, send } from '../fixtures/partner.js';

describe('@integration cli: consume de-duplicates copies delivered together', function () {
  this.timeout(30_000);
  let gw: TestGateway;
  let out: string;
  before(async () => {
    gw = await startTestGateway();
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-consume-'));
  });
  after(async () => {
    await gw?.dispose();
    fs.rmSync(out, { recursive: true, force: true });
  });

  it('writes the document once and counts the other copies as duplicates', async () => {
    const document = example('orientation');
    const messageId = document['header']['messageId'] as string;
    expect((await send(gw.baseUrl, 'ofii-paris', document)).status).to.equal(202);
    await eventually(async () => ((await gw.store.findMessage(messageId))?.status === 'queued' ? true : undefined));

    // Three copies side by side in the queue, as a republish leaves them.
    const queue = queueName(gw.settings.amqpPrefix, 'mission-locale-paris');
    const connection = await connect(AMQP_URL);
    try {
      const channel = await connection.createConfirmChannel();
      const original = await channel.get(queue, { noAck: true });
      if (original === false) throw new Error('the message is not in the queue');
      for (let i = 0; i < 3; i++) channel.sendToQueue(queue, original.content, original.properties);
      await channel.waitForConfirms();
      await channel.close();
    } finally {
      await connection.close();
    }

    const received: string[] = [];
    const summary = await consumeAs({
      settings: gw.settings,
      as: 'mission-locale-paris',
      out,
      follow: false,
      idleExitMs: 1000,
      report: (line) => {
        if (line.startsWith('received ')) received.push(line);
      },
    });
    expect(summary).to.deep.equal({ written: 1, duplicates: 2, refused: 0 });
    expect(received).to.have.length(1);
    expect(fs.readdirSync(out)).to.deep.equal([`${messageId}.json`]);
  });
});
