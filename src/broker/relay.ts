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
 * A message this process accepts is handed to the relay in memory once committed
 * (OutboxPort.onCommitted) and published without reading it back: a read of the outbox joins the
 * messages and returns bodies, about a quarter of a millisecond of main-thread time per message under
 * load. The outbox is read when it may hold rows the memory does not: at start, every idleDelayMs
 * (rows of other writers, of an earlier process, of failed publishes), after a kick, after anything
 * handed was dropped (memory full, broker away, pause), and while a read finds a backlog. While rows
 * may wait unread in the outbox, they go first, oldest first, and the memory waits: what it holds is
 * newer.
 *
 * Rows in flight are tracked in this process only, whether read or handed. With SQLite there is one
 * gateway, so one relay per outbox; with PostgreSQL several relays share it, and the store leases each
 * row it hands out, or writes for this relay, to one of them (src/store/postgres/engine.ts), so that
 * two relays publish a row twice only after one of them died.
 */
import { isGatewayError } from '../domain/errors.js';
import type { Logger } from '../log/logger.js';
import { UNOBSERVED_PUBLISH, type PublishObservation } from '../observability/stages.js';
import type { CommittedOutbox, OutboxEntry, OutboxPort } from '../store/port.js';
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
  /** Rows handed in memory and waiting for room in the window, at most; MEMORY_QUEUE_LIMIT unless a test needs fewer. */
  memoryLimit?: number;
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
/**
 * Handed rows wait only for room in the publish window (batchSize). More than a couple of windows
 * waiting means the broker confirms slower than partners send: then reading back, a window of rows per
 * statement, costs little per message, and holding the bodies here would only grow the heap (at most
 * this many times PASSERELLE_MAX_BODY_BYTES, 64 MiB at its default). Past it, rows are left to the read.
 */
export const MEMORY_QUEUE_LIMIT = 256;

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
  /** Rows handed in memory, not started yet, in commit order; `until`: past it, read the row back instead (CommittedOutbox.heldForMs). */
  const handed = new Map<string, { entry: OutboxEntry; until: number }>();
  const memoryLimit = opts.memoryLimit ?? MEMORY_QUEUE_LIMIT;
  /** The outbox may hold pending rows that neither the memory nor the window has: read it before taking from memory. */
  let unread = true;
  /** When the idle poll, or the retry of a row backing off, reads the outbox next. */
  let nextReadAt = clock.now();
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

  /** What memory holds goes back to the outbox's care: the next read finds it. */
  const spill = (): void => {
    if (handed.size > 0) unread = true;
    handed.clear();
  };

  const offer = (committed: CommittedOutbox): void => {
    if (draining) return;
    if (committed.unlisted) unread = true;
    const until = committed.heldForMs === undefined ? Infinity : clock.now() + committed.heldForMs;
    for (const entry of committed.entries) {
      if (inFlight.has(entry.messageId) || handed.has(entry.messageId)) continue;
      // Unlikely to be published soon: the read will find it when the broker can take it.
      if (handed.size >= memoryLimit || !broker.isConnected() || broker.isBlocked() || clock.now() < pausedUntil) unread = true;
      else handed.set(entry.messageId, { entry, until });
    }
    wake();
  };
  const unsubscribeOutbox = outbox.onCommitted?.(offer);

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
      const due = clock.now() + delayFor(attempt);
      retryAfter.set(entry.messageId, due);
      // The row is retried from the outbox, not from memory: read it when it is due.
      nextReadAt = Math.min(nextReadAt, due);
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
      const due = clock.now() + delayFor(attempt);
      retryAfter.set(entry.messageId, due);
      nextReadAt = Math.min(nextReadAt, due);
      pause();
    }
  };

  const start = (entry: OutboxEntry): void => {
    handed.delete(entry.messageId);
    const task = relayOne(entry).finally(() => {
      settled.push(entry.messageId);
      wake();
    });
    inFlight.set(entry.messageId, task);
  };

  /** Starts handed rows, oldest first, while there is room; false when it started none. */
  const startHanded = (room: number, now: number): boolean => {
    let started = 0;
    for (const [id, { entry, until }] of handed) {
      if (started >= room) break;
      handed.delete(id);
      if (inFlight.has(id)) continue;
      if (now > until) {
        unread = true;
        continue;
      }
      start(entry);
      started += 1;
    }
    return started > 0;
  };

  const loop = async (): Promise<void> => {
    while (!draining) {
      for (const id of settled.splice(0)) inFlight.delete(id);
      const room = batchSize - inFlight.size;
      if (room <= 0) {
        await sleep(idleDelayMs);
        continue;
      }
      if (!broker.isConnected() || broker.isBlocked()) {
        // A blocked connection is not read by the broker (memory or disk alarm): publishing would only
        // pile up unconfirmed messages. Woken by the reconnection or the end of the block; the
        // timeout only bounds a missed notification.
        spill();
        await sleep(Math.max(idleDelayMs, 1000));
        continue;
      }
      const paused = pausedUntil - clock.now();
      if (paused > 0) {
        spill();
        await sleep(paused);
        continue;
      }
      // Each read returns the rows in flight too (oldest first), bodies included: read again once half
      // the window is free, not after every confirm, or a backlog costs a window of bodies per message.
      const canRead = inFlight.size === 0 || room >= Math.ceil(batchSize / 2);
      const polled = clock.now() >= nextReadAt;
      if (!unread && (!polled || !canRead) && startHanded(room, clock.now())) continue;
      if (!unread && !polled) {
        await sleep(nextReadAt - clock.now());
        continue;
      }
      if (!canRead) {
        await sleep(idleDelayMs);
        continue;
      }
      let rows: OutboxEntry[];
      // The rows in flight and backing off come first, then room for `room` new ones: batchSize + retries.
      const limit = batchSize + retryAfter.size;
      // A kick or a spill during the read may be about rows the read missed: it sets `unread` again.
      unread = false;
      try {
        // Rows in flight or backing off come first (oldest first) and are skipped: read past them.
        rows = await outbox.pendingOutbox(limit);
      } catch (err) {
        logger.error('relay.read_failed', { component: COMPONENT, reason: describeError(err) });
        unread = true;
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
      let left = 0;
      for (const row of rows) {
        if (inFlight.has(row.messageId)) continue;
        const due = retryAfter.get(row.messageId) ?? 0;
        if (due > now) {
          nextDue = Math.min(nextDue, due);
          continue;
        }
        if (fresh.length < room) fresh.push(row);
        else left += 1;
      }
      // Rows past this read, or read without room for them, are still to be read before the memory's.
      if (rows.length >= limit || left > 0) unread = true;
      nextReadAt = nextDue;
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
      if (draining) return;
      unread = true;
      wake();
    },
    drain,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      draining = true;
      wake();
      await running;
      unsubscribe();
      unsubscribeOutbox?.();
      // Closing the channel fails what is still unconfirmed: those rows stay pending, as they must.
      await publisher.close();
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
