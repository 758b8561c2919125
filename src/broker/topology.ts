/**
 * The broker topology of docs/interface.md (section 5): one topic exchange for deliveries, one
 * quorum queue per receiving partner, and a dead-letter exchange with one quorum dead-letter queue per
 * partner. Declared at every (re)connection; declaring is idempotent as long as the arguments match.
 */
import type { Channel } from 'amqplib';
import { GatewayError } from '../domain/errors.js';
import { PARTNER_ID_PATTERN } from '../domain/message.js';

export interface TopologyOptions {
  prefix: string;
  /** Partners that receive messages: each gets a queue and a dead-letter queue. */
  recipients: string[];
  /** Deliveries of one message before RabbitMQ dead-letters it (quorum `x-delivery-limit`). */
  deliveryLimit: number;
  /** Messages a queue may hold (`x-max-length`); DEFAULT_MAX_LENGTH when absent. */
  maxLength?: number;
}

/**
 * A safety valve, not a working limit. With `x-overflow: reject-publish` a full queue nacks new
 * publishes, so the rows stay in the gateway's outbox and nothing is dropped. It is an argument, which
 * a 3.10 quorum queue cannot change; a policy can lower it later (the smaller of argument and policy
 * applies), never raise it, hence a generous value: about 5 GB of 5 KB messages per queue.
 */
export const DEFAULT_MAX_LENGTH = 1_000_000;

const MESSAGE_TYPE_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function exchangeName(prefix: string): string {
  return `${prefix}.deliveries`;
}

export function deadLetterExchangeName(prefix: string): string {
  return `${prefix}.dead-letters`;
}

export function queueName(prefix: string, partnerId: string): string {
  return `${prefix}.${partnerId}`;
}

export function deadLetterQueueName(prefix: string, partnerId: string): string {
  return `${prefix}.${partnerId}.dead`;
}

/**
 * Partner ids contain no dot, so the binding `<partnerId>.#` matches this key for exactly one
 * partner whatever the type.
 */
export function routingKey(recipient: string, type: string): string {
  if (!PARTNER_ID_PATTERN.test(recipient) || !MESSAGE_TYPE_PATTERN.test(type)) {
    throw new GatewayError(
      'internal',
      'A message to publish has a recipient or type that cannot form a routing key; it was not published. This is a bug: report it with the message id.',
    );
  }
  return `${recipient}.${type}`;
}

function bindingKey(partnerId: string): string {
  return `${partnerId}.#`;
}

/** The arguments of a partner's queue; exported so tests and operators can compare with the broker. */
export function queueArguments(opts: TopologyOptions): Record<string, string | number> {
  return {
    'x-queue-type': 'quorum',
    'x-delivery-limit': opts.deliveryLimit,
    'x-dead-letter-exchange': deadLetterExchangeName(opts.prefix),
    // At-least-once dead-lettering (RabbitMQ 3.10+) republishes with confirms; it silently falls back
    // to at-most-once unless overflow is reject-publish.
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
    'x-max-length': opts.maxLength ?? DEFAULT_MAX_LENGTH,
  };
}

export function deadLetterQueueArguments(opts: TopologyOptions): Record<string, string | number> {
  return {
    'x-queue-type': 'quorum',
    'x-overflow': 'reject-publish',
    'x-max-length': opts.maxLength ?? DEFAULT_MAX_LENGTH,
  };
}

function checkOptions(opts: TopologyOptions): void {
  const invalid = opts.recipients.filter((id) => !PARTNER_ID_PATTERN.test(id));
  if (invalid.length > 0) {
    throw new GatewayError(
      'config_invalid',
      `Partner ids ${invalid.map((id) => JSON.stringify(id)).join(', ')} cannot name a RabbitMQ queue: expected lower-case letters, digits and dashes. Fix the partner registry.`,
    );
  }
  if (!Number.isInteger(opts.deliveryLimit) || opts.deliveryLimit < 1) {
    throw new GatewayError('config_invalid', `The delivery limit ${opts.deliveryLimit} is not a whole number of at least 1. Fix PASSERELLE_DELIVERY_LIMIT.`);
  }
}

function isPreconditionFailed(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 406;
}

/**
 * A 406 closes the channel, so one failed declaration ends the whole declaration: the caller gets a
 * config_invalid naming the object, and the channel is not reusable.
 */
async function declare<T>(what: string, name: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (isPreconditionFailed(err)) {
      throw new GatewayError(
        'config_invalid',
        `RabbitMQ already has ${what} "${name}" declared with other arguments (PRECONDITION_FAILED; a quorum queue cannot change its arguments, e.g. after a change of PASSERELLE_DELIVERY_LIMIT). Delete it once it is drained (rabbitmqctl delete_queue, or the management UI) or use another PASSERELLE_AMQP_PREFIX.`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** Declare every exchange, queue and binding; idempotent. Use a channel of its own: a 406 closes it. */
export async function declareTopology(channel: Channel, opts: TopologyOptions): Promise<void> {
  checkOptions(opts);
  const deliveries = exchangeName(opts.prefix);
  const deadLetters = deadLetterExchangeName(opts.prefix);
  await declare('an exchange', deliveries, () => channel.assertExchange(deliveries, 'topic', { durable: true }));
  await declare('an exchange', deadLetters, () => channel.assertExchange(deadLetters, 'topic', { durable: true }));
  for (const partnerId of opts.recipients) {
    const dead = deadLetterQueueName(opts.prefix, partnerId);
    // Declared first so that a message dead-lettered right after the main queue exists has a route.
    await declare('a queue', dead, () =>
      channel.assertQueue(dead, { durable: true, arguments: deadLetterQueueArguments(opts) }),
    );
    // Dead-lettered messages keep their routing key `<partnerId>.<type>`.
    await channel.bindQueue(dead, deadLetters, bindingKey(partnerId));
    const queue = queueName(opts.prefix, partnerId);
    await declare('a queue', queue, () => channel.assertQueue(queue, { durable: true, arguments: queueArguments(opts) }));
    await channel.bindQueue(queue, deliveries, bindingKey(partnerId));
  }
}
