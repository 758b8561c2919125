/**
 * The embedded engine: SQLite through better-sqlite3, one file under PASSERELLE_DATA_DIR.
 *
 * WAL journal, synchronous=FULL, foreign keys on. better-sqlite3 is synchronous, so a transaction runs
 * without interleaving with other requests of this process: writes go through the group commit
 * (group-commit.ts: many writes, one commit and one off-thread WAL sync) and reads answer at once.
 * BEGIN IMMEDIATE takes the write lock at once, so a second process on the same file waits
 * (busy_timeout) instead of failing half-way.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { GatewayError } from '../../domain/errors.js';
import { storeUnavailable, type Engine, type OutboxRow, type ReadOptions, type WriteOptions } from '../engine.js';
import { migrations } from '../migrations.js';
import type { Tables } from '../tables.js';
import { drive, rows, template, type Statement, type StatementResult, type Tx } from '../transaction.js';
import { GroupCommit } from './group-commit.js';
import { WalCheckpointer } from './wal-checkpoint.js';

export interface SqliteEngineOptions {
  dataDir: string;
  /** File name inside dataDir; tests may use several stores in one folder. */
  fileName?: string;
  /** How long a write waits for another process's lock before the request fails with 503. */
  busyTimeoutMs?: number;
}

/** Compiled statements kept per connection; past this many distinct SQL texts the cache starts again (the store's SQL has a few dozen shapes). */
const STATEMENT_CACHE_LIMIT = 500;

/** SQLite error codes that mean "the disk or file cannot take this write" rather than a bug. */
const UNAVAILABLE_CODES = ['SQLITE_READONLY', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_BUSY', 'SQLITE_CANTOPEN', 'SQLITE_CORRUPT'];

function fault(err: unknown): never {
  if (err instanceof GatewayError) throw err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.some((c) => code.startsWith(c))) throw storeUnavailable(err);
  throw err;
}

/** better-sqlite3 binds Buffers, not other Uint8Arrays. */
function bindable(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
}

const PENDING = template((sql, p: { limit: number }) =>
  sql
    .selectFrom('outbox as o')
    .innerJoin('messages as m', 'm.message_id', 'o.message_id')
    .select(['o.message_id', 'o.body', 'o.attempts', 'm.recipient', 'm.type', 'm.sender', 'm.audit_index', 'm.accepted_at', 'o.trace_parent', 'o.trace_state'])
    .orderBy('o.seq')
    .limit(p.limit),
);

export class SqliteEngine implements Engine {
  readonly dialect = 'sqlite';
  private readonly statements = new Map<string, Database.Statement>();
  private readonly group: GroupCommit;
  /** WAL checkpoints on a worker thread instead of inside a commit on the main thread. */
  private readonly checkpoints: WalCheckpointer;

  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
    readonly sql: Kysely<Tables>,
  ) {
    this.group = new GroupCommit(db);
    this.checkpoints = new WalCheckpointer(db, file);
  }

  static async open(options: SqliteEngineOptions): Promise<SqliteEngine> {
    const file = path.join(options.dataDir, options.fileName ?? 'passerelle.sqlite');
    let db: Database.Database | undefined;
    try {
      fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      // Compiles only: statements run on `db` directly (exec), synchronously. Never destroyed: that would close `db`.
      const sql = new Kysely<Tables>({ dialect: new SqliteDialect({ database: db }) });
      await migrate(file, db, sql);
      return new SqliteEngine(file, db, sql);
    } catch (err) {
      db?.close();
      if (err instanceof GatewayError) throw err;
      throw new GatewayError(
        'store_unavailable',
        `Cannot open the store ${file} (PASSERELLE_DATA_DIR): ${(err as Error).message}. Check that the directory exists and is writable, or set PASSERELLE_DATA_DIR.`,
        { cause: err },
      );
    }
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      if (this.statements.size >= STATEMENT_CACHE_LIMIT) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private readonly exec = (statement: Statement): StatementResult => {
    const prepared = this.prepare(statement.sql);
    const parameters = statement.parameters.map(bindable);
    if (prepared.reader) {
      const found = prepared.all(...parameters);
      return { rows: found, changes: found.length };
    }
    return { rows: [], changes: prepared.run(...parameters).changes };
  };

  private runNow<T>(work: () => Tx<T>): T {
    return drive(work(), this.exec) as T;
  }

  async write<T>(work: () => Tx<T>, options: WriteOptions = {}): Promise<T> {
    try {
      return await this.group.run(() => this.runNow(work), { deferred: options.deferred ?? false, durable: options.durable ?? true });
    } catch (err) {
      return fault(err);
    }
  }

  async read<T>(work: () => Tx<T>, options: ReadOptions = {}): Promise<T> {
    let value: T;
    try {
      // One connection, synchronous: a read's statements see no write of this process in between; a
      // transaction is needed only against another process's commit between two of them.
      value = options.consistent ? this.db.transaction(() => this.runNow(work))() : this.runNow(work);
    } catch (err) {
      return fault(err);
    }
    // Rows of a group transaction are visible before its WAL sync; every row read here was committed
    // by a batch counted now, so waiting for those batches is enough.
    if (options.durable) await this.group.synced();
    return value;
  }

  settle(): Promise<void> {
    return this.group.settled();
  }

  /** One relay per file: every row is this process's to publish. */
  claimOutbox(limit: number): Promise<OutboxRow[]> {
    return this.read(() => rows(PENDING(this.sql, { limit })), { durable: true });
  }

  async close(): Promise<void> {
    await this.checkpoints.close();
    if (this.db.open) await this.group.close();
    if (this.db.open) this.db.close();
  }
}

/**
 * Migrations in progress in this process, by file. A second connection's BEGIN IMMEDIATE waits for the
 * lock synchronously (busy_timeout), blocking the event loop that the first needs to finish: two
 * stores opened at once on one file in one process (a test, a command beside the gateway's store)
 * take turns here instead; another process simply waits on the lock.
 */
const migrating = new Map<string, Promise<void>>();

/**
 * The migration list in one immediate transaction: atomic (Kysely runs SQLite migrations outside a
 * transaction of its own), and a second process opening the same file waits for it.
 */
async function migrate(file: string, db: Database.Database, sql: Kysely<Tables>): Promise<void> {
  const before = migrating.get(file);
  const run = (async () => {
    await before?.catch(() => undefined);
    const migrator = new Migrator({ db: sql, provider: { getMigrations: async () => migrations({ dialect: 'sqlite', schema: undefined }) } });
    db.exec('BEGIN IMMEDIATE');
    const { error } = await migrator.migrateToLatest();
    if (error !== undefined) {
      db.exec('ROLLBACK');
      throw error;
    }
    db.exec('COMMIT');
  })();
  migrating.set(file, run);
  try {
    await run;
  } finally {
    if (migrating.get(file) === run) migrating.delete(file);
  }
}
