/**
 * The connection to RabbitMQ. The first attempt fails fast, so that a wrong PASSERELLE_AMQP_URL stops
 * the process at start with one readable line; once connected, the connection never gives up: on loss
 * it reconnects with capped exponential backoff and jitter (amqplib's opt-in recovery) and runs the
 * onReady callback again, because channels and consumers die with the connection.
 *
 * Every emitter gets an 'error' listener: amqplib emits 'error' on connections and channels, and an
 * unhandled 'error' event ends a Node process.
 */
import { readFileSync } from 'node:fs';
import { connect, credentials } from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { redactUrl, type Settings } from '../config/settings.js';
import { GatewayError } from '../domain/errors.js';
import type { Logger } from '../log/logger.js';
import { clientTlsPolicy } from '../tls/policy.js';

/** What onReady receives: channels on the connection that was just (re)established. */
export interface BrokerSession {
  createChannel(): Promise<Channel>;
  createConfirmChannel(): Promise<ConfirmChannel>;
}

export interface BrokerConnection {
  isConnected(): boolean;
  /** The broker stopped reading from this connection (memory or disk alarm). */
  isBlocked(): boolean;
  /** A channel on the current connection; waits for a reconnection while disconnected. */
  createChannel(): Promise<Channel>;
  createConfirmChannel(): Promise<ConfirmChannel>;
  /**
   * Called with true after every (re)connection and its onReady and when a block ends, false on every
   * loss; returns an unsubscribe.
   */
  onStateChange(listener: (connected: boolean) => void): () => void;
  close(): Promise<void>;
}

/**
 * TLS to the broker, for an amqps: URL. The broker's certificate is always verified (against `caPem`,
 * or Node's bundled CAs when absent) and its name checked against the URL's host: a TLS connection
 * that accepts any certificate protects nothing from an active attacker. The client offers only the
 * suites of src/tls/policy.ts, so a broker that offers nothing better fails the handshake.
 *
 * With a client certificate and a URL without a user name, the connection logs in with SASL EXTERNAL
 * (RabbitMQ plugin rabbitmq_auth_mechanism_ssl): the broker takes the user name from the certificate
 * and no password exists to steal or to guess.
 */
export interface BrokerTls {
  caPem?: string;
  /** A client certificate, for brokers that require one (or authenticate with it: EXTERNAL). */
  certPem?: string;
  keyPem?: string;
}

/** The TLS files of the settings, read now so that a wrong path stops the process at start. */
export function brokerTlsOf(settings: Pick<Settings, 'amqpCaFile' | 'amqpCertFile' | 'amqpKeyFile'>): BrokerTls | undefined {
  const read = (file: string | undefined, variable: string): string | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new GatewayError('config_invalid', `Cannot read ${file} (${variable}): ${describeError(err)}. Fix the path or the file's permissions.`, { cause: err });
    }
  };
  const caPem = read(settings.amqpCaFile, 'PASSERELLE_AMQP_CA');
  const certPem = read(settings.amqpCertFile, 'PASSERELLE_AMQP_CERT');
  const keyPem = read(settings.amqpKeyFile, 'PASSERELLE_AMQP_KEY');
  if (caPem === undefined && certPem === undefined) return undefined;
  return { ...(caPem !== undefined ? { caPem } : {}), ...(certPem !== undefined ? { certPem } : {}), ...(keyPem !== undefined ? { keyPem } : {}) };
}

export interface ConnectBrokerOptions {
  url: string;
  /** For an amqps: URL; without it, the broker certificate is verified against Node's bundled CAs. */
  tls?: BrokerTls;
  logger: Logger;
  /** Runs after every (re)connection, before the connection counts as ready (topology, consumers). */
  onReady?: (session: BrokerSession) => Promise<void>;
  /** Shown by `rabbitmqctl list_connections client_properties` and the management UI. */
  connectionName?: string;
  /** TCP and AMQP handshake time limit of each attempt. */
  connectTimeoutMs?: number;
  /** Cap of the delay between two reconnection attempts. */
  maxReconnectDelayMs?: number;
}

const COMPONENT = 'broker';

/** Node's happy-eyeballs connect fails with an AggregateError whose own message is empty. */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return err.errors.map(describeError).join('; ');
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return err.message || (typeof code === 'string' ? code : err.name);
  }
  return String(err);
}

function guard<T extends Channel>(channel: T, logger: Logger): T {
  channel.on('error', (err: Error) => {
    logger.warn('broker.channel_error', { component: COMPONENT, reason: describeError(err) });
  });
  return channel;
}

/** A user name in the URL means PLAIN with the URL's password, even beside a client certificate. */
export function usesExternalLogin(url: string, tls: BrokerTls | undefined): boolean {
  if (tls?.certPem === undefined) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'amqps:' && parsed.username === '' && parsed.password === '';
  } catch {
    return false;
  }
}

/** What to do about a failed TLS handshake, from the reason OpenSSL or Node gave; undefined if it is not one. */
function tlsAdvice(reason: string): string | undefined {
  if (/certificate required/i.test(reason)) return 'The broker requires a client certificate: set PASSERELLE_AMQP_CERT and PASSERELLE_AMQP_KEY.';
  if (/SSL routines|ERR_SSL_/.test(reason)) {
    return 'The TLS handshake failed: the broker must offer TLS 1.3, or TLS 1.2 with ECDHE and AES-GCM or ChaCha20-Poly1305 (docs/operator.md, "TLS policy"; deploy/rabbitmq/rabbitmq.conf.example), and accept the client certificate if it asks for one.';
  }
  if (/certificate|Hostname\/IP/i.test(reason)) return 'Set PASSERELLE_AMQP_CA to the CA that issued the broker\'s certificate, and use a host name that the certificate names.';
  return undefined;
}

function endpoint(url: string): { host?: string; port?: number } {
  try {
    const parsed = new URL(url);
    return { host: parsed.hostname, port: parsed.port === '' ? undefined : Number(parsed.port) };
  } catch {
    return {};
  }
}

export async function connectBroker(opts: ConnectBrokerOptions): Promise<BrokerConnection> {
  const { logger } = opts;
  const where = { component: COMPONENT, ...endpoint(opts.url) };
  const listeners = new Set<(connected: boolean) => void>();
  let connected = false;
  let blocked = false;
  let established = false;
  let closed = false;

  const notify = (state: boolean): void => {
    for (const listener of listeners) {
      try {
        listener(state);
      } catch (err) {
        logger.error('broker.listener_failed', { ...where, reason: describeError(err) });
      }
    }
  };

  const external = usesExternalLogin(opts.url, opts.tls);
  const unreachable = (err: unknown): GatewayError => {
    const reason = describeError(err);
    // A running broker that refuses us: 403 ACCESS_REFUSED (user, password) or a virtual host it does
    // not serve or a user past its connection limit (530 NOT_ALLOWED, which amqplib reports as a
    // ConnectionClose instead of ConnectionOpenOk).
    const advice = /ACCESS.REFUSED|NOT.ALLOWED|ConnectionOpenOk/.test(reason)
      ? external
        ? 'The broker refused the client certificate\'s login (EXTERNAL): check that an account named like the certificate\'s CN exists, that rabbitmq_auth_mechanism_ssl is enabled with ssl_cert_login_from = common_name, and that account\'s permissions.'
        : 'Check the user, password and virtual host in PASSERELLE_AMQP_URL, that user\'s permissions on the broker, and that it has not reached its connection limit (rabbitmqctl list_user_limits).'
      : (tlsAdvice(reason) ?? 'Start it (e.g. `rabbitmq-server -detached` or `systemctl start rabbitmq-server`) or set PASSERELLE_AMQP_URL.');
    return new GatewayError('broker_unreachable', `Cannot reach RabbitMQ at ${redactUrl(opts.url)} (PASSERELLE_AMQP_URL): ${reason}. ${advice}`, { cause: err });
  };

  let model;
  try {
    model = await connect(opts.url, {
      // Nagle's algorithm against delayed ACKs costs about 44 ms per awaited confirm.
      noDelay: true,
      ...(opts.tls?.caPem !== undefined ? { ca: [opts.tls.caPem] } : {}),
      ...(opts.tls?.certPem !== undefined ? { cert: opts.tls.certPem, key: opts.tls.keyPem } : {}),
      ...(external ? { credentials: credentials.external() } : {}),
      ...clientTlsPolicy(),
      timeout: opts.connectTimeoutMs ?? 10_000,
      clientProperties: { connection_name: opts.connectionName ?? 'passerelle' },
      recovery: {
        waitForConnect: false,
        initialMaxRetries: 0,
        maxRetries: Infinity,
        initialDelay: 200,
        maxDelay: opts.maxReconnectDelayMs ?? 30_000,
        factor: 2,
        jitter: 0.2,
        setup: async (raw: ChannelModel) => {
          // Until recovery binds its own listeners after setup, an error would otherwise be unhandled.
          raw.on('error', (err: Error) => {
            logger.debug('broker.connection_error', { ...where, reason: describeError(err) });
          });
          if (opts.onReady) {
            await opts.onReady({
              createChannel: async () => guard(await raw.createChannel(), logger),
              createConfirmChannel: async () => guard(await raw.createConfirmChannel(), logger),
            });
          }
        },
      },
    });
  } catch (err) {
    throw unreachable(err);
  }

  model.on('connect', () => {
    connected = true;
    logger.info(established ? 'broker.reconnected' : 'broker.connected', where);
    established = true;
    notify(true);
  });
  model.on('disconnect', (err: Error) => {
    connected = false;
    blocked = false;
    logger.warn('broker.disconnected', { ...where, reason: describeError(err) });
    notify(false);
  });
  model.on('connect-failed', (err: Error) => {
    if (established) logger.warn('broker.reconnect_failed', { ...where, reason: describeError(err) });
  });
  model.on('reconnect-scheduled', (info: { attempt: number; delay: number }) => {
    if (established) logger.info('broker.reconnect_scheduled', { ...where, attempt: info.attempt, durationMs: info.delay });
  });
  model.on('blocked', (reason: string) => {
    blocked = true;
    logger.warn('broker.blocked', { ...where, reason });
  });
  model.on('unblocked', () => {
    blocked = false;
    logger.info('broker.unblocked', where);
    notify(connected);
  });
  model.on('error', (err: Error) => {
    logger.warn('broker.connection_error', { ...where, reason: describeError(err) });
  });
  model.on('handler-error', (err: Error, event: string) => {
    logger.error('broker.handler_error', { ...where, reason: `${event}: ${describeError(err)}` });
  });

  try {
    await model.waitForConnect();
  } catch (err) {
    await model.close().catch(() => undefined);
    // A GatewayError comes from onReady (e.g. a queue declared with other arguments): keep its advice.
    if (err instanceof GatewayError) throw err;
    throw unreachable(err);
  }

  const recovering = model;
  return {
    isConnected: () => connected && !closed,
    isBlocked: () => blocked,
    createChannel: async () => {
      if (closed) throw new GatewayError('broker_unreachable', 'The broker connection was closed by the gateway; no channel can be opened.');
      return guard(await recovering.createChannel(), logger);
    },
    createConfirmChannel: async () => {
      if (closed) throw new GatewayError('broker_unreachable', 'The broker connection was closed by the gateway; no channel can be opened.');
      return guard(await recovering.createConfirmChannel(), logger);
    },
    onStateChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      const wasConnected = connected;
      connected = false;
      await recovering.close().catch((err: unknown) => {
        logger.debug('broker.close_failed', { ...where, reason: describeError(err) });
      });
      if (wasConnected) notify(false);
      logger.info('broker.closed', where);
    },
  };
}
