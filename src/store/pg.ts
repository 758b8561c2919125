/**
 * The PostgreSQL store, chosen by PASSERELLE_DATABASE_URL: the same port and the same invariants as
 * the SQLite store (src/store/sqlite.ts), for several gateway processes sharing one database.
 *
 * What changes with several writers, and how it is kept:
 * - one audit log, one tree: every transaction that appends takes the audit sequencer first
 *   (src/store/pg-audit-tree.ts), so indexes are unique and gap-free across processes;
 * - idempotency: the sequencer is taken BEFORE the duplicate check, so of two gateways accepting the
 *   same message id at once the second reads the first's committed row and answers `duplicate`; the
 *   PRIMARY KEY on message_id turns any other race into `duplicate` too, never an error;
 * - the relay: pendingOutbox leases the rows it returns to this process (lease_owner, lease_until,
 *   claimed with FOR UPDATE SKIP LOCKED), so two relays do not publish the same row; a lease not
 *   renewed within OUTBOX_LEASE_SECONDS (its process died) is taken over by another relay, which is
 *   the only case where a row is published twice (at-least-once, recipients de-duplicate);
 * - commits are durable when PostgreSQL says so: synchronous_commit as configured on the server (see
 *   deploy/multi-node for a synchronous replica).
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { AuditEvent } from '../audit/entry.js';
import type { Checkpoint, Cosignature, SignedCheckpoint } from '../audit/checkpoint.js';
import { GatewayError } from '../domain/errors.js';
import type { StoredAuditEntry } from './audit-log.js';
import { messageEvent, toOutboxEntry, toRecord, type MessageRow, type OutboxRow } from './message-row.js';
import type { OutboxEntry } from './outbox.js';
import { PG_AUDIT_TREE_MIGRATIONS, PgAuditTree, takeSequencer } from './pg-audit-tree.js';
import { PG_DOSSIER_MIGRATIONS, PgDossiers } from './pg-dossiers.js';
import { migrate } from './pg-migrate.js';
import { createPool, inTransaction, openFailure, run, type Queryable } from './pg-pool.js';
import { assertSharedSecrets, PG_SECRETS_MIGRATIONS } from './pg-secrets.js';
import { PG_STATS_MIGRATIONS, PgStatistics } from './pg-stats.js';
import type { AcceptOutcome, MessageRecord, NewMessage, Store } from './store.js';

/**
 * How long a relay owns the outbox rows it read. Longer than a publish and its confirm take (the
 * publisher's confirm timeout is far below it), short enough that a dead gateway's rows leave within
 * a minute. The owner renews the lease at each read while it keeps retrying a row.
 */
export const OUTBOX_LEASE_SECONDS = 30;

/** Components of the PostgreSQL schema, each with its own numbered migrations (never edited once published). */
const MIGRATIONS: Readonly<Record<string, readonly string[]>> = {
  'audit-tree': PG_AUDIT_TREE_MIGRATIONS,
  core: [
    `CREATE TABLE messages (
       message_id       TEXT PRIMARY KEY,
       type             TEXT NOT NULL,
       version          INTEGER NOT NULL,
       sender           TEXT NOT NULL,
       recipient        TEXT NOT NULL,
       in_reply_to      TEXT,
       beneficiary      TEXT NOT NULL,
       payload_sha256   TEXT NOT NULL,
       status           TEXT NOT NULL CHECK (status IN ('accepted', 'queued', 'acknowledged', 'dead-lettered', 'expired')),
       audit_index      BIGINT NOT NULL,
       accepted_at      TEXT NOT NULL,
       queued_at        TEXT,
       acknowledged_at  TEXT,
       dead_lettered_at TEXT,
       receipt          TEXT,
       expired_at       TEXT
     );
     CREATE INDEX messages_beneficiary ON messages (beneficiary);
     CREATE INDEX messages_unanswered ON messages (type, status, accepted_at);
     CREATE TABLE outbox (
       seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       message_id  TEXT NOT NULL UNIQUE REFERENCES messages (message_id),
       body        TEXT NOT NULL,
       attempts    INTEGER NOT NULL DEFAULT 0,
       lease_owner TEXT,
       lease_until TIMESTAMPTZ
     );`,
  ],
  'write-probe': [`CREATE TABLE write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), probed_at TEXT NOT NULL);`],
  dossiers: PG_DOSSIER_MIGRATIONS,
  stats: PG_STATS_MIGRATIONS,
  secrets: PG_SECRETS_MIGRATIONS,
};

export interface PgStoreOptions {
  /** PASSERELLE_DATABASE_URL. */
  url: string;
  /** PASSERELLE_DATA_DIR: the dossier key-encryption key stays there (secrets/dossier.kek). */
  dataDir: string;
  /** A schema other than the connection's default (tests use one schema each). */
  schema?: string;
  /** How long a write waits for the audit sequencer before the request fails with 503 (LOCK_TIMEOUT_MS). */
  lockTimeoutMs?: number;
  /** OUTBOX_LEASE_SECONDS unless a test needs leases to expire sooner. */
  outboxLeaseSeconds?: number;
}

const UNIQUE_VIOLATION = '23505';

export class PgStore implements Store {
  private readonly auditTree: PgAuditTree;
  readonly dossiers: PgDossiers;
  readonly statistics: PgStatistics;

  private constructor(
    readonly pool: pg.Pool,
    /** This process's name on the outbox leases; its first 8 characters name its connections (application_name). */
    readonly relayId: string,
    dataDir: string,
    private readonly leaseSeconds: number,
  ) {
    this.auditTree = new PgAuditTree(pool);
    this.statistics = new PgStatistics(pool);
    this.dossiers = new PgDossiers(pool, { appendAudit: (client, event) => this.auditTree.append(client, event), transact: (work) => this.transact(work), dataDir });
  }

  static async open(options: PgStoreOptions): Promise<PgStore> {
    let pool: pg.Pool | undefined;
    const relayId = randomUUID();
    try {
      pool = createPool({ url: options.url, schema: options.schema, lockTimeoutMs: options.lockTimeoutMs, applicationName: `passerelle ${relayId.slice(0, 8)}` });
      await migrate(pool, MIGRATIONS);
      await assertSharedSecrets(pool, options.dataDir);
      const store = new PgStore(pool, relayId, options.dataDir, options.outboxLeaseSeconds ?? OUTBOX_LEASE_SECONDS);
      await store.probe();
      return store;
    } catch (err) {
      await pool?.end().catch(() => undefined);
      if (err instanceof GatewayError) throw err;
      throw openFailure(options.url, err);
    }
  }

  /** One transaction holding the audit sequencer: it sees every earlier writer's commit. */
  private transact<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, async (client) => {
      await takeSequencer(client);
      return work(client);
    });
  }

  private async getMessage(db: Queryable, messageId: string): Promise<MessageRecord | undefined> {
    const [row] = await run<MessageRow>(db, 'SELECT * FROM messages WHERE message_id = $1', [messageId]);
    return row ? toRecord(row) : undefined;
  }

  async accept(message: NewMessage): Promise<AcceptOutcome> {
    try {
      return await this.transact(async (client): Promise<AcceptOutcome> => {
        const existing = await this.getMessage(client, message.messageId);
        if (existing) return { kind: 'duplicate', existing };
        const auditIndex = await this.auditTree.append(client, {
          event: 'accepted',
          timestamp: message.acceptedAt,
          messageId: message.messageId,
          type: message.type,
          sender: message.sender,
          recipient: message.recipient,
          beneficiary: message.beneficiary,
          payloadSha256: message.payloadSha256,
        });
        await client.query(
          `INSERT INTO messages (message_id, type, version, sender, recipient, in_reply_to, beneficiary, payload_sha256, status, audit_index, accepted_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'accepted', $9, $10)`,
          [message.messageId, message.type, message.version, message.sender, message.recipient, message.inReplyTo ?? null, message.beneficiary, message.payloadSha256, auditIndex, message.acceptedAt],
        );
        if (message.outboxBody !== undefined) await client.query('INSERT INTO outbox (message_id, body) VALUES ($1, $2)', [message.messageId, message.outboxBody]);
        if (message.type === 'acknowledgement' && message.inReplyTo !== undefined) await this.acknowledge(client, message);
        await this.dossiers.applyAccepted(client, message);
        if (message.facts !== undefined) await this.statistics.record(message.messageId, message.facts, client);
        return { kind: 'accepted', auditIndex };
      });
    } catch (err) {
      // Only reachable if a writer skipped the sequencer: the id is taken, and nothing of ours was kept.
      if ((err as { code?: string }).code === UNIQUE_VIOLATION && (err as { constraint?: string }).constraint === 'messages_pkey') {
        const existing = await this.getMessage(this.pool, message.messageId);
        if (existing) return { kind: 'duplicate', existing };
      }
      throw err;
    }
  }

  /** The answered message becomes `acknowledged` once, and only by the party it was sent to. */
  private async acknowledge(client: Queryable, ack: NewMessage): Promise<void> {
    const original = await this.getMessage(client, ack.inReplyTo!);
    if (!original || original.recipient !== ack.sender || original.sender !== ack.recipient) return;
    // Final states stay final: an answer after expiry or dead-lettering is delivered, not a status change.
    if (original.status !== 'accepted' && original.status !== 'queued') return;
    await client.query("UPDATE messages SET status = 'acknowledged', acknowledged_at = $1 WHERE message_id = $2", [ack.acceptedAt, original.messageId]);
    await this.auditTree.append(client, messageEvent('acknowledged', ack.acceptedAt, original));
  }

  async saveReceipt(messageId: string, receipt: string): Promise<void> {
    await run(this.pool, 'UPDATE messages SET receipt = $1 WHERE message_id = $2 AND receipt IS NULL', [receipt, messageId]);
  }

  async findMessage(messageId: string): Promise<MessageRecord | undefined> {
    return this.getMessage(this.pool, messageId);
  }

  async recordEvent(event: AuditEvent): Promise<number> {
    return this.transact((client) => this.auditTree.append(client, event));
  }

  /**
   * Leases up to `limit` rows to this process, oldest first: rows nobody holds, rows whose lease
   * expired, and this process's own rows (the lease is renewed). Rows another live relay holds are
   * skipped, and so are rows locked by a transaction in progress (SKIP LOCKED: a markQueued about to
   * delete them).
   */
  async pendingOutbox(limit: number): Promise<OutboxEntry[]> {
    const rows = await run<OutboxRow & { seq: number }>(
      this.pool,
      `WITH claimed AS (
         UPDATE outbox o SET lease_owner = $1, lease_until = now() + make_interval(secs => $3)
         FROM (SELECT seq FROM outbox
               WHERE lease_owner IS NULL OR lease_owner = $1 OR lease_until < now()
               ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED) c
         WHERE o.seq = c.seq
         RETURNING o.seq, o.message_id, o.body, o.attempts)
       SELECT c.seq, c.message_id, c.body, c.attempts, m.recipient, m.type, m.sender, m.audit_index, m.accepted_at
       FROM claimed c JOIN messages m ON m.message_id = c.message_id ORDER BY c.seq`,
      [this.relayId, limit, this.leaseSeconds],
    );
    return rows.map(toOutboxEntry);
  }

  async markQueued(messageId: string, queuedAt: string): Promise<void> {
    await this.transact(async (client) => {
      const removed = await client.query('DELETE FROM outbox WHERE message_id = $1', [messageId]);
      // A second confirm of the same row (at-least-once relay, or another relay's) changes nothing and audits nothing.
      if (removed.rowCount === 0) return;
      const message = (await this.getMessage(client, messageId))!;
      await client.query("UPDATE messages SET queued_at = $1, status = CASE WHEN status = 'accepted' THEN 'queued' ELSE status END WHERE message_id = $2", [queuedAt, messageId]);
      await this.auditTree.append(client, messageEvent('queued', queuedAt, message));
    });
  }

  async markDeadLettered(messageId: string, deadLetteredAt: string): Promise<'marked' | 'unchanged' | 'unknown'> {
    return this.transact(async (client): Promise<'marked' | 'unchanged' | 'unknown'> => {
      const message = await this.getMessage(client, messageId);
      if (!message) return 'unknown';
      // A copy of a dead letter that comes twice changes nothing; a recipient's acknowledgement stands.
      if (message.status !== 'accepted' && message.status !== 'queued') return 'unchanged';
      await client.query("UPDATE messages SET status = 'dead-lettered', dead_lettered_at = $1 WHERE message_id = $2", [deadLetteredAt, messageId]);
      await this.auditTree.append(client, messageEvent('dead-lettered', deadLetteredAt, message));
      return 'marked';
    });
  }

  async recordPublishFailure(messageId: string): Promise<void> {
    await run(this.pool, 'UPDATE outbox SET attempts = attempts + 1 WHERE message_id = $1', [messageId]);
  }

  async outboxDepth(): Promise<number> {
    return (await run<{ n: number }>(this.pool, 'SELECT COUNT(*) AS n FROM outbox'))[0]!.n;
  }

  async auditSize(): Promise<number> {
    return this.auditTree.size();
  }

  async readAuditEntries(start: number, end: number, limit: number): Promise<StoredAuditEntry[]> {
    return this.auditTree.entries(start, end, limit);
  }

  async readAuditEntriesNaming(partnerId: string, start: number, end: number, limit: number): Promise<StoredAuditEntry[]> {
    return this.auditTree.entriesNaming(partnerId, start, end, limit);
  }

  async auditNode(level: number, index: number): Promise<string> {
    return this.auditTree.node(level, index);
  }

  async latestCheckpoint(): Promise<SignedCheckpoint | undefined> {
    return this.auditTree.latestCheckpoint();
  }

  async findCheckpoint(treeSize: number): Promise<SignedCheckpoint | undefined> {
    return this.auditTree.findCheckpoint(treeSize);
  }

  async saveCheckpoint(checkpoint: SignedCheckpoint): Promise<{ checkpoint: SignedCheckpoint; created: boolean }> {
    return this.auditTree.saveCheckpoint(checkpoint);
  }

  async addCosignature(checkpoint: Checkpoint, cosignature: Cosignature): Promise<{ cosignature: Cosignature; created: boolean }> {
    return this.auditTree.addCosignature(checkpoint, cosignature);
  }

  async cosignatures(treeSize: number): Promise<Cosignature[]> {
    return this.auditTree.cosignatures(treeSize);
  }

  /** A committed one-row write: fails on a read-only server (a replica after failover) or a full disk. */
  private async probe(): Promise<void> {
    await this.pool.query('INSERT INTO write_probe (id, probed_at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at', [new Date().toISOString()]);
  }

  async checkWritable(): Promise<void> {
    try {
      await this.probe();
    } catch (err) {
      throw new GatewayError('store_unavailable', `The PostgreSQL store cannot take writes: ${(err as Error).message}.`, { cause: err });
    }
  }

  /** Hands this process's unpublished leases back at once, then closes the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.query('UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1', [this.relayId]).catch(() => undefined);
    await this.pool.end();
  }

  private closed = false;
}

