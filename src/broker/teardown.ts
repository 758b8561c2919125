/**
 * Removing what a gateway declared under a prefix (topology.ts and dead-letter-watcher.ts): the demo's
 * own gateway cleans up after itself, and so do the tests' gateways.
 */
import type { Channel } from 'amqplib';
import { deadLetterWatchQueueName } from './dead-letter-watcher.js';
import { deadLetterExchangeName, deadLetterQueueName, exchangeName, queueName } from './topology.js';

export async function deleteGatewayTopology(channel: Channel, prefix: string, recipients: Iterable<string>): Promise<void> {
  for (const id of recipients) {
    await channel.deleteQueue(queueName(prefix, id));
    await channel.deleteQueue(deadLetterQueueName(prefix, id));
  }
  await channel.deleteQueue(deadLetterWatchQueueName(prefix));
  await channel.deleteExchange(exchangeName(prefix));
  await channel.deleteExchange(deadLetterExchangeName(prefix));
}
