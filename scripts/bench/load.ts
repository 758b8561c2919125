/**
 * The load phases, over keep-alive mutual TLS as a partner sends: a warm-up (not counted), lone
 * messages (one in flight: latency), a steady paced rate (latency under a realistic load) and the
 * throughput phase (N messages, C clients: accepted and delivered per second). CPU snapshots frame
 * each phase for measure.ts.
 */
import https from 'node:https';
import { type CpuSnapshot } from './measure.js';
import type { Recipient } from './gateway.js';

/**
 * Messages sent before measuring, not counted: V8 optimises openpgp, a large library, over the first
 * few hundred messages; TLS sessions and SQLite's page cache warm up too.
 */
export const WARMUP_MESSAGES = 1000;
const WARMUP_CLIENTS = 8;
/** Sockets of the steady phase: enough that a slow answer never holds back the next paced send. */
const STEADY_SOCKETS = 256;
/** How long the bench waits for the deliveries of what was accepted. */
const DELIVERY_TIMEOUT_MS = 300_000;
const DELIVERY_POLL_MS = 50;

export interface Sent {
  status: number;
  latencyMs: number;
  doneAt: number;
  code?: string;
  /** The problem's detail of a refusal (problem+json), which says why. */
  detail?: string;
}

/** The throughput phase's messages, in the order they are sent: held in memory, or read from a spool file (seal.ts). */
export interface MessageSource {
  readonly count: number;
  next(): Uint8Array | undefined;
}

export function arraySource(messages: Uint8Array[]): MessageSource {
  let index = 0;
  return { count: messages.length, next: () => messages[index++] };
}

export interface PhaseMessages {
  warmup: Uint8Array[];
  lone: Uint8Array[];
  steady: Uint8Array[];
  bulk: MessageSource;
}

/** Cuts the sealed messages into the phases, in the order they are sent; the throughput phase's from `bulk` when given. */
export function splitMessages(sealed: Uint8Array[], counts: { lone: number; steady: number }, bulk?: MessageSource): PhaseMessages {
  const loneEnd = WARMUP_MESSAGES + counts.lone;
  const steadyEnd = loneEnd + counts.steady;
  return { warmup: sealed.slice(0, WARMUP_MESSAGES), lone: sealed.slice(WARMUP_MESSAGES, loneEnd), steady: sealed.slice(loneEnd, steadyEnd), bulk: bulk ?? arraySource(sealed.slice(steadyEnd)) };
}

function post(agent: https.Agent, port: number, body: Uint8Array): Promise<Sent> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/messages', agent, headers: { 'content-type': 'application/pgp-encrypted', 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const doneAt = performance.now();
          let problem: { code?: string; detail?: string } = {};
          if (res.statusCode !== 202) {
            try {
              problem = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof problem;
            } catch {
              problem = {};
            }
          }
          resolve({ status: res.statusCode ?? 0, latencyMs: doneAt - start, doneAt, ...(problem.code ? { code: problem.code } : {}), ...(problem.detail ? { detail: problem.detail } : {}) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

type Tls = { certPem: string; keyPem: string; caPem: string };

function newAgent(tls: Tls, maxSockets: number): https.Agent {
  return new https.Agent({ keepAlive: true, maxSockets, cert: tls.certPem, key: tls.keyPem, ca: tls.caPem });
}

/** The distinct details kept per status and code: enough to say why, bounded over a million messages. */
const DETAILS_KEPT = 5;

/** Refusals by status and problem code over the whole run, with the first distinct details of each. */
export class Refusals {
  readonly counts = new Map<string, number>();
  readonly details = new Map<string, string[]>();

  tally(result: Sent): void {
    if (result.status === 202) return;
    const key = `${result.status} ${result.code ?? ''}`.trim();
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const details = this.details.get(key) ?? [];
    if (result.detail !== undefined && details.length < DETAILS_KEPT && !details.includes(result.detail)) details.push(result.detail);
    this.details.set(key, details);
  }
}

async function sendClosedLoop(agent: https.Agent, port: number, messages: Uint8Array[], clients: number, refusals: Refusals): Promise<Sent[]> {
  const results: Sent[] = new Array(messages.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < messages.length) {
        const index = next++;
        const result = await post(agent, port, messages[index]!);
        refusals.tally(result);
        results[index] = result;
      }
    }),
  );
  return results;
}

/**
 * The throughput phase: like sendClosedLoop, but keeps two numbers per message instead of an object, so
 * that a run of a million messages stays small in the bench's memory.
 */
async function sendBulk(agent: https.Agent, ports: number[], source: MessageSource, clients: number, refusals: Refusals): Promise<BulkRun> {
  const latencies = new Float64Array(source.count);
  const doneAt = new Float64Array(source.count);
  let done = 0;
  let acceptedCount = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      const port = ports[client % ports.length]!;
      for (let message = source.next(); message !== undefined; message = source.next()) {
        const result = await post(agent, port, message);
        refusals.tally(result);
        if (result.status === 202) acceptedCount++;
        latencies[done] = result.latencyMs;
        doneAt[done] = result.doneAt;
        done++;
        if (source.count >= 100_000 && done % 100_000 === 0) process.stderr.write(`bench: ${done}/${source.count} answered\n`);
      }
    }),
  );
  return { latencies: latencies.subarray(0, done), doneAt: doneAt.subarray(0, done), accepted: acceptedCount };
}

export interface BulkRun {
  latencies: Float64Array;
  /** performance.now() of each answer, in the order they came. */
  doneAt: Float64Array;
  accepted: number;
}

async function sendPaced(agent: https.Agent, port: number, messages: Uint8Array[], rate: number, refusals: Refusals): Promise<Sent[]> {
  const start = performance.now();
  const pending: Array<Promise<Sent>> = [];
  for (let i = 0; i < messages.length; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(
      post(agent, port, messages[i]!).then((r) => {
        refusals.tally(r);
        return r;
      }),
    );
  }
  return Promise.all(pending);
}

/** Waits until the recipient has `count` deliveries, or the timeout; true when it has them. */
async function deliveries(recipient: Recipient, count: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (recipient.deliveredAt.size < count && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, DELIVERY_POLL_MS));
  return recipient.deliveredAt.size >= count;
}

const accepted = (results: Sent[]): number => results.filter((r) => r.status === 202).length;

/** The gateway's stage histograms (sum of seconds, count) read from /metrics at a phase boundary. */
export type StageTotals = Record<string, { sum: number; count: number }>;

export interface LoadRun {
  lone: Sent[];
  steady: Sent[];
  bulk: BulkRun;
  /** The lone and the steady phases on the monotonic clock, in microseconds, to cut their samples out of a CPU profile (profile.ts). */
  loneWindow: { fromUs: number; toUs: number };
  steadyWindow: { fromUs: number; toUs: number };
  /** The stage totals before and after the lone and the steady phases, to tell where a lone message's time goes. */
  stages: { beforeLone: StageTotals; afterLone: StageTotals; afterSteady: StageTotals } | undefined;
  refusals: Refusals;
  /** Before the warm-up. */
  baseline: CpuSnapshot;
  steadyStart: CpuSnapshot;
  steadyEnd: CpuSnapshot;
  bulkStart: CpuSnapshot;
  /** When the last answer of the throughput phase came. */
  acceptedEnd: CpuSnapshot;
  /** When the last delivery came (or the delivery timeout). */
  deliveredEnd: CpuSnapshot;
  /** Accepted in the throughput phase. */
  accepted: number;
  /** Delivered of those. */
  delivered: number;
  /** performance.now() of the last delivery. */
  lastDelivery: number;
}

export interface LoadOptions {
  /** The gateway of the warm-up, lone and steady phases. */
  port: number;
  /** The gateways the throughput phase's clients are spread over (client i sends to bulkPorts[i % length]); `port` alone when absent. */
  bulkPorts?: number[];
  tls: Tls;
  messages: PhaseMessages;
  rate: number;
  concurrency: number;
  recipient: Recipient;
  snapshot: () => CpuSnapshot;
  /** The gateway's stage totals now (GET /metrics); the phases are not broken down when absent. */
  stageTotals?: () => Promise<StageTotals>;
}

export async function runLoad(opts: LoadOptions): Promise<LoadRun> {
  const { port, tls, messages, recipient, snapshot } = opts;
  const refusals = new Refusals();
  const baseline = snapshot();
  process.stderr.write(`bench: warming up (${messages.warmup.length} messages)...\n`);
  const warmAgent = newAgent(tls, WARMUP_CLIENTS);
  const warm = await sendClosedLoop(warmAgent, port, messages.warmup, WARMUP_CLIENTS, refusals);
  warmAgent.destroy();

  // The lone phase starts once the warm-up's deliveries are done, so that the relay's work is not counted in it.
  await deliveries(recipient, accepted(warm), DELIVERY_TIMEOUT_MS);
  process.stderr.write(`bench: lone messages (${messages.lone.length}, one in flight)...\n`);
  const beforeLone = await opts.stageTotals?.();
  const loneAgent = newAgent(tls, 1);
  const loneFromUs = Number(process.hrtime.bigint() / 1000n);
  const lone = await sendClosedLoop(loneAgent, port, messages.lone, 1, refusals);
  const loneToUs = Number(process.hrtime.bigint() / 1000n);
  loneAgent.destroy();
  const afterLone = await opts.stageTotals?.();

  process.stderr.write(`bench: steady rate (${opts.rate}/s for ${messages.steady.length / opts.rate} s)...\n`);
  const steadyAgent = newAgent(tls, STEADY_SOCKETS);
  const steadyStart = snapshot();
  const steadyFromUs = Number(process.hrtime.bigint() / 1000n);
  const steady = await sendPaced(steadyAgent, port, messages.steady, opts.rate, refusals);
  const steadyToUs = Number(process.hrtime.bigint() / 1000n);
  const steadyEnd = snapshot();
  steadyAgent.destroy();
  const afterSteady = await opts.stageTotals?.();
  // The throughput phase starts with the relay idle: what was accepted before is delivered first.
  const acceptedBefore = accepted(warm) + accepted(lone) + accepted(steady);
  if (!(await deliveries(recipient, acceptedBefore, DELIVERY_TIMEOUT_MS))) {
    process.stderr.write(`bench: only ${recipient.deliveredAt.size} of the ${acceptedBefore} messages accepted before the throughput phase were delivered\n`);
  }

  process.stderr.write(`bench: throughput (${messages.bulk.count} messages, ${opts.concurrency} clients)...\n`);
  const deliveredBefore = recipient.deliveredAt.size;
  const bulkAgent = newAgent(tls, opts.concurrency);
  const bulkStart = snapshot();
  const bulk = await sendBulk(bulkAgent, opts.bulkPorts ?? [port], messages.bulk, opts.concurrency, refusals);
  const acceptedEnd = snapshot();
  bulkAgent.destroy();
  const acceptedBulk = bulk.accepted;
  await deliveries(recipient, deliveredBefore + acceptedBulk, DELIVERY_TIMEOUT_MS);
  const deliveredEnd = snapshot();
  let lastDelivery = -Infinity;
  for (const at of recipient.deliveredAt.values()) lastDelivery = Math.max(lastDelivery, at);
  return {
    lone,
    steady,
    bulk,
    loneWindow: { fromUs: loneFromUs, toUs: loneToUs },
    steadyWindow: { fromUs: steadyFromUs, toUs: steadyToUs },
    stages: beforeLone && afterLone && afterSteady ? { beforeLone, afterLone, afterSteady } : undefined,
    refusals,
    baseline,
    steadyStart,
    steadyEnd,
    bulkStart,
    acceptedEnd,
    deliveredEnd,
    accepted: acceptedBulk,
    delivered: recipient.deliveredAt.size - deliveredBefore,
    lastDelivery: Number.isFinite(lastDelivery) ? lastDelivery : performance.now(),
  };
}
