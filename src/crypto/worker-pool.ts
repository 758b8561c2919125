/**
 * The crypto service (src/crypto/service.ts) on worker threads, so that the gateway's OpenPGP work runs
 * on every core instead of the one the HTTP server, the store and the broker share. The worker
 * (src/crypto/crypto-worker.ts) calls the same functions as INLINE_CRYPTO with the same arguments;
 * only the transport differs.
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
import { GatewayError, type ProblemCode } from '../domain/errors.js';
import { keyBytes, type Key } from './keys.js';
import type { AcceptedAnswer } from './receipt.js';
import { INLINE_CRYPTO, type GatewayCrypto } from './service.js';
import { siblingModule, startModuleWorker } from './worker-thread.js';

/** A key as the worker receives it: bytes, and their hash under which the worker caches the parsed key. */
export interface KeyTransfer {
  hash: string;
  bytes: Uint8Array;
  secret: boolean;
}

export type CryptoTask =
  | { op: 'open'; message: Uint8Array; decryptionKeys: KeyTransfer[]; senderKeys: KeyTransfer[]; maxDocumentBytes: number }
  | { op: 'openSigned'; signedMessage: Uint8Array; senderKeys: KeyTransfer[]; maxDocumentBytes: number }
  | { op: 'seal'; signedMessage: Uint8Array; recipientKeys: KeyTransfer[] }
  | { op: 'signAndEncrypt'; document: Uint8Array; signingKey: KeyTransfer; encryptionKeys: KeyTransfer[] }
  | { op: 'receipt'; answer: AcceptedAnswer; gatewayKey: KeyTransfer }
  | { op: 'signDetached'; data: Uint8Array; signingKey: KeyTransfer }
  | { op: 'verifyDetached'; data: Uint8Array; signature: string; verificationKeys: KeyTransfer[]; signerValidNow: boolean };

/**
 * Tasks on input from outside the gateway (a partner's message, a partner's cosignature) are new work:
 * refused with 503 when the queue is full, and failed, not run again, when their worker dies (input
 * that kills a worker does not get a second try). The others continue work in progress on the
 * gateway's own data (a message being accepted or delivered, its receipt, the gateway's notices, a
 * stored orientation, a checkpoint): they go first, are never refused, and run again on a new worker.
 */
const FROM_OUTSIDE: ReadonlySet<CryptoTask['op']> = new Set(['open', 'verifyDetached']);

export interface TransferredError {
  gateway: boolean;
  code?: ProblemCode;
  /** The class name of an error that is not a GatewayError (TypeError …), which the HTTP edge logs. */
  name?: string;
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
 * Tasks waiting for a worker beyond which new work from outside (a message, a cosignature) is refused
 * with 503 and Retry-After (the partner retries) rather than queued: about a second of work at this
 * machine's crypto rate, so that a burst cannot grow the queue, and the memory and the latency with
 * it, without bound. Work in progress (see FROM_OUTSIDE) is never refused.
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

/**
 * The worker's error rebuilt on this thread. Anything but a GatewayError is a failure the gateway did
 * not foresee: it comes back as the same kind of error it would be inline (name and message), so
 * that the HTTP edge answers and logs it as an unexpected error, without its text reaching a partner.
 */
function revive(error: TransferredError): Error {
  if (error.gateway && error.code !== undefined) return new GatewayError(error.code, error.message, error.rule === undefined ? {} : { rule: error.rule });
  const unforeseen = new Error(error.message);
  if (error.name !== undefined) unforeseen.name = error.name;
  return unforeseen;
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
 * Every task goes to a worker, even when the pool is idle: a task run on the calling thread would block
 * the event loop for the few milliseconds of a message's crypto while other requests wait, for a
 * hand-off saving that the performance report shows to be within the noise.
 */
export function createCryptoPool(opts: { size: number; queueLimit?: number }): GatewayCrypto {
  if (opts.size <= 0) return INLINE_CRYPTO;
  const queueLimit = opts.queueLimit ?? CRYPTO_QUEUE_LIMIT;
  let nextId = 0;
  let closing = false;
  let closed = false;
  /** Continuations of work in progress go before new work from outside (see FROM_OUTSIDE). */
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
      // A worker that died takes its tasks with it and a new worker takes its place. Work from outside
      // fails with 503 (the partner retries; input that kills workers does not get a second try).
      // Work in progress is run again: its message may be in progress or already committed, and a
      // 503 would tell the partner that nothing was accepted.
      for (const pending of slot.running.values()) {
        if (FROM_OUTSIDE.has(pending.task.op)) {
          pending.reject(new GatewayError('unavailable', 'The gateway could not complete the cryptographic processing of this request; nothing was accepted. Retry later.', { cause: err }));
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
      if (!closing) fail(new GatewayError('internal', `A crypto worker thread exited unexpectedly with code ${code} (out of memory, or a defect of the gateway); a new thread takes its place.`));
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
    const isNew = FROM_OUTSIDE.has(task.op);
    // Once stopped, no thread is left to run anything, so even work in progress is refused.
    if ((closing && isNew) || closed) return Promise.reject(new GatewayError('unavailable', 'The gateway is stopping; nothing was accepted. Retry later.'));
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
    openSigned: (o) => run({ op: 'openSigned', signedMessage: o.signedMessage, senderKeys: transferAll(o.senderKeys), maxDocumentBytes: o.maxDocumentBytes }),
    sealForRecipient: (o) => run({ op: 'seal', signedMessage: o.signedMessage, recipientKeys: transferAll(o.recipientKeys) }),
    signAndEncrypt: (o) => run({ op: 'signAndEncrypt', document: o.document, signingKey: transfer(o.signingKey), encryptionKeys: transferAll(o.encryptionKeys) }),
    signReceipt: (answer, gatewayKey) => run({ op: 'receipt', answer, gatewayKey: transfer(gatewayKey) }),
    signDetached: (o) => run({ op: 'signDetached', data: o.data, signingKey: transfer(o.signingKey) }),
    verifyDetached: (o) =>
      run({ op: 'verifyDetached', data: o.data, signature: o.signature, verificationKeys: transferAll(o.verificationKeys), signerValidNow: o.signerValidNow ?? false }),
    async close() {
      closing = true;
      const stopped = new GatewayError('unavailable', 'The gateway is stopping; nothing was accepted. Retry later.');
      for (const pending of waiting.splice(0)) pending.reject(stopped);
      // Work in progress finishes first: its messages may already be committed.
      while (urgent.length > 0 || slots.some((slot) => slot.running.size > 0)) await new Promise((resolve) => setTimeout(resolve, 10));
      closed = true;
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
