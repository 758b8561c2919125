import { Worker } from 'node:worker_threads';
import { expect } from 'chai';
import * as openpgp from 'openpgp';
import type { PrivateKey, PublicKey } from 'openpgp';
import { GatewayError } from '../../src/domain/errors.js';
import { readPrivateKey, readPublicKeys } from '../../src/crypto/keys.js';
import { openDelivered, openSigned } from '../../src/crypto/open.js';
import { signAndEncrypt } from '../../src/crypto/seal.js';
import { verifyReceipt, type AcceptedAnswer } from '../../src/crypto/receipt.js';
import { INLINE_CRYPTO, type GatewayCrypto } from '../../src/crypto/service.js';
import { createCryptoPool } from '../../src/crypto/worker-pool.js';
import type { CryptoTask, KeyOnWire } from '../../src/crypto/worker-protocol.js';

interface Party {
  key: PrivateKey;
  publicKey: PublicKey;
}

async function party(name: string): Promise<Party> {
  const { privateKey, publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name, email: `${name}@example.test` }], format: 'armored' });
  return { key: await readPrivateKey({ armored: privateKey, source: `${name}.key.asc` }), publicKey: (await readPublicKeys({ armored: publicKey, source: `${name}.asc` }))[0]! };
}

const DOCUMENT = new TextEncoder().encode('{"header":{},"body":{}}');
const MAX = 1024 * 1024;

async function sealFrom(sender: Party, gateway: Party, document = DOCUMENT): Promise<Uint8Array> {
  return (await signAndEncrypt({ document, signingKey: sender.key, encryptionKeys: [gateway.publicKey], armor: false })) as Uint8Array;
}

/** A task as the pool posted it to a worker thread. */
interface Posted {
  worker: Worker;
  id: number;
  task: CryptoTask<KeyOnWire>;
  transfer: readonly unknown[];
}

/**
 * Records the tasks the pools post to their workers while `work` runs; `alter` may change a message
 * before it goes (what a worker would have received had the pool been mistaken).
 */
async function posting<T>(work: (posted: Posted[]) => Promise<T>, alter?: (message: { id: number; task: CryptoTask<KeyOnWire> }) => void): Promise<{ result: T; posted: Posted[] }> {
  const posted: Posted[] = [];
  const original = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: readonly unknown[]) {
    const task = message as { id: number; task?: CryptoTask<KeyOnWire> };
    if (task.task !== undefined) {
      alter?.(task as { id: number; task: CryptoTask<KeyOnWire> });
      posted.push({ worker: this, id: task.id, task: task.task, transfer: transfer ?? [] });
    }
    return original.call(this, message, transfer as Parameters<Worker['postMessage']>[1]);
  };
  try {
    return { result: await work(posted), posted };
  } finally {
    Worker.prototype.postMessage = original;
  }
}

/** The keys of an 'open' task as posted: hashes alone (a string) or bytes (an object), per field. */
function keysOfOpen(task: CryptoTask<KeyOnWire>): { decryption: KeyOnWire[]; sender: KeyOnWire[]; known: KeyOnWire[] } {
  if (task.op !== 'open') throw new Error(`expected an open task, got ${task.op}`);
  return { decryption: task.decryptionKeys, sender: task.senderKeys, known: task.knownKeys };
}
const withBytes = (keys: KeyOnWire[]) => keys.filter((key) => typeof key !== 'string').length;

/** What a refusal looks like to the caller: the class, the code and the message. */
async function refusal(work: Promise<unknown>): Promise<{ gateway: boolean; code: string | undefined; message: string }> {
  try {
    await work;
  } catch (err) {
    return { gateway: err instanceof GatewayError, code: (err as GatewayError).code, message: (err as Error).message };
  }
  throw new Error('expected a refusal');
}

describe('crypto worker pool', function () {
  this.timeout(60_000);
  let gateway: Party;
  let ofii: Party;
  let other: Party;
  let recipient: Party;
  let pool: GatewayCrypto;

  before(async () => {
    [gateway, ofii, other, recipient] = await Promise.all([party('gateway'), party('ofii'), party('other'), party('recipient')]);
    pool = createCryptoPool({ size: 2 });
  });
  after(async () => pool?.close());

  it('opens, re-encrypts and signs a receipt on worker threads, with results the recipient and the sender can check', async () => {
    const opened = await pool.openFromPartner({ message: await sealFrom(ofii, gateway), decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX });
    expect(new TextDecoder().decode(opened.document)).to.equal(new TextDecoder().decode(DOCUMENT));
    expect(opened.signerFingerprint).to.equal(ofii.publicKey.getFingerprint().toLowerCase());
    const sealed = await pool.sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys: [recipient.publicKey] });
    const delivered = await openDelivered({ message: sealed, decryptionKey: recipient.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX });
    expect(delivered.document).to.deep.equal(opened.document);
    const answer: AcceptedAnswer = { messageId: 'm-1', status: 'accepted', acceptedAt: '2026-11-27T10:00:00.000Z', auditIndex: 7, payloadSha256: 'a'.repeat(64) };
    const receipt = await pool.signReceipt(answer, gateway.key);
    await verifyReceipt({ ...answer, receipt }, [gateway.publicKey]);
  });

  it("runs the gateway's own operations on worker threads: notices, stored documents, checkpoint signatures and cosignature checks", async () => {
    // A notice: signed by the gateway, sealed to the recipient, which reads it with the gateway's key.
    const notice = await pool.signAndEncrypt({ document: DOCUMENT, signingKey: gateway.key, encryptionKeys: [recipient.publicKey] });
    expect(notice).to.match(/^-----BEGIN PGP MESSAGE-----/);
    const read = await openDelivered({ message: notice, decryptionKey: recipient.key, senderKeys: [gateway.publicKey], maxDocumentBytes: MAX });
    expect(read.document).to.deep.equal(DOCUMENT);
    expect(read.signerFingerprint).to.equal(gateway.publicKey.getFingerprint().toLowerCase());

    // A stored signed message, read back with its sender's key on a worker, as on this thread.
    const opened = await pool.openFromPartner({ message: await sealFrom(ofii, gateway), decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX });
    const stored = await pool.openSigned({ signedMessage: opened.signedMessage, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX });
    expect(stored).to.deep.equal(await openSigned({ signedMessage: opened.signedMessage, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX }));

    // A checkpoint's signature made on a worker verifies on this thread, and the other way round.
    const data = new TextEncoder().encode('{"rootHash":"00","timestamp":"2026-11-27T10:00:00.000Z","treeSize":1}');
    const signature = await pool.signDetached({ data, signingKey: gateway.key });
    await INLINE_CRYPTO.verifyDetached({ data, signature, verificationKeys: [gateway.publicKey] });
    await pool.verifyDetached({ data, signature: await INLINE_CRYPTO.signDetached({ data, signingKey: ofii.key }), verificationKeys: [ofii.publicKey], signerValidNow: true });
  });

  it('gives back the same GatewayError (class, code, message) as INLINE_CRYPTO on the main thread', async () => {
    const data = new TextEncoder().encode('checkpoint bytes');
    const cases: Array<(crypto: GatewayCrypto) => Promise<unknown>> = [
      (crypto) => crypto.openFromPartner({ message: new TextEncoder().encode('not OpenPGP at all'), decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX }),
      async (crypto) => crypto.openFromPartner({ message: await sealFrom(other, gateway), decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX }),
      async (crypto) => crypto.openFromPartner({ message: await sealFrom(ofii, recipient), decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX }),
      async (crypto) => {
        const { signedMessage } = await INLINE_CRYPTO.openFromPartner({ message: await sealFrom(ofii, gateway), decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX });
        return crypto.openSigned({ signedMessage, senderKeys: [other.publicKey], maxDocumentBytes: MAX });
      },
      async (crypto) => crypto.verifyDetached({ data, signature: await INLINE_CRYPTO.signDetached({ data, signingKey: other.key }), verificationKeys: [ofii.publicKey] }),
      (crypto) => crypto.signAndEncrypt({ document: DOCUMENT, signingKey: gateway.key, encryptionKeys: [] }),
    ];
    const codes: string[] = [];
    for (const make of cases) {
      const inline = await refusal(make(INLINE_CRYPTO));
      const pooled = await refusal(make(pool));
      expect(pooled.gateway, inline.message).to.equal(true);
      expect(pooled.code).to.equal(inline.code);
      expect(pooled.message).to.equal(inline.message);
      codes.push(pooled.code!);
    }
    expect(codes).to.deep.equal(['malformed_message', 'signature_invalid', 'malformed_message', 'signature_invalid', 'receipt_invalid', 'recipient_not_allowed']);
  });

  it('uses the keys each task carries: a key replaced at run time takes effect at once', async () => {
    const message = await sealFrom(other, gateway);
    expect((await refusal(pool.openFromPartner({ message, decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX }))).code).to.equal('signature_invalid');
    // The partner's key was replaced (a new trust configuration, same workers): the same message now opens.
    const opened = await pool.openFromPartner({ message, decryptionKey: gateway.key, senderKeys: [other.publicKey], maxDocumentBytes: MAX });
    expect(opened.signerFingerprint).to.equal(other.publicKey.getFingerprint().toLowerCase());
    // Several gateway decryption keys during a rotation: the one the message was sealed to is found.
    const rotated = await pool.openFromPartner({ message: await sealFrom(ofii, recipient), decryptionKey: [gateway.key, recipient.key], senderKeys: [ofii.publicKey], maxDocumentBytes: MAX });
    expect(rotated.document).to.deep.equal(DOCUMENT);
  });

  it('refuses new messages with 503 once its queue is full, and still completes those it took', async () => {
    const small = createCryptoPool({ size: 1, queueLimit: 2 });
    try {
      const message = await sealFrom(ofii, gateway);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 12 }, () => small.openFromPartner({ message, decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX })),
      );
      const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason as GatewayError);
      const opened = outcomes.filter((o) => o.status === 'fulfilled');
      // 4 running on the one worker (TASKS_PER_WORKER) and 2 waiting; the other 6 are refused.
      expect(opened).to.have.length(6);
      expect(refused).to.have.length(6);
      for (const err of refused) {
        expect(err).to.be.instanceOf(GatewayError);
        expect(err.code).to.equal('unavailable');
        expect(err.retryAfterSeconds).to.be.a('number');
      }
    } finally {
      await small.close();
    }
  });

  it("refuses cosignature checks like new messages once its queue is full, never the gateway's own work", async () => {
    const small = createCryptoPool({ size: 1, queueLimit: 2 });
    try {
      const data = new TextEncoder().encode('checkpoint bytes');
      const signature = await INLINE_CRYPTO.signDetached({ data, signingKey: ofii.key });
      const checks = await Promise.allSettled(Array.from({ length: 12 }, () => small.verifyDetached({ data, signature, verificationKeys: [ofii.publicKey] })));
      const signatures = await Promise.allSettled(Array.from({ length: 12 }, () => small.signDetached({ data, signingKey: gateway.key })));
      // 4 running on the one worker (TASKS_PER_WORKER) and 2 waiting; the other 6 are refused.
      expect(checks.filter((o) => o.status === 'fulfilled')).to.have.length(6);
      for (const refused of checks.filter((o) => o.status === 'rejected')) expect(((refused as PromiseRejectedResult).reason as GatewayError).code).to.equal('unavailable');
      expect(signatures.every((o) => o.status === 'fulfilled'), 'no signature of the gateway refused').to.equal(true);
    } finally {
      await small.close();
    }
  });

  it('refuses every operation once closed, rather than leave it waiting for a thread that is gone', async () => {
    const closed = createCryptoPool({ size: 1 });
    await closed.close();
    const data = new TextEncoder().encode('checkpoint bytes');
    const message = await sealFrom(ofii, gateway);
    const operations: Array<() => Promise<unknown>> = [
      () => closed.signDetached({ data, signingKey: gateway.key }),
      () => closed.signAndEncrypt({ document: DOCUMENT, signingKey: gateway.key, encryptionKeys: [recipient.publicKey] }),
      () => closed.openFromPartner({ message, decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX }),
    ];
    for (const operation of operations) expect((await refusal(operation())).code).to.equal('unavailable');
  });

  describe('hand-offs to the worker threads', () => {
    it("sends a key's bytes to a worker once: the next tasks name the keys it holds by their hash, the gateway's secret key included", async () => {
      const one = createCryptoPool({ size: 1 });
      try {
        const message = await sealFrom(ofii, gateway);
        const open = () => one.openFromPartner({ message, decryptionKey: gateway.key, senderKeys: [ofii.publicKey], knownKeys: [gateway.publicKey, ofii.publicKey, other.publicKey], maxDocumentBytes: MAX });
        const { result, posted } = await posting(async () => [await open(), await open(), await open()]);
        for (const opened of result) expect(opened.signerFingerprint).to.equal(ofii.publicKey.getFingerprint().toLowerCase());
        expect(posted).to.have.length(3);
        const [first, ...next] = posted.map((post) => keysOfOpen(post.task));
        // The first task: the bytes of each distinct key once (ofii's key, named twice, travels once).
        expect(withBytes(first!.decryption)).to.equal(1);
        expect((first!.decryption[0] as { secret: boolean }).secret).to.equal(true);
        expect(withBytes([...first!.decryption, ...first!.sender, ...first!.known])).to.equal(4);
        for (const keys of next) {
          expect(withBytes([...keys.decryption, ...keys.sender, ...keys.known]), 'key bytes in a later task').to.equal(0);
          expect(keys.decryption[0]).to.be.a('string').with.length(64);
        }
      } finally {
        await one.close();
      }
    });

    it('sends the keys again to the worker that replaces one that died, which starts with none', async () => {
      const one = createCryptoPool({ size: 1 });
      try {
        const message = await sealFrom(ofii, gateway);
        const open = () => one.openFromPartner({ message, decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX });
        const { posted } = await posting(async (posts) => {
          await open();
          await open();
          // The worker dies (a crash, or stopped over its budget): another takes its place.
          await posts[0]!.worker.terminate();
          await new Promise((resolve) => setTimeout(resolve, 50));
          await open();
        });
        expect(posted).to.have.length(3);
        expect(posted[2]!.worker).to.not.equal(posted[0]!.worker);
        const [first, second, afterReplacement] = posted.map((post) => keysOfOpen(post.task));
        expect(withBytes([...first!.decryption, ...first!.sender])).to.equal(2);
        expect(withBytes([...second!.decryption, ...second!.sender])).to.equal(0);
        expect(withBytes([...afterReplacement!.decryption, ...afterReplacement!.sender])).to.equal(2);
      } finally {
        await one.close();
      }
    });

    it("uses a rotated gateway key on the next task: its bytes go to the worker, which opens a message sealed to it", async () => {
      const one = createCryptoPool({ size: 1 });
      try {
        const rotated = await party('gateway-rotated');
        const { posted } = await posting(async () => {
          await one.openFromPartner({ message: await sealFrom(ofii, gateway), decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX });
          // The gateway's key rotated while running: the next message is sealed to the new key only.
          const opened = await one.openFromPartner({ message: await sealFrom(ofii, rotated), decryptionKey: rotated.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX });
          expect(opened.document).to.deep.equal(DOCUMENT);
          // And the old key, which the worker still holds, no longer opens what was sealed to the new one.
          expect((await refusal(one.openFromPartner({ message: await sealFrom(ofii, rotated), decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX }))).code).to.equal('malformed_message');
        });
        const [, afterRotation, oldKey] = posted.map((post) => keysOfOpen(post.task));
        expect(withBytes(afterRotation!.decryption)).to.equal(1);
        expect(withBytes(afterRotation!.sender)).to.equal(0);
        expect(oldKey!.decryption[0]).to.be.a('string');
      } finally {
        await one.close();
      }
    });

    it('sends again the bytes of a key its worker evicted from its bounded cache, without a round trip', async () => {
      // A cache of two keys: the gateway's and one partner's.
      const one = createCryptoPool({ size: 1, keyCacheLimit: 2 });
      try {
        const open = async (sender: Party) => one.openFromPartner({ message: await sealFrom(sender, gateway), decryptionKey: gateway.key, senderKeys: [sender.publicKey], maxDocumentBytes: MAX });
        const { posted } = await posting(async () => {
          await open(ofii);
          await open(other); // evicts ofii's key, the least recently used
          await open(ofii);
          await open(ofii);
        });
        // One post per task: the pool knew what the worker evicted, the worker never had to ask.
        expect(posted).to.have.length(4);
        expect(posted.map((post) => withBytes(keysOfOpen(post.task).sender))).to.deep.equal([1, 1, 1, 0]);
        expect(posted.map((post) => withBytes(keysOfOpen(post.task).decryption))).to.deep.equal([1, 0, 0, 0]);
      } finally {
        await one.close();
      }
    });

    it('posts a task again with the bytes of its keys when its worker names keys it does not hold', async () => {
      const one = createCryptoPool({ size: 1 });
      try {
        const message = await sealFrom(ofii, gateway);
        // The first post names the keys by hash alone, as if the pool believed the new worker held them.
        let altered = false;
        const { result, posted } = await posting(
          async () => one.openFromPartner({ message, decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX }),
          (sent) => {
            if (altered || sent.task.op !== 'open') return;
            altered = true;
            sent.task = { ...sent.task, decryptionKeys: sent.task.decryptionKeys.map((key) => (typeof key === 'string' ? key : key.hash)), senderKeys: sent.task.senderKeys.map((key) => (typeof key === 'string' ? key : key.hash)) };
          },
        );
        expect(result.document).to.deep.equal(DOCUMENT);
        expect(posted).to.have.length(2);
        expect(posted[1]!.id).to.equal(posted[0]!.id);
        const again = keysOfOpen(posted[1]!.task);
        expect(withBytes([...again.decryption, ...again.sender])).to.equal(2);
      } finally {
        await one.close();
      }
    });

    it("moves a copy of the message's bytes to the worker and leaves the caller's intact, a Node Buffer from the shared pool included", async () => {
      const one = createCryptoPool({ size: 1 });
      try {
        // Between MOVE_MIN_BYTES (1 KiB, below which bytes are cloned) and 4 KiB.
        const document = new TextEncoder().encode(JSON.stringify({ header: {}, body: { note: 'x'.repeat(2000) } }));
        const sealed = await sealFrom(ofii, gateway, document);
        expect(sealed.byteLength).to.be.within(1024, 4095);
        // Under 4 KiB, Buffer.from takes its bytes from Node's shared 8 KiB pool, which other Buffers use.
        const pooled = Buffer.from(sealed);
        const neighbour = Buffer.from('a neighbour in the same pool');
        expect(pooled.buffer.byteLength).to.be.greaterThan(pooled.byteLength);
        const whole = new Uint8Array(sealed);
        const { posted } = await posting(async () => {
          for (const message of [pooled, whole]) {
            const opened = await one.openFromPartner({ message, decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX });
            expect(opened.document).to.deep.equal(document);
          }
        });
        expect(pooled).to.deep.equal(Buffer.from(sealed));
        expect(whole).to.deep.equal(sealed);
        expect(neighbour.toString()).to.equal('a neighbour in the same pool');
        for (const post of posted) {
          const sent = (post.task as { message: Uint8Array }).message;
          expect(post.transfer).to.deep.equal([sent.buffer]);
          expect(sent.buffer).to.not.equal(pooled.buffer);
          expect(sent.buffer).to.not.equal(whole.buffer);
        }
      } finally {
        await one.close();
      }
    });
  });

  it('runs inline when configured with 0 workers', () => {
    expect(createCryptoPool({ size: 0 })).to.equal(INLINE_CRYPTO);
  });
});
