/**
 * The audit log in PostgreSQL: entries, the compact range of Merkle tree nodes, partners' views,
 * checkpoints and cosignatures, and the single sequencer that keeps the log one tree when several
 * gateways write to the same database.
 *
 * The sequencer: every transaction that appends first locks the one row of `audit_sequencer`
 * (SELECT ... FOR UPDATE), then takes MAX(idx) + 1 as its index. The lock is held until COMMIT or
 * ROLLBACK, so appenders run one at a time across every gateway process: two entries can never get
 * one index (and the PRIMARY KEY on idx would refuse it anyway), and no gap can appear, because the
 * index is assigned inside the transaction that commits it: a transaction that rolls back releases
 * its index with everything else it wrote, and the next appender reads the same MAX. (A SEQUENCE
 * would not do: nextval() is not rolled back, so a failed acceptance would leave a hole.)
 */
import type pg from 'pg';
import type { Checkpoint, Cosignature, SignedCheckpoint } from '../audit/checkpoint.js';
import { entryBytes, leafHash, toEntry, type AuditEvent } from '../audit/entry.js';
import { hashChildren } from '../audit/merkle.js';
import type { StoredAuditEntry } from './audit-log.js';
import { partiesOf, subtreesCompletedBy, toCheckpoint, toCosignature, toStoredEntry, type CheckpointRow, type CosignatureRow, type EntryRow } from './audit-rows.js';
import { run, type Queryable } from './pg-pool.js';

/** The `audit-tree` component of the PostgreSQL store's migrations. Published migrations are never edited. */
export const PG_AUDIT_TREE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE audit_log (
     idx       BIGINT PRIMARY KEY CHECK (idx >= 0),
     entry     TEXT NOT NULL,
     leaf_hash TEXT NOT NULL
   );
   CREATE TABLE audit_sequencer (id INTEGER PRIMARY KEY CHECK (id = 1));
   INSERT INTO audit_sequencer (id) VALUES (1);
   CREATE TABLE audit_nodes (
     level INTEGER NOT NULL CHECK (level > 0),
     idx   BIGINT NOT NULL,
     hash  TEXT NOT NULL,
     PRIMARY KEY (level, idx)
   );
   CREATE TABLE audit_parties (
     partner TEXT NOT NULL,
     idx     BIGINT NOT NULL,
     PRIMARY KEY (partner, idx)
   );
   CREATE TABLE checkpoints (
     tree_size BIGINT PRIMARY KEY,
     root_hash TEXT NOT NULL,
     timestamp TEXT NOT NULL,
     signature TEXT NOT NULL
   );
   CREATE TABLE cosignatures (
     tree_size BIGINT NOT NULL REFERENCES checkpoints (tree_size),
     partner   TEXT NOT NULL,
     signature TEXT NOT NULL,
     signed_at TEXT NOT NULL,
     PRIMARY KEY (tree_size, partner)
   );`,
];

/**
 * Takes the sequencer for the rest of the transaction. Called first in every transaction that appends
 * or that must not interleave with acceptances (see PgStore): waits at most LOCK_TIMEOUT_MS, then 503.
 */
export async function takeSequencer(client: Queryable): Promise<void> {
  await client.query('SELECT id FROM audit_sequencer FOR UPDATE');
}

export class PgAuditTree {
  constructor(private readonly pool: pg.Pool) {}

  /** Appends the event in the caller's transaction, which holds the sequencer; returns its index. */
  async append(client: Queryable, event: AuditEvent): Promise<number> {
    const { rows } = await client.query<{ next: number }>('SELECT COALESCE(MAX(idx) + 1, 0) AS next FROM audit_log');
    const index = rows[0]!.next;
    const bytes = entryBytes(toEntry(index, event));
    const hash = leafHash(bytes);
    await client.query('INSERT INTO audit_log (idx, entry, leaf_hash) VALUES ($1, $2, $3)', [index, bytes.toString('utf8'), hash]);
    let node = hash;
    for (const parent of subtreesCompletedBy(index)) {
      node = hashChildren(await this.node(parent.level - 1, 2 * parent.index, client), node);
      await client.query('INSERT INTO audit_nodes (level, idx, hash) VALUES ($1, $2, $3)', [parent.level, parent.index, node]);
    }
    for (const partner of partiesOf([event.sender, event.recipient])) {
      await client.query('INSERT INTO audit_parties (partner, idx) VALUES ($1, $2) ON CONFLICT DO NOTHING', [partner, index]);
    }
    return index;
  }

  async node(level: number, index: number, db: Queryable = this.pool): Promise<string> {
    const rows = level === 0
      ? await run<{ hash: string }>(db, 'SELECT leaf_hash AS hash FROM audit_log WHERE idx = $1', [index])
      : await run<{ hash: string }>(db, 'SELECT hash FROM audit_nodes WHERE level = $1 AND idx = $2', [level, index]);
    if (rows.length === 0) throw new Error(`the audit tree has no node at level ${level}, index ${index}`);
    return rows[0]!.hash;
  }

  async size(): Promise<number> {
    // Indexes run from 0 without a gap (see the sequencer above), so the size is MAX + 1.
    return (await run<{ n: number }>(this.pool, 'SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM audit_log'))[0]!.n;
  }

  async entries(start: number, end: number, limit: number): Promise<StoredAuditEntry[]> {
    return (await run<EntryRow>(this.pool, 'SELECT idx, entry, leaf_hash FROM audit_log WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT $3', [start, end, limit])).map(toStoredEntry);
  }

  async entriesNaming(partnerId: string, start: number, end: number, limit: number): Promise<StoredAuditEntry[]> {
    const rows = await run<EntryRow>(
      this.pool,
      `SELECT l.idx, l.entry, l.leaf_hash FROM audit_parties p JOIN audit_log l ON l.idx = p.idx
       WHERE p.partner = $1 AND p.idx >= $2 AND p.idx < $3 ORDER BY p.idx LIMIT $4`,
      [partnerId, start, end, limit],
    );
    return rows.map(toStoredEntry);
  }

  async latestCheckpoint(): Promise<SignedCheckpoint | undefined> {
    const [row] = await run<CheckpointRow>(this.pool, 'SELECT * FROM checkpoints ORDER BY tree_size DESC LIMIT 1');
    return row ? toCheckpoint(row) : undefined;
  }

  async findCheckpoint(treeSize: number, db: Queryable = this.pool): Promise<SignedCheckpoint | undefined> {
    const [row] = await run<CheckpointRow>(db, 'SELECT * FROM checkpoints WHERE tree_size = $1', [treeSize]);
    return row ? toCheckpoint(row) : undefined;
  }

  async saveCheckpoint(checkpoint: SignedCheckpoint): Promise<{ checkpoint: SignedCheckpoint; created: boolean }> {
    const inserted = await run(
      this.pool,
      'INSERT INTO checkpoints (tree_size, root_hash, timestamp, signature) VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size) DO NOTHING RETURNING tree_size',
      [checkpoint.treeSize, checkpoint.rootHash, checkpoint.timestamp, checkpoint.signature],
    );
    return { checkpoint: (await this.findCheckpoint(checkpoint.treeSize))!, created: inserted.length === 1 };
  }

  async addCosignature(checkpoint: Checkpoint, cosignature: Cosignature): Promise<{ cosignature: Cosignature; created: boolean }> {
    const inserted = await run(
      this.pool,
      'INSERT INTO cosignatures (tree_size, partner, signature, signed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING partner',
      [checkpoint.treeSize, cosignature.partner, cosignature.signature, cosignature.signedAt],
    );
    const [row] = await run<CosignatureRow>(this.pool, 'SELECT partner, signature, signed_at FROM cosignatures WHERE tree_size = $1 AND partner = $2', [checkpoint.treeSize, cosignature.partner]);
    return { cosignature: toCosignature(row!), created: inserted.length === 1 };
  }

  async cosignatures(treeSize: number): Promise<Cosignature[]> {
    return (await run<CosignatureRow>(this.pool, 'SELECT partner, signature, signed_at FROM cosignatures WHERE tree_size = $1 ORDER BY signed_at, partner', [treeSize])).map(toCosignature);
  }
}

