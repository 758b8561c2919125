/**
 * The embedded store on a thread of its own (PASSERELLE_STORE_THREAD=on). better-sqlite3 is
 * synchronous: on the main thread, an acceptance's transaction (about thirty statements, a third of
 * the main thread's time per message in docs/performance.md) holds the event loop that TLS, HTTP and
 * the crypto workers' hand-offs need. Here the same GatewayStore, on the same file, runs in a worker
 * thread (store-thread-worker.ts), and this side forwards each call of the port to it and its answer
 * back: one message each way per call, the main thread's part of a store call being their copies.
 *
 * Nothing changes in what is stored or when a promise settles: the worker's store keeps its group
 * commit and answers once the write is durable, as it does on the main thread. The relay's hand-off
 * (onCommitted) comes back on the same port before the acceptance's answer, in the order the worker
 * made them.
 */
import type { Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker } from '../crypto/worker-thread.js';
import { GatewayError, reviveError, type TransferredError } from '../domain/errors.js';
import type { CommittedOutbox, Store } from './port.js';

/** The port's operations that are forwarded as they are: every function of Store but the four below. */
export const FORWARDED = [
  'accept', 'findMessage', 'messageHistory', 'markDeadLettered', 'recordEvent', 'statisticsFacts', 'checkWritable',
  'pendingOutbox', 'markQueued', 'recordPublishFailure', 'outboxDepth', 'operationalFigures',
  'auditSize', 'readAuditEntries', 'readAuditEntriesNaming', 'findAuditEntries', 'auditNode', 'latestCheckpoint', 'findCheckpoint', 'saveCheckpoint', 'addCosignature', 'cosignatures',
  'findSubject', 'isOptedOut', 'isHealthConsentWithdrawn', 'follows', 'followers', 'recipientsOf', 'documentRecipients', 'disclosuresOf', 'readDossier', 'erase', 'liftTombstone',
  'unansweredOrientations', 'expireOrientation', 'dueForDestruction', 'destroyIfDue', 'forgetIdleSubjects', 'heldNotices', 'releaseHeldNotice', 'heldNoticeCounts',
  'findLookupTarget', 'lookupsSince', 'recordLookup', 'lookupSummary',
  'withdrawalNotice', 'withdrawalNotices', 'withdrawalNoticeCounts', 'dueWithdrawalReminders', 'sendWithdrawalReminder',
  'rekeyLookups', 'lookupCounts', 'rewrapDataKeys', 'wrappedKeyCounts', 'recordSecrets',
] as const satisfies ReadonlyArray<keyof Store>;

export type Forwarded = (typeof FORWARDED)[number];

/** What the worker is given at start (workerData.data). */
export interface StoreThreadData {
  dataDir: string;
  busyTimeoutMs?: number;
}

export type StoreRequest =
  | { kind: 'call'; id: number; method: Forwarded | 'pseudonymFor' | 'saveReceipt'; args: unknown[] }
  | { kind: 'subscribe' }
  | { kind: 'unsubscribe' }
  | { kind: 'close'; id: number };

export type StoreReply =
  | { kind: 'opened' }
  | { kind: 'failed'; error: TransferredError }
  | { kind: 'answer'; id: number; ok: true; value: unknown }
  | { kind: 'answer'; id: number; ok: false; error: TransferredError }
  | { kind: 'committed'; committed: CommittedOutbox };

/**
 * Bytes cross threads as Uint8Array; the store's code and its callers read them as Buffers (a view,
 * not a copy). Walks plain objects and arrays only: the port's values are plain data.
 */
export function asBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = asBuffers(value[i]);
    return value;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = asBuffers(record[key]);
  }
  return value;
}

const WORKER_MODULE = siblingModule('store-thread-worker', import.meta.url);

/**
 * The young generation of the thread's heap, in MiB, as for the crypto workers: its allocations live
 * for one call, and V8's default (up to 48 MiB, kept once grown) would add that much to the process.
 */
export const STORE_THREAD_YOUNG_GENERATION_MB = 8;

/** The thread of each store opened here: for the tests that stop it under load. */
const threads = new WeakMap<Store, Worker>();

export function storeThreadOf(store: Store): Worker | undefined {
  return threads.get(store);
}

interface Call {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** Opens the embedded store on a worker thread; resolves once it is open (migrated, secrets checked, writable), or fails as openSqliteStore would. */
export async function openStoreThread(data: StoreThreadData): Promise<Store> {
  const worker = startModuleWorker(WORKER_MODULE, data, { name: 'passerelle-store', resourceLimits: { maxYoungGenerationSizeMb: STORE_THREAD_YOUNG_GENERATION_MB } });
  const calls = new Map<number, Call>();
  let nextId = 0;
  let listener: ((committed: CommittedOutbox) => void) | undefined;
  let ended: Error | undefined;

  const opened = new Promise<void>((resolve, reject) => {
    worker.on('message', (reply: StoreReply) => {
      switch (reply.kind) {
        case 'opened':
          return resolve();
        case 'failed':
          return reject(reviveError(reply.error));
        case 'committed':
          return listener?.(asBuffers(reply.committed) as CommittedOutbox);
        case 'answer': {
          const call = calls.get(reply.id);
          if (call === undefined) return;
          calls.delete(reply.id);
          if (reply.ok) call.resolve(asBuffers(reply.value));
          else call.reject(reviveError(reply.error));
        }
      }
    });
    // Partners read these sentences: the thread's own error stays their cause, for the operator's log.
    const end = (cause: Error) => {
      ended ??= new GatewayError('unavailable', "The gateway's store stopped; nothing was accepted. Retry later. The operator must restart the gateway.", { cause });
      reject(ended);
      // A write in flight may have been committed before the thread stopped: its sender is told neither
      // "accepted" nor "nothing was accepted", and sends it again under the same id.
      for (const call of calls.values()) call.reject(new GatewayError('outcome_unknown', undefined, { cause }));
      calls.clear();
    };
    worker.once('error', (err) => end(err));
    worker.once('exit', (code) => end(new Error(`the store's thread exited with code ${code}`)));
  });
  try {
    await opened;
  } catch (err) {
    await worker.terminate();
    throw err;
  }

  const call = (method: Forwarded | 'pseudonymFor' | 'saveReceipt' | 'close', args: unknown[]): Promise<unknown> => {
    if (ended !== undefined) return Promise.reject(ended);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      calls.set(id, { resolve, reject });
      try {
        worker.postMessage(method === 'close' ? { kind: 'close', id } : ({ kind: 'call', id, method, args } satisfies StoreRequest));
      } catch (err) {
        // A value that cannot be copied to another thread (a defect of the caller): this call fails alone.
        calls.delete(id);
        reject(err as Error);
      }
    });
  };

  const store: Partial<Record<keyof Store, unknown>> = {};
  for (const method of FORWARDED) store[method] = (...args: unknown[]) => call(method, args);
  const threaded = Object.assign(store, {
    // Nobody waits for a receipt to be kept (Store.saveReceipt): the answer leaves without the crossing
    // back. A replay's findMessage, sent after it on the same port, still waits for it on the thread.
    saveReceipt: (messageId: string, receipt: string) => {
      void call('saveReceipt', [messageId, receipt]).catch(() => undefined);
      return Promise.resolve();
    },
    // One crossing rather than a look-up first: the subject is made beforehand, and dropped by the
    // store when it knows the person (a random key and an HMAC, cheaper than a second crossing).
    pseudonymFor: (lookup: string, create: () => unknown) => call('pseudonymFor', [lookup, create()]),
    onCommitted: (handed: (committed: CommittedOutbox) => void) => {
      listener = handed;
      post(worker, { kind: 'subscribe' });
      return () => {
        if (listener !== handed) return;
        listener = undefined;
        post(worker, { kind: 'unsubscribe' });
      };
    },
    close: async () => {
      if (ended !== undefined) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      await call('close', []);
      await exited;
    },
  }) as Store;
  threads.set(threaded, worker);
  return threaded;
}

function post(worker: Worker, request: StoreRequest): void {
  worker.postMessage(request);
}
