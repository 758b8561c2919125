/** The command line of `npm run bench`, read and checked once. */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AMQP_URL } from '../../test/fixtures/gateway.js';
import { TARGETS } from './report.js';

export interface BenchSettings {
  messages: number;
  concurrency: number;
  rate: number;
  steadySeconds: number;
  lone: number;
  cryptoMessages: number;
  /** PASSERELLE_CRYPTO_WORKERS of the gateway; its default when undefined. */
  cryptoWorkers: string | undefined;
  /** PASSERELLE_STORE_THREAD=on for the gateway (SQLite only). */
  storeThread: boolean;
  armor: boolean;
  fromSource: boolean;
  cpuProfileDir: string | undefined;
  /** CPU lists for taskset(1): the gateway's cores, and those of the bench client and RabbitMQ. */
  pinGateway: string | undefined;
  pinOthers: string | undefined;
  /** Where the throughput phase's messages are sealed to when they are read from disk (seal.ts, sealToSpool). */
  spoolDir: string;
  /** Seal the throughput phase to disk whatever its size (it is above SPOOL_ABOVE_MESSAGES). */
  spool: boolean;
  /** Gateway processes sharing one PostgreSQL store and the broker (scale-out); 1 on the embedded SQLite. */
  gateways: number;
  /** PostgreSQL server for --gateways above 1 (or --postgres): a database is created for the run and dropped after. */
  postgresUrl: string | undefined;
  /** The broker of the gateways and the recipient (PASSERELLE_AMQP_URL). */
  amqpUrl: string;
  /** RabbitMQ nodes on this machine whose CPU is the broker's (their Erlang VMs, measure.ts brokerPids); empty for the machine's default node. */
  brokerNodes: string[];
  out: string;
}

/** Above this many messages in the throughput phase, they are sealed to a spool file instead of memory. */
export const SPOOL_ABOVE_MESSAGES = 100_000;

const HELP = `npm run bench -- [options]
  --messages N          messages of the throughput phase (default 5000; the target is stated over 100000)
  --concurrency C       concurrent keep-alive mutual-TLS clients in the throughput phase (default 16)
  --rate R              messages per second of the steady phase (default 100)
  --steady-seconds S    length of the steady phase (default 10)
  --lone L              messages sent one at a time (default 200)
  --crypto-messages M   messages of each crypto-only measurement (default 1000)
  --crypto-workers W    PASSERELLE_CRYPTO_WORKERS of the gateway (default: the gateway's default)
  --store-thread        the gateway's SQLite store on a thread of its own (PASSERELLE_STORE_THREAD=on)
  --binary              send binary OpenPGP instead of armored (default armored, as the CLI sends)
  --source              run the gateway's TypeScript through tsx (bin/passerelle.js) instead of the
                        compiled dist/ that \`npm start\` runs (built first by \`npm run build\`)
  --cpu-prof DIR        run the gateway under node --cpu-prof, profiles written to DIR
  --pin-gateway CPUS    run the gateway on these cores only (taskset -c list, e.g. 1 or 2-7), and the
                        crypto-alone measurement on them too
  --pin-others CPUS     run the bench client and RabbitMQ on these cores (RabbitMQ's affinity is
                        restored at the end), as production runs them on other machines
  --spool-dir DIR       where messages are sealed to disk when --messages is above 100000 (about
                        6.5 KB each; default: the system's temporary folder)
  --spool               seal the throughput phase to disk and stream it whatever --messages is
  --gateways N          N gateway processes on one PostgreSQL store and the broker (scale-out); the
                        throughput phase's clients are spread over them, PostgreSQL's CPU is measured
  --postgres URL        the PostgreSQL server for --gateways (default postgres://postgres@127.0.0.1:5432/postgres);
                        with --gateways 1, runs one gateway on PostgreSQL instead of SQLite
  --amqp-url URL        the broker (default ${AMQP_URL}); a local three-node cluster:
                        scripts/bench/rabbitmq-cluster.sh start, then amqp://guest:guest@127.0.0.1:5681
  --broker-nodes LIST   the RabbitMQ nodes on this machine whose CPU is the broker's (default: the
                        machine's node; the cluster's: bench1@localhost,bench2@localhost,bench3@localhost)
  --out FILE            JSON figures (default bench.json)
`;

function positive(name: string, raw: string | undefined, min = 1): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`bench: --${name} must be a whole number of at least ${min}\n`);
    process.exit(2);
  }
  return value;
}

function cpuList(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(raw)) {
    process.stderr.write(`bench: --${name} must be a CPU list as taskset -c takes it (0, 1-3, 0,2)\n`);
    process.exit(2);
  }
  return raw;
}

function nodeList(raw: string): string[] {
  const nodes = raw.split(',');
  if (!nodes.every((node) => /^[A-Za-z0-9_-]+@[A-Za-z0-9_.-]+$/.test(node))) {
    process.stderr.write('bench: --broker-nodes must be RabbitMQ node names separated by commas (rabbit@localhost, or bench1@localhost,bench2@localhost,bench3@localhost)\n');
    process.exit(2);
  }
  return nodes;
}

/** How many CPUs a taskset list names. */
export function cpuCount(list: string): number {
  return list.split(',').reduce((n, part) => {
    const [a, b] = part.split('-').map(Number);
    return n + (b === undefined ? 1 : b - a! + 1);
  }, 0);
}

function storeThread(on: boolean, postgres: boolean): boolean {
  if (on && postgres) {
    process.stderr.write('bench: --store-thread is for the embedded SQLite store; drop it with --postgres or --gateways above 1\n');
    process.exit(2);
  }
  return on;
}

/** The settings of this run; prints the help and exits for --help, exits 2 on a bad value. */
export function readOptions(args: string[] = process.argv.slice(2)): BenchSettings {
  const { values: options } = parseArgs({
    args,
    options: {
      messages: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '16' },
      rate: { type: 'string', default: String(TARGETS.steadyRate) },
      'steady-seconds': { type: 'string', default: '10' },
      lone: { type: 'string', default: '200' },
      'crypto-messages': { type: 'string', default: '1000' },
      'crypto-workers': { type: 'string' },
      'store-thread': { type: 'boolean', default: false },
      binary: { type: 'boolean', default: false },
      source: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      'pin-gateway': { type: 'string' },
      'pin-others': { type: 'string' },
      'spool-dir': { type: 'string' },
      spool: { type: 'boolean', default: false },
      gateways: { type: 'string', default: '1' },
      postgres: { type: 'string' },
      'amqp-url': { type: 'string', default: AMQP_URL },
      'broker-nodes': { type: 'string' },
      out: { type: 'string', default: 'bench.json' },
      help: { type: 'boolean', default: false },
    },
  });
  if (options.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const postgresUrl = options.postgres ?? (Number(options.gateways) > 1 ? 'postgres://postgres@127.0.0.1:5432/postgres' : undefined);
  return {
    messages: positive('messages', options.messages),
    concurrency: positive('concurrency', options.concurrency),
    rate: positive('rate', options.rate),
    steadySeconds: positive('steady-seconds', options['steady-seconds']),
    lone: positive('lone', options.lone),
    cryptoMessages: positive('crypto-messages', options['crypto-messages']),
    cryptoWorkers: options['crypto-workers'],
    storeThread: storeThread(options['store-thread'] === true, postgresUrl !== undefined),
    armor: !options.binary,
    fromSource: options.source === true,
    cpuProfileDir: options['cpu-prof'] ? path.resolve(options['cpu-prof']) : undefined,
    pinGateway: cpuList('pin-gateway', options['pin-gateway']),
    pinOthers: cpuList('pin-others', options['pin-others']),
    spoolDir: path.resolve(options['spool-dir'] ?? os.tmpdir()),
    spool: options.spool === true,
    gateways: positive('gateways', options.gateways),
    postgresUrl,
    amqpUrl: options['amqp-url']!,
    brokerNodes: options['broker-nodes'] === undefined ? [] : nodeList(options['broker-nodes']),
    out: path.resolve(options.out!),
  };
}
