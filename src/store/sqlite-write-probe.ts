/**
 * The store's write probe, behind GET /readyz. A write that is rolled back proves nothing in WAL mode:
 * SQLite writes pages to the WAL only when a transaction commits, so a store whose filesystem refuses
 * writes (read-only, full) would still look writable. The probe commits a one-row update, which reaches
 * the disk the way an acceptance does (WAL frame, fsync under synchronous=FULL).
 */
import type Database from 'better-sqlite3';

/** Migrations of the `write-probe` component of the SQLite store (never edited once published). */
export const WRITE_PROBE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE write_probe (
     id        INTEGER PRIMARY KEY CHECK (id = 1),
     probed_at TEXT NOT NULL
   ) STRICT;`,
];

/** Commits one small write; throws the SQLite error when the file or its journal cannot take it. */
export function probeWrite(db: Database.Database, at: string): void {
  db.prepare('INSERT INTO write_probe (id, probed_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at').run(at);
}
