/**
 * A crypto worker thread of the gateway (src/crypto/worker-pool.ts): runs the operations of the crypto
 * service (src/crypto/service.ts, INLINE_CRYPTO) on the keys each task carries and posts back the
 * result, or the error as code and message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { transferError } from '../domain/errors.js';
import { KeyCache } from './key-cache.js';
import { readKeyBytes, type Key, type PrivateKey, type PublicKey } from './keys.js';
import { INLINE_CRYPTO } from './service.js';
import { mapKeys, moveBytes, WORKER_READY, type CryptoReply, type CryptoTask, type CryptoWorkerData, type KeyOnWire } from './worker-protocol.js';

const { keyCacheLimit } = (workerData as { data: CryptoWorkerData }).data;

/** Parsed keys by hash of their bytes; the pool keeps the twin of this cache (see post in worker-pool.ts). */
const keys = new KeyCache<Promise<Key>>(keyCacheLimit);

/** The key named, from the cache or parsed from its bytes; undefined for a hash alone that the cache does not hold. */
function keyOf(key: KeyOnWire): Promise<Key> | undefined {
  if (typeof key === 'string') return keys.use(key);
  let parsed = keys.use(key.hash);
  if (parsed === undefined) {
    const read = readKeyBytes(key.bytes, key.secret);
    // A key that does not parse is not kept: the next task tries again (and fails the same way).
    read.catch(() => keys.forget(key.hash, read));
    keys.add(key.hash, read);
    parsed = read;
  }
  return parsed;
}

const all = <K extends Key>(promises: Array<Promise<Key>>) => Promise.all(promises) as Promise<K[]>;
const one = <K extends Key>(promise: Promise<Key>) => promise as Promise<K>;

async function perform(task: CryptoTask<Promise<Key>>): Promise<unknown> {
  switch (task.op) {
    case 'open':
      return INLINE_CRYPTO.openFromPartner({
        message: task.message,
        decryptionKey: await all<PrivateKey>(task.decryptionKeys),
        senderKeys: await all<PublicKey>(task.senderKeys),
        knownKeys: await all<PublicKey>(task.knownKeys),
        maxDocumentBytes: task.maxDocumentBytes,
      });
    case 'openSigned':
      return INLINE_CRYPTO.openSigned({
        signedMessage: task.signedMessage,
        senderKeys: await all<PublicKey>(task.senderKeys),
        maxDocumentBytes: task.maxDocumentBytes,
        ...(task.acceptedAt === undefined ? {} : { acceptedAt: new Date(task.acceptedAt) }),
      });
    case 'seal':
      return INLINE_CRYPTO.sealForRecipient({
        signedMessage: task.signedMessage,
        recipientKeys: await all<PublicKey>(task.recipientKeys),
        ...(task.sent === undefined ? {} : { sent: task.sent }),
      });
    case 'readKept':
      return INLINE_CRYPTO.readKept({ signedMessage: task.signedMessage, maxDocumentBytes: task.maxDocumentBytes });
    case 'signJson':
      return INLINE_CRYPTO.signJson({ value: task.value, signingKey: await one<PrivateKey>(task.signingKey) });
    case 'signInline':
      return INLINE_CRYPTO.signInline({ document: task.document, signingKey: await one<PrivateKey>(task.signingKey) });
    case 'signAndEncrypt':
      return INLINE_CRYPTO.signAndEncrypt({ document: task.document, signingKey: await one<PrivateKey>(task.signingKey), encryptionKeys: await all<PublicKey>(task.encryptionKeys) });
    case 'receipt':
      return INLINE_CRYPTO.signReceipt(task.answer, await one<PrivateKey>(task.gatewayKey));
    case 'signDetached':
      return INLINE_CRYPTO.signDetached({ data: task.data, signingKey: await one<PrivateKey>(task.signingKey) });
    case 'verifyDetached':
      return INLINE_CRYPTO.verifyDetached({
        data: task.data,
        signature: task.signature,
        verificationKeys: await all<PublicKey>(task.verificationKeys),
        signerValidNow: task.signerValidNow,
      });
  }
}

const port = parentPort!;
port.on('message', ({ id, task }: { id: number; task: CryptoTask<KeyOnWire> }) => {
  // Every key of the task is looked up now, as the message arrives, in the order the pool touched its
  // twin of the cache: a key evicted later by another task does not fail this one.
  const unknownKeys: string[] = [];
  const keyed = mapKeys(task, (key) => {
    const found = keyOf(key);
    if (found === undefined) unknownKeys.push(key as string);
    return found;
  });
  if (unknownKeys.length > 0) {
    port.postMessage({ id, unknownKeys } satisfies CryptoReply);
    return;
  }
  perform(keyed as CryptoTask<Promise<Key>>).then(
    (value) => {
      const transfer: ArrayBuffer[] = [];
      const moved = moveBytes(value, transfer, false);
      port.postMessage({ id, ok: true, value: moved } satisfies CryptoReply, transfer);
    },
    (err: unknown) => port.postMessage({ id, ok: false, error: transferError(err) } satisfies CryptoReply),
  );
});
port.postMessage(WORKER_READY);
