/**
 * The RabbitMQ accounts of a deployment and their permissions, computed from the partner registry and
 * the prefix (docs/operator.md, "Broker accounts and permissions"). Pure: `passerelle broker setup` applies the
 * result with rabbitmqctl and writes it as a definitions file.
 *
 * RabbitMQ grants three regular expressions per user and virtual host (access-control guide):
 * configure (declare, delete), write (publish to an exchange; bind a queue) and read (consume or get
 * from a queue; bind from an exchange). An expression matches anywhere unless anchored, and `.` matches
 * any character, so every name is escaped and the whole expression is anchored `^...$`: otherwise the
 * grant for partner `ft` (`passerelle.ft`) would also match the queue `passerelle.ft-paris`.
 *
 * - An agency reads its own queue and nothing else; it configures nothing and publishes nothing (`^$`
 *   matches no object name: the default exchange is `amq.default` for permission checks). Its
 *   dead-letter queue belongs to the operators, who use their own account.
 * - The gateway declares the topology (src/broker/topology.ts) and its dead-letter watch queue,
 *   publishes to the deliveries exchange, binds the queues (write on the queue, read on the exchange)
 *   and consumes its watch queue. Declaring a queue with `x-dead-letter-exchange` also needs write on
 *   that exchange and read on the queue (RabbitMQ checks that the declarer could move its messages
 *   there itself), so the gateway may read the partners' queues: it could read what it publishes
 *   anyway, and the payloads are encrypted to the recipients. It cannot read the operators'
 *   dead-letter queues.
 *
 * Each account also has connection and channel limits (`rabbitmqctl set_user_limits`), so that one
 * holder of credentials cannot exhaust the broker's memory and file descriptors for everyone.
 */
import { GatewayError } from '../domain/errors.js';
import { PARTNER_ID_PATTERN } from '../domain/message.js';
import { deadLetterWatchQueueName } from './dead-letter-watcher.js';
import { deadLetterExchangeName, deadLetterQueueName, exchangeName, queueName } from './topology.js';

export interface BrokerPermission {
  configure: string;
  write: string;
  read: string;
}

/** RabbitMQ per-user limits, counted over every connection of the user on the node. */
export interface BrokerLimits {
  'max-connections': number;
  'max-channels': number;
}

export interface BrokerAccount {
  user: string;
  /** The partner id, or undefined for the gateway's account. */
  partner: string | undefined;
  permission: BrokerPermission;
  limits: BrokerLimits;
}

/**
 * An agency: `passerelle consume` holds one connection with two channels (the passive check, then the
 * consumer). Four connections cover a standby consumer and, for each, a connection the broker still
 * counts after a network loss until its heartbeat times out (60 s); two channels each, doubled for
 * clients of the agency's own that open a channel per operation.
 */
export const AGENCY_LIMITS: Readonly<BrokerLimits> = Object.freeze({ 'max-connections': 4, 'max-channels': 16 });

/**
 * The gateway: one connection per instance with three channels (topology at each connection, relay
 * publisher, dead-letter watcher). Sixteen connections: eight instances (deploy/multi-node), each with
 * a connection lost but still counted; four channels each.
 */
export const GATEWAY_LIMITS: Readonly<BrokerLimits> = Object.freeze({ 'max-connections': 16, 'max-channels': 64 });

/** Matches no exchange or queue name: RabbitMQ names the default exchange `amq.default` in its checks. */
export const NOTHING = '^$';

/** The gateway's own account; the word is reserved, so no partner may be called `gateway`. */
const GATEWAY_ACCOUNT = 'gateway';

export function gatewayUser(prefix: string): string {
  return `${prefix}.${GATEWAY_ACCOUNT}`;
}

/** A partner's account is named like its queue, which is all it may read. */
export function partnerUser(prefix: string, partnerId: string): string {
  return queueName(prefix, partnerId);
}

/**
 * Whether a broker user is named like an account of this prefix: `<prefix>.gateway` or
 * `<prefix>.<partner id>`. A partner id has no dot, so the accounts of a longer prefix
 * (`passerelle.paris.gateway` beside `passerelle`) are never taken for this one's.
 */
export function isAccountOfPrefix(prefix: string, user: string): boolean {
  if (!user.startsWith(`${prefix}.`)) return false;
  const rest = user.slice(prefix.length + 1);
  return rest === GATEWAY_ACCOUNT || PARTNER_ID_PATTERN.test(rest);
}

/**
 * Escapes every character that has a meaning in an Erlang (PCRE) regular expression outside a
 * character class (the expressions built here have none, so `-` stays readable).
 */
export function escapeRegex(name: string): string {
  return name.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** Exactly these names, nothing else. */
export function exactly(names: readonly string[]): string {
  if (names.length === 0) return NOTHING;
  return `^(${names.map(escapeRegex).join('|')})$`;
}

export function agencyPermission(prefix: string, partnerId: string): BrokerPermission {
  return { configure: NOTHING, write: NOTHING, read: exactly([queueName(prefix, partnerId)]) };
}

export function gatewayPermission(prefix: string, recipients: readonly string[]): BrokerPermission {
  const deliveries = exchangeName(prefix);
  const deadLetters = deadLetterExchangeName(prefix);
  const watch = deadLetterWatchQueueName(prefix);
  const queues = recipients.flatMap((id) => [queueName(prefix, id), deadLetterQueueName(prefix, id)]);
  return {
    configure: exactly([deliveries, deadLetters, ...queues, watch]),
    // Publishing needs write on the exchange; binding a queue needs write on the queue; a queue with
    // a dead-letter exchange needs write on that exchange.
    write: exactly([deliveries, deadLetters, ...queues, watch]),
    // Binding needs read on the source exchange; a queue with a dead-letter exchange needs read on the
    // queue; the watcher consumes its own queue.
    read: exactly([deliveries, deadLetters, ...recipients.map((id) => queueName(prefix, id)), watch]),
  };
}

/**
 * Every account of a deployment: the gateway's, then one per partner that receives messages, in
 * registry order. Partners that only send (or read statistics, or audit) use HTTP only: no account.
 */
export function brokerAccounts(prefix: string, recipients: readonly string[]): BrokerAccount[] {
  const invalid = recipients.filter((id) => !PARTNER_ID_PATTERN.test(id) || id === GATEWAY_ACCOUNT);
  if (invalid.length > 0) {
    throw new GatewayError(
      'config_invalid',
      `Partner ids ${invalid.map((id) => JSON.stringify(id)).join(', ')} cannot have a broker account: expected lower-case letters, digits and dashes, and not "${GATEWAY_ACCOUNT}" (the gateway's own account). Fix the partner registry.`,
    );
  }
  return [
    { user: gatewayUser(prefix), partner: undefined, permission: gatewayPermission(prefix, recipients), limits: { ...GATEWAY_LIMITS } },
    ...recipients.map((id) => ({ user: partnerUser(prefix, id), partner: id, permission: agencyPermission(prefix, id), limits: { ...AGENCY_LIMITS } })),
  ];
}

/**
 * The accounts as a RabbitMQ definitions file (`rabbitmqctl import_definitions`), with their limits
 * (the `limits` of a user, which RabbitMQ 3.10 imports). No password is in it: an empty
 * `password_hash` is an account that cannot log in with a password (RabbitMQ's
 * passwordless users), until `passerelle broker setup` sets one or the partner logs in with its
 * client certificate (EXTERNAL). So the file can be committed and reviewed.
 */
export function brokerDefinitions(opts: { prefix: string; vhost: string; recipients: readonly string[] }): Record<string, unknown> {
  const accounts = brokerAccounts(opts.prefix, opts.recipients);
  return {
    users: accounts.map((account) => ({ name: account.user, password_hash: '', hashing_algorithm: 'rabbit_password_hashing_sha256', tags: [], limits: account.limits })),
    vhosts: [{ name: opts.vhost }],
    permissions: accounts.map((account) => ({ user: account.user, vhost: opts.vhost, ...account.permission })),
  };
}
