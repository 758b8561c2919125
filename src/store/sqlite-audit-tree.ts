/**
 * The audit log's Merkle tree, checkpoints and cosignatures in SQLite (the AuditLogPort part of
 * SqliteStore). Leaves are the rows of `audit_log` (core component); this component adds:
 *
 * - `audit_nodes`: every perfect subtree of two or more leaves, stored when its last leaf is
 *   appended, in the same transaction (a compact range, as transparency-dev's `compact` package
 *   keeps it), so a proof reads O(log n) rows;
 * - `audit_parties`: which partners an entry names (sender, recipient), so a partner's view of the log
 *   is an index lookup instead of a scan of every entry;
 * - `checkpoints` and `cosignatures`.
 */
import type Database from 'better-sqlite3';
import type { Checkpoint, Cosignature, SignedCheckpoint } from '../audit/checkpoint.js';
import { hashChildren } from '../audit/merkle.js';
import type { StoredAuditEntry } from './audit-log.js';
import { partiesOf, subtreesCompletedBy, toCheckpoint, toCosignature, toStoredEntry, type CheckpointRow, type CosignatureRow, type EntryRow } from './audit-rows.js';

/** The `audit-tree` component of the store's migrations. Published migrations are never edited. */
export const AUDIT_TREE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE audit_nodes (
     level INTEGER NOT NULL CHECK (level > 0),
     idx   INTEGER NOT NULL,
     hash  TEXT NOT NULL,
     PRIMARY KEY (level, idx)
   ) STRICT, WITHOUT ROWID;
   CREATE TABLE audit_parties (
     partner TEXT NOT NULL,
     idx     INTEGER NOT NULL,
     PRIMARY KEY (partner, idx)
   ) STRICT, WITHOUT ROWID;
   CREATE TABLE checkpoints (
     tree_size INTEGER PRIMARY KEY,
     root_hash TEXT NOT NULL,
     timestamp TEXT NOT NULL,
     signature TEXT NOT NULL
   ) STRICT;
   CREATE TABLE cosignatures (
     tree_size INTEGER NOT NULL REFERENCES checkpoints (tree_size),
     partner   TEXT NOT NULL,
     signature TEXT NOT NULL,
     signed_at TEXT NOT NULL,
     PRIMARY KEY (tree_size, partner)
   ) STRICT;
   -- Entries appended before this component existed get their nodes once, at the next open.
   CREATE TABLE audit_tree_backfill (pending INTEGER NOT NULL) STRICT;
   INSERT INTO audit_tree_backfill (pending) VALUES (1);`,
];

const BACKFILL_PAGE = 1000;

export class SqliteAuditTree {
  private readonly db: Database.Database;

  constructor(db: Database.Database) {
    this.db = db;
    this.backfill();
  }

  /**
   * Records the tree nodes and the named partners of the leaf just inserted at `index`. Must run in
   * the transaction that inserted the leaf.
   */
  append(index: number, leafHash: string, parties: ReadonlyArray<string | undefined>): void {
    let hash = leafHash;
    for (const node of subtreesCompletedBy(index)) {
      hash = hashChildren(this.node(node.level - 1, 2 * node.index), hash);
      this.db.prepare('INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)').run(node.level, node.index, hash);
    }
    for (const partner of partiesOf(parties)) this.db.prepare('INSERT OR IGNORE INTO audit_parties (partner, idx) VALUES (?, ?)').run(partner, index);
  }

  node(level: number, index: number): string {
    const row = level === 0
      ? (this.db.prepare('SELECT leaf_hash AS hash FROM audit_log WHERE idx = ?').get(index) as { hash: string } | undefined)
      : (this.db.prepare('SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?').get(level, index) as { hash: string } | undefined);
    if (!row) throw new Error(`the audit tree has no node at level ${level}, index ${index}`);
    return row.hash;
  }

  entries(start: number, end: number, limit: number): StoredAuditEntry[] {
    return (this.db.prepare('SELECT idx, entry, leaf_hash FROM audit_log WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ?').all(start, end, limit) as EntryRow[]).map(toStoredEntry);
  }

  entriesNaming(partnerId: string, start: number, end: number, limit: number): StoredAuditEntry[] {
    return (
      this.db
        .prepare(
          `SELECT l.idx, l.entry, l.leaf_hash FROM audit_parties p JOIN audit_log l ON l.idx = p.idx
           WHERE p.partner = ? AND p.idx >= ? AND p.idx < ? ORDER BY p.idx LIMIT ?`,
        )
        .all(partnerId, start, end, limit) as EntryRow[]
    ).map(toStoredEntry);
  }

  latestCheckpoint(): SignedCheckpoint | undefined {
    const row = this.db.prepare('SELECT * FROM checkpoints ORDER BY tree_size DESC LIMIT 1').get() as CheckpointRow | undefined;
    return row ? toCheckpoint(row) : undefined;
  }

  findCheckpoint(treeSize: number): SignedCheckpoint | undefined {
    const row = this.db.prepare('SELECT * FROM checkpoints WHERE tree_size = ?').get(treeSize) as CheckpointRow | undefined;
    return row ? toCheckpoint(row) : undefined;
  }

  saveCheckpoint(checkpoint: SignedCheckpoint): { checkpoint: SignedCheckpoint; created: boolean } {
    const inserted = this.db
      .prepare('INSERT OR IGNORE INTO checkpoints (tree_size, root_hash, timestamp, signature) VALUES (?, ?, ?, ?)')
      .run(checkpoint.treeSize, checkpoint.rootHash, checkpoint.timestamp, checkpoint.signature);
    return { checkpoint: this.findCheckpoint(checkpoint.treeSize)!, created: inserted.changes === 1 };
  }

  addCosignature(checkpoint: Checkpoint, cosignature: Cosignature): { cosignature: Cosignature; created: boolean } {
    const inserted = this.db
      .prepare('INSERT OR IGNORE INTO cosignatures (tree_size, partner, signature, signed_at) VALUES (?, ?, ?, ?)')
      .run(checkpoint.treeSize, cosignature.partner, cosignature.signature, cosignature.signedAt);
    const row = this.db.prepare('SELECT partner, signature, signed_at FROM cosignatures WHERE tree_size = ? AND partner = ?').get(checkpoint.treeSize, cosignature.partner) as CosignatureRow;
    return { cosignature: toCosignature(row), created: inserted.changes === 1 };
  }

  cosignatures(treeSize: number): Cosignature[] {
    return (this.db.prepare('SELECT partner, signature, signed_at FROM cosignatures WHERE tree_size = ? ORDER BY signed_at, partner').all(treeSize) as CosignatureRow[]).map(toCosignature);
  }

  /** Once, after the migration: nodes and parties of the entries appended before the tree existed. */
  private backfill(): void {
    const pending = this.db.prepare('SELECT COUNT(*) AS n FROM audit_tree_backfill').get() as { n: number };
    if (pending.n === 0) return;
    this.db.transaction(() => {
      for (let start = 0; ; ) {
        const rows = this.entries(start, Number.MAX_SAFE_INTEGER, BACKFILL_PAGE);
        for (const row of rows) {
          const parsed = JSON.parse(row.entry) as { sender?: string; recipient?: string };
          this.append(row.index, row.leafHash, [parsed.sender, parsed.recipient]);
        }
        if (rows.length < BACKFILL_PAGE) break;
        start = rows[rows.length - 1]!.index + 1;
      }
      this.db.prepare('DELETE FROM audit_tree_backfill').run();
    }).immediate();
  }
}
