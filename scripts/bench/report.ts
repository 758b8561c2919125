/**
 * The bench's report: the figures of a run as JSON (to compare runs) and as a table, each target of
 * the performance requirements with its verdict. A target stated over more messages than the run sent
 * gets an indicative verdict only.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { cpuBetween, latencyFigures, round } from './measure.js';
import type { CpuFigures, LatencyFigures } from './measure.js';
import type { LoadRun } from './load.js';
import type { CryptoOnlyFigures } from './seal.js';

export const TARGETS = {
  endToEndRatio: 0.75,
  sustainedMessages: 100_000,
  loneP50Ms: 8,
  steadyP99Ms: 25,
  steadyRate: 100,
  rssMb: 300,
  rssMessages: 1_000_000,
};

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  node: string;
  platform: string;
  loadAverageAtStart: number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((l) => round(l, 2)),
  };
}

function rabbitVersion(): string {
  try {
    const out = execFileSync('rabbitmqctl', ['-q', 'version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.trim();
  } catch {
    return 'unknown';
  }
}

export interface ReportInput {
  machine: MachineInfo;
  date: string;
  settings: Record<string, unknown> & { messages: number; steadyRate: number };
  load: LoadRun;
  cryptoBefore: CryptoOnlyFigures;
  cryptoAfter: CryptoOnlyFigures;
  /** Messages sent in the whole run, warm-up included. */
  totalMessages: number;
  peakRssMb: number;
  rss: Array<[number, number]>;
  sealSeconds: number;
}

export interface Report {
  machine: MachineInfo & { rabbitmq: string; loadAverageAtEnd: number[] };
  date: string;
  settings: ReportInput['settings'];
  figures: {
    acceptedPerSecond: number;
    deliveredPerSecond: number;
    accepted: number;
    delivered: number;
    refusals: Record<string, number>;
    throughputLatency: LatencyFigures;
    loneLatency: LatencyFigures;
    steadyLatency: LatencyFigures;
    cryptoOnly: { before: CryptoOnlyFigures; after: CryptoOnlyFigures; meanPerSecond: number };
    ratioAccepted: number;
    ratioDelivered: number;
    cpu: { throughputAccept: CpuFigures; throughputUntilDelivered: CpuFigures; steady: CpuFigures; wholeRun: CpuFigures };
    memory: { peakRssMb: number; rssMinMbSecondHalf: number | null; rssMaxMbSecondHalf: number | null; rssSamples: Array<[number, number]> };
    sealSeconds: number;
  };
  targets: Record<string, { target: string; measured: number | string; verdict: string }>;
  profile?: unknown;
}

export function buildReport(input: ReportInput): Report {
  const { load, settings } = input;
  // openpgp's rate drifts on these machines: the ratio is taken to the mean of the measurements before and after.
  const cryptoRate = round((input.cryptoBefore.perSecond + input.cryptoAfter.perSecond) / 2, 1);
  const acceptSeconds = (load.acceptedEnd.at - load.bulkStart.at) / 1000;
  const deliverSeconds = (load.lastDelivery - load.bulkStart.at) / 1000;
  const acceptedPerSecond = round(load.accepted / acceptSeconds, 1);
  const deliveredPerSecond = round(load.delivered / deliverSeconds, 1);
  const loneLatency = latencyFigures(load.lone.map((r) => r.latencyMs));
  const steadyLatency = latencyFigures(load.steady.map((r) => r.latencyMs));
  const bulkLatency = latencyFigures(load.bulk.map((r) => r.latencyMs));
  const rssValues = input.rss.map(([, mb]) => mb);
  const secondHalf = rssValues.slice(Math.floor(rssValues.length / 2));
  const ratioAccepted = round(acceptedPerSecond / cryptoRate, 3);
  const ratioDelivered = round(deliveredPerSecond / cryptoRate, 3);
  const sustained = settings.messages >= TARGETS.sustainedMessages;
  const rssRun = settings.messages >= TARGETS.rssMessages;
  const verdict = (pass: boolean, measuredAtScale: boolean) => (measuredAtScale ? (pass ? 'pass' : 'FAIL') : pass ? 'pass (indicative: fewer messages than the target states)' : 'FAIL (indicative: fewer messages than the target states)');

  return {
    machine: { ...input.machine, rabbitmq: rabbitVersion(), loadAverageAtEnd: os.loadavg().map((l) => round(l, 2)) },
    date: input.date,
    settings,
    figures: {
      acceptedPerSecond,
      deliveredPerSecond,
      accepted: load.accepted,
      delivered: load.delivered,
      refusals: Object.fromEntries(load.refusals.counts),
      throughputLatency: bulkLatency,
      loneLatency,
      steadyLatency,
      cryptoOnly: { before: input.cryptoBefore, after: input.cryptoAfter, meanPerSecond: cryptoRate },
      ratioAccepted,
      ratioDelivered,
      cpu: {
        throughputAccept: cpuBetween(load.bulkStart, load.acceptedEnd, settings.messages),
        throughputUntilDelivered: cpuBetween(load.bulkStart, load.deliveredEnd, settings.messages),
        steady: cpuBetween(load.steadyStart, load.steadyEnd, load.steady.length),
        wholeRun: cpuBetween(load.baseline, load.deliveredEnd, input.totalMessages),
      },
      memory: {
        peakRssMb: input.peakRssMb,
        rssMinMbSecondHalf: secondHalf.length ? Math.min(...secondHalf) : null,
        rssMaxMbSecondHalf: secondHalf.length ? Math.max(...secondHalf) : null,
        rssSamples: input.rss.filter((_, i) => i % Math.max(1, Math.ceil(input.rss.length / 200)) === 0),
      },
      sealSeconds: round(input.sealSeconds, 1),
    },
    targets: {
      acceptedVsCrypto: { target: `>= ${TARGETS.endToEndRatio} x crypto-only over ${TARGETS.sustainedMessages} messages`, measured: ratioAccepted, verdict: verdict(ratioAccepted >= TARGETS.endToEndRatio, sustained) },
      deliveredVsCrypto: { target: `>= ${TARGETS.endToEndRatio} x crypto-only over ${TARGETS.sustainedMessages} messages`, measured: ratioDelivered, verdict: verdict(ratioDelivered >= TARGETS.endToEndRatio, sustained) },
      loneP50: { target: `<= ${TARGETS.loneP50Ms} ms`, measured: loneLatency.p50Ms, verdict: loneLatency.p50Ms <= TARGETS.loneP50Ms ? 'pass' : 'FAIL' },
      steadyP99: {
        target: `<= ${TARGETS.steadyP99Ms} ms at ${TARGETS.steadyRate}/s`,
        measured: steadyLatency.p99Ms,
        verdict: settings.steadyRate === TARGETS.steadyRate ? (steadyLatency.p99Ms <= TARGETS.steadyP99Ms ? 'pass' : 'FAIL') : `not measured at ${TARGETS.steadyRate}/s`,
      },
      rss: { target: `< ${TARGETS.rssMb} MB and flat over ${TARGETS.rssMessages} messages`, measured: input.peakRssMb, verdict: verdict(input.peakRssMb < TARGETS.rssMb, rssRun) },
      allDelivered: { target: 'every accepted message delivered', measured: `${load.delivered}/${load.accepted}`, verdict: load.delivered === load.accepted ? 'pass' : 'FAIL' },
    },
  };
}

export function printTable(report: Report): void {
  const r = report as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  const f = r.figures;
  const s = r.settings;
  const lines = [
    `Passerelle bench, ${r.date}`,
    `machine: ${r.machine.cores} cores ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, node ${r.machine.node}, RabbitMQ ${r.machine.rabbitmq}, load ${r.machine.loadAverageAtStart.join(' ')} at start`,
    `settings: ${s.messages} messages, ${s.concurrency} clients, document ${s.documentBytes} B (${s.armored ? 'armored' : 'binary'} ${s.sealedBytes} B), gateway ${s.gatewayRuns} with crypto workers ${s.gatewayCryptoWorkers}, rate limit raised to ${s.rateLimitPerMinute}/min for the bench`,
    '',
    `crypto alone (${s.cryptoWorkers} workers, ${s.cryptoMessages} messages): ${f.cryptoOnly.before.perSecond}/s before, ${f.cryptoOnly.after.perSecond}/s after, mean ${f.cryptoOnly.meanPerSecond}/s`,
    `accepted:   ${f.acceptedPerSecond}/s (${f.accepted}), ratio ${f.ratioAccepted}`,
    `delivered:  ${f.deliveredPerSecond}/s end to end (${f.delivered}), ratio ${f.ratioDelivered}`,
    `refusals:   ${JSON.stringify(f.refusals)}`,
    `latency under load (${s.concurrency} in flight): p50 ${f.throughputLatency.p50Ms} ms, p95 ${f.throughputLatency.p95Ms} ms, p99 ${f.throughputLatency.p99Ms} ms`,
    `latency lone (1 in flight):  p50 ${f.loneLatency.p50Ms} ms, p95 ${f.loneLatency.p95Ms} ms, p99 ${f.loneLatency.p99Ms} ms`,
    `latency steady ${s.steadyRate}/s:        p50 ${f.steadyLatency.p50Ms} ms, p95 ${f.steadyLatency.p95Ms} ms, p99 ${f.steadyLatency.p99Ms} ms`,
    `CPU, throughput phase until delivered: gateway ${f.cpu.throughputUntilDelivered.gatewayCpuSeconds} s (${f.cpu.throughputUntilDelivered.gatewayCores} cores, ${f.cpu.throughputUntilDelivered.gatewayCpuMsPerMessage} ms/message, of which main thread ${f.cpu.throughputUntilDelivered.gatewayMainThreadMsPerMessage}), bench client ${f.cpu.throughputUntilDelivered.benchClientCpuSeconds} s, RabbitMQ ${f.cpu.throughputUntilDelivered.brokerCpuSeconds ?? '(not visible)'} s, machine busy ${f.cpu.throughputUntilDelivered.machineBusyPercent} %`,
    `CPU, whole run: gateway ${f.cpu.wholeRun.gatewayCpuSeconds} s (${f.cpu.wholeRun.gatewayCpuMsPerMessage} ms/message)`,
    `memory: peak RSS ${f.memory.peakRssMb} MB, second half of the run ${f.memory.rssMinMbSecondHalf}-${f.memory.rssMaxMbSecondHalf} MB`,
    ...(r.profile
      ? [
          '',
          `gateway main thread, CPU profile (${r.profile.sampledSeconds} s sampled, ${r.profile.file}):`,
          `  by area: ${r.profile.areas.slice(0, 10).map((a: { area: string; percent: number }) => `${a.area} ${a.percent} %`).join(', ')}`,
          ...r.profile.functions.slice(0, 15).map((fn: { fn: string; percent: number }) => `  ${String(fn.percent).padStart(5)} %  ${fn.fn}`),
        ]
      : []),
    '',
    'targets:',
    ...Object.entries(report.targets).map(([name, t]) => `  ${name.padEnd(18)} ${String(t.target).padEnd(50)} ${String(t.measured).padEnd(10)} ${t.verdict}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
