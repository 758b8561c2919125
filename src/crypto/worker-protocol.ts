/**
 * The messages between the crypto pool (src/crypto/worker-pool.ts) and its worker threads
 * (src/crypto/crypto-worker.ts): tasks, with their keys by reference once a worker holds them, and
 * replies; bytes large enough are moved between the threads rather than copied.
 */
import type { TransferredError } from '../domain/errors.js';
import type { SentCiphertext } from './forward.js';
import type { AcceptedAnswer } from './receipt.js';

/** A key as the pool sends it the first time: bytes, and their hash under which the worker caches the parsed key. */
export interface KeyTransfer {
  hash: string;
  bytes: Uint8Array;
  secret: boolean;
}

/**
 * A key in a task as it travels: its bytes (KeyTransfer) when the worker does not hold it, its hash
 * alone when it does (see src/crypto/key-cache.ts).
 */
export type KeyOnWire = KeyTransfer | string;

/** An operation of the crypto service and its arguments, its keys as `K` (KeyTransfer in the pool, KeyOnWire between the threads, parsed keys in the worker). */
export type CryptoTask<K = KeyTransfer> =
  | { op: 'open'; message: Uint8Array; decryptionKeys: K[]; senderKeys: K[]; knownKeys: K[]; maxDocumentBytes: number }
  | { op: 'openSigned'; signedMessage: Uint8Array; senderKeys: K[]; maxDocumentBytes: number; acceptedAt?: string }
  | { op: 'seal'; signedMessage: Uint8Array; recipientKeys: K[]; sent?: SentCiphertext }
  | { op: 'signAndEncrypt'; document: Uint8Array; signingKey: K; encryptionKeys: K[] }
  | { op: 'signInline'; document: Uint8Array; signingKey: K }
  | { op: 'signJson'; value: unknown; signingKey: K }
  | { op: 'readKept'; signedMessage: Uint8Array; maxDocumentBytes: number }
  | { op: 'receipt'; answer: AcceptedAnswer; gatewayKey: K }
  | { op: 'signDetached'; data: Uint8Array; signingKey: K }
  | { op: 'verifyDetached'; data: Uint8Array; signature: string; verificationKeys: K[]; signerValidNow: boolean };

declare const KEY: unique symbol;
type KeyFieldOf<T> = { [F in keyof T]-?: NonNullable<T[F]> extends typeof KEY | Array<typeof KEY> ? F : never }[keyof T];
type KeyField = CryptoTask<typeof KEY> extends infer T ? (T extends unknown ? KeyFieldOf<T> : never) : never;

/**
 * Every field of a task that holds keys, in the order both threads walk them: the pool and the worker
 * touch their key caches in this order, which keeps them alike. A Record, so that a task given a new
 * key field does not compile until it is listed here.
 */
const KEY_FIELDS: Record<KeyField, true> = {
  decryptionKeys: true,
  senderKeys: true,
  knownKeys: true,
  recipientKeys: true,
  encryptionKeys: true,
  verificationKeys: true,
  signingKey: true,
  gatewayKey: true,
};
const KEY_FIELD_NAMES = Object.keys(KEY_FIELDS) as KeyField[];

export function isKeyField(field: string): boolean {
  return Object.hasOwn(KEY_FIELDS, field);
}

/** The same task with each of its keys, in KEY_FIELDS order, replaced by `f(key)`. */
export function mapKeys<A, B>(task: CryptoTask<A>, f: (key: A) => B): CryptoTask<B> {
  const mapped: Record<string, unknown> = { ...task };
  for (const field of KEY_FIELD_NAMES) {
    const value = mapped[field] as A | A[] | undefined;
    if (value !== undefined) mapped[field] = Array.isArray(value) ? value.map(f) : f(value);
  }
  return mapped as CryptoTask<B>;
}

/**
 * A task's result or error; or, when the task named by hash a key the worker does not hold (see
 * worker-pool.ts), those hashes, for the pool to send the task again with their bytes.
 */
export type CryptoReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: TransferredError } | { id: number; unknownKeys: string[] };

/** What a worker posts once it listens for tasks: the time budget of a task starts when its worker can run it, not while it starts. */
export const WORKER_READY = 'passerelle-crypto-worker-ready';

/** What the pool gives each worker at start (workerData.data). */
export interface CryptoWorkerData {
  /** The bound of the worker's key cache, the same as the pool's record of it. */
  keyCacheLimit: number;
}

/**
 * Bytes below which a copy between threads costs no more than moving them (measured on Node 20: about
 * 1 µs either way at 1 KiB; at 16 KiB, moving is four times cheaper).
 */
export const MOVE_MIN_BYTES = 1024;

/**
 * `value` with its byte arrays (in plain objects and arrays, at any depth) made ready to be moved to
 * another thread: their buffers are added to `transfer`, the list given to postMessage, and are
 * detached on this side once posted. `copy`: every array is first copied into a buffer of its own,
 * which leaves the caller's untouched. Without it, an array that is the whole of its buffer moves as
 * it is, and one that is part of a larger buffer (a Node Buffer from the shared pool) is copied: the
 * larger buffer is not this value's to give away, and a copy would carry all of it.
 */
export function moveBytes(value: unknown, transfer: ArrayBuffer[], copy: boolean): unknown {
  if (value instanceof Uint8Array) {
    const whole = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength && value.buffer instanceof ArrayBuffer;
    if (!copy && transfer.includes(value.buffer as ArrayBuffer)) return value;
    if (value.byteLength < MOVE_MIN_BYTES && whole) return value;
    const moved = copy || !whole ? new Uint8Array(value) : value;
    transfer.push(moved.buffer as ArrayBuffer);
    return moved;
  }
  if (Array.isArray(value) || (value !== null && typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value)))) {
    // A new object only where something inside moved: most of a JSON value is walked, not rebuilt.
    let moved: Record<string, unknown> | unknown[] | undefined;
    for (const [field, item] of Object.entries(value)) {
      const after = moveBytes(item, transfer, copy);
      if (after === item) continue;
      moved ??= Array.isArray(value) ? [...value] : { ...value };
      (moved as Record<string, unknown>)[field] = after;
    }
    return moved ?? value;
  }
  return value;
}
