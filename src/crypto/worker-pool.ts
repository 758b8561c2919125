/**
 * The crypto service (src/crypto/service.ts) on worker threads, so that the gateway's OpenPGP work runs
 * on every core instead of the one the HTTP server, the store and the broker share. The worker
 * (src/crypto/crypto-worker.ts) calls the same functions as INLINE_CRYPTO with the same arguments;
 * only the transport differs.
 *
 * Keys travel with the tasks: the trust configuration can change at run time (a partner's new key,
 * the gateway's key rotation), so a worker must never keep using a key it was given at start. A key is
 * named by the hash of its bytes: a key replaced at run time has another hash, and the next task
 * names the new one. Each worker keeps the keys it parsed in a bounded cache (src/crypto/key-cache.ts),
 * and the pool keeps, per worker, the hashes of that cache: a key the worker holds travels as its hash
 * alone, its bytes (the gateway's secret keys among them) only the first time, or again once the
 * worker dropped it. Serialising a key costs something, so it is done once per key object (a WeakMap:
 * a replaced key is forgotten with its object).
 *
 * The bytes of a task (a partner's message …) are copied once into a buffer of their own and moved to
 * the worker, not cloned: the pool keeps the caller's, since it may have to post the task again. The
 * worker moves the bytes of its results back the same way (src/crypto/worker-protocol.ts).
 *
 * A GatewayError thrown in a worker comes back as the same GatewayError (code, message, rule), so that
 * refusals read the same with or without the pool.
 *
 * The work a partner can make the pool do is bounded three ways: its messages are checked on their
 * packets before any secret-key operation (src/crypto/session-keys.ts); every task has a time budget
 * (CRYPTO_TASK_BUDGET_MS), past which its worker is terminated and replaced; and work from outside
 * waits in one lane per partner, served in turn (src/crypto/fair-queue.ts), each lane with its own
 * limit (PARTNER_QUEUE_LIMIT), so that one partner's flood neither delays nor refuses another's.
 */
import { createHash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { GatewayError, reviveError } from '../domain/errors.js';
import { keyBytes, type Key } from './keys.js';
import { FairQueue } from './fair-queue.js';
import { KEY_CACHE_LIMIT, KeyCache } from './key-cache.js';
import { INLINE_CRYPTO, type GatewayCrypto } from './service.js';
import { isKeyField, mapKeys, moveBytes, WORKER_READY, type CryptoReply, type CryptoTask, type CryptoWorkerData, type KeyOnWire, type KeyTransfer } from './worker-protocol.js';
import { siblingModule, startModuleWorker } from './worker-thread.js';

/**
 * Tasks on input from outside the gateway (a partner's message, a partner's cosignature) are new work:
 * refused with 503 when the queue is full, and failed, not run again, when their worker dies (input
 * that kills a worker does not get a second try). The others continue work in progress on the
 * gateway's own data (a message being accepted or delivered, its receipt, the gateway's notices, a
 * stored orientation, a checkpoint): they go first, are never refused, and run again on a new worker.
 */
const FROM_OUTSIDE: ReadonlySet<CryptoTask['op']> = new Set(['open', 'verifyDetached']);

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

/**
 * Tasks from outside one partner may have waiting (its lane, src/crypto/fair-queue.ts); past it, that
 * partner's new work is refused with 503 while the other partners' is still queued. An eighth of
 * CRYPTO_QUEUE_LIMIT: a burst of 64 messages is about a tenth of a second of the pool's work, and
 * it takes eight partners flooding at once to fill the pool's queue.
 */
export const PARTNER_QUEUE_LIMIT = 64;

/**
 * Milliseconds a task may run on its worker before the worker is terminated and replaced, the task
 * failed (503 for work from outside) and the event logged. The heaviest honest message measured (a
 * document of 1 MiB, the largest PASSERELLE_MAX_DOCUMENT_BYTES allows, RSA-4096 keys, sealed to two
 * gateway keys during a rotation: six RSA private-key operations in JavaScript) takes about 0.35 s of
 * one core, and a worker runs TASKS_PER_WORKER tasks sharing that core: 5 s leaves three times that
 * worst case, and cuts short the decryption bombs that took 10 s to minutes per message.
 */
export const CRYPTO_TASK_BUDGET_MS = 5_000;

/** Where the pool tells the operator about a task it stopped (the gateway's logger fits). */
export interface CryptoPoolLog {
  warn(event: string, fields: { component: string; partner?: string; outcome: string; durationMs: number; reason: string }): void;
}

/** The lane of work from outside that names no partner (a caller that does not say whose it is). */
const UNATTRIBUTED = '';

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

interface Pending {
  id: number;
  task: CryptoTask;
  resolve(value: unknown): void;
  reject(err: Error): void;
  /** Work from outside: whose lane it waits in. */
  lane?: string;
  /** Sent back to the queue once already, when another task's worker was stopped under it. */
  requeued?: boolean;
  /** Posted again with the bytes of every key, after its worker named keys it did not hold. */
  resent?: boolean;
  /** Its time budget, from the moment it went to a worker that listens. */
  budget?: ReturnType<typeof setTimeout>;
  startedAt?: number;
}

interface Slot {
  worker: Worker;
  running: Map<number, Pending>;
  /** The worker listens for tasks (it posted WORKER_READY): the budgets of its tasks run from then on. */
  ready: boolean;
  /** Terminated or exited: its tasks were dealt with, a new worker took its place. */
  dead: boolean;
  /** The hashes of the keys the worker holds parsed: the twin of its cache, touched in the same order (see post). */
  held: KeyCache<true>;
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
export function createCryptoPool(opts: { size: number; queueLimit?: number; partnerQueueLimit?: number; taskBudgetMs?: number; keyCacheLimit?: number; log?: CryptoPoolLog }): GatewayCrypto {
  if (opts.size <= 0) return INLINE_CRYPTO;
  const queueLimit = opts.queueLimit ?? CRYPTO_QUEUE_LIMIT;
  const partnerQueueLimit = Math.min(opts.partnerQueueLimit ?? PARTNER_QUEUE_LIMIT, queueLimit);
  const taskBudgetMs = opts.taskBudgetMs ?? CRYPTO_TASK_BUDGET_MS;
  const workerData: CryptoWorkerData = { keyCacheLimit: opts.keyCacheLimit ?? KEY_CACHE_LIMIT };
  let nextId = 0;
  let closing = false;
  let closed = false;
  /** Continuations of work in progress go before new work from outside (see FROM_OUTSIDE). */
  const urgent: Pending[] = [];
  const waiting = new FairQueue<Pending>();
  const slots: Slot[] = [];

  const settle = (pending: Pending) => {
    if (pending.budget !== undefined) clearTimeout(pending.budget);
    pending.budget = undefined;
  };

  /**
   * A worker that died or was stopped: its tasks are settled or queued again, a new worker takes its
   * place. `culprit`, when known (the task over budget), fails; the others did nothing wrong.
   */
  const retire = (index: number, slot: Slot, err: unknown, culprit?: Pending) => {
    if (slot.dead) return;
    slot.dead = true;
    for (const pending of slot.running.values()) {
      settle(pending);
      if (pending === culprit) continue;
      if (!FROM_OUTSIDE.has(pending.task.op)) {
        // Work in progress is run again: its message may be in progress or already committed, and a
        // 503 would tell the partner that nothing was accepted.
        urgent.unshift(pending);
      } else if (culprit !== undefined && !pending.requeued) {
        // Stopped under another task's overrun: back to the front of its partner's lane, once.
        pending.requeued = true;
        waiting.unshift(pending.lane ?? UNATTRIBUTED, pending);
      } else {
        // A worker that died takes work from outside with it (the partner retries; input that kills
        // workers does not get a second try).
        pending.reject(new GatewayError('unavailable', 'The gateway could not complete the cryptographic processing of this request; nothing was accepted. Retry later.', { cause: err }));
      }
    }
    slot.running.clear();
    if (!closing || urgent.length > 0) {
      slots[index] = spawn(index);
      pump();
    }
  };

  const startBudget = (index: number, slot: Slot, pending: Pending) => {
    pending.startedAt = Date.now();
    pending.budget = setTimeout(() => overBudget(index, slot, pending), taskBudgetMs);
  };

  const overBudget = (index: number, slot: Slot, pending: Pending) => {
    if (slot.dead || !slot.running.has(pending.id)) return;
    const elapsed = Date.now() - (pending.startedAt ?? Date.now());
    const fromOutside = FROM_OUTSIDE.has(pending.task.op);
    opts.log?.warn('crypto task over budget', {
      component: 'crypto-pool',
      ...(pending.lane === undefined || pending.lane === UNATTRIBUTED ? {} : { partner: pending.lane }),
      outcome: 'abandoned',
      durationMs: elapsed,
      reason: `${pending.task.op} ran over its budget of ${taskBudgetMs} ms; its worker thread was terminated and replaced`,
    });
    pending.reject(
      fromOutside
        ? new GatewayError('unavailable', `The cryptographic processing of this request took more than ${taskBudgetMs} ms, the gateway's limit, and was stopped; nothing was accepted. Send the message as gpg --sign --encrypt makes it, and retry later.`, { retryAfterSeconds: 5 })
        : new GatewayError('unavailable', `The gateway's own cryptographic work (${pending.task.op}) took more than ${taskBudgetMs} ms and was stopped; retry later.`),
    );
    retire(index, slot, new Error('over budget'), pending);
    void slot.worker.terminate();
  };

  const spawn = (index: number): Slot => {
    const slot: Slot = {
      worker: startModuleWorker(WORKER_MODULE, workerData, { name: `passerelle-crypto-${index}`, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } }),
      running: new Map(),
      ready: false,
      dead: false,
      // A new worker holds no key: the first task sends them all.
      held: new KeyCache(workerData.keyCacheLimit),
    };
    slot.worker.on('message', (reply: CryptoReply | typeof WORKER_READY) => {
      if (reply === WORKER_READY) {
        slot.ready = true;
        for (const pending of slot.running.values()) startBudget(index, slot, pending);
        return;
      }
      const pending = slot.running.get(reply.id);
      if (pending === undefined) return;
      if ('unknownKeys' in reply) {
        for (const hash of reply.unknownKeys) slot.held.forget(hash);
        if (!pending.resent) {
          pending.resent = true;
          post(slot, pending);
          return;
        }
        reply = { id: reply.id, ok: false, error: { gateway: true, code: 'internal', message: 'A crypto worker thread did not find a key it was sent with its bytes. This is a defect: report it.' } };
      }
      slot.running.delete(reply.id);
      settle(pending);
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(reviveError(reply.error));
      pump();
    });
    // 'error' is followed by 'exit': retire() replaces the worker once.
    slot.worker.once('error', (err) => retire(index, slot, err));
    slot.worker.once('exit', (code) => {
      if (!closing) retire(index, slot, new GatewayError('internal', `A crypto worker thread exited unexpectedly with code ${code} (out of memory, or a defect of the gateway); a new thread takes its place.`));
    });
    return slot;
  };
  for (let i = 0; i < opts.size; i++) slots.push(spawn(i));

  function pump(): void {
    for (;;) {
      if (urgent.length === 0 && waiting.size === 0) return;
      let index = -1;
      for (let i = 0; i < slots.length; i++) {
        const candidate = slots[i]!;
        if (candidate.dead || candidate.running.size >= TASKS_PER_WORKER) continue;
        if (index === -1 || candidate.running.size < slots[index]!.running.size) index = i;
      }
      if (index === -1) return;
      const slot = slots[index]!;
      const next = urgent.shift() ?? waiting.shift()!;
      slot.running.set(next.id, next);
      // A task posted to a worker that is still starting waits in its port; its budget starts with the worker.
      if (slot.ready) startBudget(index, slot, next);
      post(slot, next);
    }
  }

  /**
   * Why the pool mirrors the worker's cache rather than ask it: both sides run the same KeyCache with
   * the same limit, and touch it with the keys of each task in the same order (the order the worker
   * receives the tasks, and KEY_FIELDS within a task), so the pool knows which keys the worker holds,
   * including which one it evicted, with no round trip. The one way they part is a key the worker
   * failed to parse and dropped (it cannot happen with keys the gateway read itself): the worker then
   * answers with the hashes it lacks, and the task is posted once more with the bytes of every key.
   */
  function post(slot: Slot, pending: Pending): void {
    const keyed = mapKeys<KeyTransfer, KeyOnWire>(pending.task, (key) => {
      const held = slot.held.use(key.hash) !== undefined;
      if (!held) slot.held.add(key.hash, true);
      return held && !pending.resent ? key.hash : key;
    });
    const transfer: ArrayBuffer[] = [];
    const task: Record<string, unknown> = { ...keyed };
    for (const [field, value] of Object.entries(task)) if (!isKeyField(field)) task[field] = moveBytes(value, transfer, true);
    slot.worker.postMessage({ id: pending.id, task }, transfer);
  }

  function run<T>(task: CryptoTask, partner?: string): Promise<T> {
    const isNew = FROM_OUTSIDE.has(task.op);
    // Once stopped, no thread is left to run anything, so even work in progress is refused.
    if ((closing && isNew) || closed) return Promise.reject(new GatewayError('unavailable', 'The gateway is stopping; nothing was accepted. Retry later.'));
    const lane = partner ?? UNATTRIBUTED;
    if (isNew && waiting.sizeOf(lane) >= partnerQueueLimit) {
      return Promise.reject(
        new GatewayError('unavailable', `The gateway already has ${partnerQueueLimit} requests of your organisation waiting for decryption, the most it queues for one partner; nothing was accepted. Retry in a few seconds.`, { retryAfterSeconds: 5 }),
      );
    }
    if (isNew && waiting.size >= queueLimit) {
      return Promise.reject(
        new GatewayError('unavailable', `The gateway is at capacity (${queueLimit} messages waiting for decryption); nothing was accepted. Retry in a few seconds.`, { retryAfterSeconds: 5 }),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { id: nextId++, task, resolve: resolve as (value: unknown) => void, reject };
      if (isNew) {
        pending.lane = lane;
        waiting.push(lane, pending);
      } else {
        urgent.push(pending);
      }
      pump();
    });
  }

  return {
    openFromPartner: (o) =>
      run(
        { op: 'open', message: o.message, decryptionKeys: transferAll(o.decryptionKey), senderKeys: transferAll(o.senderKeys), knownKeys: transferAll(o.knownKeys ?? []), maxDocumentBytes: o.maxDocumentBytes },
        o.partner,
      ),
    openSigned: (o) =>
      run({ op: 'openSigned', signedMessage: o.signedMessage, senderKeys: transferAll(o.senderKeys), maxDocumentBytes: o.maxDocumentBytes, ...(o.acceptedAt === undefined ? {} : { acceptedAt: o.acceptedAt.toISOString() }) }),
    sealForRecipient: (o) => run({ op: 'seal', signedMessage: o.signedMessage, recipientKeys: transferAll(o.recipientKeys), ...(o.sent === undefined ? {} : { sent: o.sent }) }),
    signAndEncrypt: (o) => run({ op: 'signAndEncrypt', document: o.document, signingKey: transfer(o.signingKey), encryptionKeys: transferAll(o.encryptionKeys) }),
    signInline: (o) => run({ op: 'signInline', document: o.document, signingKey: transfer(o.signingKey) }),
    signJson: (o) => run({ op: 'signJson', value: o.value, signingKey: transfer(o.signingKey) }),
    readKept: (o) => run({ op: 'readKept', signedMessage: o.signedMessage, maxDocumentBytes: o.maxDocumentBytes }),
    signReceipt: (answer, gatewayKey) => run({ op: 'receipt', answer, gatewayKey: transfer(gatewayKey) }),
    signDetached: (o) => run({ op: 'signDetached', data: o.data, signingKey: transfer(o.signingKey) }),
    queueLength: () => waiting.size + urgent.length,
    verifyDetached: (o) =>
      run({ op: 'verifyDetached', data: o.data, signature: o.signature, verificationKeys: transferAll(o.verificationKeys), signerValidNow: o.signerValidNow ?? false }, o.partner),
    async close() {
      closing = true;
      const stopped = new GatewayError('unavailable', 'The gateway is stopping; nothing was accepted. Retry later.');
      for (const pending of waiting.drain()) pending.reject(stopped);
      // Work in progress finishes first: its messages may already be committed.
      while (urgent.length > 0 || slots.some((slot) => slot.running.size > 0)) await new Promise((resolve) => setTimeout(resolve, 10));
      closed = true;
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
