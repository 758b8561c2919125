/**
 * A worker thread of `npm run bench` (scripts/bench/seal.ts), on its own core:
 * - `seal`: signs and encrypts documents as the partner does (before timing starts);
 * - `crypto`: the gateway's crypto alone on already sealed messages (open = decrypt + verify, seal for
 *   the recipient = re-encrypt, and the receipt signature), the floor the whole path is compared with.
 * It calls the gateway's own OpenPGP adapter, so both measure the same code.
 */
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { loadPartnerView } from '../../src/client/partner-view.js';
import { readPrivateKey, readPublicKeys } from '../../src/crypto/keys.js';
import { openFromPartner } from '../../src/crypto/open.js';
import { sealForRecipient, signAndEncrypt } from '../../src/crypto/seal.js';
import { signReceipt } from '../../src/crypto/receipt.js';
import fs from 'node:fs';

export interface BenchWorkerData {
  certsDir: string;
  sender: string;
  recipient: string;
  maxDocumentBytes: number;
}

export type BenchTask =
  | { kind: 'seal'; documents: Uint8Array[]; armor: boolean }
  | { kind: 'crypto'; messages: Uint8Array[]; inFlight: number };

export type BenchReply =
  | { kind: 'ready' }
  | { kind: 'sealed'; messages: Uint8Array[] }
  | { kind: 'crypto-done'; count: number; elapsedMs: number }
  | { kind: 'failed'; message: string };

const settings = (workerData as { data: BenchWorkerData }).data;
const port = parentPort!;

async function readKeys(file: string) {
  return readPublicKeys({ armored: fs.readFileSync(file, 'utf8'), source: file });
}

const view = await loadPartnerView({ dir: settings.certsDir, id: settings.sender });
const gatewayKey = await readPrivateKey({ armored: fs.readFileSync(path.join(settings.certsDir, 'gateway', 'openpgp.key.asc'), 'utf8'), source: 'gateway key' });
const senderKeys = await readKeys(path.join(settings.certsDir, 'partners', settings.sender, 'openpgp.asc'));
const recipientKeys = await readKeys(path.join(settings.certsDir, 'partners', settings.recipient, 'openpgp.asc'));
const gatewayPublishedKeys = [gatewayKey.toPublic()];

async function seal(documents: Uint8Array[], armor: boolean): Promise<Uint8Array[]> {
  const sealed: Uint8Array[] = [];
  for (const document of documents) {
    const out = await signAndEncrypt({ document, signingKey: view.privateKey, encryptionKeys: view.gatewayKeys, armor });
    sealed.push(typeof out === 'string' ? Buffer.from(out, 'latin1') : out);
  }
  return sealed;
}

/**
 * What the gateway computes per accepted message, nothing else, with the same arguments: the session-key
 * check against the keys it knows, and the recipient's copy made as the gateway makes it (the sender's
 * ciphertext behind a new session-key packet when it can be forwarded, src/crypto/forward.ts).
 */
async function gatewayCrypto(message: Uint8Array, index: number): Promise<void> {
  const opened = await openFromPartner({ message, decryptionKey: gatewayKey, senderKeys, maxDocumentBytes: settings.maxDocumentBytes, knownKeys: [...gatewayPublishedKeys, ...recipientKeys] });
  await sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys, ...(opened.sent === undefined ? {} : { sent: opened.sent }) });
  await signReceipt(
    { messageId: `bench-${index}`, status: 'accepted', acceptedAt: new Date().toISOString(), auditIndex: index, payloadSha256: '0'.repeat(64) },
    gatewayKey,
  );
}

async function crypto(messages: Uint8Array[], inFlight: number): Promise<{ count: number; elapsedMs: number }> {
  const start = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < messages.length) {
      const index = next++;
      await gatewayCrypto(messages[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { count: messages.length, elapsedMs: performance.now() - start };
}

port.on('message', (task: BenchTask) => {
  const run = async (): Promise<BenchReply> => {
    if (task.kind === 'seal') return { kind: 'sealed', messages: await seal(task.documents, task.armor) };
    return { kind: 'crypto-done', ...(await crypto(task.messages, task.inFlight)) };
  };
  run().then(
    (reply) => port.postMessage(reply),
    (err: unknown) => port.postMessage({ kind: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies BenchReply),
  );
});
port.postMessage({ kind: 'ready' } satisfies BenchReply);
