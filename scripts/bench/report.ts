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
import { meanStageMs, stageCounts } from './scrape.js';
import type { CryptoOnlyFigures } from './seal.js';

export const TARGETS = {
  /** The crypto's share of the gateway's CPU per message: the gateway spends at most 1.33 times its crypto. */
  cryptoEfficiency: 0.75,
  /** The main thread's CPU per message: below it, one process feeds eight or more crypto cores. */
  mainThreadMsPerMessage: 0.5,
  /** Throughput of the last tenth of the soak against the first, in per cent. */
  soakDriftPercent: 10,
  /** RSS of the last tenth of the throughput phase against its middle tenth, in per cent: "flat". */
  rssGrowthPercent: 5,
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
  /** performance.now() when the RSS sampling started, to place its samples in the phases. */
  rssStartedAt: number;
  sealSeconds: number;
  /** `passerelle audit verify --live` as the auditor at the end of the run. */
  audit: { verified: boolean; treeSize: number | null; detail: string };
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
    /** The first distinct problem details of each refusal. */
    refusalDetails: Record<string, string[]>;
    throughputLatency: LatencyFigures;
    loneLatency: LatencyFigures;
    steadyLatency: LatencyFigures;
    cryptoOnly: { before: CryptoOnlyFigures; after: CryptoOnlyFigures; meanPerSecond: number; cpuMsPerMessage: number };
    /** Crypto CPU per message over the gateway's CPU per message in the throughput phase. */
    cryptoEfficiency: number;
    /** Mean milliseconds per stage of the gateway (its /metrics) during the lone and the steady phases. */
    stagesMs: { lone: Record<string, number>; steady: Record<string, number> } | null;
    /** New TLS connections (handshakes) the gateway counted in the lone and the steady phases. */
    handshakes: { lone: number; steady: number } | null;
    /** Accepted per second over the first and the last tenth of the throughput phase's answers. */
    soak: { firstTenthPerSecond: number; lastTenthPerSecond: number; changePercent: number };
    audit: ReportInput['audit'];
    ratioAccepted: number;
    ratioDelivered: number;
    cpu: { throughputAccept: CpuFigures; throughputUntilDelivered: CpuFigures; steady: CpuFigures; wholeRun: CpuFigures };
    memory: {
      peakRssMb: number;
      rssMinMbSecondHalf: number | null;
      rssMaxMbSecondHalf: number | null;
      /** Highest RSS over the middle and over the last tenth of the throughput phase, and the growth between them. */
      rssMiddleTenthMb: number | null;
      rssLastTenthMb: number | null;
      rssGrowthPercent: number | null;
      rssSamples: Array<[number, number]>;
    };
    sealSeconds: number;
  };
  targets: Record<string, { target: string; measured: number | string; verdict: string }>;
  profile?: unknown;
}

/** Accepted per second over the first and the last tenth of the answers (sorted by time), from the phase's start. */
export function tenths(doneAt: Float64Array, start: number): Report['figures']['soak'] {
  const sorted = Float64Array.from(doneAt).sort();
  const tenth = Math.floor(sorted.length / 10);
  if (tenth === 0) return { firstTenthPerSecond: NaN, lastTenthPerSecond: NaN, changePercent: NaN };
  const first = tenth / ((sorted[tenth - 1]! - start) / 1000);
  const last = tenth / ((sorted[sorted.length - 1]! - sorted[sorted.length - 1 - tenth]!) / 1000);
  return { firstTenthPerSecond: round(first, 1), lastTenthPerSecond: round(last, 1), changePercent: round((100 * (last - first)) / first, 1) };
}

/** Highest RSS sampled between two fractions of a time window. */
export function maxRssBetween(samples: Array<[number, number]>, startedAt: number, from: number, to: number, windowStart: number, windowEnd: number): number | null {
  const lo = (windowStart + from * (windowEnd - windowStart) - startedAt) / 1000;
  const hi = (windowStart + to * (windowEnd - windowStart) - startedAt) / 1000;
  const inside = samples.filter(([at]) => at >= lo && at <= hi).map(([, mb]) => mb);
  return inside.length ? Math.max(...inside) : null;
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
  const bulkLatency = latencyFigures(Array.from(load.bulk.latencies));
  const cryptoCpuMs = round((input.cryptoBefore.cpuMsPerMessage + input.cryptoAfter.cpuMsPerMessage) / 2, 3);
  const throughputCpu = cpuBetween(load.bulkStart, load.deliveredEnd, settings.messages);
  const cryptoEfficiency = round(cryptoCpuMs / throughputCpu.gatewayCpuMsPerMessage, 3);
  const soak = tenths(load.bulk.doneAt, load.bulkStart.at);
  const rssMiddle = maxRssBetween(input.rss, input.rssStartedAt, 0.45, 0.55, load.bulkStart.at, load.lastDelivery);
  const rssLast = maxRssBetween(input.rss, input.rssStartedAt, 0.9, 1, load.bulkStart.at, load.lastDelivery);
  const rssGrowth = rssMiddle === null || rssLast === null ? null : round((100 * (rssLast - rssMiddle)) / rssMiddle, 1);
  const rssFlat = rssGrowth !== null && rssGrowth <= TARGETS.rssGrowthPercent;
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
      refusalDetails: Object.fromEntries(load.refusals.details),
      throughputLatency: bulkLatency,
      loneLatency,
      steadyLatency,
      cryptoOnly: { before: input.cryptoBefore, after: input.cryptoAfter, meanPerSecond: cryptoRate, cpuMsPerMessage: cryptoCpuMs },
      cryptoEfficiency,
      handshakes: load.stages
        ? { lone: stageCounts(load.stages.beforeLone, load.stages.afterLone)['tls_handshake']!, steady: stageCounts(load.stages.afterLone, load.stages.afterSteady)['tls_handshake']! }
        : null,
      stagesMs: load.stages ? { lone: meanStageMs(load.stages.beforeLone, load.stages.afterLone), steady: meanStageMs(load.stages.afterLone, load.stages.afterSteady) } : null,
      soak,
      audit: input.audit,
      ratioAccepted,
      ratioDelivered,
      cpu: {
        throughputAccept: cpuBetween(load.bulkStart, load.acceptedEnd, settings.messages),
        throughputUntilDelivered: throughputCpu,
        steady: cpuBetween(load.steadyStart, load.steadyEnd, load.steady.length),
        wholeRun: cpuBetween(load.baseline, load.deliveredEnd, input.totalMessages),
      },
      memory: {
        peakRssMb: input.peakRssMb,
        rssMinMbSecondHalf: secondHalf.length ? Math.min(...secondHalf) : null,
        rssMaxMbSecondHalf: secondHalf.length ? Math.max(...secondHalf) : null,
        rssMiddleTenthMb: rssMiddle,
        rssLastTenthMb: rssLast,
        rssGrowthPercent: rssGrowth,
        rssSamples: input.rss.filter((_, i) => i % Math.max(1, Math.ceil(input.rss.length / 200)) === 0),
      },
      sealSeconds: round(input.sealSeconds, 1),
    },
    targets: {
      cryptoEfficiency: {
        target: `crypto CPU / gateway CPU per message >= ${TARGETS.cryptoEfficiency} (gateway <= ${round(1 / TARGETS.cryptoEfficiency, 2)} x its crypto)`,
        measured: cryptoEfficiency,
        verdict: cryptoEfficiency >= TARGETS.cryptoEfficiency ? 'pass' : 'FAIL',
      },
      mainThread: {
        target: `main thread <= ${TARGETS.mainThreadMsPerMessage} ms CPU per message`,
        measured: throughputCpu.gatewayMainThreadMsPerMessage,
        verdict: throughputCpu.gatewayMainThreadMsPerMessage <= TARGETS.mainThreadMsPerMessage ? 'pass' : 'FAIL',
      },
      acceptedVsCrypto: { target: `>= ${TARGETS.endToEndRatio} x crypto-only over ${TARGETS.sustainedMessages} messages`, measured: ratioAccepted, verdict: verdict(ratioAccepted >= TARGETS.endToEndRatio, sustained) },
      deliveredVsCrypto: { target: `>= ${TARGETS.endToEndRatio} x crypto-only over ${TARGETS.sustainedMessages} messages`, measured: ratioDelivered, verdict: verdict(ratioDelivered >= TARGETS.endToEndRatio, sustained) },
      loneP50: { target: `<= ${TARGETS.loneP50Ms} ms`, measured: loneLatency.p50Ms, verdict: loneLatency.p50Ms <= TARGETS.loneP50Ms ? 'pass' : 'FAIL' },
      steadyP99: {
        target: `<= ${TARGETS.steadyP99Ms} ms at ${TARGETS.steadyRate}/s`,
        measured: steadyLatency.p99Ms,
        verdict: settings.steadyRate === TARGETS.steadyRate ? (steadyLatency.p99Ms <= TARGETS.steadyP99Ms ? 'pass' : 'FAIL') : `not measured at ${TARGETS.steadyRate}/s`,
      },
      rss: {
        target: `< ${TARGETS.rssMb} MB and flat (last tenth <= ${TARGETS.rssGrowthPercent} % above the middle one) over ${TARGETS.rssMessages} messages`,
        measured: `${input.peakRssMb} MB peak, ${rssGrowth ?? '?'} %`,
        verdict: verdict(input.peakRssMb < TARGETS.rssMb && rssFlat, rssRun),
      },
      soakThroughput: {
        target: `last tenth within ${TARGETS.soakDriftPercent} % of the first over ${TARGETS.rssMessages} messages`,
        measured: `${soak.firstTenthPerSecond} -> ${soak.lastTenthPerSecond}/s (${soak.changePercent} %)`,
        verdict: verdict(Math.abs(soak.changePercent) <= TARGETS.soakDriftPercent, rssRun),
      },
      auditLog: { target: 'the audit log verifies at the end (auditor, passerelle audit verify --live)', measured: input.audit.treeSize ?? input.audit.detail, verdict: input.audit.verified ? 'pass' : 'FAIL' },
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
    `settings: ${s.messages} messages, ${s.concurrency} clients, document ${s.documentBytes} B (${s.armored ? 'armored' : 'binary'} ${s.sealedBytes} B), gateway ${s.gatewayRuns} with crypto workers ${s.gatewayCryptoWorkers}, cores: gateway ${s.pinGateway}, bench client and RabbitMQ ${s.pinOthers}, rate limit raised to ${s.rateLimitPerMinute}/min for the bench`,
    '',
    `crypto alone (${s.cryptoWorkers} workers, ${s.cryptoMessages} messages): ${f.cryptoOnly.before.perSecond}/s before, ${f.cryptoOnly.after.perSecond}/s after, mean ${f.cryptoOnly.meanPerSecond}/s; ${f.cryptoOnly.cpuMsPerMessage} ms CPU per message`,
    `crypto efficiency: ${f.cryptoEfficiency} (crypto ${f.cryptoOnly.cpuMsPerMessage} ms / gateway ${f.cpu.throughputUntilDelivered.gatewayCpuMsPerMessage} ms of CPU per message)`,
    `accepted:   ${f.acceptedPerSecond}/s (${f.accepted}), ratio ${f.ratioAccepted}`,
    `delivered:  ${f.deliveredPerSecond}/s end to end (${f.delivered}), ratio ${f.ratioDelivered}`,
    `refusals:   ${JSON.stringify(f.refusals)}`,
    ...Object.entries(report.figures.refusalDetails).flatMap(([key, details]) => details.map((detail) => `            ${key}: ${detail}`)),
    `latency under load (${s.concurrency} in flight): p50 ${f.throughputLatency.p50Ms} ms, p95 ${f.throughputLatency.p95Ms} ms, p99 ${f.throughputLatency.p99Ms} ms`,
    `latency lone (1 in flight):  p50 ${f.loneLatency.p50Ms} ms, p95 ${f.loneLatency.p95Ms} ms, p99 ${f.loneLatency.p99Ms} ms`,
    `latency steady ${s.steadyRate}/s:        p50 ${f.steadyLatency.p50Ms} ms, p95 ${f.steadyLatency.p95Ms} ms, p99 ${f.steadyLatency.p99Ms} ms`,
    `CPU, throughput phase until delivered: gateway ${f.cpu.throughputUntilDelivered.gatewayCpuSeconds} s (${f.cpu.throughputUntilDelivered.gatewayCores} cores, ${f.cpu.throughputUntilDelivered.gatewayCpuMsPerMessage} ms/message, of which main thread ${f.cpu.throughputUntilDelivered.gatewayMainThreadMsPerMessage}), bench client ${f.cpu.throughputUntilDelivered.benchClientCpuSeconds} s, RabbitMQ ${f.cpu.throughputUntilDelivered.brokerCpuSeconds ?? '(not visible)'} s, machine busy ${f.cpu.throughputUntilDelivered.machineBusyPercent} %`,
    `CPU, steady ${s.steadyRate}/s: gateway ${f.cpu.steady.gatewayCpuMsPerMessage} ms/message, of which main thread ${f.cpu.steady.gatewayMainThreadMsPerMessage}`,
    ...(f.stagesMs ? [`stages, mean ms: lone ${JSON.stringify(f.stagesMs.lone)}`, `                 steady ${JSON.stringify(f.stagesMs.steady)}`] : []),
    ...(f.handshakes ? [`new TLS connections: lone ${f.handshakes.lone}, steady ${f.handshakes.steady}`] : []),
    `throughput, first / last tenth of the answers: ${f.soak.firstTenthPerSecond} / ${f.soak.lastTenthPerSecond} per s (${f.soak.changePercent} %)`,
    `audit log: ${f.audit.verified ? 'verified' : 'NOT verified'} (${f.audit.detail})`,
    ...(s.gateways > 1 || f.cpu.throughputUntilDelivered.postgresCpuSeconds !== null
      ? [
          `scale-out: ${s.gateways} gateway${s.gateways > 1 ? 's' : ''} on ${s.store}, ${s.broker}; CPU per message: each gateway ${JSON.stringify(f.cpu.throughputUntilDelivered.perGatewayCpuMsPerMessage)} ms (of its share), PostgreSQL ${f.cpu.throughputUntilDelivered.postgresCpuMsPerMessage} ms, RabbitMQ ${f.cpu.throughputUntilDelivered.brokerCpuMsPerMessage} ms`,
        ]
      : []),
    `CPU, whole run: gateway ${f.cpu.wholeRun.gatewayCpuSeconds} s (${f.cpu.wholeRun.gatewayCpuMsPerMessage} ms/message)`,
    `memory: peak RSS ${f.memory.peakRssMb} MB, second half of the run ${f.memory.rssMinMbSecondHalf}-${f.memory.rssMaxMbSecondHalf} MB; throughput phase's middle / last tenth ${f.memory.rssMiddleTenthMb} / ${f.memory.rssLastTenthMb} MB`,
    ...(r.profile
      ? [
          '',
          `gateway main thread, CPU profile (${r.profile.sampledSeconds} s sampled, ${r.profile.file}):`,
          `  by area: ${r.profile.areas.slice(0, 10).map((a: { area: string; percent: number }) => `${a.area} ${a.percent} %`).join(', ')}`,
          ...r.profile.functions.slice(0, 15).map((fn: { fn: string; percent: number }) => `  ${String(fn.percent).padStart(5)} %  ${fn.fn}`),
        ]
      : []),
    ...(['lone', 'steady'] as const).flatMap((phase) => {
      const p = r[`${phase}Profile`];
      return p
        ? [
            '',
            `gateway main thread during the ${phase} phase alone (${p.sampledSeconds} s sampled):`,
            `  by area: ${p.areas.slice(0, 10).map((a: { area: string; percent: number }) => `${a.area} ${a.percent} %`).join(', ')}`,
            ...p.functions.slice(0, 15).map((fn: { fn: string; percent: number }) => `  ${String(fn.percent).padStart(5)} %  ${fn.fn}`),
          ]
        : [];
    }),
    '',
    'targets:',
    ...Object.entries(report.targets).map(([name, t]) => `  ${name.padEnd(18)} ${String(t.target).padEnd(70)} ${String(t.measured).padEnd(22)} ${t.verdict}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
