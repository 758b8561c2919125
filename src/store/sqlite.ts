/**
 * The embedded store: SQLite through better-sqlite3, one file under PASSERELLE_DATA_DIR.
 *
 * WAL journal with synchronous=FULL: a commit has reached the disk before the 202 leaves. better-sqlite3
 * is synchronous, so each transaction below runs without interleaving with other requests of this
 * process; BEGIN IMMEDIATE takes the write lock at once, so a second process on the same file waits
 * (busy_timeout) instead of failing half-way.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { toEntry, entryBytes, leafHash, type AuditEvent } from '../audit/entry.js';
import { GatewayError } from '../domain/errors.js';
import type { OutboxEntry } from './outbox.js';
import type { Checkpoint, Cosignature, SignedCheckpoint } from '../audit/checkpoint.js';
import type { StoredAuditEntry } from './audit-log.js';
import { AUDIT_TREE_MIGRATIONS, SqliteAuditTree } from './sqlite-audit-tree.js';
import { DOSSIER_MIGRATIONS, SqliteDossiers } from './sqlite-dossiers.js';
import { SqliteStatistics, STATS_MIGRATIONS } from './sqlite-stats.js';
import type { AcceptOutcome, MessageRecord, NewMessage, Store } from './store.js';
import { toOutboxEntry, toRecord, type MessageRow, type OutboxRow } from './message-row.js';
import { probeWrite, WRITE_PROBE_MIGRATIONS } from './sqlite-write-probe.js';
import { GroupCommit } from './sqlite-group-commit.js';
import { WalCheckpointer } from './sqlite-wal-checkpoint.js';

/**
 * Schema migrations, per component, applied in order at open. A component is one concept of the store
 * (messages and outbox, audit tree, dossiers, ...): each numbers its own migrations, so that concepts
 * added side by side never compete for a version number. Published migrations are never edited.
 */
const MIGRATIONS: Readonly<Record<string, readonly string[]>> = {
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
     status           TEXT NOT NULL CHECK (status IN ('accepted', 'queued', 'acknowledged', 'dead-lettered')),
     audit_index      INTEGER NOT NULL,
     accepted_at      TEXT NOT NULL,
     queued_at        TEXT,
     acknowledged_at  TEXT,
     dead_lettered_at TEXT,
     receipt          TEXT
   ) STRICT;
   CREATE INDEX messages_beneficiary ON messages (beneficiary);
   CREATE TABLE outbox (
     seq        INTEGER PRIMARY KEY AUTOINCREMENT,
     message_id TEXT NOT NULL UNIQUE REFERENCES messages (message_id),
     body       TEXT NOT NULL,
     attempts   INTEGER NOT NULL DEFAULT 0
   ) STRICT;
   CREATE TABLE audit_log (
     idx       INTEGER PRIMARY KEY,
     entry     TEXT NOT NULL,
     leaf_hash TEXT NOT NULL
   ) STRICT;`,
  ],
  'audit-tree': AUDIT_TREE_MIGRATIONS,
  'write-probe': WRITE_PROBE_MIGRATIONS,
  dossiers: DOSSIER_MIGRATIONS,
  stats: STATS_MIGRATIONS,
};

/** SQLite error codes that mean "the disk or file cannot take this write" rather than a bug. */
const UNAVAILABLE_CODES = new Set(['SQLITE_READONLY', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_BUSY', 'SQLITE_CANTOPEN', 'SQLITE_CORRUPT']);

function storeFault(err: unknown): never {
  const code = (err as { code?: string }).code ?? '';
  if ([...UNAVAILABLE_CODES].some((c) => code.startsWith(c))) {
    throw new GatewayError('unavailable', 'The gateway cannot store messages right now; nothing was accepted. Retry later.', { cause: err });
  }
  throw err;
}

export interface SqliteStoreOptions {
  dataDir: string;
  /** File name inside dataDir; tests may use several stores in one folder. */
  fileName?: string;
  /** How long a write waits for another writer's lock before the request fails with 503. */
  busyTimeoutMs?: number;
}

export class SqliteStore implements Store {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly auditTree: SqliteAuditTree;
  /** Accepts, receipts, audit events and queued marks share durable transactions (src/store/sqlite-group-commit.ts). */
  private readonly group: GroupCommit;
  /** WAL checkpoints on a worker thread instead of inside a commit on the main thread. */
  private readonly checkpoints: WalCheckpointer;
  /** Subjects, encrypted dossiers, followers and opt-outs (src/store/dossiers.ts). */
  readonly dossiers: SqliteDossiers;
  /** One row of categories per accepted message, for the statistics (src/store/sqlite-stats.ts). */
  readonly statistics: SqliteStatistics;

  private constructor(file: string, db: Database.Database, dataDir: string) {
    this.file = file;
    this.db = db;
    this.auditTree = new SqliteAuditTree(db);
    this.group = new GroupCommit(db);
    this.checkpoints = new WalCheckpointer(db, file);
    this.statistics = new SqliteStatistics(db);
    // A person's subject is created at first sight, during the checks of a message, in a transaction of
    // its own: it needs no fsync of its own (one more, blocking the event loop, per new person). The
    // acceptance that names it commits after it in the WAL, so that commit's sync makes it durable
    // too; and a subject that no accepted message names is forgotten a day later anyway.
    this.dossiers = new SqliteDossiers(db, {
      appendAudit: (event) => this.appendAudit(event),
      transact: (work) => this.transact(work),
      transactWithoutSync: (work) => this.transact(work, { sync: false }),
      dataDir,
    });
  }

  static open(options: SqliteStoreOptions): SqliteStore {
    const file = path.join(options.dataDir, options.fileName ?? 'passerelle.sqlite');
    let db: Database.Database;
    try {
      fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
      db = new Database(file);
      cacheStatements(db);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      migrate(db);
      // SQLite opens a file it cannot write read-only without an error: fail at start, not on every request.
      probeWrite(db, new Date().toISOString());
    } catch (err) {
      throw new GatewayError(
        'store_unavailable',
        `Cannot open the store ${file} (PASSERELLE_DATA_DIR): ${(err as Error).message}. Check that the directory exists and is writable, or set PASSERELLE_DATA_DIR.`,
        { cause: err },
      );
    }
    return new SqliteStore(file, db, options.dataDir);
  }

  /**
   * One immediate transaction, with the store's fault mapping (for components such as the dossiers).
   * `sync: false` commits without waiting for the disk (synchronous=NORMAL for this commit only); the
   * pragma cannot change inside a transaction, so a nested call keeps the outer one's level.
   */
  private transact<T>(work: () => T, opts: { sync: boolean } = { sync: true }): T {
    const relax = !opts.sync && !this.db.inTransaction;
    if (relax) this.db.prepare('PRAGMA synchronous = NORMAL').run();
    try {
      return this.db.transaction(work).immediate();
    } catch (err) {
      return storeFault(err);
    } finally {
      if (relax) this.db.prepare('PRAGMA synchronous = FULL').run();
    }
  }

  private appendAudit(event: AuditEvent): number {
    const row = this.db.prepare('SELECT COALESCE(MAX(idx) + 1, 0) AS next FROM audit_log').get() as { next: number };
    const entry = toEntry(row.next, event);
    const bytes = entryBytes(entry);
    const hash = leafHash(bytes);
    this.db.prepare('INSERT INTO audit_log (idx, entry, leaf_hash) VALUES (?, ?, ?)').run(row.next, bytes.toString('utf8'), hash);
    this.auditTree.append(row.next, hash, [event.sender, event.recipient]);
    return row.next;
  }

  private getMessage(messageId: string): MessageRecord | undefined {
    const row = this.db.prepare('SELECT * FROM messages WHERE message_id = ?').get(messageId) as MessageRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  async accept(message: NewMessage): Promise<AcceptOutcome> {
    const run = this.db.transaction((): AcceptOutcome => {
      const existing = this.getMessage(message.messageId);
      if (existing) return { kind: 'duplicate', existing };
      const auditIndex = this.appendAudit({
        event: 'accepted',
        timestamp: message.acceptedAt,
        messageId: message.messageId,
        type: message.type,
        sender: message.sender,
        recipient: message.recipient,
        beneficiary: message.beneficiary,
        payloadSha256: message.payloadSha256,
      });
      this.db.prepare(
          `INSERT INTO messages (message_id, type, version, sender, recipient, in_reply_to, beneficiary, payload_sha256, status, audit_index, accepted_at)
           VALUES (@messageId, @type, @version, @sender, @recipient, @inReplyTo, @beneficiary, @payloadSha256, 'accepted', @auditIndex, @acceptedAt)`,
        ).run({ ...message, inReplyTo: message.inReplyTo ?? null, auditIndex });
      if (message.outboxBody !== undefined) this.db.prepare('INSERT INTO outbox (message_id, body) VALUES (?, ?)').run(message.messageId, message.outboxBody);
      if (message.type === 'acknowledgement' && message.inReplyTo !== undefined) this.acknowledge(message);
      this.dossiers.applyAccepted(message);
      if (message.facts !== undefined) this.statistics.record(message.messageId, message.facts);
      return { kind: 'accepted', auditIndex };
    });
    try {
      return await this.group.run(() => run.immediate());
    } catch (err) {
      return storeFault(err);
    }
  }

  /** The answered message becomes `acknowledged` once, and only by the party it was sent to. */
  private acknowledge(ack: NewMessage): void {
    const original = this.getMessage(ack.inReplyTo!);
    if (!original || original.recipient !== ack.sender || original.sender !== ack.recipient) return;
    // Final states stay final: an answer after expiry or dead-lettering is delivered, not a status change.
    if (original.status !== 'accepted' && original.status !== 'queued') return;
    this.db.prepare("UPDATE messages SET status = 'acknowledged', acknowledged_at = ? WHERE message_id = ?").run(ack.acceptedAt, original.messageId);
    this.appendAudit({
      event: 'acknowledged',
      timestamp: ack.acceptedAt,
      messageId: original.messageId,
      type: original.type,
      sender: original.sender,
      recipient: original.recipient,
      beneficiary: original.beneficiary,
    });
  }

  /**
   * Kept for replays only, so nobody waits for it: it joins the next group transaction (a deferred
   * write) and this resolves at once. findMessage settles pending writes before it reads, so a replay
   * finds the receipt; one that could not be written is signed again by the replay.
   */
  async saveReceipt(messageId: string, receipt: string): Promise<void> {
    void this.group
      .run(() => this.db.prepare('UPDATE messages SET receipt = ? WHERE message_id = ? AND receipt IS NULL').run(receipt, messageId), { deferred: true })
      .catch(() => undefined);
  }

  async findMessage(messageId: string): Promise<MessageRecord | undefined> {
    if (this.getMessage(messageId) === undefined) return undefined;
    // Found: what the caller answers about it (a replay's 200, a status) must be on disk already, and
    // its receipt, if one was signed, written (receipts are deferred writes).
    await this.group.settled();
    return this.getMessage(messageId);
  }

  async recordEvent(event: AuditEvent): Promise<number> {
    try {
      return await this.group.run(() => this.appendAudit(event));
    } catch (err) {
      return storeFault(err);
    }
  }

  async pendingOutbox(limit: number): Promise<OutboxEntry[]> {
    const rows = this.db
      .prepare(
        `SELECT o.message_id, o.body, o.attempts, m.recipient, m.type, m.sender, m.audit_index, m.accepted_at
         FROM outbox o JOIN messages m ON m.message_id = o.message_id ORDER BY o.seq LIMIT ?`,
      )
      .all(limit) as OutboxRow[];
    // Rows of a group transaction are visible before its WAL sync: publishing one then would deliver a
    // message that a crash could still remove from the store and its audit log. Every row read here
    // was committed by a batch counted now, so waiting for those batches is enough.
    await this.group.synced();
    return rows.map(toOutboxEntry);
  }

  async markQueued(messageId: string, queuedAt: string): Promise<void> {
    const run = this.db.transaction(() => {
      const removed = this.db.prepare('DELETE FROM outbox WHERE message_id = ?').run(messageId);
      // A second confirm of the same row (at-least-once relay) changes nothing and audits nothing.
      if (removed.changes === 0) return;
      const message = this.getMessage(messageId)!;
      this.db.prepare("UPDATE messages SET queued_at = ?, status = CASE WHEN status = 'accepted' THEN 'queued' ELSE status END WHERE message_id = ?").run(queuedAt, messageId);
      this.appendAudit({
        event: 'queued',
        timestamp: queuedAt,
        messageId,
        type: message.type,
        sender: message.sender,
        recipient: message.recipient,
        beneficiary: message.beneficiary,
      });
    });
    try {
      await this.group.run(() => run.immediate(), { deferred: true });
    } catch (err) {
      storeFault(err);
    }
  }

  async markDeadLettered(messageId: string, deadLetteredAt: string): Promise<'marked' | 'unchanged' | 'unknown'> {
    const run = this.db.transaction((): 'marked' | 'unchanged' | 'unknown' => {
      const message = this.getMessage(messageId);
      if (!message) return 'unknown';
      // A copy of a dead letter that comes twice changes nothing; a recipient's acknowledgement stands.
      if (message.status !== 'accepted' && message.status !== 'queued') return 'unchanged';
      this.db.prepare("UPDATE messages SET status = 'dead-lettered', dead_lettered_at = ? WHERE message_id = ?").run(deadLetteredAt, messageId);
      this.appendAudit({
        event: 'dead-lettered',
        timestamp: deadLetteredAt,
        messageId,
        type: message.type,
        sender: message.sender,
        recipient: message.recipient,
        beneficiary: message.beneficiary,
      });
      return 'marked';
    });
    try {
      return run.immediate();
    } catch (err) {
      return storeFault(err);
    }
  }

  async recordPublishFailure(messageId: string): Promise<void> {
    try {
      this.db.prepare('UPDATE outbox SET attempts = attempts + 1 WHERE message_id = ?').run(messageId);
    } catch (err) {
      storeFault(err);
    }
  }

  async outboxDepth(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;
  }

  // The audit readers answer only with what is on disk (see pendingOutbox): an entry that a crash could
  // still remove, once shown to an auditor, would look like a fork of the log when its index is reused.
  async auditSize(): Promise<number> {
    const size = (this.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
    await this.group.synced();
    return size;
  }

  /** Raw audit rows, for tests and (later) the audit endpoints. */
  auditEntries(start: number, end: number): Array<{ index: number; entry: string; leafHash: string }> {
    return (this.db.prepare('SELECT idx, entry, leaf_hash FROM audit_log WHERE idx >= ? AND idx < ? ORDER BY idx').all(start, end) as Array<{ idx: number; entry: string; leaf_hash: string }>).map((r) => ({
      index: r.idx,
      entry: r.entry,
      leafHash: r.leaf_hash,
    }));
  }

  async readAuditEntries(start: number, end: number, limit: number): Promise<StoredAuditEntry[]> {
    const entries = this.auditTree.entries(start, end, limit);
    await this.group.synced();
    return entries;
  }

  async readAuditEntriesNaming(partnerId: string, start: number, end: number, limit: number): Promise<StoredAuditEntry[]> {
    const entries = this.auditTree.entriesNaming(partnerId, start, end, limit);
    await this.group.synced();
    return entries;
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
    try {
      return this.auditTree.saveCheckpoint(checkpoint);
    } catch (err) {
      return storeFault(err);
    }
  }

  async addCosignature(checkpoint: Checkpoint, cosignature: Cosignature): Promise<{ cosignature: Cosignature; created: boolean }> {
    try {
      return this.auditTree.addCosignature(checkpoint, cosignature);
    } catch (err) {
      return storeFault(err);
    }
  }

  async cosignatures(treeSize: number): Promise<Cosignature[]> {
    return this.auditTree.cosignatures(treeSize);
  }

  async checkWritable(): Promise<void> {
    try {
      probeWrite(this.db, new Date().toISOString());
    } catch (err) {
      throw new GatewayError('store_unavailable', `The store ${this.file} cannot take writes: ${(err as Error).message}.`, { cause: err });
    }
  }

  async close(): Promise<void> {
    await this.checkpoints.close();
    if (this.db.open) await this.group.close();
    if (this.db.open) this.db.close();
  }
}

/** Compiled statements kept per connection; past this many distinct SQL texts the cache starts again (a bound on mistakes: the store's SQL is static text). */
const STATEMENT_CACHE_LIMIT = 500;

/**
 * better-sqlite3 compiles the SQL on every prepare(), which costs about as much as running a small
 * statement, and the store's components prepare per call: the connection keeps each compiled
 * statement by its SQL text. A cached statement is shared, so no component may switch its mode
 * (pluck, raw, expand) or iterate it while another runs it: none does.
 */
function cacheStatements(db: Database.Database): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      if (cache.size >= STATEMENT_CACHE_LIMIT) cache.clear();
      statement = prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  }) as typeof db.prepare;
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (component, version)) STRICT');
  for (const [component, steps] of Object.entries(MIGRATIONS)) {
    const applied = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations WHERE component = ?').get(component) as { v: number }).v;
    if (applied > steps.length) {
      throw new Error(`the store was written by a newer Passerelle (${component} schema version ${applied}, this one knows ${steps.length})`);
    }
    for (let version = applied + 1; version <= steps.length; version++) {
      db.transaction(() => {
        db.exec(steps[version - 1]!);
        db.prepare('INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)').run(component, version, new Date().toISOString());
      }).immediate();
    }
  }
}
