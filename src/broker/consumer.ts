/**
 * Consumes one partner queue, for the CLI `consume` command and the tests. Acknowledgements are
 * manual and sent only once the handler has finished with the message, so a crash redelivers it
 * (at-least-once: the handler de-duplicates on messageId). A 'reject' requeues the message; the
 * quorum queue counts deliveries and dead-letters it past its delivery limit.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { GatewayError } from '../domain/errors.js';
import type { Logger } from '../log/logger.js';
import type { BrokerSession, BrokerTls } from './connection.js';
import { connectBroker, describeError } from './connection.js';
import { receivedTraceContext } from '../observability/trace-context.js';
import type { TraceContext } from '../store/port.js';
import { AUDIT_INDEX_HEADER, SENDER_HEADER, TRACEPARENT_HEADER, TRACESTATE_HEADER } from './publisher.js';

export interface Delivery {
  messageId: string;
  type: string;
  sender: string;
  auditIndex: number;
  /** The armored OpenPGP message, as published. */
  body: Buffer;
  /** The broker may have delivered it before (RabbitMQ: "may have been seen"). */
  redelivered: boolean;
  /** The W3C Trace Context the message was published with, to continue its sender's trace; absent when it had none (or an invalid one). */
  traceContext?: TraceContext;
}

export type DeliveryOutcome = 'ack' | 'reject';

export interface ConsumeOptions {
  url: string;
  tls?: BrokerTls;
  queue: string;
  /** Unacknowledged deliveries at once, per consumer (quorum queues refuse a global QoS). */
  prefetch?: number;
  handle: (delivery: Delivery) => Promise<DeliveryOutcome>;
  logger: Logger;
  signal?: AbortSignal;
  /** Stop after this long without a delivery; runs until the signal aborts when absent. */
  idleExitMs?: number;
}

export interface ConsumeResult {
  acked: number;
  rejected: number;
}

const COMPONENT = 'consumer';

function headerNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= 0n) return Number(value);
  return undefined;
}

/** The delivery's fields, or undefined when it lacks one: it was not published by the gateway. */
export function readDelivery(message: ConsumeMessage): Delivery | undefined {
  const { messageId, type } = message.properties;
  const headers = message.properties.headers ?? {};
  const sender: unknown = headers[SENDER_HEADER];
  const auditIndex = headerNumber(headers[AUDIT_INDEX_HEADER]);
  if (typeof messageId !== 'string' || typeof type !== 'string' || typeof sender !== 'string' || auditIndex === undefined) {
    return undefined;
  }
  const traceContext = receivedTraceContext(headers[TRACEPARENT_HEADER], headers[TRACESTATE_HEADER]);
  return { messageId, type, sender, auditIndex, body: message.content, redelivered: message.fields.redelivered, ...(traceContext === undefined ? {} : { traceContext }) };
}

export async function consumeQueue(opts: ConsumeOptions): Promise<ConsumeResult> {
  const { logger, queue } = opts;
  const prefetch = opts.prefetch ?? 20;
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 2000) {
    throw new GatewayError('config_invalid', `The prefetch ${prefetch} is not valid: expected a whole number from 1 to 2000 (quorum queues cap it at 2000).`);
  }
  const result: ConsumeResult = { acked: 0, rejected: 0 };
  let subscription: { channel: Channel; consumerTag: string } | undefined;
  const inFlight = new Set<Promise<void>>();
  let finished = false;
  let finish: (err?: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = (err) => {
      if (finished) return;
      finished = true;
      if (err) reject(err);
      else resolve();
    };
  });
  // Awaited below; a cancel while still connecting must not count as an unhandled rejection meanwhile.
  done.catch(() => undefined);

  let idleTimer: NodeJS.Timeout | undefined;
  const armIdle = (): void => {
    if (opts.idleExitMs === undefined || finished) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (inFlight.size === 0) finish();
      else armIdle();
    }, opts.idleExitMs);
  };

  const onMessage = (channel: Channel, message: ConsumeMessage | null): void => {
    if (message === null) {
      // The broker cancelled the consumer: the queue was deleted or its leader is gone.
      finish(new GatewayError('unavailable', `RabbitMQ cancelled the consumer of queue "${queue}" (queue deleted or unavailable). Check the queue and start the consumer again.`));
      return;
    }
    armIdle();
    const delivery = readDelivery(message);
    const task = (async () => {
      if (delivery === undefined) {
        // Not ours: straight to the dead-letter queue rather than delivery-limit rounds.
        logger.warn('consumer.malformed_delivery', { component: COMPONENT, outcome: 'dead-letter' });
        channel.nack(message, false, false);
        result.rejected += 1;
        return;
      }
      const fields = { component: COMPONENT, messageId: delivery.messageId, type: delivery.type, partner: delivery.sender };
      let outcome: DeliveryOutcome;
      try {
        outcome = await opts.handle(delivery);
      } catch (err) {
        logger.warn('consumer.handler_failed', { ...fields, reason: describeError(err) });
        outcome = 'reject';
      }
      if (outcome === 'ack') channel.ack(message);
      else channel.nack(message, false, true);
      if (outcome === 'ack') result.acked += 1;
      else result.rejected += 1;
      logger.debug('consumer.delivery', { ...fields, outcome });
    })()
      .catch((err: unknown) => {
        // Acknowledging on a channel that died throws; the broker redelivers the message anyway.
        logger.warn('consumer.ack_failed', { component: COMPONENT, reason: describeError(err) });
      })
      .finally(() => {
        inFlight.delete(task);
        armIdle();
      });
    inFlight.add(task);
  };

  const subscribe = async (session: BrokerSession): Promise<void> => {
    const check = await session.createChannel();
    try {
      await check.checkQueue(queue);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 404) throw err;
      throw new GatewayError(
        'config_invalid',
        `Queue "${queue}" does not exist on RabbitMQ (${describeError(err)}). Check the partner id and PASSERELLE_AMQP_PREFIX, or start the gateway once so that it declares its queues.`,
        { cause: err },
      );
    }
    await check.close().catch(() => undefined);
    const channel = await session.createChannel();
    // Per consumer (global = false): a global QoS on a quorum queue is a connection error in 3.10.
    await channel.prefetch(prefetch, false);
    const { consumerTag } = await channel.consume(queue, (message) => onMessage(channel, message), { noAck: false });
    subscription = { channel, consumerTag };
    logger.info('consumer.subscribed', { component: COMPONENT, reason: queue });
  };

  const broker = await connectBroker({ url: opts.url, ...(opts.tls ? { tls: opts.tls } : {}), logger, onReady: subscribe, connectionName: `passerelle-consume ${queue}` });

  const onAbort = (): void => finish();
  if (opts.signal?.aborted) finish();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  armIdle();

  try {
    await done;
  } finally {
    clearTimeout(idleTimer);
    opts.signal?.removeEventListener('abort', onAbort);
    // Cancel first and settle what was delivered: a quorum queue counts a message requeued by a
    // closing channel as a failed delivery (probe on 3.10.8), bringing it closer to the dead letters.
    if (subscription) await subscription.channel.cancel(subscription.consumerTag).catch(() => undefined);
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    await broker.close();
  }
  return result;
}
