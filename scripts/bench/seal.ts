/**
 * The bench's messages, sealed before any timing as the partner would seal them (sign, then encrypt to
 * the gateway), on one worker thread per core; and the gateway's crypto alone on the same workers, the
 * floor the whole path is compared with.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../src/crypto/worker-thread.js';
import { round } from './measure.js';
import type { BenchReply, BenchTask, BenchWorkerData } from './worker.js';
import { CERTS, RECIPIENT, ROOT, SENDER } from './gateway.js';

/** The document size the targets are stated for: an orientation padded to about 4 KB. */
const TARGET_DOCUMENT_BYTES = 4096;
/** Operations in flight per crypto-only worker: openpgp hands AES and hashing to the libuv pool, so a few in flight keep its core busy. */
export const CRYPTO_IN_FLIGHT = 4;
/** Documents per seal task sent to a worker. */
const SEAL_CHUNK = 200;

const EXAMPLE = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'examples', 'orientation.v1.json'), 'utf8')) as { header: Record<string, unknown>; body: Record<string, unknown> };

/** The example orientation, grown with more professional experiences (schema: at most 20) to about 4 KB. */
function paddedBody(): Record<string, unknown> {
  const body = structuredClone(EXAMPLE.body) as Record<string, unknown> & { experiences: Array<Record<string, unknown>> };
  const codes = ['D1106', 'G1603', 'K2204', 'N1103', 'F1703', 'H2102', 'J1301', 'A1203', 'M1607', 'I1203'];
  let i = 0;
  while (body.experiences.length < 20 && JSON.stringify(body).length < TARGET_DOCUMENT_BYTES - 400) {
    body.experiences.push({ romeCode: codes[i % codes.length], inFrance: i % 2 === 0, durationMonths: 6 + (i % 30), endYear: 2010 + (i % 15) });
    i++;
  }
  return body;
}

const BODY = paddedBody();

export function documentBytes(sequence: number): Uint8Array {
  const document = {
    header: {
      ...EXAMPLE.header,
      messageId: randomUUID(),
      sender: SENDER,
      recipient: RECIPIENT,
      sentAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      // One person per message: dossiers, follows and opt-out checks see a new beneficiary each time.
      beneficiaryRef: String(1_000_000_000 + sequence).padStart(10, '0'),
    },
    body: BODY,
  };
  return new TextEncoder().encode(JSON.stringify(document, null, 1));
}

export interface WorkerHandle {
  worker: Worker;
  run(task: BenchTask): Promise<BenchReply>;
}

export async function startWorkers(count: number): Promise<WorkerHandle[]> {
  const data: BenchWorkerData = { certsDir: CERTS, sender: SENDER, recipient: RECIPIENT, maxDocumentBytes: 4 * 1024 * 1024 };
  const module = new URL('./worker.ts', import.meta.url);
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const worker = startModuleWorker(module, data, { name: `bench-${i}` });
      let pending: ((reply: BenchReply) => void) | undefined;
      await new Promise<void>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('message', (reply: BenchReply) => (reply.kind === 'ready' ? resolve() : reject(new Error(`worker: ${JSON.stringify(reply)}`))));
      });
      worker.on('message', (reply: BenchReply) => pending?.(reply));
      return {
        worker,
        run(task: BenchTask) {
          return new Promise<BenchReply>((resolve, reject) => {
            pending = (reply) => (reply.kind === 'failed' ? reject(new Error(reply.message)) : resolve(reply));
            worker.postMessage(task);
          });
        },
      };
    }),
  );
}

export async function stopWorkers(workers: WorkerHandle[]): Promise<void> {
  await Promise.all(workers.map((w) => w.worker.terminate()));
}

export async function sealAll(workers: WorkerHandle[], count: number, armor: boolean): Promise<Uint8Array[]> {
  const out: Uint8Array[] = new Array(count);
  let next = 0;
  let sequence = 0;
  await Promise.all(
    workers.map(async (w) => {
      while (next < count) {
        const start = next;
        const size = Math.min(SEAL_CHUNK, count - start);
        next += size;
        const documents = Array.from({ length: size }, () => documentBytes(sequence++));
        const reply = await w.run({ kind: 'seal', documents, armor });
        if (reply.kind !== 'sealed') throw new Error('unexpected reply');
        reply.messages.forEach((m, i) => (out[start + i] = m));
        if (count >= 10_000 && Math.floor(start / 10_000) !== Math.floor((start + size) / 10_000)) process.stderr.write(`bench: sealed ${start + size}/${count}\n`);
      }
    }),
  );
  return out;
}

export interface CryptoOnlyFigures {
  perSecond: number;
  messages: number;
  seconds: number;
}

/** The gateway's crypto alone, one worker per core, on the same sealed messages the gateway receives. */
export async function cryptoOnly(workers: WorkerHandle[], messages: Uint8Array[]): Promise<CryptoOnlyFigures> {
  const share = Math.ceil(messages.length / workers.length);
  const start = performance.now();
  const replies = await Promise.all(workers.map((w, i) => w.run({ kind: 'crypto', messages: messages.slice(i * share, (i + 1) * share), inFlight: CRYPTO_IN_FLIGHT })));
  const seconds = (performance.now() - start) / 1000;
  const count = replies.reduce((n, r) => n + (r.kind === 'crypto-done' ? r.count : 0), 0);
  return { perSecond: round(count / seconds, 1), messages: count, seconds: round(seconds, 2) };
}
