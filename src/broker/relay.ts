/**
 * The outbox relay: moves accepted messages from the store to RabbitMQ. The outbox is the only retry
 * buffer: a row leaves it only through markQueued, after the broker's confirm, so a crash, a nack, a
 * return or a lost connection at any point means "publish again", never "lost" (at-least-once;
 * recipients de-duplicate on message_id: docs/interface.md, section 5).
 *
 * Publishes are pipelined: up to batchSize rows are outstanding at once and new rows are taken as soon
 * as confirms come back, because awaiting each confirm caps a quorum queue publisher below a thousand
 * messages per second (persistent messages are fsynced in batches before the confirm).
 *
 * Rows in flight are tracked in this process only. With SQLite there is one gateway, so one relay per
 * outbox; with PostgreSQL several relays share it, and the store leases each row it hands out to one
 * of them (src/store/pg.ts), so that two relays publish a row twice only after one of them died.
 */
import { isGatewayError } from '../domain/errors.js';
import type { Logger } from '../log/logger.js';
import { UNOBSERVED_PUBLISH, type PublishObservation } from '../observability/stages.js';
import type { OutboxEntry, OutboxPort } from '../store/port.js';
import type { BrokerConnection } from './connection.js';
import { describeError } from './connection.js';
import { createPublisher } from './publisher.js';

export interface Relay {
  /** Wake up now: new rows were written. */
  kick(): void;
  /** Stop taking new rows and wait, at most timeoutMs, for the publishes in flight. */
  drain(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RelayOptions {
  outbox: OutboxPort;
  broker: BrokerConnection;
  prefix: string;
  logger: Logger;
  /** Rows taken per read, and the most publishes outstanding at once. */
  batchSize?: number;
  /** Polling period when nothing is pending and nobody kicks. */
  idleDelayMs?: number;
  /** Cap of the backoff after failed publishes. */
  maxBackoffMs?: number;
  /** Passed to the publisher. */
  confirmTimeoutMs?: number;
  /** The relay's time (backoffs, pauses, idle polling); the system clock when absent. */
  clock?: RelayClock;
  /** Times each publish and gives the trace context of its headers (src/observability); the row's own context when absent. */
  observation?: PublishObservation;
}

/** Wall-clock milliseconds and timers. Tests give a manual clock to step through the backoffs. */
export interface RelayClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

const SYSTEM_CLOCK: RelayClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

const COMPONENT = 'relay';
const FIRST_BACKOFF_MS = 100;

export function startRelay(opts: RelayOptions): Relay {
  const { outbox, broker, prefix, logger } = opts;
  const batchSize = opts.batchSize ?? 100;
  const idleDelayMs = opts.idleDelayMs ?? 1000;
  const maxBackoffMs = opts.maxBackoffMs ?? 30_000;
  const clock = opts.clock ?? SYSTEM_CLOCK;
  const observation = opts.observation ?? UNOBSERVED_PUBLISH;
  const publisher = createPublisher({ broker, logger, confirmTimeoutMs: opts.confirmTimeoutMs });

  /** Rows being published. An id leaves only at the top of the loop, never during a read. */
  const inFlight = new Map<string, Promise<void>>();
  const settled: string[] = [];
  /**
   * Per-row backoff, so that one row that cannot be routed is retried slowly without slowing the
   * others. In memory only: after a restart every pending row is tried at once, which is what we want.
   */
  const retryAfter = new Map<string, number>();
  let draining = false;
  let stopped = false;
  /** Relay-wide pause after failures that are not about one row (store read, channel). */
  let failures = 0;
  let pausedUntil = 0;

  let signalled = false;
  let wakeUp: (() => void) | undefined;
  const wake = (): void => {
    signalled = true;
    wakeUp?.();
  };
  const sleep = (ms: number): Promise<void> => {
    if (signalled) {
      signalled = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = clock.setTimeout(done, Math.max(0, ms));
      function done(): void {
        clock.clearTimeout(timer);
        wakeUp = undefined;
        signalled = false;
        resolve();
      }
      wakeUp = done;
    });
  };
  const unsubscribe = broker.onStateChange(wake);

  /** Capped exponential delay with jitter on its upper half, so that retries do not go in step. */
  const delayFor = (step: number): number => {
    const base = Math.min(maxBackoffMs, FIRST_BACKOFF_MS * 2 ** Math.min(Math.max(step - 1, 0), 30));
    return base / 2 + Math.random() * (base / 2);
  };

  const pause = (): void => {
    // A whole batch failing together counts once.
    if (clock.now() < pausedUntil) return;
    failures += 1;
    pausedUntil = clock.now() + delayFor(failures);
  };

  const relayOne = async (entry: OutboxEntry): Promise<void> => {
    const attempt = entry.attempts + 1;
    const fields = { component: COMPONENT, messageId: entry.messageId, recipient: entry.recipient, type: entry.type, attempt };
    try {
      await observation.publish(entry, (trace) => publisher.publish(entry, prefix, trace));
    } catch (err) {
      logger.warn('relay.publish_failed', { ...fields, outcome: 'retry', code: isGatewayError(err) ? err.code : undefined, reason: describeError(err) });
      retryAfter.set(entry.messageId, clock.now() + delayFor(attempt));
      if (isGatewayError(err, 'broker_unreachable')) pause();
      try {
        await outbox.recordPublishFailure(entry.messageId);
      } catch (storeErr) {
        logger.error('relay.record_failure_failed', { ...fields, reason: describeError(storeErr) });
      }
      return;
    }
    retryAfter.delete(entry.messageId);
    failures = 0;
    observation.confirmed(entry, Date.now());
    try {
      await outbox.markQueued(entry.messageId, new Date(clock.now()).toISOString());
      logger.info('relay.queued', { ...fields, outcome: 'queued' });
    } catch (err) {
      // The broker has it but the row stays: it will be published again, a duplicate the recipient drops.
      logger.error('relay.mark_queued_failed', { ...fields, outcome: 'retry', reason: describeError(err) });
      retryAfter.set(entry.messageId, clock.now() + delayFor(attempt));
      pause();
    }
  };

  const start = (entry: OutboxEntry): void => {
    const task = relayOne(entry).finally(() => {
      settled.push(entry.messageId);
      wake();
    });
    inFlight.set(entry.messageId, task);
  };

  const loop = async (): Promise<void> => {
    while (!draining) {
      for (const id of settled.splice(0)) inFlight.delete(id);
      const room = batchSize - inFlight.size;
      // Each read returns the rows in flight too (oldest first), bodies included: read again once half
      // the window is free, not after every confirm, or a backlog costs a window of bodies per message.
      if (room <= 0 || (inFlight.size > 0 && room < Math.ceil(batchSize / 2))) {
        await sleep(idleDelayMs);
        continue;
      }
      if (!broker.isConnected() || broker.isBlocked()) {
        // A blocked connection is not read by the broker (memory or disk alarm): publishing would only
        // pile up unconfirmed messages. Woken by the reconnection or the end of the block; the
        // timeout only bounds a missed notification.
        await sleep(Math.max(idleDelayMs, 1000));
        continue;
      }
      const paused = pausedUntil - clock.now();
      if (paused > 0) {
        await sleep(paused);
        continue;
      }
      let rows: OutboxEntry[];
      // The rows in flight and backing off come first, then room for `room` new ones: batchSize + retries.
      const limit = batchSize + retryAfter.size;
      try {
        // Rows in flight or backing off come first (oldest first) and are skipped: read past them.
        rows = await outbox.pendingOutbox(limit);
      } catch (err) {
        logger.error('relay.read_failed', { component: COMPONENT, reason: describeError(err) });
        pause();
        continue;
      }
      if (rows.length < limit) {
        // Every pending row was read: forget the backoff of rows that left the outbox some other way.
        const pending = new Set(rows.map((row) => row.messageId));
        for (const id of retryAfter.keys()) if (!pending.has(id) && !inFlight.has(id)) retryAfter.delete(id);
      }
      const now = clock.now();
      let nextDue = now + idleDelayMs;
      const fresh: OutboxEntry[] = [];
      for (const row of rows) {
        if (inFlight.has(row.messageId)) continue;
        const due = retryAfter.get(row.messageId) ?? 0;
        if (due > now) {
          nextDue = Math.min(nextDue, due);
          continue;
        }
        if (fresh.length < room) fresh.push(row);
      }
      if (fresh.length === 0) {
        await sleep(nextDue - now);
        continue;
      }
      for (const entry of fresh) start(entry);
    }
  };

  const running = loop().catch((err: unknown) => {
    logger.error('relay.crashed', { component: COMPONENT, reason: describeError(err) });
  });

  const waitInFlight = async (timeoutMs: number): Promise<void> => {
    let timer: unknown;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = clock.setTimeout(() => resolve(true), timeoutMs);
    });
    const done = Promise.allSettled([...inFlight.values()]).then(() => false);
    const late = await Promise.race([done, timedOut]);
    clock.clearTimeout(timer);
    if (late) logger.warn('relay.drain_timeout', { component: COMPONENT, depth: inFlight.size, durationMs: timeoutMs });
  };

  const drain = async (timeoutMs: number): Promise<void> => {
    draining = true;
    wake();
    await running;
    await waitInFlight(timeoutMs);
  };

  return {
    kick: () => {
      if (!draining) wake();
    },
    drain,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      draining = true;
      wake();
      await running;
      unsubscribe();
      // Closing the channel fails what is still unconfirmed: those rows stay pending, as they must.
      await publisher.close();
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
