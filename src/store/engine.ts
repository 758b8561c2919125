/**
 * What a database engine gives the store: running transactions (src/store/transaction.ts) with the
 * engine's durability and locking, and the few things that are locking rather than business (who
 * publishes which outbox row). The engines (src/store/sqlite/, src/store/postgres/) hold only SQL
 * execution, connections, pooling, locking and fault mapping; no business rule.
 */
import { GatewayError } from '../domain/errors.js';
import type { Prepared, Sql, Tx } from './transaction.js';

export type Dialect = 'sqlite' | 'postgres';

export interface WriteOptions {
  /**
   * Nobody answers a partner on this write (a receipt kept for replays, a row marked queued after the
   * broker's confirm): the embedded engine may hold it briefly so that it shares a commit.
   */
  deferred?: boolean;
  /**
   * The promise may resolve once the write is committed and visible, before it is durable: for rows
   * that a later durable commit covers (a subject created at first sight, which the acceptance naming
   * it makes durable) or that are harmless to lose.
   */
  durable?: boolean;
  /**
   * The write appends to the audit log, or decides on rows that an acceptance changes: it must see
   * every earlier acceptance and exclude concurrent ones (default true). PostgreSQL takes the audit
   * sequencer for it; SQLite has one writer anyway.
   */
  serialised?: boolean;
}

export interface ReadOptions {
  /** Answer only once everything read is on disk: a row shown to a partner or an auditor must not be one a crash could still remove. */
  durable?: boolean;
  /** The read's statements see one snapshot (several statements whose answers must agree). */
  consistent?: boolean;
}

/** An outbox row joined with its message, as the relay reads it. */
export interface OutboxRow {
  message_id: string;
  body: string;
  attempts: number;
  recipient: string;
  type: string;
  sender: string;
  audit_index: number;
  accepted_at: string;
  trace_parent: string | null;
  trace_state: string | null;
}

/** An outbox row as an acceptance writes it. */
export interface NewOutboxRow {
  messageId: string;
  body: string;
  traceparent: string | null;
  tracestate: string | null;
}

/** How long an outbox row written for this process is held for it (claimOutbox skips it elsewhere meanwhile). */
export interface OutboxLease {
  seconds: number;
  /** The row's INSERT leased to this process, in the engine's own SQL (the lease runs on the database's clock, as claimOutbox's do). */
  insert(sql: Sql, row: NewOutboxRow): Prepared<unknown>;
}

export interface Engine {
  readonly dialect: Dialect;
  /** Compiles the business code's queries for this engine. */
  readonly sql: Sql;
  /** Runs a writing transaction; resolves once it is durable (see WriteOptions). Faults become GatewayError('unavailable'). */
  write<T>(work: () => Tx<T>, options?: WriteOptions): Promise<T>;
  /** Runs a read. */
  read<T>(work: () => Tx<T>, options?: ReadOptions): Promise<T>;
  /** Resolves once every write requested so far, deferred ones included, is durable. */
  settle(): Promise<void>;
  /** Outbox rows this process may publish now, oldest first, durable. */
  claimOutbox(limit: number): Promise<OutboxRow[]>;
  /**
   * With several relays on one outbox (PostgreSQL): the lease a row takes when it is written for this
   * process's relay, which is handed it in memory (OutboxPort.onCommitted), so that no other relay
   * publishes it too. Absent when one relay has the whole outbox (SQLite).
   */
  readonly writerLease?: OutboxLease;
  close(): Promise<void>;
}

/** What both engines answer when the database cannot take a statement now: 503, retry. */
export function storeUnavailable(cause: unknown): GatewayError {
  return new GatewayError('unavailable', 'The gateway cannot store messages right now; nothing was accepted. Retry later.', { cause });
}
