/**
 * The AsyncAPI 3.0 document of the AMQP side (interface contract, section 5), built from the names
 * and arguments the code declares (src/broker/topology.ts, dead-letter-watcher.ts) and the properties
 * and headers the publisher sets (src/broker/publisher.ts), for the receiving partners of a registry.
 */
import { deadLetterWatchQueueName } from '../broker/dead-letter-watcher.js';
import { APP_ID, AUDIT_INDEX_HEADER, CONTENT_TYPE, SENDER_HEADER } from '../broker/publisher.js';
import { deadLetterExchangeName, deadLetterQueueArguments, deadLetterQueueName, exchangeName, queueArguments, queueName } from '../broker/topology.js';
import { PARTNER_ID_PATTERN } from '../domain/message.js';
import { messageSchemas } from './openapi.js';

export interface AsyncApiOptions {
  /** PASSERELLE_AMQP_PREFIX. */
  prefix: string;
  /** The partners that receive messages (each has a queue and a dead-letter queue). */
  recipients: readonly string[];
  /** The schemas/ folder: the schemas a decrypted payload validates against. */
  schemasDir: string;
  /** PASSERELLE_DELIVERY_LIMIT. */
  deliveryLimit: number;
  /** The gateway's version (package.json). */
  version: string;
}

/** The W3C Trace Context header (https://www.w3.org/TR/trace-context/#traceparent-header), version 00. */
const TRACEPARENT = '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$';
const AMQP_BINDING_VERSION = '0.3.0';

/** Channel ids of the document for a partner's queues. */
export const queueChannelId = (partnerId: string) => `queue-${partnerId}`;
export const deadLetterChannelId = (partnerId: string) => `dead-letters-${partnerId}`;

function exchangeChannel(name: string, description: string): Record<string, unknown> {
  return {
    address: name,
    description,
    bindings: { amqp: { is: 'routingKey', exchange: { name, type: 'topic', durable: true, autoDelete: false, vhost: '/' }, bindingVersion: AMQP_BINDING_VERSION } },
  };
}

function queueChannel(name: string, description: string, args: Record<string, string | number>, message: string): Record<string, unknown> {
  return {
    address: name,
    description: `${description} Arguments: ${Object.entries(args).map(([k, v]) => `${k}=${v}`).join(', ')}.`,
    messages: { [message]: { $ref: `#/components/messages/${message}` } },
    bindings: { amqp: { is: 'queue', queue: { name, durable: true, exclusive: false, autoDelete: false, vhost: '/' }, bindingVersion: AMQP_BINDING_VERSION } },
    'x-passerelle-queue-arguments': args,
  };
}

export function buildAsyncApi(options: AsyncApiOptions): Record<string, unknown> {
  const { prefix, recipients } = options;
  const topology = { prefix, recipients: [...recipients], deliveryLimit: options.deliveryLimit };
  const deliveries = exchangeName(prefix);
  const deadLetters = deadLetterExchangeName(prefix);
  const channels: Record<string, unknown> = {
    deliveries: {
      ...exchangeChannel(deliveries, 'Topic exchange of the deliveries: routing key `<recipient>.<type>`; each receiving partner\'s queue is bound with `<partnerId>.#`. Partner ids hold no dot, so a key reaches exactly one queue.'),
      messages: { Delivery: { $ref: '#/components/messages/Delivery' } },
    },
    deadLetters: {
      ...exchangeChannel(deadLetters, `Topic exchange where RabbitMQ moves a message delivered ${options.deliveryLimit} times without an acknowledgement (quorum queue x-delivery-limit), keeping its routing key; at-least-once dead-lettering.`),
      messages: { DeadLetter: { $ref: '#/components/messages/DeadLetter' } },
    },
    gatewayDeadLetterWatch: queueChannel(
      deadLetterWatchQueueName(prefix),
      'The gateway\'s own copy of every dead letter (bound with `#`): it marks the message dead-lettered and records it in the audit log. No partner reads it.',
      { 'x-queue-type': 'quorum', 'x-overflow': 'reject-publish' },
      'DeadLetter',
    ),
  };
  const operations: Record<string, unknown> = {
    publishDelivery: {
      action: 'send',
      channel: { $ref: '#/channels/deliveries' },
      title: 'The gateway publishes an accepted message',
      description: 'Published from the gateway\'s outbox once the message is committed, persistent and mandatory, with publisher confirms; a publish not confirmed is published again (at-least-once: a consumer may see a message id twice).',
      messages: [{ $ref: '#/channels/deliveries/messages/Delivery' }],
      bindings: { amqp: { deliveryMode: 2, mandatory: true, bindingVersion: AMQP_BINDING_VERSION } },
    },
    watchDeadLetters: {
      action: 'receive',
      channel: { $ref: '#/channels/gatewayDeadLetterWatch' },
      title: 'The gateway records dead letters',
      messages: [{ $ref: '#/channels/gatewayDeadLetterWatch/messages/DeadLetter' }],
    },
  };
  for (const id of recipients) {
    channels[queueChannelId(id)] = queueChannel(
      queueName(prefix, id),
      `The queue of partner ${id}: its deliveries, read with its own broker account (it may read this queue and nothing else).`,
      queueArguments(topology),
      'Delivery',
    );
    channels[deadLetterChannelId(id)] = queueChannel(
      deadLetterQueueName(prefix, id),
      `The dead letters of partner ${id}, for the operators (the partner's account cannot read it).`,
      deadLetterQueueArguments(topology),
      'DeadLetter',
    );
    operations[`receive-${id}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${queueChannelId(id)}` },
      title: `Partner ${id} consumes its messages`,
      description: `Acknowledge a message once it is stored (decrypted, signature verified); a message not acknowledged after ${options.deliveryLimit} deliveries is dead-lettered.`,
      messages: [{ $ref: `#/channels/${queueChannelId(id)}/messages/Delivery` }],
      bindings: { amqp: { ack: true, bindingVersion: AMQP_BINDING_VERSION } },
    };
  }
  const headers = (extra: Record<string, unknown>) => ({
    type: 'object',
    required: [SENDER_HEADER, AUDIT_INDEX_HEADER],
    properties: {
      [SENDER_HEADER]: { type: 'string', pattern: PARTNER_ID_PATTERN.source, description: 'The partner id of the sender (the gateway\'s own id, passerelle, for its notices).' },
      [AUDIT_INDEX_HEADER]: { type: 'integer', minimum: 0, description: 'The index of the acceptance in the audit log, as an AMQP long (64-bit signed).' },
      traceparent: { type: 'string', pattern: TRACEPARENT, description: 'Optional: the W3C Trace Context of the request that sent the message, when tracing is on, so that the consumer continues the trace.' },
      ...extra,
    },
  });
  const properties =
    `AMQP properties: content-type ${CONTENT_TYPE}, message-id the document's header.messageId, type its header.type, timestamp the acceptance time (seconds since the epoch), app-id ${APP_ID}, delivery-mode 2 (persistent). No correlation id, no reply-to, no other header than those listed: only what the interface contract lists travels in clear.`;
  const payload = {
    type: 'string',
    description: `One armored OpenPGP message (RFC 9580): the document as its sender signed it, encrypted to the recipient's key. Decrypted, it is a UTF-8 JSON document that validates against the schema its header.type and header.version name: the message schemas of schemas/, also under components.schemas of GET /openapi.json.`,
    pattern: '^-----BEGIN PGP MESSAGE-----',
  };
  const decryptedSchemas = Object.entries(messageSchemas(options.schemasDir))
    .filter(([name]) => !name.startsWith('header.'))
    .map(([, schema]) => schema['$id']);
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Passerelle: deliveries over RabbitMQ',
      version: options.version,
      description: `How accepted messages reach their recipients. Names below are those of the prefix "${prefix}"; a deployment with another PASSERELLE_AMQP_PREFIX has the same topology under its prefix. See docs/api.md.`,
    },
    defaultContentType: CONTENT_TYPE,
    servers: {
      rabbitmq: {
        host: '{host}',
        protocol: 'amqps',
        protocolVersion: '0.9.1',
        description: 'The deployment\'s RabbitMQ, over TLS; each partner has an account of its own.',
        variables: { host: { default: 'localhost:5671', description: 'Host and port of the broker of the deployment.' } },
        security: [{ $ref: '#/components/securitySchemes/brokerAccount' }],
      },
    },
    channels,
    operations,
    components: {
      securitySchemes: {
        brokerAccount: { type: 'userPassword', description: 'The partner\'s RabbitMQ account (passerelle broker setup): read on its own queue only.' },
      },
      messages: {
        Delivery: {
          name: 'Delivery',
          title: 'A message for its recipient',
          contentType: CONTENT_TYPE,
          description: properties,
          headers: headers({}),
          payload,
          bindings: { amqp: { messageType: 'the document type, e.g. orientation', bindingVersion: AMQP_BINDING_VERSION } },
          'x-passerelle-decrypted-schemas': decryptedSchemas,
        },
        DeadLetter: {
          name: 'DeadLetter',
          title: 'A message RabbitMQ dead-lettered',
          contentType: CONTENT_TYPE,
          description: `The delivery as it was, with the headers RabbitMQ adds when it dead-letters (x-death, x-first-death-queue, x-first-death-reason, x-first-death-exchange). ${properties}`,
          headers: headers({
            'x-death': { type: 'array', description: 'RabbitMQ\'s dead-lettering history (queue, reason, count, exchange, routing-keys, time).' },
            'x-first-death-reason': { type: 'string', description: 'delivery_limit for a message not acknowledged in time.' },
            'x-first-death-queue': { type: 'string' },
            'x-first-death-exchange': { type: 'string' },
          }),
          payload,
          'x-passerelle-decrypted-schemas': decryptedSchemas,
        },
      },
    },
  };
}
