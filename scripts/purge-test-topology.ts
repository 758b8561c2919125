/**
 * Deletes the queues and exchanges that test runs left on the local RabbitMQ when they were killed
 * before their clean-up (names `test-<8 hex>...`, see test/fixtures/gateway.ts uniquePrefix). Quorum
 * queues hold file handles: a few hundred leaked ones exhaust the broker's descriptors and new
 * connections hang. Run by .ci/run before the tests; never touches other names.
 */
import { execFileSync } from 'node:child_process';
import { connect } from 'amqplib';

const LEFTOVER = /^test-[0-9a-f]{8}[.-]/;
const url = process.argv[2] ?? 'amqp://guest:guest@127.0.0.1:5672';

function list(what: 'list_queues' | 'list_exchanges'): string[] {
  const out = execFileSync('rabbitmqctl', ['-q', what, 'name', '--no-table-headers'], { encoding: 'utf8' });
  return out.split('\n').map((line) => line.trim()).filter((name) => LEFTOVER.test(name));
}

const queues = list('list_queues');
const exchanges = list('list_exchanges');
const connection = await connect(url);
try {
  const channel = await connection.createChannel();
  for (const queue of queues) await channel.deleteQueue(queue);
  for (const exchange of exchanges) await channel.deleteExchange(exchange);
  await channel.close();
} finally {
  await connection.close();
}
console.log(`purge-test-topology: deleted ${queues.length} leftover test queues and ${exchanges.length} exchanges`);
