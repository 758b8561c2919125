/**
 * The gateway under test, as its own process (`passerelle serve`, compiled as `npm start` runs it, or
 * through tsx with --source) on the embedded defaults: SQLite in a temporary folder, the example trust
 * directory, the local RabbitMQ under the bench's own prefix. Only the rate limit is raised. Beside it,
 * the recipient: a plain consumer of its queue.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'amqplib';
import { queueName } from '../../src/broker/topology.js';
// The tests' clean-up of a prefix's queues and exchanges, the same for the bench's prefix.
import { deleteTopology, EXAMPLE_CERTS } from '../../test/fixtures/gateway.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CERTS = EXAMPLE_CERTS;
export const SENDER = 'ofii-paris';
export const RECIPIENT = 'mission-locale-paris';
/** The gateway's rate limit for the bench: high enough never to refuse (the default, 1,200 per minute, is a partner's fair share). */
export const BENCH_RATE_LIMIT_PER_MINUTE = 10_000_000;
const BENCH_RATE_LIMIT_BURST = 1_000_000;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export { deleteTopology };

export interface GatewayProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  logFile: string;
  exited: Promise<number | null>;
  /** SIGTERM, then waits (at most STOP_TIMEOUT_MS) for the graceful stop. */
  stop(): Promise<void>;
}

export interface GatewayOptions {
  dataDir: string;
  prefix: string;
  fromSource: boolean;
  cryptoWorkers: string | undefined;
  /** PASSERELLE_STORE_THREAD=on. */
  storeThread?: boolean;
  cpuProfileDir: string | undefined;
  /** taskset -c list of the gateway's cores; all cores when absent. */
  pin?: string | undefined;
  /** PASSERELLE_DATABASE_URL: PostgreSQL, for several gateways sharing one store; the embedded SQLite when absent. */
  databaseUrl?: string | undefined;
  /** PASSERELLE_AMQP_URL. */
  amqpUrl: string;
}

export async function startGatewayProcess(opts: GatewayOptions): Promise<GatewayProcess> {
  const logFile = path.join(opts.dataDir, 'gateway.log');
  const log = fs.openSync(logFile, 'a');
  const nodeArgs = opts.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : [];
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PASSERELLE_PORT: '0',
    PASSERELLE_CERTS_DIR: CERTS,
    PASSERELLE_DATA_DIR: path.join(opts.dataDir, 'store'),
    PASSERELLE_AMQP_URL: opts.amqpUrl,
    PASSERELLE_AMQP_PREFIX: opts.prefix,
    PASSERELLE_RATE_LIMIT_PER_MINUTE: String(BENCH_RATE_LIMIT_PER_MINUTE),
    PASSERELLE_RATE_LIMIT_BURST: String(BENCH_RATE_LIMIT_BURST),
    ...(opts.cryptoWorkers === undefined ? {} : { PASSERELLE_CRYPTO_WORKERS: opts.cryptoWorkers }),
    ...(opts.databaseUrl === undefined ? {} : { PASSERELLE_DATABASE_URL: opts.databaseUrl }),
    PASSERELLE_STORE_THREAD: opts.storeThread === true ? 'on' : 'off',
  };
  const entry = opts.fromSource ? path.join(ROOT, 'bin', 'passerelle.js') : path.join(ROOT, 'dist', 'cli', 'main.js');
  // taskset execs node in its own process: the pid is the gateway's.
  const command = opts.pin === undefined ? [process.execPath, ...nodeArgs, entry, 'serve'] : ['taskset', '-c', opts.pin, process.execPath, ...nodeArgs, entry, 'serve'];
  const child = spawn(command[0]!, command.slice(1), { cwd: opts.dataDir, env, stdio: ['ignore', log, 'pipe'] });
  fs.closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`the gateway did not start within ${START_TIMEOUT_MS / 1000} s: ${text}`)), START_TIMEOUT_MS);
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const match = /listening on https:\/\/[^:]+:(\d+)/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited (${code}) before listening: ${text}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    port,
    logFile,
    exited,
    async stop() {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)))]);
      clearTimeout(timer);
    },
  };
}

export interface Recipient {
  deliveredAt: Map<string, number>;
  close(): Promise<void>;
}

/** The recipient's side: consumes its queue and acknowledges (it does not decrypt: its CPU would be charged to the path). */
export async function consumeRecipient(prefix: string, amqpUrl: string): Promise<Recipient> {
  const connection = await connect(amqpUrl, { noDelay: true } as never);
  const channel = await connection.createChannel();
  await channel.prefetch(1000);
  const deliveredAt = new Map<string, number>();
  await channel.consume(queueName(prefix, RECIPIENT), (message) => {
    if (message === null) return;
    deliveredAt.set(String(message.properties.messageId), performance.now());
    channel.ack(message);
  });
  return {
    deliveredAt,
    async close() {
      await channel.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}

/**
 * `passerelle audit verify --live` as the auditor, as an auditor checks the log: every entry hashed to
 * the signed root. Run with the same build as the gateway.
 */
export function verifyAuditLog(opts: { port: number; dataDir: string; fromSource: boolean }): { verified: boolean; treeSize: number | null; detail: string } {
  const entry = opts.fromSource ? path.join(ROOT, 'bin', 'passerelle.js') : path.join(ROOT, 'dist', 'cli', 'main.js');
  const auditorDir = path.join(opts.dataDir, 'auditor');
  fs.mkdirSync(auditorDir, { recursive: true });
  const run = spawnSync(process.execPath, [entry, 'audit', 'verify', '--live', '--json', '--gateway', `https://127.0.0.1:${opts.port}`], {
    env: { ...process.env, PASSERELLE_CERTS_DIR: CERTS, PASSERELLE_DATA_DIR: auditorDir },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) return { verified: false, treeSize: null, detail: `exit ${run.status}: ${(run.stderr || run.stdout).trim().split('\n').slice(-3).join(' ')}` };
  try {
    const summary = JSON.parse(run.stdout) as { treeSize: number; verified: boolean };
    return { verified: summary.verified === true, treeSize: summary.treeSize, detail: `${summary.treeSize} entries hashed to the signed root` };
  } catch {
    return { verified: false, treeSize: null, detail: `unreadable output: ${run.stdout.slice(0, 200)}` };
  }
}

/** The CPU affinity of every thread of a process (taskset -ap), to restore it after pinning; undefined when taskset fails. */
export function affinityOf(pid: number): string | undefined {
  const run = spawnSync('taskset', ['-pc', String(pid)], { encoding: 'utf8' });
  return run.status === 0 ? /: (\S+)\s*$/.exec(run.stdout.trim())?.[1] : undefined;
}

/** Pins every thread of a process to a CPU list; throws when taskset refuses. */
export function pin(pid: number, cpus: string): void {
  const run = spawnSync('taskset', ['-apc', cpus, String(pid)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`taskset -apc ${cpus} ${pid} failed: ${run.stderr.trim()}`);
}
