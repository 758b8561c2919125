/**
 * Group commit for the embedded store: the writes requested during one turn of the event loop share
 * one durable transaction (one fsync of the WAL instead of one per write), and each caller's promise
 * settles only once that transaction is on disk. So a 202 still never leaves before its message is
 * durable; many messages just reach the disk together.
 *
 * The fsync itself runs off the main thread. better-sqlite3 is synchronous: with synchronous=FULL the
 * commit's fsync blocks the event loop (TLS, HTTP, the crypto workers' dispatch) for as long as the
 * disk takes, several milliseconds when RabbitMQ fsyncs the same disk. So a batch commits with
 * synchronous=NORMAL (in WAL mode: the frames are written to the WAL, not yet synced; SQLite still
 * syncs the WAL before any checkpoint copies it into the database) and its promises settle after an
 * fsync of the WAL file on the libuv pool that started after the commit: the durability of
 * synchronous=FULL (https://sqlite.org/pragma.html#pragma_synchronous, https://sqlite.org/wal.html),
 * without blocking. Other transactions of the store keep synchronous=FULL. One fsync at a time: the
 * batches committed while one runs share the next.
 *
 * Each write runs in its own savepoint (better-sqlite3 turns a transaction function called inside an
 * open transaction into a savepoint): a write that throws is rolled back alone and fails alone, its
 * batch-mates commit. If the commit itself fails (disk full, I/O error), every write of the batch fails
 * and nothing of it was stored.
 */
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { GatewayError } from '../../domain/errors.js';

/**
 * Writes per transaction at most. Past a few dozen rows the fsync is already shared enough (measured:
 * 58,000 rows/s at 64 per transaction against 4,200 at one); the bound keeps one transaction, during
 * which the event loop is blocked, to a few milliseconds.
 */
export const GROUP_COMMIT_MAX_WRITES = 128;

/**
 * How long a deferred write (a receipt kept for replays, a row marked queued after the broker's confirm:
 * nobody waits on them to answer a partner) may wait for a batch to join before it is committed on its
 * own. At the rates where it matters an acceptance commits well within this delay and carries them.
 */
export const DEFERRED_WRITE_DELAY_MS = 20;

interface Write {
  work: () => unknown;
  deferred: boolean;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export class GroupCommit {
  private pending: Write[] = [];
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  /** Off-thread WAL sync: only in WAL mode (an in-memory or rollback-journal database commits synchronously). */
  private readonly walSync: boolean;
  /** The connection's synchronous level, restored after each batch. */
  private readonly synchronous: number;
  private walFd: number | undefined;
  private readonly relaxSync: Database.Statement;
  private readonly restoreSync: Database.Statement;
  /** The fsync running now, and the batches committed since it started (they need the next one). */
  private syncing: Promise<void> | undefined;
  private awaitingSync: Array<{ done(): void; fail(err: unknown): void }> = [];
  /** Batches committed so far, and how many of them are known synced: see synced(). */
  private committedBatches = 0;
  private syncedBatches = 0;
  private syncWaiters: Array<{ upTo: number; resolve(): void; reject(err: unknown): void }> = [];
  /**
   * Set when a sync of the WAL failed. The kernel may have dropped the pages it could not write and
   * report success to a later fsync (as PostgreSQL found in 2018): nothing committed since the last good
   * sync is known durable, and no later sync can prove it. The store takes no more writes and shows
   * nothing more as durable until it is reopened, which recovers the journal from what reached the disk.
   */
  private failure: GatewayError | undefined;

  constructor(private readonly db: Database.Database) {
    this.walSync = db.pragma('journal_mode', { simple: true }) === 'wal' && !db.memory;
    this.synchronous = db.pragma('synchronous', { simple: true }) as number;
    // Compiled once: db.pragma() compiles its statement on every call, twice per batch.
    this.relaxSync = db.prepare('PRAGMA synchronous = NORMAL');
    this.restoreSync = db.prepare(`PRAGMA synchronous = ${this.synchronous}`);
  }

  /**
   * Runs `work` (synchronous, in a savepoint) in the next group transaction; resolves once it is on
   * disk. A deferred write waits up to DEFERRED_WRITE_DELAY_MS for a write that is not deferred.
   *
   * A write that need not be durable (`durable: false`) commits at once in a transaction of its own,
   * without a sync: a later durable commit covers it, the WAL being written in order. Queued instead, it
   * would flush the deferred writes waiting for the next acceptance and start a sync that the
   * acceptance, committed while it runs, would then wait behind.
   */
  run<T>(work: () => T, options: { deferred?: boolean; durable?: boolean } = {}): Promise<T> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (options.durable === false) {
      try {
        return Promise.resolve(this.commitWithoutSync(work));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, deferred: options.deferred ?? false, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private commitWithoutSync<T>(work: () => T): T {
    if (this.walSync) this.relaxSync.run();
    try {
      return this.db.transaction(work).immediate();
    } finally {
      if (this.walSync) this.restoreSync.run();
    }
  }

  /** Commits what is pending now, synchronously, waits for the WAL syncs in flight, and closes the WAL file (before the database closes). */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length > 0) this.flush(this.pending.splice(0, GROUP_COMMIT_MAX_WRITES), false);
    while (this.syncing !== undefined) await this.syncing.catch(() => undefined);
    if (this.walFd !== undefined) fs.closeSync(this.walFd);
    this.walFd = undefined;
  }

  /**
   * Resolves once every batch committed so far is on disk. A read that answers a partner about a
   * stored message (a replay's 200, a status) waits for it: between a batch's commit and its WAL sync
   * the rows are visible but not yet durable.
   */
  synced(): Promise<void> {
    const upTo = this.committedBatches;
    if (this.syncedBatches >= upTo) return Promise.resolve();
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => this.syncWaiters.push({ upTo, resolve, reject }));
  }

  /**
   * Resolves once every write requested so far, deferred ones included, is committed and on disk: an
   * empty write that is not deferred flushes those waiting ahead of it.
   */
  async settled(): Promise<void> {
    if (this.pending.length > 0) await this.run(() => undefined).catch(() => undefined);
    await this.synced();
  }

  private markSynced(upTo: number): void {
    this.syncedBatches = Math.max(this.syncedBatches, upTo);
    const ready = this.syncWaiters.filter((waiter) => waiter.upTo <= this.syncedBatches);
    this.syncWaiters = this.syncWaiters.filter((waiter) => waiter.upTo > this.syncedBatches);
    for (const waiter of ready) waiter.resolve();
  }

  private schedule(): void {
    if (this.scheduled || this.pending.length === 0) return;
    if (this.pending.every((write) => write.deferred)) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.flushSoon();
      }, DEFERRED_WRITE_DELAY_MS);
      return;
    }
    this.flushSoon();
  }

  private flushSoon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate: after the I/O callbacks of this turn, so that requests that arrived together
    // (and their writes) are in the same batch.
    setImmediate(() => {
      this.scheduled = false;
      if (this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      const batch = this.pending.splice(0, GROUP_COMMIT_MAX_WRITES);
      // Closed meanwhile: close() committed what was pending.
      if (batch.length > 0 && this.db.open) this.flush(batch);
      this.schedule();
    });
  }

  private flush(batch: Write[], offThread = this.walSync): void {
    if (this.failure !== undefined) {
      for (const write of batch) write.reject(this.failure);
      return;
    }
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    if (offThread) this.relaxSync.run();
    try {
      this.db
        .transaction(() => {
          for (const write of batch) {
            // An I/O error can make SQLite roll the whole transaction back: the writes after it would
            // then run (and commit) on their own, outside the batch. Stop; the batch fails as a whole.
            if (!this.db.inTransaction) throw new Error('the group transaction was rolled back by SQLite');
            try {
              outcomes.push({ ok: true, value: this.db.transaction(write.work)() });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (error) {
      for (const write of batch) write.reject(error);
      return;
    } finally {
      if (offThread) this.restoreSync.run();
    }
    const settle = () =>
      batch.forEach((write, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) write.resolve(outcome.value);
        else write.reject(outcome.error);
      });
    if (!offThread) return settle();
    this.committedBatches += 1;
    this.awaitingSync.push({ done: settle, fail: (err) => batch.forEach((write) => write.reject(err)) });
    this.startSync();
  }

  private startSync(): void {
    if (this.syncing !== undefined || this.awaitingSync.length === 0) return;
    const covered = this.awaitingSync.splice(0);
    const upTo = this.committedBatches;
    this.syncing = new Promise<void>((resolve, reject) => {
      try {
        this.walFd ??= fs.openSync(`${this.db.name}-wal`, 'r');
      } catch (err) {
        reject(err);
        return;
      }
      fs.fsync(this.walFd, (err) => (err ? reject(err) : resolve()));
    }).then(
      () => {
        this.syncing = undefined;
        this.markSynced(upTo);
        for (const batch of covered) batch.done();
        this.startSync();
      },
      (err: unknown) => {
        this.syncing = undefined;
        this.failure = new GatewayError(
          'unavailable',
          `The store stopped taking writes: a sync of its write-ahead log to disk failed (${(err as Error).message}), so what it committed since is not known to be durable; nothing of this request was accepted. The operator must restart the gateway, which recovers the journal from the disk.`,
          { cause: err },
        );
        // Committed, but perhaps not on disk: a writer may be told neither "accepted" nor "nothing was accepted".
        const unknown = new GatewayError('outcome_unknown', undefined, { cause: err });
        for (const batch of [...covered, ...this.awaitingSync.splice(0)]) batch.fail(unknown);
        // Readers waiting to show these rows must not: they may be gone after the restart.
        for (const waiter of this.syncWaiters.splice(0)) waiter.reject(this.failure);
      },
    );
  }
}
