import type { Channel } from 'amqplib';
import { expect } from 'chai';
import type { BrokerConnection } from '../../src/broker/connection.js';
import { startRelay } from '../../src/broker/relay.js';
import type { Relay } from '../../src/broker/relay.js';
import { exchangeName, queueName } from '../../src/broker/topology.js';
import { silentLogger } from '../../src/log/logger.js';
import { forceCloseConnection, MemoryOutbox, openBrokerBed, outboxEntry, takeAll, until } from '../fixtures/broker.js';
import type { BrokerBed } from '../fixtures/broker.js';
import { ManualClock } from '../fixtures/clock.js';
import { uniquePrefix } from '../fixtures/gateway.js';

describe('broker/relay @integration', function () {
  this.timeout(30_000);
  const prefix = uniquePrefix();
  const recipients = ['ofii', 'france-travail'];
  const connectionName = `${prefix}-relay`;
  let bed: BrokerBed;
  let channel: Channel;
  let broker: BrokerConnection;
  let relay: Relay | undefined;

  before(async () => {
    bed = await openBrokerBed({
      prefix,
      connectionName,
      topologies: [
        { recipients, deliveryLimit: 2 },
        // A queue that holds one message, to make the broker nack (reject-publish).
        { recipients: ['tiny'], deliveryLimit: 2, maxLength: 1 },
      ],
    });
    ({ broker, channel } = bed);
  });

  afterEach(async () => {
    await relay?.stop();
    relay = undefined;
    for (const id of [...recipients, 'tiny']) await channel.purgeQueue(queueName(prefix, id));
  });

  after(async () => {
    await bed.dispose();
  });

  it('publishes a row with exactly the properties of the contract and marks it queued only once it is in the queue', async () => {
    const outbox = new MemoryOutbox();
    const row = outboxEntry('france-travail', { type: 'status-update', sender: 'ofii', auditIndex: 5_000_000_000 });
    outbox.add(row);
    const depthAtMark: number[] = [];
    outbox.beforeMarkQueued = async () => {
      depthAtMark.push((await channel.checkQueue(queueName(prefix, 'france-travail'))).messageCount);
    };
    relay = startRelay({ outbox, broker, prefix, logger: silentLogger, idleDelayMs: 50 });
    await until(() => outbox.queued.length === 1, 10_000, 'row queued');

    expect(depthAtMark).to.deep.equal([1]);
    expect(outbox.rows.size).to.equal(0);
    expect(outbox.failures).to.deep.equal([]);

    const messages = await takeAll(channel, queueName(prefix, 'france-travail'));
    expect(messages).to.have.length(1);
    const [message] = messages;
    expect(message!.content.toString('utf8')).to.equal(row.body);
    expect(message!.fields.exchange).to.equal(exchangeName(prefix));
    expect(message!.fields.routingKey).to.equal('france-travail.status-update');
    const defined = Object.fromEntries(Object.entries(message!.properties).filter(([, v]) => v !== undefined));
    // The quorum queue itself adds x-delivery-count when it delivers; everything else is what we sent.
    const { 'x-delivery-count': deliveryCount, ...headers } = defined['headers'] as Record<string, unknown>;
    expect(deliveryCount === undefined || deliveryCount === 0, 'x-delivery-count').to.equal(true);
    defined['headers'] = headers;
    expect(defined).to.deep.equal({
      contentType: 'application/pgp-encrypted',
      deliveryMode: 2,
      messageId: row.messageId,
      type: 'status-update',
      timestamp: Math.floor(Date.parse(row.acceptedAt) / 1000),
      appId: 'passerelle',
      headers: { 'x-passerelle-sender': 'ofii', 'x-passerelle-audit-index': 5_000_000_000 },
    });
    expect(await takeAll(channel, queueName(prefix, 'ofii'))).to.have.length(0);
  });

  it('records an unroutable row as a failure and keeps it, while the rows around it are queued', async () => {
    const outbox = new MemoryOutbox();
    const before = outboxEntry('ofii');
    const lost = outboxEntry('nobody');
    const after = outboxEntry('france-travail');
    for (const row of [before, lost, after]) outbox.add(row);
    relay = startRelay({ outbox, broker, prefix, logger: silentLogger, idleDelayMs: 50 });
    await until(() => outbox.queued.length === 2 && outbox.failures.length >= 1, 10_000, 'two queued, one failure');

    expect(outbox.queued).to.have.members([before.messageId, after.messageId]);
    expect(outbox.failures.every((id) => id === lost.messageId)).to.equal(true);
    expect([...outbox.rows.keys()]).to.deep.equal([lost.messageId]);
    expect(outbox.rows.get(lost.messageId)!.attempts).to.be.at.least(1);
  });

  it('backs off a failing row instead of retrying it in a tight loop', async () => {
    const clock = new ManualClock();
    const outbox = new MemoryOutbox();
    outbox.add(outboxEntry('nobody'));
    const failedAt: number[] = [];
    const recordFailure = outbox.recordPublishFailure.bind(outbox);
    outbox.recordPublishFailure = async (messageId) => {
      failedAt.push(clock.now());
      await recordFailure(messageId);
    };
    // The idle poll is far longer than any backoff, so a shorter timer can only be the row's retry.
    const idleDelayMs = 60_000;
    relay = startRelay({ outbox, broker, prefix, logger: silentLogger, idleDelayMs, maxBackoffMs: 400, clock });
    const retryDelays: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      await until(() => failedAt.length === attempt && clock.nextDue() !== undefined && clock.nextDue()! - clock.now() < idleDelayMs, 10_000, `attempt ${attempt} failed and its retry armed`);
      retryDelays.push(clock.nextDue()! - failedAt[attempt - 1]!);
      clock.advanceToNext();
    }

    // Capped exponential backoff (100, 200, 400, 400, 400 ms), with jitter on the upper half of each.
    const bases = [100, 200, 400, 400, 400];
    expect(retryDelays.map((delay, i) => delay >= bases[i]! / 2 && delay <= bases[i]!), `retry delays ${retryDelays.join(', ')} ms`).to.deep.equal(bases.map(() => true));
    expect(outbox.failures).to.have.length(5);
    expect(outbox.rows.size).to.equal(1);
  });

  it('keeps a row the broker nacks (queue full, reject-publish) pending', async () => {
    const outbox = new MemoryOutbox();
    // Probe on 3.10.8: a quorum queue with x-max-length 1 accepts a second message, then nacks.
    const accepted = [outboxEntry('tiny'), outboxEntry('tiny')];
    const refused = outboxEntry('tiny');
    for (const row of accepted) outbox.add(row);
    relay = startRelay({ outbox, broker, prefix, logger: silentLogger, idleDelayMs: 50, batchSize: 1 });
    await until(() => outbox.queued.length === 2, 10_000, 'first two queued');
    outbox.add(refused);
    relay.kick();
    await until(() => outbox.failures.length >= 1, 10_000, 'third refused');

    expect(outbox.queued).to.deep.equal(accepted.map((r) => r.messageId));
    expect(outbox.failures[0]).to.equal(refused.messageId);
    expect([...outbox.rows.keys()]).to.deep.equal([refused.messageId]);
    const messages = await takeAll(channel, queueName(prefix, 'tiny'));
    expect(messages.map((m) => m.properties.messageId)).to.deep.equal(accepted.map((r) => r.messageId));
  });

  it('pipelines: many rows are outstanding at once and all end queued exactly once', async () => {
    const outbox = new MemoryOutbox();
    const rows = Array.from({ length: 500 }, (_, i) => outboxEntry(i % 2 === 0 ? 'ofii' : 'france-travail'));
    for (const row of rows) outbox.add(row);
    // The first row is held once confirmed: a relay that waited for each row before publishing the
    // next would stop there; a pipelined one has the whole window confirmed meanwhile.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const confirmed = new Set<string>();
    outbox.beforeMarkQueued = async (messageId) => {
      confirmed.add(messageId);
      if (messageId === rows[0]!.messageId) await held;
    };
    relay = startRelay({ outbox, broker, prefix, logger: silentLogger, batchSize: 50 });
    await until(() => confirmed.size >= 50, 10_000, 'a window of rows confirmed while the first is held');
    expect(outbox.queued).to.not.include(rows[0]!.messageId);
    release();
    await until(() => outbox.queued.length === rows.length, 20_000, 'all queued');

    expect(new Set(outbox.queued).size).to.equal(rows.length);
    expect(outbox.failures).to.deep.equal([]);
    const ids = [
      ...(await takeAll(channel, queueName(prefix, 'ofii'))),
      ...(await takeAll(channel, queueName(prefix, 'france-travail'))),
    ].map((m) => m.properties.messageId as string);
    expect(ids.sort()).to.deep.equal(rows.map((r) => r.messageId).sort());
  });

  it('waits while the broker is gone and publishes the pending rows after reconnecting', async () => {
    const outbox = new MemoryOutbox();
    relay = startRelay({ outbox, broker, prefix, logger: silentLogger, idleDelayMs: 50 });
    const rows = Array.from({ length: 20 }, () => outboxEntry('ofii'));
    let depthAtReconnect = -1;
    const readyBefore = bed.readyCount();
    const unsubscribe = broker.onStateChange((connected) => {
      if (!connected) {
        // Rows arrive while there is no connection at all.
        for (const row of rows) outbox.add(row);
        relay!.kick();
      } else {
        depthAtReconnect = outbox.rows.size;
      }
    });
    try {
      await forceCloseConnection(connectionName);
      await until(() => outbox.queued.length === rows.length, 15_000, 'all queued after reconnection');
    } finally {
      unsubscribe();
    }

    expect(bed.readyCount()).to.equal(readyBefore + 1);
    expect(depthAtReconnect).to.equal(rows.length);
    // It waited for the connection instead of trying (and failing) while it was down.
    expect(outbox.failures).to.deep.equal([]);
    const ids = (await takeAll(channel, queueName(prefix, 'ofii'))).map((m) => m.properties.messageId as string);
    expect(ids.sort()).to.deep.equal(rows.map((r) => r.messageId).sort());
  });

  it('loses no row when the connection drops in the middle of a stream', async () => {
    const outbox = new MemoryOutbox();
    const rows = Array.from({ length: 200 }, () => outboxEntry('france-travail'));
    for (const row of rows) outbox.add(row);
    // One row is marked queued; the next ones wait in the store until the connection has dropped, so
    // that it drops mid-stream whatever time rabbitmqctl takes.
    let dropped!: () => void;
    const connectionDropped = new Promise<void>((resolve) => (dropped = resolve));
    let marking = 0;
    let waitingAtClose = -1;
    let queuedAtClose = -1;
    outbox.beforeMarkQueued = async () => {
      marking += 1;
      if (marking > 1) await connectionDropped;
    };
    const unsubscribe = broker.onStateChange((connected) => {
      if (connected || queuedAtClose >= 0) return;
      queuedAtClose = outbox.queued.length;
      waitingAtClose = marking - 1;
      dropped();
    });
    relay = startRelay({ outbox, broker, prefix, logger: silentLogger, batchSize: 20 });
    try {
      await until(() => outbox.queued.length === 1 && marking >= 2, 10_000, 'first queued, the next waiting in the store');
      await forceCloseConnection(connectionName);
      await until(() => outbox.queued.length === rows.length, 20_000, 'all queued');
    } finally {
      unsubscribe();
    }

    expect(queuedAtClose).to.equal(1);
    // Rows were between the broker's confirm and the store when it dropped, the rest not yet read.
    expect(waitingAtClose).to.be.within(1, rows.length - 2);
    expect(new Set(outbox.queued).size).to.equal(rows.length);
    const ids = new Set((await takeAll(channel, queueName(prefix, 'france-travail'))).map((m) => m.properties.messageId as string));
    // At-least-once: every row reached the queue; a row cut off before its confirm may be there twice.
    expect([...rows.map((r) => r.messageId)].every((id) => ids.has(id))).to.equal(true);
  });

  describe('rows handed in memory at their commit', () => {
    /** Each queue's messages, by message id. */
    const published = async (ids: string[]) => {
      const messages = [];
      for (const id of ids) messages.push(...(await takeAll(channel, queueName(prefix, id))));
      return messages;
    };

    it('publishes a handed row without reading the outbox back, its trace context and properties as a read would give them', async () => {
      const outbox = new MemoryOutbox();
      // The idle poll is far longer than the test: a read after the first is one the memory did not spare.
      relay = startRelay({ outbox, broker, prefix, logger: silentLogger, idleDelayMs: 60_000 });
      await until(() => outbox.reads === 1, 10_000, 'the first read, at start');
      const traceContext = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'passerelle=t61rcWkgMzE' };
      const rows = Array.from({ length: 30 }, (_, i) => outboxEntry(i % 2 === 0 ? 'ofii' : 'france-travail', { auditIndex: 100 + i, ...(i === 0 ? { traceContext } : {}) }));
      for (const row of rows) outbox.commit(row);
      await until(() => outbox.queued.length === rows.length, 10_000, 'every handed row queued');

      expect(outbox.reads).to.equal(1);
      expect([...outbox.queued].sort()).to.deep.equal(rows.map((r) => r.messageId).sort());
      expect(outbox.rows.size).to.equal(0);
      const messages = await published(recipients);
      expect(messages.map((m) => m.properties.messageId as string).sort()).to.deep.equal(rows.map((r) => r.messageId).sort());
      const first = messages.find((m) => m.properties.messageId === rows[0]!.messageId)!;
      expect(first.content.toString('utf8')).to.equal(rows[0]!.body);
      expect(first.fields.routingKey).to.equal('ofii.orientation');
      expect(first.properties.headers).to.include({ 'x-passerelle-sender': 'ofii', 'x-passerelle-audit-index': 100, ...traceContext });
    });

    it('leaves a row handed while the broker is gone to the outbox, and publishes it once the broker is back', async () => {
      const outbox = new MemoryOutbox();
      relay = startRelay({ outbox, broker, prefix, logger: silentLogger, idleDelayMs: 60_000 });
      await until(() => outbox.reads === 1, 10_000, 'the first read, at start');
      const rows = Array.from({ length: 10 }, () => outboxEntry('ofii'));
      let readsWhileDown = -1;
      const unsubscribe = broker.onStateChange((connected) => {
        if (connected || readsWhileDown >= 0) return;
        readsWhileDown = outbox.reads;
        for (const row of rows) outbox.commit(row);
      });
      try {
        await forceCloseConnection(connectionName);
        await until(() => outbox.queued.length === rows.length, 15_000, 'every row queued after reconnection');
      } finally {
        unsubscribe();
      }

      // No idle poll came in between: the relay read the outbox because what it was handed was not kept.
      expect(outbox.reads).to.be.greaterThan(readsWhileDown);
      expect(outbox.failures).to.deep.equal([]);
      const ids = (await published(['ofii'])).map((m) => m.properties.messageId as string);
      expect(ids.sort()).to.deep.equal(rows.map((r) => r.messageId).sort());
    });

    it('spills what a full memory cannot hold to the outbox, and loses and repeats nothing', async () => {
      const outbox = new MemoryOutbox();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      outbox.beforeMarkQueued = () => held;
      relay = startRelay({ outbox, broker, prefix, logger: silentLogger, idleDelayMs: 60_000, batchSize: 4, memoryLimit: 3 });
      await until(() => outbox.reads === 1, 10_000, 'the first read, at start');
      const first = Array.from({ length: 4 }, () => outboxEntry('france-travail'));
      for (const row of first) outbox.commit(row);
      // The window is full and stays so until the store is released: what comes next waits in memory, or spills.
      await until(() => outbox.rows.size === 4 && outbox.reads === 1, 10_000, 'the window taken from memory');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const next = Array.from({ length: 20 }, () => outboxEntry('france-travail'));
      for (const row of next) outbox.commit(row);
      release();
      const all = [...first, ...next];
      await until(() => outbox.queued.length === all.length, 15_000, 'every row queued');

      // Three rows waited in memory; the others were read back.
      expect(outbox.reads).to.be.greaterThan(1);
      expect(outbox.queued.length).to.equal(new Set(outbox.queued).size);
      expect(outbox.rows.size).to.equal(0);
      const ids = (await published(['france-travail'])).map((m) => m.properties.messageId as string);
      expect(ids.sort()).to.deep.equal(all.map((r) => r.messageId).sort());
    });

    it('reads back a handed row that waited in memory past the time it was handed for (its lease may have passed to another gateway)', async () => {
      const clock = new ManualClock();
      const outbox = new MemoryOutbox();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const confirmed: string[] = [];
      outbox.beforeMarkQueued = async (messageId) => {
        confirmed.push(messageId);
        if (confirmed.length === 1) await held;
      };
      relay = startRelay({ outbox, broker, prefix, logger: silentLogger, idleDelayMs: 60_000, batchSize: 1, clock });
      await until(() => outbox.reads === 1, 10_000, 'the first read, at start');
      const first = outboxEntry('ofii');
      outbox.commit(first, 10_000);
      await until(() => confirmed.length === 1, 10_000, 'the first row confirmed, its window held');
      const late = outboxEntry('ofii');
      outbox.commit(late, 10_000);
      clock.advanceTo(clock.now() + 10_001);
      release();
      await until(() => outbox.queued.length === 2, 10_000, 'both queued');

      // Taken from memory, it would have needed no read after the first.
      expect(outbox.reads).to.be.greaterThan(1);
      expect(outbox.queued).to.deep.equal([first.messageId, late.messageId]);
    });

    it('publishes once a row that is both handed in memory and returned by a read', async () => {
      const outbox = new MemoryOutbox();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const confirmed: string[] = [];
      outbox.beforeMarkQueued = async (messageId) => {
        confirmed.push(messageId);
        await held;
      };
      relay = startRelay({ outbox, broker, prefix, logger: silentLogger, idleDelayMs: 60_000, batchSize: 10 });
      await until(() => outbox.reads === 1, 10_000, 'the first read, at start');
      // In flight from memory (its confirm is held in the store) when a read returns it.
      const inFlight = outboxEntry('ofii');
      outbox.commit(inFlight);
      await until(() => confirmed.length === 1, 10_000, 'the handed row confirmed');
      // Handed, and not started yet when the kick's read returns it with a row of another writer.
      const handed = outboxEntry('ofii');
      const notice = outboxEntry('ofii', { sender: 'passerelle' });
      outbox.add(notice);
      relay.kick();
      outbox.commit(handed);
      await until(() => outbox.reads === 2 && confirmed.length >= 3, 10_000, 'the read and its rows confirmed');
      // A second publish of either copy would come now, while the first is held.
      await new Promise((resolve) => setTimeout(resolve, 200));
      release();
      await until(() => outbox.queued.length >= 3, 10_000, 'every row queued');
      await new Promise((resolve) => setTimeout(resolve, 200));

      expect(confirmed.sort()).to.deep.equal([inFlight, handed, notice].map((r) => r.messageId).sort());
      expect(outbox.queued.sort()).to.deep.equal([inFlight, handed, notice].map((r) => r.messageId).sort());
      const ids = (await published(['ofii'])).map((m) => m.properties.messageId as string);
      expect(ids.sort()).to.deep.equal([inFlight, handed, notice].map((r) => r.messageId).sort());
    });
  });

  it('drain stops taking rows and waits for the publishes in flight', async () => {
    // A manual clock: after the drain no timer of the relay may be left to wake it.
    const clock = new ManualClock();
    const outbox = new MemoryOutbox();
    for (let i = 0; i < 50; i++) outbox.add(outboxEntry('ofii'));
    let reads = 0;
    const read = outbox.pendingOutbox.bind(outbox);
    outbox.pendingOutbox = async (limit) => {
      reads += 1;
      return read(limit);
    };
    relay = startRelay({ outbox, broker, prefix, logger: silentLogger, batchSize: 10, clock });
    await until(() => outbox.queued.length >= 1, 10_000, 'first queued');
    await relay.drain(5000);
    const queuedAtDrain = outbox.queued.length;
    const readsAtDrain = reads;
    for (let i = 0; i < 5; i++) outbox.add(outboxEntry('ofii'));
    relay.kick();
    // A kick wakes the relay synchronously and a read needs no I/O: one turn of the event loop is
    // enough for a relay still running to read again.
    await new Promise((resolve) => setImmediate(resolve));

    expect(clock.pending(), 'timers of the relay still armed').to.equal(0);
    expect(reads).to.equal(readsAtDrain);
    expect(outbox.queued.length).to.equal(queuedAtDrain);
    expect(outbox.failures).to.deep.equal([]);
    // Nothing was left half-done: every row is either queued or still pending.
    expect(outbox.queued.length + outbox.rows.size).to.equal(55);
    expect((await channel.checkQueue(queueName(prefix, 'ofii'))).messageCount).to.equal(queuedAtDrain);
  });
});
