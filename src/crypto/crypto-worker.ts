/**
 * A crypto worker thread of the gateway (src/crypto/worker-pool.ts): runs the operations of the crypto
 * service (src/crypto/service.ts, INLINE_CRYPTO) on the keys each task carries and posts back the
 * result, or the error as code and message.
 */
import { parentPort } from 'node:worker_threads';
import { GatewayError } from '../domain/errors.js';
import { readKeyBytes, type Key, type PrivateKey, type PublicKey } from './keys.js';
import { INLINE_CRYPTO } from './service.js';
import { WORKER_READY, type CryptoReply, type CryptoTask, type KeyTransfer, type TransferredError } from './worker-pool.js';

/**
 * Parsed keys kept per worker, by hash of their bytes. The gateway holds a few keys per partner and a
 * few of its own during a rotation: this covers a few dozen partners, and keys replaced at run time
 * fall out of it (least recently used first) instead of piling up.
 */
const KEY_CACHE_LIMIT = 256;

const keys = new Map<string, Promise<Key>>();

function keyOf(transfer: KeyTransfer): Promise<Key> {
  let key = keys.get(transfer.hash);
  if (key === undefined) {
    key = readKeyBytes(transfer.bytes, transfer.secret);
    // A key that does not parse is not kept: the next task tries again (and fails the same way).
    key.catch(() => keys.delete(transfer.hash));
    if (keys.size >= KEY_CACHE_LIMIT) keys.delete(keys.keys().next().value!);
  } else {
    keys.delete(transfer.hash);
  }
  keys.set(transfer.hash, key);
  return key;
}

const keysOf = (transfers: KeyTransfer[]) => Promise.all(transfers.map(keyOf));

async function perform(task: CryptoTask): Promise<unknown> {
  switch (task.op) {
    case 'open':
      return INLINE_CRYPTO.openFromPartner({
        message: task.message,
        decryptionKey: (await keysOf(task.decryptionKeys)) as PrivateKey[],
        senderKeys: (await keysOf(task.senderKeys)) as PublicKey[],
        knownKeys: (await keysOf(task.knownKeys)) as PublicKey[],
        maxDocumentBytes: task.maxDocumentBytes,
      });
    case 'openSigned':
      return INLINE_CRYPTO.openSigned({
        signedMessage: task.signedMessage,
        senderKeys: (await keysOf(task.senderKeys)) as PublicKey[],
        maxDocumentBytes: task.maxDocumentBytes,
        ...(task.acceptedAt === undefined ? {} : { acceptedAt: new Date(task.acceptedAt) }),
      });
    case 'seal':
      return INLINE_CRYPTO.sealForRecipient({
        signedMessage: task.signedMessage,
        recipientKeys: (await keysOf(task.recipientKeys)) as PublicKey[],
        ...(task.sent === undefined ? {} : { sent: task.sent }),
      });
    case 'readKept':
      return INLINE_CRYPTO.readKept({ signedMessage: task.signedMessage, maxDocumentBytes: task.maxDocumentBytes });
    case 'signJson':
      return INLINE_CRYPTO.signJson({ value: task.value, signingKey: (await keyOf(task.signingKey)) as PrivateKey });
    case 'signInline':
      return INLINE_CRYPTO.signInline({ document: task.document, signingKey: (await keyOf(task.signingKey)) as PrivateKey });
    case 'signAndEncrypt':
      return INLINE_CRYPTO.signAndEncrypt({ document: task.document, signingKey: (await keyOf(task.signingKey)) as PrivateKey, encryptionKeys: (await keysOf(task.encryptionKeys)) as PublicKey[] });
    case 'receipt':
      return INLINE_CRYPTO.signReceipt(task.answer, (await keyOf(task.gatewayKey)) as PrivateKey);
    case 'signDetached':
      return INLINE_CRYPTO.signDetached({ data: task.data, signingKey: (await keyOf(task.signingKey)) as PrivateKey });
    case 'verifyDetached':
      return INLINE_CRYPTO.verifyDetached({
        data: task.data,
        signature: task.signature,
        verificationKeys: (await keysOf(task.verificationKeys)) as PublicKey[],
        signerValidNow: task.signerValidNow,
      });
  }
}

function transferable(err: unknown): TransferredError {
  if (err instanceof GatewayError) return { gateway: true, code: err.code, message: err.message, ...(err.rule === undefined ? {} : { rule: err.rule }) };
  return { gateway: false, ...(err instanceof Error ? { name: err.name } : {}), message: err instanceof Error ? err.message : String(err) };
}

const port = parentPort!;
port.on('message', ({ id, task }: { id: number; task: CryptoTask }) => {
  perform(task).then(
    (value) => port.postMessage({ id, ok: true, value } satisfies CryptoReply),
    (err: unknown) => port.postMessage({ id, ok: false, error: transferable(err) } satisfies CryptoReply),
  );
});
port.postMessage(WORKER_READY);
