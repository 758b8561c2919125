// The WAL checkpoints of the embedded store, on their own thread and connection (see
// src/store/sqlite/wal-checkpoint.ts). Plain JavaScript: it needs no project module, and a worker that
// starts without the TypeScript loader starts in a few milliseconds.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.file);
// A passive checkpoint never waits for a lock; the timeout only covers opening the WAL index.
db.pragma('busy_timeout = 1000');
parentPort.on('message', () => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, result });
  } catch (err) {
    parentPort.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
  }
});
