import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Channel } from 'amqplib';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { deadLetterWatchQueueName, startDeadLetterWatcher, type DeadLetterStore, type DeadLetterWatcher } from '../../src/broker/dead-letter-watcher.js';
import { deadLetterExchangeName, deadLetterQueueName, exchangeName, queueName, routingKey } from '../../src/broker/topology.js';
import { GatewayError } from '../../src/domain/errors.js';
import type { GatewayStore } from '../../src/store/gateway-store.js';
import { openSqliteStore } from '../../src/store/open.js';
import type { NewMessage } from '../../src/store/port.js';
import { openBrokerBed, until, type BrokerBed } from '../fixtures/broker.js';
import { capturingLogger, eventually, uniquePrefix } from '../fixtures/gateway.js';

const RECIPIENT = 'mission-locale-paris';

function newMessage(): NewMessage {
  return {
    messageId: randomUUID(),
    type: 'orientation',
    version: 1,
    sender: 'ofii-paris',
    recipient: RECIPIENT,
    inReplyTo: undefined,
    beneficiary: 'a'.repeat(64),
    payloadSha256: 'b'.repeat(64),
    acceptedAt: new Date().toISOString(),
    outboxBody: '-----BEGIN PGP MESSAGE-----\n...\n-----END PGP MESSAGE-----\n',
  };
}

describe('broker/dead-letter-watcher @integration', function () {
  this.timeout(30_000);
  const prefix = uniquePrefix();
  let bed: BrokerBed;
  let channel: Channel;
  let dir: string;
  let store: GatewayStore;
  let watcher: DeadLetterWatcher | undefined;
  let logLines: Array<Record<string, unknown>>;

  before(async () => {
    bed = await openBrokerBed({ prefix, topologies: [{ recipients: [RECIPIENT, 'ofii-paris'], deliveryLimit: 2 }] });
    channel = bed.channel;
  });
  after(async () => {
    await bed.dispose();
  });
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-dead-letters-'));
    store = await openSqliteStore({ dataDir: dir });
    logLines = [];
  });
  afterEach(async () => {
    await watcher?.stop();
    watcher = undefined;
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
    for (const queue of [queueName(prefix, RECIPIENT), deadLetterQueueName(prefix, RECIPIENT), deadLetterWatchQueueName(prefix)]) await channel.purgeQueue(queue).catch(() => undefined);
  });

  async function watch(over: Partial<DeadLetterStore> = {}): Promise<void> {
    const port: DeadLetterStore = {
      findMessage: (id) => store.findMessage(id),
      markDeadLettered: (id, at) => store.markDeadLettered(id, at),
      ...over,
    };
    watcher = startDeadLetterWatcher({ broker: bed.broker, store: port, prefix, logger: capturingLogger(logLines), maxBackoffMs: 200 });
    await until(() => logged('dead_letter.watching') === 1, 5000, 'watcher subscribed');
  }

  async function acceptedAndQueued(): Promise<string> {
    const message = newMessage();
    await store.accept(message);
    await store.markQueued(message.messageId, new Date().toISOString());
    return message.messageId;
  }

  /** Puts the message in the recipient's queue, then rejects it there without requeue: RabbitMQ dead-letters it. */
  async function deadLetter(messageId: string): Promise<void> {
    channel.publish(exchangeName(prefix), routingKey(RECIPIENT, 'orientation'), Buffer.from('armored'), { messageId, type: 'orientation', persistent: true });
    const got = await eventually(async () => (await channel.get(queueName(prefix, RECIPIENT), { noAck: false })) || undefined, 5000);
    channel.nack(got, false, false);
  }

  /** A copy of a dead letter as RabbitMQ publishes it to the dead-letter exchange. */
  function forgedDeadLetter(messageId: string, fromQueue: string): void {
    channel.publish(deadLetterExchangeName(prefix), routingKey(RECIPIENT, 'orientation'), Buffer.from('armored'), {
      messageId,
      persistent: true,
      headers: { 'x-first-death-queue': fromQueue, 'x-first-death-reason': 'delivery_limit' },
    });
  }

  function auditEvents(messageId: string): string[] {
    const db = new Database(path.join(dir, 'passerelle.sqlite'), { readonly: true });
    try {
      return (db.prepare('SELECT entry FROM audit_log ORDER BY idx').all() as Array<{ entry: string }>)
        .map((r) => JSON.parse(r.entry) as { event: string; messageId?: string })
        .filter((e) => e.messageId === messageId)
        .map((e) => e.event);
    } finally {
      db.close();
    }
  }

  const logged = (event: string) => logLines.filter((l) => l['message'] === event).length;

  it('records a message RabbitMQ dead-lettered: status, time and audit entry, and leaves the operators\' copy in <partner>.dead', async () => {
    const messageId = await acceptedAndQueued();
    await watch();
    const before = Date.now();
    await deadLetter(messageId);
    const record = await eventually(async () => {
      const found = await store.findMessage(messageId);
      return found?.status === 'dead-lettered' ? found : undefined;
    });
    // RabbitMQ's x-death time, in whole seconds.
    expect(Date.parse(record.deadLetteredAt!)).to.be.within(Math.floor(before / 1000) * 1000, Date.now());
    expect(auditEvents(messageId)).to.deep.equal(['accepted', 'queued', 'dead-lettered']);
    expect((await channel.checkQueue(deadLetterQueueName(prefix, RECIPIENT))).messageCount, 'operators\' dead-letter queue').to.equal(1);
    await until(() => logged('dead_letter.recorded') === 1, 5000, 'watcher logged the dead letter');
  });

  it('records a dead letter once when RabbitMQ delivers the copy twice (at-least-once dead-lettering)', async () => {
    const messageId = await acceptedAndQueued();
    await watch();
    forgedDeadLetter(messageId, queueName(prefix, RECIPIENT));
    forgedDeadLetter(messageId, queueName(prefix, RECIPIENT));
    await until(() => logged('dead_letter.recorded') === 2, 10_000, 'both copies handled');
    expect(logLines.filter((l) => l['message'] === 'dead_letter.recorded').map((l) => l['outcome'])).to.deep.equal(['marked', 'unchanged']);
    expect(auditEvents(messageId)).to.deep.equal(['accepted', 'queued', 'dead-lettered']);
  });

  it('marks nothing for a dead letter that names another queue than the recipient\'s, or a message it does not know', async () => {
    const messageId = await acceptedAndQueued();
    await watch();
    forgedDeadLetter(messageId, queueName(prefix, 'ofii-paris'));
    forgedDeadLetter(randomUUID(), queueName(prefix, RECIPIENT));
    await until(() => logged('dead_letter.foreign_queue') === 1 && logged('dead_letter.unknown_message') === 1, 10_000, 'both ignored');
    expect((await store.findMessage(messageId))?.status).to.equal('queued');
    expect(auditEvents(messageId)).to.deep.equal(['accepted', 'queued']);
  });

  it('keeps a dead letter the store could not record and records it once the store writes again', async () => {
    const messageId = await acceptedAndQueued();
    let failing = true;
    let attempts = 0;
    await watch({
      markDeadLettered: async (id, at) => {
        attempts += 1;
        if (failing) throw new GatewayError('unavailable', 'The gateway cannot store messages right now; nothing was accepted. Retry later.');
        return store.markDeadLettered(id, at);
      },
    });
    forgedDeadLetter(messageId, queueName(prefix, RECIPIENT));
    await until(() => attempts >= 2, 10_000, 'the dead letter came back after a failure');
    expect((await store.findMessage(messageId))?.status).to.equal('queued');
    failing = false;
    await until(() => logged('dead_letter.recorded') === 1, 10_000, 'recorded once the store writes');
    expect((await store.findMessage(messageId))?.status).to.equal('dead-lettered');
    expect(auditEvents(messageId)).to.deep.equal(['accepted', 'queued', 'dead-lettered']);
  });
});
