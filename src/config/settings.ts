/**
 * Settings of the gateway and the CLI. This is the only module that reads process.env: every other
 * module receives a frozen Settings object. Each setting is validated here, so a wrong value stops the
 * process at start with one line naming the variable, never later in the middle of an exchange.
 */
import os from 'node:os';
import path from 'node:path';
import { GatewayError } from '../domain/errors.js';

export interface Settings {
  /** `production` refuses what only development may use (the published example trust directory). */
  readonly environment: 'development' | 'production';
  readonly host: string;
  readonly port: number;
  readonly certsDir: string;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  /** The embedded store on a thread of its own (src/store/store-thread.ts); never with databaseUrl. */
  readonly storeThread: boolean;
  readonly amqpUrl: string;
  readonly amqpPrefix: string;
  /** TLS to the broker (amqps:): the CA file that verifies it, and this process's client certificate and key. */
  readonly amqpCaFile: string | undefined;
  readonly amqpCertFile: string | undefined;
  readonly amqpKeyFile: string | undefined;
  /** Largest request body accepted, checked before any decryption. */
  readonly maxBodyBytes: number;
  /** Largest signed document accepted once decrypted and decompressed (compression bombs). */
  readonly maxDocumentBytes: number;
  readonly maxFutureSeconds: number;
  readonly maxAgeSeconds: number;
  /** Deliveries of one message to a consumer before RabbitMQ dead-letters it. */
  readonly deliveryLimit: number;
  readonly rateLimitPerMinute: number;
  readonly rateLimitBurst: number;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** How long SIGTERM waits for in-flight requests and the relay before closing anyway. */
  readonly shutdownTimeoutMs: number;
  /** A client must send its request headers within this delay (slow-loris), or gets 408. */
  readonly headersTimeoutMs: number;
  /** A client must send its whole request (headers and body) within this delay, or gets 408. */
  readonly requestTimeoutMs: number;
  /** How often the audit log's checkpoint is signed, when the log grew. */
  readonly checkpointIntervalSeconds: number;
  /** Days after which an orientation nobody acknowledged expires. */
  readonly orientationExpiryDays: number;
  /** Days after a person's last event after which their dossier is destroyed. */
  readonly dossierRetentionDays: number;
  /** Minutes between two retention sweeps of the gateway. */
  readonly retentionSweepMinutes: number;
  /** Beneficiary lookups one agency may make per sliding hour and per sliding day (counted in the store). */
  readonly lookupsPerHour: number;
  readonly lookupsPerDay: number;
  /** Days without an execution receipt after which a withdrawal notice is reminded, and between two reminders. */
  readonly withdrawalReminderDays: number;
  /** Reminders of one withdrawal notice at most; 0 sends none. */
  readonly withdrawalMaxReminders: number;
  /** Worker threads for the per-message OpenPGP work (src/crypto/worker-pool.ts); 0 runs it on the main thread. */
  readonly cryptoWorkers: number;
  /** OTLP/HTTP endpoint spans are exported to (src/observability/tracing.ts); tracing is off when unset. */
  readonly tracesEndpoint: string | undefined;
  /** The service.name of the exported spans: tells two gateways' traces apart. */
  readonly tracesServiceName: string;
  /** The web console's sessions (src/console/session.ts): sealing key file, idle and absolute limits. */
  readonly consoleSessionKeyFile: string;
  readonly consoleSessionIdleMinutes: number;
  readonly consoleSessionMaxHours: number;
  /** Sign-in to the console with OpenID Connect (ProConnect); undefined when not configured. */
  readonly oidc: OidcSettings | undefined;
}

export interface OidcSettings {
  /** The OpenID Provider's issuer (its discovery document is `<issuer>/.well-known/openid-configuration`). */
  readonly issuer: string;
  readonly clientId: string;
  /** File holding the client secret (never the secret itself in the environment). */
  readonly clientSecretFile: string;
  /** This gateway's callback, registered with the provider: https://<host>/console/oidc/retour. */
  readonly redirectUrl: string;
  /** JSON file mapping people (email, optionally SIRET) to registered partners (docs/console.md). */
  readonly roleMappingFile: string;
  /** PEM file of the CA(s) that verify the provider's TLS certificate; the system CAs otherwise. */
  readonly caFile: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

export interface SettingDoc {
  variable: string;
  default: string;
  meaning: string;
}

/** The settings table, also printed by `passerelle help` and mirrored in docs/operator.md ("Settings"). */
export const SETTINGS_DOC: readonly SettingDoc[] = Object.freeze([
  { variable: 'PASSERELLE_ENV', default: 'development', meaning: 'production refuses to start on the published example trust directory (certs.example or a copy)' },
  { variable: 'PASSERELLE_HOST', default: '127.0.0.1', meaning: 'address the HTTPS API listens on' },
  { variable: 'PASSERELLE_PORT', default: '8443', meaning: 'port of the HTTPS API (0 picks a free port)' },
  { variable: 'PASSERELLE_CERTS_DIR', default: 'certs.example', meaning: 'trust configuration directory' },
  { variable: 'PASSERELLE_DATA_DIR', default: './data', meaning: 'embedded store (SQLite) and local state' },
  { variable: 'PASSERELLE_DATABASE_URL', default: '(unset)', meaning: 'postgres://user@host:5432/db: use PostgreSQL instead of SQLite (several gateways share it)' },
  { variable: 'PASSERELLE_AMQP_URL', default: 'amqp://guest:guest@127.0.0.1:5672', meaning: 'RabbitMQ broker' },
  { variable: 'PASSERELLE_AMQP_PREFIX', default: 'passerelle', meaning: 'prefix of every exchange and queue' },
  { variable: 'PASSERELLE_AMQP_CA', default: '(system CAs)', meaning: 'PEM file of the CA(s) that verify the broker certificate (amqps: only)' },
  { variable: 'PASSERELLE_AMQP_CERT', default: '(unset)', meaning: 'PEM client certificate for the broker (amqps: only; with PASSERELLE_AMQP_KEY)' },
  { variable: 'PASSERELLE_AMQP_KEY', default: '(unset)', meaning: 'PEM private key of PASSERELLE_AMQP_CERT' },
  { variable: 'PASSERELLE_MAX_BODY_BYTES', default: '262144', meaning: 'largest request body (before decryption)' },
  { variable: 'PASSERELLE_MAX_DOCUMENT_BYTES', default: '65536', meaning: 'largest decrypted, decompressed document' },
  { variable: 'PASSERELLE_MAX_FUTURE_SECONDS', default: '300', meaning: 'how far in the future sentAt may be' },
  { variable: 'PASSERELLE_MAX_AGE_SECONDS', default: '86400', meaning: 'how old sentAt may be' },
  { variable: 'PASSERELLE_DELIVERY_LIMIT', default: '5', meaning: 'deliveries before a message is dead-lettered' },
  { variable: 'PASSERELLE_RATE_LIMIT_PER_MINUTE', default: '1200', meaning: 'sustained API requests per minute per partner' },
  { variable: 'PASSERELLE_RATE_LIMIT_BURST', default: '200', meaning: 'API requests a partner may make at once' },
  { variable: 'PASSERELLE_LOG_LEVEL', default: 'info', meaning: 'error, warn, info or debug' },
  { variable: 'PASSERELLE_SHUTDOWN_TIMEOUT_MS', default: '10000', meaning: 'grace period for in-flight work on SIGTERM' },
  { variable: 'PASSERELLE_HEADERS_TIMEOUT_MS', default: '10000', meaning: 'time a client has to send its request headers (408 after)' },
  { variable: 'PASSERELLE_REQUEST_TIMEOUT_MS', default: '30000', meaning: 'time a client has to send its whole request, body included (408 after)' },
  { variable: 'PASSERELLE_CHECKPOINT_INTERVAL_SECONDS', default: '60', meaning: 'how often the audit checkpoint is signed when the log grew' },
  { variable: 'PASSERELLE_ORIENTATION_EXPIRY_DAYS', default: '30', meaning: 'days after which an unacknowledged orientation expires' },
  { variable: 'PASSERELLE_DOSSIER_RETENTION_DAYS', default: '730', meaning: "days after a person's last event before the dossier is destroyed" },
  { variable: 'PASSERELLE_RETENTION_SWEEP_MINUTES', default: '60', meaning: 'minutes between two retention sweeps' },
  { variable: 'PASSERELLE_LOOKUPS_PER_HOUR', default: '20', meaning: 'beneficiary lookups one agency may make in any hour (1 to 1000), counted in the store across every gateway instance' },
  { variable: 'PASSERELLE_LOOKUPS_PER_DAY', default: '100', meaning: 'beneficiary lookups one agency may make in any 24 hours (1 to 10000, at least the hourly limit)' },
  { variable: 'PASSERELLE_WITHDRAWAL_REMINDER_DAYS', default: '15', meaning: 'days without an execution receipt before a withdrawal notice is reminded, and between reminders' },
  { variable: 'PASSERELLE_WITHDRAWAL_MAX_REMINDERS', default: '3', meaning: 'reminders of one withdrawal notice at most (0: none)' },
  { variable: 'PASSERELLE_TRACES_ENDPOINT', default: '(unset: tracing off)', meaning: 'OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces; a received traceparent is carried to the AMQP headers either way (docs/monitoring.md)' },
  { variable: 'PASSERELLE_TRACES_SERVICE_NAME', default: 'passerelle', meaning: 'service.name of the exported spans' },
  { variable: 'PASSERELLE_CONSOLE_SESSION_KEY_FILE', default: '<data dir>/secrets/console-session.key', meaning: 'AES-256 key (base64, made at first start) that seals console sessions; every gateway serving the console reads the same file' },
  { variable: 'PASSERELLE_CONSOLE_SESSION_IDLE_MINUTES', default: '30', meaning: 'a console session ends after this long without a page opened (1 to 720)' },
  { variable: 'PASSERELLE_CONSOLE_SESSION_MAX_HOURS', default: '8', meaning: 'a console session ends this long after sign-in, in use or not (1 to 24)' },
  { variable: 'PASSERELLE_OIDC_ISSUER', default: '(unset: no ProConnect sign-in)', meaning: 'https URL of the OpenID Provider (ProConnect) for console sign-in without a certificate' },
  { variable: 'PASSERELLE_OIDC_CLIENT_ID', default: '(unset)', meaning: 'client id the provider gave the gateway (with PASSERELLE_OIDC_ISSUER)' },
  { variable: 'PASSERELLE_OIDC_CLIENT_SECRET_FILE', default: '(unset)', meaning: 'file holding the client secret (with PASSERELLE_OIDC_ISSUER)' },
  { variable: 'PASSERELLE_OIDC_REDIRECT_URL', default: '(unset)', meaning: 'https://<gateway>/console/oidc/retour, as registered with the provider (with PASSERELLE_OIDC_ISSUER)' },
  { variable: 'PASSERELLE_OIDC_ROLE_MAPPING_FILE', default: '(unset)', meaning: 'JSON file mapping people (email, SIRET) to the registered partner whose role they act in (docs/console.md)' },
  { variable: 'PASSERELLE_OIDC_CA_FILE', default: '(system CAs)', meaning: "PEM file of the CA(s) that verify the provider's TLS certificate" },
  { variable: 'PASSERELLE_STORE_THREAD', default: 'off', meaning: 'on: the embedded SQLite store runs on a thread of its own, off the event loop (docs/performance.md); off: on the main thread. Not with PASSERELLE_DATABASE_URL' },
  { variable: 'PASSERELLE_CRYPTO_WORKERS', default: '(number of cores)', meaning: 'worker threads for decryption, verification, re-encryption and receipts, 0 to 64 (0: on the main thread, for debugging)' },
]);

const PREFIX_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

function fail(variable: string, value: string, expected: string): never {
  throw new GatewayError(
    'config_invalid',
    `${variable}=${JSON.stringify(value)} is not valid: expected ${expected}. Fix or unset ${variable}.`,
  );
}

function integer(env: Env, variable: string, fallback: number, min: number, max: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) fail(variable, raw, `a whole number from ${min} to ${max}`);
  const value = Number(raw);
  if (value < min || value > max) fail(variable, raw, `a whole number from ${min} to ${max}`);
  return value;
}

function text(env: Env, variable: string, fallback: string): string {
  const raw = env[variable];
  return raw === undefined || raw === '' ? fallback : raw;
}

function url(env: Env, variable: string, fallback: string | undefined, schemes: string[]): string | undefined {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    fail(variable, redactUrl(raw), `a URL starting with ${schemes.join(' or ')}`);
  }
  if (!schemes.includes(parsed.protocol)) fail(variable, redactUrl(raw), `a URL starting with ${schemes.join(' or ')}`);
  return raw;
}

/**
 * The broker TLS files. Set on a plain amqp: URL they would suggest an encryption that does not
 * happen, so that is refused; a certificate without its key (or the reverse) cannot be used either.
 */
function amqpTls(env: Env, cwd: string): Pick<Settings, 'amqpCaFile' | 'amqpCertFile' | 'amqpKeyFile'> {
  const file = (variable: string): string | undefined => {
    const raw = env[variable];
    return raw === undefined || raw === '' ? undefined : path.resolve(cwd, raw);
  };
  const files = { amqpCaFile: file('PASSERELLE_AMQP_CA'), amqpCertFile: file('PASSERELLE_AMQP_CERT'), amqpKeyFile: file('PASSERELLE_AMQP_KEY') };
  const amqpUrl = env['PASSERELLE_AMQP_URL'] ?? '';
  if (!amqpUrl.startsWith('amqps:')) {
    const set = Object.entries({ PASSERELLE_AMQP_CA: files.amqpCaFile, PASSERELLE_AMQP_CERT: files.amqpCertFile, PASSERELLE_AMQP_KEY: files.amqpKeyFile }).find(([, v]) => v !== undefined);
    if (set) fail(set[0], set[1]!, 'unset, or PASSERELLE_AMQP_URL starting with amqps: (TLS files apply to TLS connections only)');
  }
  if ((files.amqpCertFile === undefined) !== (files.amqpKeyFile === undefined)) {
    fail(files.amqpCertFile === undefined ? 'PASSERELLE_AMQP_KEY' : 'PASSERELLE_AMQP_CERT', (files.amqpCertFile ?? files.amqpKeyFile)!, 'set together with its pair (PASSERELLE_AMQP_CERT and PASSERELLE_AMQP_KEY)');
  }
  return files;
}

/**
 * ProConnect sign-in: all of issuer, client id, secret file, redirect URL and role mapping, or none.
 * The files are read at start by the console (src/console), which names them in its errors.
 */
function oidc(env: Env, cwd: string): OidcSettings | undefined {
  const names = ['PASSERELLE_OIDC_ISSUER', 'PASSERELLE_OIDC_CLIENT_ID', 'PASSERELLE_OIDC_CLIENT_SECRET_FILE', 'PASSERELLE_OIDC_REDIRECT_URL', 'PASSERELLE_OIDC_ROLE_MAPPING_FILE'] as const;
  const set = names.filter((name) => (env[name] ?? '') !== '');
  const caFile = env['PASSERELLE_OIDC_CA_FILE'] ? path.resolve(cwd, env['PASSERELLE_OIDC_CA_FILE']) : undefined;
  if (set.length === 0) {
    if (caFile !== undefined) fail('PASSERELLE_OIDC_CA_FILE', caFile, 'unset, or PASSERELLE_OIDC_ISSUER and the other PASSERELLE_OIDC_* settings set');
    return undefined;
  }
  const missing = names.filter((name) => !set.includes(name));
  if (missing.length > 0) fail(missing[0]!, '', `set as well: ProConnect sign-in needs ${names.join(', ')} (or none of them)`);
  const issuer = url(env, 'PASSERELLE_OIDC_ISSUER', undefined, ['https:'])!;
  const redirectUrl = url(env, 'PASSERELLE_OIDC_REDIRECT_URL', undefined, ['https:'])!;
  if (new URL(redirectUrl).pathname !== '/console/oidc/retour') fail('PASSERELLE_OIDC_REDIRECT_URL', redirectUrl, 'https://<the gateway as people reach it>/console/oidc/retour');
  return Object.freeze({
    issuer,
    clientId: env['PASSERELLE_OIDC_CLIENT_ID']!,
    clientSecretFile: path.resolve(cwd, env['PASSERELLE_OIDC_CLIENT_SECRET_FILE']!),
    redirectUrl,
    roleMappingFile: path.resolve(cwd, env['PASSERELLE_OIDC_ROLE_MAPPING_FILE']!),
    caFile,
  });
}

/** A URL without its password, for messages and logs. */
export function redactUrl(raw: string): string {
  try {
    const parsed = new URL(raw);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export function loadSettings(env: Env = process.env, cwd: string = process.cwd()): Settings {
  const amqpPrefix = text(env, 'PASSERELLE_AMQP_PREFIX', 'passerelle');
  if (!PREFIX_PATTERN.test(amqpPrefix)) fail('PASSERELLE_AMQP_PREFIX', amqpPrefix, 'lower-case letters, digits, dots, dashes or underscores');
  const environment = text(env, 'PASSERELLE_ENV', 'development');
  if (environment !== 'development' && environment !== 'production') fail('PASSERELLE_ENV', environment, 'development or production');
  const logLevel = text(env, 'PASSERELLE_LOG_LEVEL', 'info');
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) fail('PASSERELLE_LOG_LEVEL', logLevel, 'error, warn, info or debug');
  const databaseUrl = url(env, 'PASSERELLE_DATABASE_URL', undefined, ['postgres:', 'postgresql:']);
  if (databaseUrl !== undefined) {
    const parsed = new URL(databaseUrl);
    if (parsed.hostname === '' || parsed.pathname.length <= 1) {
      fail('PASSERELLE_DATABASE_URL', redactUrl(databaseUrl), 'postgres://user[:password]@host[:port]/database (a host and a database name)');
    }
  }
  const storeThread = text(env, 'PASSERELLE_STORE_THREAD', 'off');
  if (storeThread !== 'on' && storeThread !== 'off') fail('PASSERELLE_STORE_THREAD', storeThread, 'on or off');
  if (storeThread === 'on' && databaseUrl !== undefined) {
    throw new GatewayError(
      'config_invalid',
      'PASSERELLE_STORE_THREAD=on moves the embedded SQLite store off the main thread; with PASSERELLE_DATABASE_URL the statements already run in PostgreSQL. Unset one of the two.',
    );
  }
  const headersTimeoutMs = integer(env, 'PASSERELLE_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000);
  const requestTimeoutMs = integer(env, 'PASSERELLE_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000);
  // Node refuses a headers timeout longer than the request timeout (http.createServer).
  if (headersTimeoutMs > requestTimeoutMs) {
    fail('PASSERELLE_HEADERS_TIMEOUT_MS', String(headersTimeoutMs), `at most PASSERELLE_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`);
  }
  const tracesServiceName = text(env, 'PASSERELLE_TRACES_SERVICE_NAME', 'passerelle');
  // A resource attribute, shown by every trace viewer: printable ASCII, short.
  if (!/^[\x21-\x7e]{1,64}$/.test(tracesServiceName)) fail('PASSERELLE_TRACES_SERVICE_NAME', tracesServiceName, '1 to 64 printable characters without spaces');
  const lookupsPerHour = integer(env, 'PASSERELLE_LOOKUPS_PER_HOUR', 20, 1, 1000);
  const lookupsPerDay = integer(env, 'PASSERELLE_LOOKUPS_PER_DAY', 100, 1, 10_000);
  if (lookupsPerDay < lookupsPerHour) fail('PASSERELLE_LOOKUPS_PER_DAY', String(lookupsPerDay), `at least PASSERELLE_LOOKUPS_PER_HOUR (${lookupsPerHour})`);
  const settings: Settings = {
    environment,
    host: text(env, 'PASSERELLE_HOST', '127.0.0.1'),
    port: integer(env, 'PASSERELLE_PORT', 8443, 0, 65535),
    certsDir: path.resolve(cwd, text(env, 'PASSERELLE_CERTS_DIR', 'certs.example')),
    dataDir: path.resolve(cwd, text(env, 'PASSERELLE_DATA_DIR', './data')),
    databaseUrl,
    storeThread: storeThread === 'on',
    amqpUrl: url(env, 'PASSERELLE_AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672', ['amqp:', 'amqps:'])!,
    amqpPrefix,
    ...amqpTls(env, cwd),
    // The largest document the schemas allow is about 20 KiB compact, every character escaped
    // (test/schema/document-size.test.ts computes it): 64 KiB leaves room for indentation, not for
    // padding whose only effect is what the gateway stores and re-encrypts. The body is that document
    // signed, encrypted and armored, with room to spare.
    maxBodyBytes: integer(env, 'PASSERELLE_MAX_BODY_BYTES', 256 * 1024, 1024, 4 * 1024 * 1024),
    maxDocumentBytes: integer(env, 'PASSERELLE_MAX_DOCUMENT_BYTES', 64 * 1024, 1024, 1024 * 1024),
    maxFutureSeconds: integer(env, 'PASSERELLE_MAX_FUTURE_SECONDS', 300, 0, 86400),
    maxAgeSeconds: integer(env, 'PASSERELLE_MAX_AGE_SECONDS', 86400, 60, 30 * 86400),
    deliveryLimit: integer(env, 'PASSERELLE_DELIVERY_LIMIT', 5, 1, 1000),
    rateLimitPerMinute: integer(env, 'PASSERELLE_RATE_LIMIT_PER_MINUTE', 1200, 1, 10_000_000),
    rateLimitBurst: integer(env, 'PASSERELLE_RATE_LIMIT_BURST', 200, 1, 1_000_000),
    logLevel: logLevel as Settings['logLevel'],
    shutdownTimeoutMs: integer(env, 'PASSERELLE_SHUTDOWN_TIMEOUT_MS', 10000, 0, 600000),
    headersTimeoutMs,
    requestTimeoutMs,
    checkpointIntervalSeconds: integer(env, 'PASSERELLE_CHECKPOINT_INTERVAL_SECONDS', 60, 1, 86400),
    orientationExpiryDays: integer(env, 'PASSERELLE_ORIENTATION_EXPIRY_DAYS', 30, 1, 365),
    dossierRetentionDays: integer(env, 'PASSERELLE_DOSSIER_RETENTION_DAYS', 730, 1, 3650),
    retentionSweepMinutes: integer(env, 'PASSERELLE_RETENTION_SWEEP_MINUTES', 60, 1, 1440),
    // An agency checks the people it receives one by one, with each one's agreement: a few an hour. The
    // limits are what keeps a lookup from sweeping references (docs/threat-model.md).
    lookupsPerHour,
    lookupsPerDay,
    withdrawalReminderDays: integer(env, 'PASSERELLE_WITHDRAWAL_REMINDER_DAYS', 15, 1, 365),
    withdrawalMaxReminders: integer(env, 'PASSERELLE_WITHDRAWAL_MAX_REMINDERS', 3, 0, 10),
    // More threads than cores only adds switching; 64 is a bound on mistakes, not a recommendation.
    cryptoWorkers: integer(env, 'PASSERELLE_CRYPTO_WORKERS', os.availableParallelism(), 0, 64),
    tracesEndpoint: url(env, 'PASSERELLE_TRACES_ENDPOINT', undefined, ['http:', 'https:']),
    tracesServiceName,
    consoleSessionKeyFile: path.resolve(cwd, text(env, 'PASSERELLE_CONSOLE_SESSION_KEY_FILE', path.join(text(env, 'PASSERELLE_DATA_DIR', './data'), 'secrets', 'console-session.key'))),
    // A person who leaves the console open is signed out after half an hour; a working day at most.
    consoleSessionIdleMinutes: integer(env, 'PASSERELLE_CONSOLE_SESSION_IDLE_MINUTES', 30, 1, 720),
    consoleSessionMaxHours: integer(env, 'PASSERELLE_CONSOLE_SESSION_MAX_HOURS', 8, 1, 24),
    oidc: oidc(env, cwd),
  };
  return Object.freeze(settings);
}
