/**
 * How many messages wait in each partner's queue and dead-letter queue, for the operator
 * (src/observability/operator-status.ts). A passive check (AMQP queue.declare passive, amqplib
 * checkQueue): it creates nothing and changes nothing. A queue that does not exist closes the channel
 * (404), so each failed check takes a new channel; the whole check is bounded in time, because a
 * status answer must not wait for a broker that stopped answering.
 */
import type { Channel } from 'amqplib';
import { GatewayError } from '../domain/errors.js';
import type { BrokerConnection } from './connection.js';
import { deadLetterQueueName, queueName } from './topology.js';

export interface PartnerQueueDepth {
  partner: string;
  queue: string;
  messages: number | null;
  deadLettered: number | null;
}

export const QUEUE_CHECK_TIMEOUT_MS = 2_000;

export async function checkQueueDepths(opts: { broker: Pick<BrokerConnection, 'createChannel' | 'isConnected'>; prefix: string; partners: readonly string[]; timeoutMs?: number }): Promise<PartnerQueueDepth[]> {
  const timeoutMs = opts.timeoutMs ?? QUEUE_CHECK_TIMEOUT_MS;
  if (!opts.broker.isConnected()) throw new GatewayError('broker_unreachable', 'RabbitMQ is disconnected; queue depths are unknown until it is back.');
  let channel: Channel | undefined;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GatewayError('broker_unreachable', `RabbitMQ did not answer the queue checks within ${timeoutMs} ms.`)), timeoutMs);
  });
  timedOut.catch(() => undefined);
  const count = async (queue: string): Promise<number | null> => {
    try {
      // A 404 closes the channel (logged by the connection's guard): the next check opens another.
      channel ??= await opts.broker.createChannel();
      return (await channel.checkQueue(queue)).messageCount;
    } catch {
      channel = undefined;
      return null;
    }
  };
  const work = (async () => {
    const depths: PartnerQueueDepth[] = [];
    for (const partner of opts.partners) {
      const queue = queueName(opts.prefix, partner);
      depths.push({ partner, queue, messages: await count(queue), deadLettered: await count(deadLetterQueueName(opts.prefix, partner)) });
    }
    return depths;
  })();
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
    void work.finally(() => channel?.close().catch(() => undefined)).catch(() => undefined);
  }
}
