/**
 * The gateway's per-message crypto (open = decrypt + verify, seal for the recipient, receipt signature)
 * on worker threads, so that it runs on every core instead of the one the HTTP server, the store and
 * the broker share. The operations are those of src/crypto/openpgp.ts and src/crypto/receipt.ts,
 * called by the worker (src/crypto/crypto-worker.ts) with the same arguments; only the transport
 * differs.
 *
 * Keys travel with every task, as bytes: the trust configuration can change at run time (a partner's
 * new key, the gateway's key rotation), so a worker must never keep using a key it was given at start.
 * Serialising a key costs something, so it is done once per key object (a WeakMap: a replaced key is
 * forgotten with its object); the worker parses each distinct key once (its cache is keyed by a hash of
 * the bytes and bounded, see crypto-worker.ts).
 *
 * A GatewayError thrown in a worker comes back as the same GatewayError (code, message, rule), so that
 * refusals read the same with or without the pool.
 */
import { createHash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import type { Key, PrivateKey } from 'openpgp';
import { GatewayError, type ProblemCode } from '../domain/errors.js';
import { keyBytes, openFromPartner, sealForRecipient, type OpenedMessage } from './openpgp.js';
import { signReceipt, type AcceptedAnswer } from './receipt.js';
import { siblingModule, startModuleWorker } from './worker-thread.js';

export type OpenArguments = Parameters<typeof openFromPartner>[0];
export type SealArguments = Parameters<typeof sealForRecipient>[0];

/** The per-message crypto of the accept path (src/app/ingest.ts), inline or on worker threads. */
export interface GatewayCrypto {
  openFromPartner(opts: OpenArguments): Promise<OpenedMessage>;
  sealForRecipient(opts: SealArguments): Promise<string>;
  signReceipt(answer: AcceptedAnswer, gatewayKey: PrivateKey): Promise<string>;
  close(): Promise<void>;
}

/** On the calling thread: PASSERELLE_CRYPTO_WORKERS=0, the CLI and the tests that need no pool. */
export const INLINE_CRYPTO: GatewayCrypto = {
  openFromPartner,
  sealForRecipient,
  signReceipt,
  close: async () => undefined,
};

/** A key as the worker receives it: bytes, and their hash under which the worker caches the parsed key. */
export interface KeyTransfer {
  hash: string;
  bytes: Uint8Array;
  secret: boolean;
}

export type CryptoTask =
  | { op: 'open'; message: Uint8Array; decryptionKeys: KeyTransfer[]; senderKeys: KeyTransfer[]; maxDocumentBytes: number }
  | { op: 'seal'; signedMessage: Uint8Array; recipientKeys: KeyTransfer[] }
  | { op: 'receipt'; answer: AcceptedAnswer; gatewayKey: KeyTransfer };

export interface TransferredError {
  gateway: boolean;
  code?: ProblemCode;
  message: string;
  rule?: string;
}

export type CryptoReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: TransferredError };

/**
 * Tasks one worker runs at once. openpgp hands hashing and AES to WebCrypto, which works on the libuv
 * pool: with a few tasks in flight a worker keeps its core busy while those complete.
 */
export const TASKS_PER_WORKER = 4;

/**
 * Tasks waiting for a worker beyond which a new message is refused with 503 and Retry-After (the
 * partner retries) rather than queued: about a second of work at this machine's crypto rate, so that a
 * burst cannot grow the queue, and the memory and the latency with it, without bound. Receipts and
 * re-encryptions of messages already opened are never refused: their message is in progress.
 */
export const CRYPTO_QUEUE_LIMIT = 512;

const serialised = new WeakMap<Key, KeyTransfer>();

function transfer(key: Key): KeyTransfer {
  let entry = serialised.get(key);
  if (entry === undefined) {
    const bytes = keyBytes(key);
    entry = { hash: createHash('sha256').update(bytes).digest('hex'), bytes, secret: key.isPrivate() };
    serialised.set(key, entry);
  }
  return entry;
}

function transferAll(keys: Key | readonly Key[]): KeyTransfer[] {
  return (Array.isArray(keys) ? keys : [keys as Key]).map(transfer);
}

function revive(error: TransferredError): Error {
  if (error.gateway && error.code !== undefined) return new GatewayError(error.code, error.message, error.rule === undefined ? {} : { rule: error.rule });
  return new Error(error.message);
}

interface Pending {
  id: number;
  task: CryptoTask;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  running: Map<number, Pending>;
}

const WORKER_MODULE = siblingModule('crypto-worker', import.meta.url);

/**
 * The young generation of each worker's heap, in MiB. V8 sizes it by default for throughput (up to
 * 48 MiB per thread, kept once grown); a worker's allocations are short-lived (one message at a
 * time), so a small one costs a few more scavenges and keeps the process's memory flat.
 */
export const WORKER_YOUNG_GENERATION_MB = 8;

/**
 * Every task goes to a worker, even when the pool is idle. Running a lone task on the calling thread
 * instead (tried: it saves the hand-off to an idle thread) blocks the event loop for the 5 ms of a
 * message's crypto while other requests wait; in paired bench runs it bought nothing measurable
 * (lone p50 7.9 to 11.9 ms against 9.3 to 10.1 ms, steady-100/s p99 35 to 55 ms against 30 to 38 ms,
 * all within this machine's run-to-run noise), so the simpler path stays.
 */
export function createCryptoPool(opts: { size: number; queueLimit?: number }): GatewayCrypto {
  if (opts.size <= 0) return INLINE_CRYPTO;
  const queueLimit = opts.queueLimit ?? CRYPTO_QUEUE_LIMIT;
  let nextId = 0;
  let closing = false;
  /** Continuations of messages in progress (seal, receipt) go before new messages (open). */
  const urgent: Pending[] = [];
  const waiting: Pending[] = [];
  const slots: Slot[] = [];

  const spawn = (index: number): Slot => {
    const slot: Slot = { worker: startModuleWorker(WORKER_MODULE, {}, { name: `passerelle-crypto-${index}`, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } }), running: new Map() };
    slot.worker.on('message', (reply: CryptoReply) => {
      const pending = slot.running.get(reply.id);
      if (pending === undefined) return;
      slot.running.delete(reply.id);
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(revive(reply.error));
      pump();
    });
    let dead = false;
    const fail = (err: unknown) => {
      // 'error' is followed by 'exit': one replacement only.
      if (dead) return;
      dead = true;
      // A worker that died takes its tasks with it and a new worker takes its place. A message being
      // opened fails with 503 (the partner retries; a message that kills workers does not get a second
      // try). A re-encryption or a receipt is run again: its message is in progress, or already
      // committed, and a 503 would tell the partner that nothing was accepted.
      for (const pending of slot.running.values()) {
        if (pending.task.op === 'open') {
          pending.reject(new GatewayError('unavailable', 'The gateway could not complete the cryptographic processing of this message; nothing was accepted. Retry later.', { cause: err }));
        } else {
          urgent.unshift(pending);
        }
      }
      slot.running.clear();
      if (!closing || urgent.length > 0) {
        slots[index] = spawn(index);
        pump();
      }
    };
    slot.worker.once('error', fail);
    slot.worker.once('exit', (code) => {
      if (!closing) fail(new Error(`crypto worker exited with code ${code}`));
    });
    return slot;
  };
  for (let i = 0; i < opts.size; i++) slots.push(spawn(i));

  function pump(): void {
    for (;;) {
      const next = urgent[0] ?? waiting[0];
      if (next === undefined) return;
      let slot: Slot | undefined;
      for (const candidate of slots) if (candidate.running.size < TASKS_PER_WORKER && (slot === undefined || candidate.running.size < slot.running.size)) slot = candidate;
      if (slot === undefined) return;
      (urgent.length > 0 ? urgent : waiting).shift();
      slot.running.set(next.id, next);
      slot.worker.postMessage({ id: next.id, task: next.task });
    }
  }

  function run<T>(task: CryptoTask): Promise<T> {
    const isNew = task.op === 'open';
    if (closing && isNew) return Promise.reject(new GatewayError('unavailable', 'The gateway is stopping; nothing was accepted. Retry later.'));
    if (isNew && waiting.length >= queueLimit) {
      return Promise.reject(
        new GatewayError('unavailable', `The gateway is at capacity (${queueLimit} messages waiting for decryption); nothing was accepted. Retry in a few seconds.`, { retryAfterSeconds: 5 }),
      );
    }
    return new Promise<T>((resolve, reject) => {
      (isNew ? waiting : urgent).push({ id: nextId++, task, resolve: resolve as (value: unknown) => void, reject });
      pump();
    });
  }

  return {
    openFromPartner: (o) =>
      run({ op: 'open', message: o.message, decryptionKeys: transferAll(o.decryptionKey), senderKeys: transferAll(o.senderKeys), maxDocumentBytes: o.maxDocumentBytes }),
    sealForRecipient: (o) => run({ op: 'seal', signedMessage: o.signedMessage, recipientKeys: transferAll(o.recipientKeys) }),
    signReceipt: (answer, gatewayKey) => run({ op: 'receipt', answer, gatewayKey: transfer(gatewayKey) }),
    async close() {
      closing = true;
      const stopped = new GatewayError('unavailable', 'The gateway is stopping; nothing was accepted. Retry later.');
      for (const pending of waiting.splice(0)) pending.reject(stopped);
      // Re-encryptions and receipts finish first: their messages may already be committed.
      while (urgent.length > 0 || slots.some((slot) => slot.running.size > 0)) await new Promise((resolve) => setTimeout(resolve, 10));
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
