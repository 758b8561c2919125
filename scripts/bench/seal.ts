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
  /**
   * CPU of the bench process per message while the workers ran the crypto (its main thread waits): what
   * a message's crypto costs on any core, the figure the gateway's own CPU per message is held to.
   */
  cpuMsPerMessage: number;
}

/** The gateway's crypto alone, one worker per core, on the same sealed messages the gateway receives. */
export async function cryptoOnly(workers: WorkerHandle[], messages: Uint8Array[]): Promise<CryptoOnlyFigures> {
  const share = Math.ceil(messages.length / workers.length);
  const start = performance.now();
  const cpu = process.cpuUsage();
  const replies = await Promise.all(workers.map((w, i) => w.run({ kind: 'crypto', messages: messages.slice(i * share, (i + 1) * share), inFlight: CRYPTO_IN_FLIGHT })));
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - start) / 1000;
  const count = replies.reduce((n, r) => n + (r.kind === 'crypto-done' ? r.count : 0), 0);
  return { perSecond: round(count / seconds, 1), messages: count, seconds: round(seconds, 2), cpuMsPerMessage: round((used.user + used.system) / 1000 / count, 3) };
}

/** The length prefix of a spooled message: 4 bytes, big-endian. */
const SPOOL_PREFIX_BYTES = 4;

/**
 * Seals `count` messages into a spool file (each prefixed by its length) instead of memory: a
 * 1,000,000-message run holds about 6.5 GB of sealed messages, more than the bench should keep in RAM.
 * Sealed before any timing, like the messages held in memory, so that sealing never competes with the
 * gateway for the cores. `firstSequence` keeps the people apart from those of the other phases.
 */
export async function sealToSpool(workers: WorkerHandle[], count: number, armor: boolean, file: string, firstSequence: number): Promise<void> {
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    let next = 0;
    let sequence = firstSequence;
    let written = 0;
    await Promise.all(
      workers.map(async (w) => {
        while (next < count) {
          const size = Math.min(SEAL_CHUNK, count - next);
          next += size;
          const documents = Array.from({ length: size }, () => documentBytes(sequence++));
          const reply = await w.run({ kind: 'seal', documents, armor });
          if (reply.kind !== 'sealed') throw new Error('unexpected reply');
          const parts: Buffer[] = [];
          for (const message of reply.messages) {
            const prefix = Buffer.alloc(SPOOL_PREFIX_BYTES);
            prefix.writeUInt32BE(message.length);
            parts.push(prefix, Buffer.from(message.buffer, message.byteOffset, message.length));
          }
          fs.writeSync(fd, Buffer.concat(parts));
          const before = written;
          written += size;
          if (Math.floor(before / 50_000) !== Math.floor(written / 50_000)) process.stderr.write(`bench: sealed ${written}/${count} to the spool\n`);
        }
      }),
    );
  } finally {
    fs.closeSync(fd);
  }
}

/** Messages read back in order from a spool file, a megabyte at a time. */
export class SpoolReader {
  private readonly fd: number;
  private buffer = Buffer.alloc(0);
  private ended = false;
  private static readonly READ_BYTES = 1 << 20;

  constructor(file: string) {
    this.fd = fs.openSync(file, 'r');
  }

  /** The next message, or undefined at the end of the spool. */
  next(): Uint8Array | undefined {
    for (;;) {
      if (this.buffer.length >= SPOOL_PREFIX_BYTES) {
        const length = this.buffer.readUInt32BE(0);
        if (this.buffer.length >= SPOOL_PREFIX_BYTES + length) {
          const message = Uint8Array.prototype.slice.call(this.buffer, SPOOL_PREFIX_BYTES, SPOOL_PREFIX_BYTES + length);
          this.buffer = this.buffer.subarray(SPOOL_PREFIX_BYTES + length);
          return message;
        }
      }
      if (this.ended) return undefined;
      const chunk = Buffer.alloc(SpoolReader.READ_BYTES);
      const read = fs.readSync(this.fd, chunk, 0, chunk.length, null);
      if (read === 0) this.ended = true;
      else this.buffer = Buffer.concat([this.buffer, chunk.subarray(0, read)]);
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
