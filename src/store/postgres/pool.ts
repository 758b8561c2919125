/**
 * The PostgreSQL connections of the store: one pool per gateway process, and the fault mapping every
 * statement goes through.
 *
 * Limits chosen here (docs/operator.md, "PostgreSQL and several gateways"): POOL_SIZE connections per process; a statement waits at
 * most LOCK_TIMEOUT_MS for a lock (the audit sequencer, src/store/postgres/engine.ts) and a new
 * connection at most CONNECT_TIMEOUT_MS, after which the request fails with 503 instead of hanging.
 */
import pg from 'pg';
import { redactUrl } from '../../config/settings.js';
import { GatewayError } from '../../domain/errors.js';
import { takePostgresTls } from '../../tls/postgres.js';
import { storeUnavailable } from '../engine.js';

export const POOL_SIZE = 10;
export const LOCK_TIMEOUT_MS = 5000;
export const CONNECT_TIMEOUT_MS = 5000;

/** int8 (COUNT(*), BIGINT columns) as a number: audit indexes and counts stay far below 2^53. */
const INT8_OID = 20;
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** An SQL identifier that needs no quoting (a schema name given by tests or the URL's options). */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** `applicationName` shows in pg_stat_activity, so an operator sees which gateway holds what. */
export function createPool(opts: { url: string; schema?: string; lockTimeoutMs?: number; applicationName: string }): pg.Pool {
  if (opts.schema !== undefined && !IDENTIFIER.test(opts.schema)) throw new GatewayError('config_invalid', `${opts.schema} is not a plain PostgreSQL schema name (lower-case letters, digits and underscores).`);
  // node-postgres lets the URL's own `options` parameter (e.g. `-c search_path=passerelle`) replace
  // ours: it is taken out of the URL and kept after the lock timeout instead.
  const url = new URL(opts.url);
  const fromUrl = url.searchParams.get('options');
  url.searchParams.delete('options');
  const tls = takePostgresTls(url);
  const settings = [
    `-c lock_timeout=${Math.max(1, Math.trunc(opts.lockTimeoutMs ?? LOCK_TIMEOUT_MS))}`,
    ...(fromUrl === null ? [] : [fromUrl]),
    ...(opts.schema === undefined ? [] : [`-c search_path=${opts.schema}`]),
  ];
  const pool = new pg.Pool({
    connectionString: url.toString(),
    max: POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    options: settings.join(' '),
    types: TYPES,
    application_name: opts.applicationName,
    ssl: tls.ssl,
    sslnegotiation: tls.sslnegotiation,
  });
  // An idle connection that the server closes (restart, failover) must not crash the process: the
  // next query gets a new connection or a 503.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * SQLSTATE classes and codes meaning "the database cannot take this now" rather than a bug: connection
 * exceptions (08), insufficient resources (53), operator intervention (57: shutdown, cannot connect
 * now), serialization failure and deadlock (40001, 40P01), lock timeout (55P03), a read-only server
 * such as a replica after a failover (25006), disk full (53100) and I/O errors (58030).
 */
const UNAVAILABLE_CLASSES = ['08', '53', '57', '58'];
const UNAVAILABLE_CODES = new Set(['40001', '40P01', '55P03', '25006']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_CODES.has(code) || (code.length === 5 && UNAVAILABLE_CLASSES.includes(code.slice(0, 2))))) return true;
  // node-postgres reports a dropped connection or a pool timeout without a code.
  const message = err instanceof Error ? err.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed/i.test(message);
}

/** Rethrows a store fault as GatewayError('unavailable') (503, retry), anything else as it is. */
export function pgFault(err: unknown): never {
  if (err instanceof GatewayError) throw err;
  if (isUnavailable(err)) throw storeUnavailable(err);
  throw err;
}

/** The one-line error of a store that cannot be opened: names the setting, never the password. */
export function openFailure(url: string, err: unknown): GatewayError {
  return new GatewayError(
    'store_unavailable',
    `Cannot open the PostgreSQL store at ${redactUrl(url)} (PASSERELLE_DATABASE_URL): ${(err as Error).message}. Check that the server is running and reachable, that the database exists and that the user may create tables in it, or unset PASSERELLE_DATABASE_URL to use the embedded SQLite store.`,
    { cause: err },
  );
}
