/**
 * The store's thread (store-thread.ts): opens the embedded store as the main thread would, and runs
 * each call it is sent, answering on the same port. Calls run as they arrive, without waiting for the
 * ones before: the store's group commit gathers the writes of one turn into one transaction here as it
 * does on the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { NewSubject } from '../privacy/pseudonym.js';
import { openSqliteStore } from './open.js';
import type { CommittedOutbox, Store } from './port.js';
import { transferError, type TransferredError } from '../domain/errors.js';
import { asBuffers, FORWARDED, type StoreReply, type StoreRequest, type StoreThreadData } from './store-thread.js';

const port = parentPort!;
const data = (workerData as { data: StoreThreadData }).data;
const forwarded: ReadonlySet<string> = new Set([...FORWARDED, 'saveReceipt']);

/** The store's causes are SQLite's and the file system's own messages: they may cross, for the log. */
function failure(err: unknown): TransferredError {
  return transferError(err, { withCause: true });
}

function reply(message: StoreReply): void {
  port.postMessage(message);
}

let store: Store;
try {
  store = await openSqliteStore({ dataDir: data.dataDir, ...(data.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: data.busyTimeoutMs }) });
} catch (err) {
  reply({ kind: 'failed', error: failure(err) });
  port.close();
  process.exit(0);
}

let unsubscribe: (() => void) | undefined;

async function run(request: Extract<StoreRequest, { kind: 'call' }>): Promise<unknown> {
  const args = asBuffers(request.args) as unknown[];
  if (request.method === 'pseudonymFor') {
    const [lookup, subject] = args as [string, NewSubject];
    return store.pseudonymFor(lookup, () => subject);
  }
  if (!forwarded.has(request.method)) throw new Error(`The store's thread has no operation ${String(request.method)}.`);
  return (store[request.method] as (...a: unknown[]) => Promise<unknown>)(...args);
}

port.on('message', (request: StoreRequest) => {
  switch (request.kind) {
    case 'subscribe':
      unsubscribe?.();
      unsubscribe = store.onCommitted!((committed: CommittedOutbox) => reply({ kind: 'committed', committed }));
      return;
    case 'unsubscribe':
      unsubscribe?.();
      unsubscribe = undefined;
      return;
    case 'close':
      void store.close().then(
        () => {
          reply({ kind: 'answer', id: request.id, ok: true, value: undefined });
          port.close();
        },
        (err: unknown) => {
          reply({ kind: 'answer', id: request.id, ok: false, error: failure(err) });
          port.close();
        },
      );
      return;
    case 'call':
      run(request).then(
        (value) => reply({ kind: 'answer', id: request.id, ok: true, value }),
        (err: unknown) => reply({ kind: 'answer', id: request.id, ok: false, error: failure(err) }),
      );
  }
});

reply({ kind: 'opened' });
