/**
 * Checkpoints of the embedded store's write-ahead log, off the main thread.
 *
 * SQLite checkpoints the WAL (copies its pages into the database file and syncs both) inside the
 * commit that makes the WAL pass `wal_autocheckpoint` pages (https://sqlite.org/wal.html#ckpt). With
 * better-sqlite3 that commit runs on the main thread: every few hundred accepted messages the event
 * loop stopped for the copy and two fsyncs, tens to hundreds of milliseconds on a busy disk, and every
 * request in flight waited (the bench's p99). So the store's connection checkpoints only as a safety
 * net (SAFETY_NET_PAGES), and a worker thread with its own connection runs passive checkpoints, which
 * never block the writer, once the WAL grew past CHECKPOINT_AT_BYTES. The worker starts on first need.
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** WAL size that starts a checkpoint: SQLite's own default (1,000 pages of 4 KiB). */
export const CHECKPOINT_AT_BYTES = 4 * 1024 * 1024;
/** How often the WAL size is looked at. */
export const CHECKPOINT_POLL_MS = 250;
/**
 * The connection's own automatic checkpoint, kept in case the worker cannot run (about 64 MiB of WAL):
 * a bound on the WAL's growth, never reached while the worker keeps up.
 */
export const SAFETY_NET_PAGES = 16_384;

const WORKER = new URL('./checkpoint-worker.mjs', import.meta.url);

export class WalCheckpointer {
  private worker: Worker | undefined;
  private running = false;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(db: Database.Database, private readonly file: string) {
    db.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
    this.timer = setInterval(() => this.poll(), CHECKPOINT_POLL_MS);
    this.timer.unref();
  }

  private poll(): void {
    if (this.running || this.closed) return;
    fs.stat(`${this.file}-wal`, (err, stat) => {
      if (err || stat.size < CHECKPOINT_AT_BYTES || this.running || this.closed) return;
      this.checkpoint();
    });
  }

  private checkpoint(): void {
    this.running = true;
    if (this.worker === undefined) {
      const worker = new Worker(WORKER, { workerData: { file: this.file }, name: 'passerelle-sqlite-checkpoint' });
      worker.unref();
      worker.on('message', () => (this.running = false));
      // A worker that fails leaves the checkpoints to the connection's safety net; the next poll starts another.
      worker.on('error', () => undefined);
      worker.on('exit', () => {
        if (this.worker === worker) this.worker = undefined;
        this.running = false;
      });
      this.worker = worker;
    }
    this.worker.postMessage('checkpoint');
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }
}
