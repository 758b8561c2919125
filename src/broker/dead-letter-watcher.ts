/**
 * Tells the store when RabbitMQ dead-letters a message, so that its sender sees `dead-lettered` in
 * GET /v1/messages/{id} and the audit log records it.
 *
 * RabbitMQ has no way to read a queue without taking messages from it, and the per-partner dead-letter
 * queue `<prefix>.<partner>.dead` belongs to operators, who inspect and replay what is there. So the
 * watcher does not read that queue: it has a queue of its own, `<prefix>.gateway.dead-lettered`, bound
 * to the dead-letter exchange with `#`. The topic exchange gives every dead letter to both queues (the
 * quorum queues' at-least-once dead-lettering confirms each copy), the operators' copy stays untouched,
 * and the watcher acknowledges its copy once the store has recorded it. A copy that comes twice marks
 * nothing twice: the store's markDeadLettered is idempotent.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../log/logger.js';
import type { MessageRecord } from '../store/port.js';
import type { BrokerConnection } from './connection.js';
import { describeError } from './connection.js';
import { DEFAULT_MAX_LENGTH, deadLetterExchangeName, queueName } from './topology.js';

/** What the watcher needs from the store. */
export interface DeadLetterStore {
  findMessage(messageId: string): Promise<MessageRecord | undefined>;
  /**
   * One transaction: status `dead-lettered`, its time, and a `dead-lettered` audit entry. Idempotent:
   * `unchanged` when the message is dead-lettered already or was acknowledged by its recipient.
   */
  markDeadLettered(messageId: string, deadLetteredAt: string): Promise<'marked' | 'unchanged' | 'unknown'>;
}

export interface DeadLetterWatcher {
  /** Stops consuming; deliveries in hand are settled first. */
  stop(): Promise<void>;
}

export interface DeadLetterWatcherOptions {
  broker: BrokerConnection;
  store: DeadLetterStore;
  prefix: string;
  logger: Logger;
  /** Dead letters in hand at once. */
  prefetch?: number;
  /** Cap of the wait before a dead letter the store could not record goes back to the queue. */
  maxBackoffMs?: number;
  now?: () => Date;
}

const COMPONENT = 'dead-letter-watcher';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function deadLetterWatchQueueName(prefix: string): string {
  return `${prefix}.gateway.dead-lettered`;
}

/**
 * Declares the watcher's queue and binds it to the dead-letter exchange (declared by the topology
 * first). The gateway does it with the topology at every (re)connection, before anything is published,
 * so that no dead letter can miss the watcher's copy; the watcher does it again when it subscribes.
 */
export async function declareDeadLetterWatch(channel: Channel, prefix: string): Promise<void> {
  const queue = deadLetterWatchQueueName(prefix);
  await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-overflow': 'reject-publish', 'x-max-length': DEFAULT_MAX_LENGTH } });
  await channel.bindQueue(queue, deadLetterExchangeName(prefix), '#');
}

/** RabbitMQ's `x-death` time (AMQP timestamp, seconds), as amqplib decodes it. */
function deathTime(message: ConsumeMessage): Date | undefined {
  const deaths: unknown = message.properties.headers?.['x-death'];
  const first: unknown = Array.isArray(deaths) ? deaths[0] : undefined;
  const time: unknown = typeof first === 'object' && first !== null ? (first as { time?: unknown }).time : undefined;
  const seconds = typeof time === 'object' && time !== null ? (time as { value?: unknown }).value : time;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : undefined;
}

function header(message: ConsumeMessage, name: string): string | undefined {
  const value: unknown = message.properties.headers?.[name];
  return typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
}

export function startDeadLetterWatcher(opts: DeadLetterWatcherOptions): DeadLetterWatcher {
  const { broker, store, prefix, logger } = opts;
  const now = opts.now ?? (() => new Date());
  const prefetch = opts.prefetch ?? 10;
  const maxBackoffMs = opts.maxBackoffMs ?? 30_000;
  const queue = deadLetterWatchQueueName(prefix);
  const inHand = new Set<Promise<void>>();
  let current: Channel | undefined;
  let consumerTag: string | undefined;
  let subscribing: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;
  let stopped = false;
  let wakeSleepers: Array<() => void> = [];

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wakeSleepers = wakeSleepers.filter((w) => w !== done);
        resolve();
      }
      wakeSleepers.push(done);
    });

  /** Records one dead letter; 'requeue' when the store could not, so that it comes back later. */
  const record = async (message: ConsumeMessage): Promise<'ack' | 'requeue'> => {
    const messageId: unknown = message.properties.messageId;
    const from = header(message, 'x-first-death-queue');
    const reason = header(message, 'x-first-death-reason');
    if (typeof messageId !== 'string' || !UUID.test(messageId)) {
      logger.warn('dead_letter.unidentified', { component: COMPONENT, reason: `no message id; dead-lettered from ${from ?? 'an unknown queue'}` });
      return 'ack';
    }
    const fields = { component: COMPONENT, messageId };
    try {
      const stored = await store.findMessage(messageId);
      if (!stored) {
        logger.warn('dead_letter.unknown_message', { ...fields, reason: `not in this gateway's store; dead-lettered from ${from ?? 'an unknown queue'}` });
        return 'ack';
      }
      // Only the recipient's own queue can dead-letter a message the gateway sent it.
      if (from !== queueName(prefix, stored.recipient)) {
        logger.warn('dead_letter.foreign_queue', { ...fields, recipient: stored.recipient, reason: `dead-lettered from ${from ?? 'an unknown queue'}, not from the recipient's queue` });
        return 'ack';
      }
      const at = (deathTime(message) ?? now()).toISOString();
      const outcome = await store.markDeadLettered(messageId, at);
      failures = 0;
      logger.warn('dead_letter.recorded', { ...fields, recipient: stored.recipient, type: stored.type, outcome, reason: reason ?? 'unknown' });
      return 'ack';
    } catch (err) {
      failures += 1;
      logger.error('dead_letter.record_failed', { ...fields, outcome: 'retry', reason: describeError(err) });
      // Held for a while, then given back: a store that cannot write is not asked again at once.
      await sleep(Math.min(maxBackoffMs, 100 * 2 ** Math.min(failures, 20)));
      return 'requeue';
    }
  };

  const onMessage = (channel: Channel, message: ConsumeMessage | null): void => {
    if (message === null) {
      // RabbitMQ cancelled the consumer (queue deleted): subscribe again, which declares the queue.
      logger.warn('dead_letter.consumer_cancelled', { component: COMPONENT, reason: queue });
      if (current === channel) current = undefined;
      void channel.close().catch(() => undefined);
      scheduleSubscribe();
      return;
    }
    const task = record(message)
      .then((outcome) => {
        if (outcome === 'ack') channel.ack(message);
        else channel.nack(message, false, true);
      })
      .catch((err: unknown) => {
        // Settling on a channel that died throws; RabbitMQ gives the message again anyway.
        logger.warn('dead_letter.settle_failed', { component: COMPONENT, reason: describeError(err) });
      })
      .finally(() => inHand.delete(task));
    inHand.add(task);
  };

  const subscribe = async (): Promise<void> => {
    const channel = await broker.createChannel();
    channel.on('close', () => {
      if (current !== channel) return;
      current = undefined;
      // A channel closed while the connection lives (a channel error) is not followed by a reconnection.
      if (broker.isConnected()) scheduleSubscribe();
    });
    try {
      await declareDeadLetterWatch(channel, prefix);
      // Per consumer (global = false): a global QoS on a quorum queue is a connection error in 3.10.
      await channel.prefetch(prefetch, false);
      current = channel;
      consumerTag = (await channel.consume(queue, (message) => onMessage(channel, message), { noAck: false })).consumerTag;
    } catch (err) {
      if (current === channel) current = undefined;
      await channel.close().catch(() => undefined);
      throw err;
    }
    if (stopped) {
      current = undefined;
      await channel.close().catch(() => undefined);
      return;
    }
    logger.info('dead_letter.watching', { component: COMPONENT, reason: queue });
  };

  const ensureSubscribed = (): void => {
    if (stopped || current !== undefined || subscribing !== undefined || !broker.isConnected()) return;
    subscribing = subscribe()
      .then(() => {
        failures = 0;
      })
      .catch((err: unknown) => {
        failures += 1;
        logger.warn('dead_letter.subscribe_failed', { component: COMPONENT, reason: describeError(err) });
        scheduleSubscribe();
      })
      .finally(() => {
        subscribing = undefined;
      });
  };

  function scheduleSubscribe(): void {
    if (stopped || retryTimer !== undefined) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      ensureSubscribed();
    }, Math.min(maxBackoffMs, 200 * 2 ** Math.min(failures, 20)));
  }

  // After every (re)connection the topology is declared again, then this runs: subscribe again.
  const unsubscribe = broker.onStateChange((connected) => {
    if (connected) ensureSubscribed();
  });
  ensureSubscribed();

  return {
    stop: async () => {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      clearTimeout(retryTimer);
      for (const wake of [...wakeSleepers]) wake();
      await subscribing;
      const channel = current;
      current = undefined;
      // No new delivery, then settle those in hand (a closing channel would count them as failures).
      if (channel && consumerTag !== undefined) await channel.cancel(consumerTag).catch(() => undefined);
      while (inHand.size > 0) await Promise.allSettled([...inHand]);
      if (channel) {
        await channel.close().catch((err: unknown) => {
          logger.debug('dead_letter.close_failed', { component: COMPONENT, reason: describeError(err) });
        });
      }
    },
  };
}
