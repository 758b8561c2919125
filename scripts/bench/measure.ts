/**
 * What the bench measures besides the client's own clock: CPU time of the gateway (all its threads and
 * its main thread), of the bench process and of RabbitMQ, how busy the machine was, the gateway's RSS,
 * and latency percentiles. Read from /proc (proc(5)), so Linux only.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100;

export interface CpuTimes {
  userMs: number;
  systemMs: number;
}

/** utime and stime of a process, all its threads (proc(5), /proc/<pid>/stat fields 14 and 15), or of one thread (/proc/<pid>/task/<tid>/stat). */
function processCpu(pid: number, tid?: number): CpuTimes {
  const stat = fs.readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { userMs: (Number(fields[11]) * 1000) / CLOCK_TICKS_PER_SECOND, systemMs: (Number(fields[12]) * 1000) / CLOCK_TICKS_PER_SECOND };
}

export function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : 0;
}

/** Busy and total jiffies of the whole machine (/proc/stat), to show how loaded both cores were. */
function machineCpu(): { busy: number; total: number } {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3]! + fields[4]!;
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * The operating-system process of each RabbitMQ node named (its Erlang VM, as the node itself reports
 * it), to show what the broker costs on the same cores. With none named, the machine's default node,
 * or, when rabbitmqctl cannot ask it (not root, not installed), the first Erlang VM running. A named
 * node that does not answer is left out.
 */
export function brokerPids(nodes: readonly string[]): number[] {
  const pids: number[] = [];
  for (const node of nodes.length === 0 ? [undefined] : nodes) {
    const run = spawnSync('rabbitmqctl', ['-q', ...(node === undefined ? [] : ['-n', node]), 'eval', 'os:getpid().'], { encoding: 'utf8', timeout: 30_000 });
    const pid = /^"(\d+)"$/.exec(run.stdout?.trim() ?? '')?.[1];
    if (run.status === 0 && pid !== undefined) pids.push(Number(pid));
  }
  if (nodes.length === 0 && pids.length === 0) {
    const vm = processesNamed('beam.smp')[0];
    if (vm !== undefined) pids.push(vm);
  }
  return pids;
}

/** The processes whose command (proc(5), /proc/<pid>/comm) is `command`; one that ends while listed is left out. */
function processesNamed(command: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === command) pids.push(Number(entry));
    } catch {
      // The process ended while listing.
    }
  }
  return pids;
}

export interface CpuSnapshot {
  at: number;
  /** All the gateway processes together (several in a scale-out run). */
  gateway: CpuTimes;
  /** Their main threads (a main thread's id is its process id): HTTP, checks, store, broker. */
  gatewayMain: CpuTimes;
  /** Each gateway process alone, in the order they were started. */
  perGateway: CpuTimes[];
  bench: NodeJS.CpuUsage;
  /** The RabbitMQ nodes together (three in a clustered run). */
  broker: CpuTimes | undefined;
  /** PostgreSQL's server processes together (its backends serve the gateways' pools), when the run uses it. */
  postgres: CpuTimes | undefined;
  machine: { busy: number; total: number };
}

const sum = (times: CpuTimes[]): CpuTimes => times.reduce((a, b) => ({ userMs: a.userMs + b.userMs, systemMs: a.systemMs + b.systemMs }), { userMs: 0, systemMs: 0 });

/** Every process whose command is `postgres` (the postmaster and its backends), proc(5). */
function postgresCpu(): CpuTimes {
  const times: CpuTimes[] = [];
  for (const pid of processesNamed('postgres')) {
    try {
      times.push(processCpu(pid));
    } catch {
      // The process ended since it was listed.
    }
  }
  return sum(times);
}

export function snapshot(gatewayPids: number[], brokers: readonly number[], withPostgres = false): CpuSnapshot {
  let brokerCpu: CpuTimes | undefined;
  try {
    brokerCpu = brokers.length === 0 ? undefined : sum(brokers.map((pid) => processCpu(pid)));
  } catch {
    brokerCpu = undefined;
  }
  const perGateway = gatewayPids.map((pid) => processCpu(pid));
  return {
    at: performance.now(),
    gateway: sum(perGateway),
    gatewayMain: sum(gatewayPids.map((pid) => processCpu(pid, pid))),
    perGateway,
    bench: process.cpuUsage(),
    broker: brokerCpu,
    postgres: withPostgres ? postgresCpu() : undefined,
    machine: machineCpu(),
  };
}

export interface CpuFigures {
  gatewayCpuSeconds: number;
  gatewayCores: number;
  gatewayCpuMsPerMessage: number;
  /** Of which the main thread; the rest is the crypto workers, the libuv pool (fsync) and V8's helpers. */
  gatewayMainThreadMsPerMessage: number;
  benchClientCpuSeconds: number;
  brokerCpuSeconds: number | null;
  brokerCpuMsPerMessage: number | null;
  /** PostgreSQL's CPU, when the run uses it. */
  postgresCpuSeconds: number | null;
  postgresCpuMsPerMessage: number | null;
  /** Each gateway process's CPU per message of the whole run's messages (it took about 1/N of them). */
  perGatewayCpuMsPerMessage: number[];
  machineBusyPercent: number;
}

/** Per instance, CPU per message is counted against its share of the messages: the run's divided by the number of gateways. */
function gatewayCountOf(s: CpuSnapshot): number {
  return Math.max(1, s.perGateway.length);
}

export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot, messages: number): CpuFigures {
  const seconds = (b.at - a.at) / 1000;
  const gateway = (b.gateway.userMs + b.gateway.systemMs - a.gateway.userMs - a.gateway.systemMs) / 1000;
  const main = (b.gatewayMain.userMs + b.gatewayMain.systemMs - a.gatewayMain.userMs - a.gatewayMain.systemMs) / 1000;
  const bench = (b.bench.user + b.bench.system - a.bench.user - a.bench.system) / 1e6;
  const broker = a.broker && b.broker ? (b.broker.userMs + b.broker.systemMs - a.broker.userMs - a.broker.systemMs) / 1000 : null;
  const postgres = a.postgres && b.postgres ? (b.postgres.userMs + b.postgres.systemMs - a.postgres.userMs - a.postgres.systemMs) / 1000 : null;
  return {
    gatewayCpuSeconds: round(gateway, 2),
    gatewayCores: round(gateway / seconds, 2),
    gatewayCpuMsPerMessage: round((gateway * 1000) / messages, 3),
    gatewayMainThreadMsPerMessage: round((main * 1000) / messages, 3),
    benchClientCpuSeconds: round(bench, 2),
    brokerCpuSeconds: broker === null ? null : round(broker, 2),
    brokerCpuMsPerMessage: broker === null ? null : round((broker * 1000) / messages, 3),
    postgresCpuSeconds: postgres === null ? null : round(postgres, 2),
    postgresCpuMsPerMessage: postgres === null ? null : round((postgres * 1000) / messages, 3),
    perGatewayCpuMsPerMessage: b.perGateway.map((t, i) => round(((t.userMs + t.systemMs - a.perGateway[i]!.userMs - a.perGateway[i]!.systemMs) * gatewayCountOf(b)) / messages, 3)),
    machineBusyPercent: round((100 * (b.machine.busy - a.machine.busy)) / Math.max(1, b.machine.total - a.machine.total), 1),
  };
}

/** The gateway's RSS, sampled every periodMs from the start: [seconds since the start, MB]. */
export function sampleRss(pid: number, periodMs: number): { samples: Array<[number, number]>; stop(): void } {
  const samples: Array<[number, number]> = [];
  const start = performance.now();
  const timer = setInterval(() => {
    try {
      samples.push([round((performance.now() - start) / 1000, 1), round(statusKb(pid, 'VmRSS') / 1024, 1)]);
    } catch {
      // The gateway has exited.
    }
  }, periodMs);
  return { samples, stop: () => clearInterval(timer) };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface LatencyFigures {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  count: number;
}

export function latencyFigures(samples: number[]): LatencyFigures {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50Ms: round(percentile(sorted, 50), 2), p95Ms: round(percentile(sorted, 95), 2), p99Ms: round(percentile(sorted, 99), 2), maxMs: round(sorted.at(-1) ?? NaN, 2), count: sorted.length };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
