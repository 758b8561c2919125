/**
 * The PostgreSQL engine, chosen by PASSERELLE_DATABASE_URL, for several gateway processes sharing one
 * database. What changes with several writers, and how it is kept:
 * - one audit log, one tree: every serialised write transaction first locks the one row of
 *   `audit_sequencer` (SELECT ... FOR UPDATE), held until COMMIT or ROLLBACK, so appenders run one at a
 *   time across every process and see each other's commits in order, as SQLite's single writer does;
 *   a check repeated inside an acceptance (opt-out, referrer, subject) cannot be overtaken by an
 *   erasure committed by another gateway meanwhile; of two gateways accepting one message id, the
 *   second reads the first's row and answers `duplicate`;
 * - the relay: claimOutbox leases the rows it returns to this process (lease_owner, lease_until,
 *   claimed with FOR UPDATE SKIP LOCKED), so two relays do not publish the same row; a lease not
 *   renewed within OUTBOX_LEASE_SECONDS (its process died) is taken over by another relay, the only
 *   case where a row is published twice (at-least-once; recipients de-duplicate); a row a gateway
 *   accepts for its own relay, which publishes it from memory, is leased to it from its INSERT on
 *   (writerLease), so after a crash its rows wait for the lease to run out like the rows it had read;
 * - commits are durable when PostgreSQL says so: synchronous_commit as configured on the server (see
 *   deploy/multi-node for a synchronous replica).
 */
import { randomUUID } from 'node:crypto';
import { Kysely, Migrator, PostgresDialect, sql as raw } from 'kysely';
import type pg from 'pg';
import { GatewayError } from '../../domain/errors.js';
import type { Engine, NewOutboxRow, OutboxLease, OutboxRow, ReadOptions, WriteOptions } from '../engine.js';
import { migrations } from '../migrations.js';
import type { Tables } from '../tables.js';
import { drive, template, type Statement, type StatementResult, type Tx } from '../transaction.js';
import { createPool, openFailure, pgFault } from './pool.js';

/**
 * How long a relay owns the outbox rows it read. Longer than a publish and its confirm take (the
 * publisher's confirm timeout is far below it), short enough that a dead gateway's rows leave within a
 * minute. The owner renews the lease at each read while it keeps retrying a row.
 */
export const OUTBOX_LEASE_SECONDS = 30;

/** A row this process's relay publishes from memory, leased to it from its INSERT (Engine.writerLease). */
const INSERT_LEASED_OUTBOX = template((sql, p: NewOutboxRow & { owner: string; seconds: number }) =>
  sql.insertInto('outbox').values({
    message_id: p.messageId,
    body: p.body,
    trace_parent: p.traceparent,
    trace_state: p.tracestate,
    lease_owner: p.owner,
    lease_until: raw<Date>`now() + make_interval(secs => ${p.seconds})`,
  }),
);

export interface PgEngineOptions {
  /** PASSERELLE_DATABASE_URL. */
  url: string;
  /** A schema other than the connection's default (tests use one schema each). */
  schema?: string;
  /** How long a write waits for the audit sequencer before the request fails with 503 (LOCK_TIMEOUT_MS). */
  lockTimeoutMs?: number;
  /** OUTBOX_LEASE_SECONDS unless a test needs leases to expire sooner. */
  outboxLeaseSeconds?: number;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

function execOn(db: Queryable): (statement: Statement) => Promise<StatementResult> {
  return async (statement) => {
    const result = await db.query({ text: statement.sql, values: statement.parameters as unknown[] });
    return { rows: result.rows, changes: result.rowCount ?? 0 };
  };
}

export class PgEngine implements Engine {
  readonly dialect = 'postgres';
  readonly writerLease: OutboxLease;
  private closed = false;

  private constructor(
    readonly pool: pg.Pool,
    readonly sql: Kysely<Tables>,
    /** This process's name on the outbox leases; its first 8 characters name its connections (application_name). */
    readonly relayId: string,
    private readonly leaseSeconds: number,
  ) {
    this.writerLease = { seconds: leaseSeconds, insert: (builder, row) => INSERT_LEASED_OUTBOX(builder, { ...row, owner: relayId, seconds: leaseSeconds }) };
  }

  static async open(options: PgEngineOptions): Promise<PgEngine> {
    const relayId = randomUUID();
    let pool: pg.Pool | undefined;
    try {
      pool = createPool({ url: options.url, schema: options.schema, lockTimeoutMs: options.lockTimeoutMs, applicationName: `passerelle ${relayId.slice(0, 8)}` });
      // Never destroyed: that would end the pool, which close() ends itself.
      const sql = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
      const { rows } = await pool.query<{ schema: string }>('SELECT current_schema() AS schema');
      const schema = rows[0]!.schema;
      // Kysely runs the list in one transaction under a session advisory lock: gateways starting together wait for each other.
      const migrator = new Migrator({ db: sql, migrationTableSchema: schema, provider: { getMigrations: async () => migrations({ dialect: 'postgres', schema }) } });
      const { error } = await migrator.migrateToLatest();
      if (error !== undefined) throw error;
      return new PgEngine(pool, sql, relayId, options.outboxLeaseSeconds ?? OUTBOX_LEASE_SECONDS);
    } catch (err) {
      await pool?.end().catch(() => undefined);
      if (err instanceof GatewayError) throw err;
      throw openFailure(options.url, err);
    }
  }

  /** Runs `work` in one transaction on one connection; any error rolls it back. */
  private async transaction<T>(begin: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      return pgFault(err);
    }
    let broken = false;
    // node-postgres also emits a lost connection as an 'error' event on a checked-out client, which
    // would crash the process unheard; the failing statement reports it to the transaction.
    const lost = (): void => {
      broken = true;
    };
    client.on('error', lost);
    let committing = false;
    try {
      await client.query(begin);
      const result = await work(client);
      committing = true;
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      // The connection went during COMMIT: the server may have committed or not. An error the server
      // answered (an SQLSTATE) means it did not.
      const code = (err as { code?: unknown }).code;
      if (committing && !(typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code))) throw new GatewayError('outcome_unknown', undefined, { cause: err });
      return pgFault(err);
    } finally {
      client.off('error', lost);
      // A connection whose rollback failed is in an unknown state: the pool must not hand it out again.
      client.release(broken);
    }
  }

  write<T>(work: () => Tx<T>, options: WriteOptions = {}): Promise<T> {
    return this.transaction('BEGIN', async (client) => {
      if (options.serialised ?? true) await client.query('SELECT id FROM audit_sequencer FOR UPDATE');
      return drive(work(), execOn(client));
    });
  }

  async read<T>(work: () => Tx<T>, options: ReadOptions = {}): Promise<T> {
    if (options.consistent) return this.transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (client) => drive(work(), execOn(client)));
    try {
      return await drive(work(), execOn(this.pool));
    } catch (err) {
      return pgFault(err);
    }
  }

  /** Every commit is durable when it returns. */
  async settle(): Promise<void> {}

  /**
   * Leases up to `limit` rows to this process, oldest first: rows nobody holds, rows whose lease
   * expired, and this process's own rows (the lease is renewed). Rows another live relay holds are
   * skipped, and so are rows locked by a transaction in progress (SKIP LOCKED: a markQueued about to
   * delete them).
   */
  async claimOutbox(limit: number): Promise<OutboxRow[]> {
    try {
      const claimed = await raw<OutboxRow>`
        WITH claimed AS (
          UPDATE outbox o SET lease_owner = ${this.relayId}, lease_until = now() + make_interval(secs => ${this.leaseSeconds})
          FROM (SELECT seq FROM outbox
                WHERE lease_owner IS NULL OR lease_owner = ${this.relayId} OR lease_until < now()
                ORDER BY seq LIMIT ${limit} FOR UPDATE SKIP LOCKED) c
          WHERE o.seq = c.seq
          RETURNING o.seq, o.message_id, o.body, o.attempts, o.trace_parent, o.trace_state)
        SELECT c.message_id, c.body, c.attempts, m.recipient, m.type, m.sender, m.audit_index, m.accepted_at, c.trace_parent, c.trace_state
        FROM claimed c JOIN messages m ON m.message_id = c.message_id ORDER BY c.seq`.execute(this.sql);
      return claimed.rows;
    } catch (err) {
      return pgFault(err);
    }
  }

  /** Hands this process's unpublished leases back at once, then closes the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.query('UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1', [this.relayId]).catch(() => undefined);
    await this.pool.end();
  }
}
