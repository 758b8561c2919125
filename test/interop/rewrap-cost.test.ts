/**
 * What the recipient's copy costs the gateway (issue 15, lever 1): re-encrypting the sender's signed
 * message to the recipient, against forwarding the sender's ciphertext with the session key wrapped
 * again for the recipient (src/crypto/forward.ts). Paired on the same messages, in alternating order,
 * with the example keys (Curve25519, as the partners'); the figures are printed, never asserted (the
 * machine's load decides them). What is asserted is that both copies carry the same signed document.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { readPrivateKey, readPrivateKeys, readPublicKeys, type PublicKey } from '../../src/crypto/keys.js';
import { openDelivered, openFromPartner, type OpenedMessage } from '../../src/crypto/open.js';
import { sealForRecipient, signAndEncrypt } from '../../src/crypto/seal.js';
import { EXAMPLE_CERTS } from '../fixtures/gateway.js';
import { bytesOf, example } from '../fixtures/partner.js';

const MESSAGES = 300;
const WARM_UP = 30;
const MAX_DOCUMENT_BYTES = 1 << 20;
const read = (...parts: string[]) => fs.readFileSync(path.join(EXAMPLE_CERTS, ...parts), 'utf8');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

describe('interop: the cost of forwarding the sender ciphertext against re-encrypting it', function () {
  this.timeout(120_000);

  it(`measures both on ${MESSAGES} orientations of about 6 KB, paired, and both deliveries carry the sender's signed document`, async () => {
    const gatewayKeys = (await readPrivateKeys({ armored: read('gateway', 'openpgp.key.asc'), source: 'gateway' })).map((entry) => entry.key);
    const gatewayPublic = await readPublicKeys({ armored: read('gateway', 'openpgp.asc'), source: 'gateway' });
    const ofii = await readPrivateKey({ armored: read('partners', 'ofii-paris', 'openpgp.key.asc'), source: 'ofii' });
    const ofiiPublic = await readPublicKeys({ armored: read('partners', 'ofii-paris', 'openpgp.asc'), source: 'ofii' });
    const missionLocale = await readPrivateKey({ armored: read('partners', 'mission-locale-paris', 'openpgp.key.asc'), source: 'mission locale' });
    const recipientKeys: PublicKey[] = await readPublicKeys({ armored: read('partners', 'mission-locale-paris', 'openpgp.asc'), source: 'mission locale' });

    const opened: OpenedMessage[] = [];
    for (let i = 0; i < MESSAGES + WARM_UP; i++) {
      // The example orientation with a longer free-text history: about the size of a real one.
      const document = bytesOf(example('orientation', {}, { notes: `Parcours ${i}: ${'entretien, atelier collectif, démarches logement; '.repeat(100)}` }));
      const message = (await signAndEncrypt({ document, signingKey: ofii, encryptionKeys: gatewayPublic, armor: true })) as string;
      opened.push(await openFromPartner({ message: new TextEncoder().encode(message), decryptionKey: gatewayKeys, senderKeys: ofiiPublic, maxDocumentBytes: MAX_DOCUMENT_BYTES }));
    }
    const reencrypt = (o: OpenedMessage) => sealForRecipient({ signedMessage: o.signedMessage, recipientKeys });
    const forward = (o: OpenedMessage) => sealForRecipient({ signedMessage: o.signedMessage, recipientKeys, sent: o.sent! });

    const reencryptMs: number[] = [];
    const forwardMs: number[] = [];
    for (const [i, o] of opened.entries()) {
      expect(o.sent, 'a SEIPD v1 message: forwardable').to.not.equal(undefined);
      const timed = async (seal: (o: OpenedMessage) => Promise<string>, into: number[]) => {
        const start = process.hrtime.bigint();
        const delivery = await seal(o);
        if (i >= WARM_UP) into.push(Number(process.hrtime.bigint() - start) / 1e6);
        return delivery;
      };
      const [first, second] = i % 2 === 0 ? [await timed(reencrypt, reencryptMs), await timed(forward, forwardMs)] : [await timed(forward, forwardMs), await timed(reencrypt, reencryptMs)];
      if (i % 50 === 0) {
        for (const delivery of [first, second]) {
          const received = await openDelivered({ message: delivery, decryptionKey: missionLocale, senderKeys: ofiiPublic, maxDocumentBytes: MAX_DOCUMENT_BYTES });
          expect(Buffer.from(received.document).equals(Buffer.from(o.document))).to.equal(true);
        }
      }
    }
    const saving = reencryptMs.map((ms, i) => ms - forwardMs[i]!);
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    console.log(
      `      recipient's copy of ${MESSAGES} messages of ${(opened[0]!.document.length / 1024).toFixed(1)} KB, paired: ` +
        `median re-encrypt ${median(reencryptMs).toFixed(3)} ms, forward ${median(forwardMs).toFixed(3)} ms, ` +
        `median paired saving ${median(saving).toFixed(3)} ms; mean ${(sum(reencryptMs) / MESSAGES).toFixed(3)} ms against ${(sum(forwardMs) / MESSAGES).toFixed(3)} ms`,
    );
  });
});
