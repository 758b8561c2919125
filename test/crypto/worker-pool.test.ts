import { expect } from 'chai';
import * as openpgp from 'openpgp';
import type { PrivateKey, PublicKey } from 'openpgp';
import { GatewayError } from '../../src/domain/errors.js';
import { openDelivered, readPrivateKey, readPublicKeys, signAndEncrypt } from '../../src/crypto/openpgp.js';
import { verifyReceipt, type AcceptedAnswer } from '../../src/crypto/receipt.js';
import { createCryptoPool, INLINE_CRYPTO, type GatewayCrypto } from '../../src/crypto/worker-pool.js';

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

  it('gives back the same GatewayError (class, code, message) as the adapter on the main thread', async () => {
    const cases: Array<(crypto: GatewayCrypto) => Promise<unknown>> = [
      (crypto) => crypto.openFromPartner({ message: new TextEncoder().encode('not OpenPGP at all'), decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX }),
      async (crypto) => crypto.openFromPartner({ message: await sealFrom(other, gateway), decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX }),
      async (crypto) => crypto.openFromPartner({ message: await sealFrom(ofii, recipient), decryptionKey: gateway.key, senderKeys: [ofii.publicKey], maxDocumentBytes: MAX }),
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
    expect(codes).to.deep.equal(['malformed_message', 'signature_invalid', 'malformed_message']);
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

  it('runs inline when configured with 0 workers', () => {
    expect(createCryptoPool({ size: 0 })).to.equal(INLINE_CRYPTO);
  });
});
