/**
 * src/crypto/seal.ts: what the gateway and partners seal, read by GnuPG 2.2 as recipients run it, and
 * the refusals of sealing (no key that can encrypt, a key under the policy, stored bytes that are not
 * a one-pass signed literal).
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import type { PublicKey } from 'openpgp';
import { sealForRecipient, signAndEncrypt } from '../../src/crypto/seal.js';
import { expectRefused, openpgpParties, sampleDocument, type OpenpgpParties, type Party } from '../fixtures/openpgp-parties.js';

describe('crypto/seal', function () {
  this.timeout(60_000);

  let parties: OpenpgpParties;
  let sender: Party;
  let gateway: Party;
  let recipient: Party;

  before(async () => {
    parties = await openpgpParties();
    ({ sender, gateway, recipient } = parties);
  });

  after(async () => {
    await parties?.remove();
  });

  const gpgMessage = (args: string[], document: Uint8Array) => parties.gpgMessage(args, document);
  const signEncryptArgs = (...extra: string[]) => parties.signEncryptArgs(...extra);
  const open = (message: Uint8Array, senderKeys?: PublicKey[], maxDocumentBytes?: number) => parties.open(message, senderKeys, maxDocumentBytes);
  const gnupgReads = (sealed: string) => parties.gnupgReads(sealed);

  describe('GnuPG reads what the gateway and partners seal', () => {
    const document = sampleDocument();

    it('GnuPG verifies a delivery of a message made by signAndEncrypt (openpgp sender)', async () => {
      const made = await signAndEncrypt({ document, signingKey: sender.key, encryptionKeys: [gateway.publicKey], armor: false });
      const opened = await open(made as Uint8Array);
      const sealed = await sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys: [recipient.publicKey] });
      const read = await gnupgReads(sealed);
      expect(read.valid.map((sig) => sig.primaryFingerprint)).to.deep.equal([sender.fingerprint.toUpperCase()]);
      expect(read.good).to.have.length(1);
      expect(read.content.equals(Buffer.from(document))).to.equal(true);
    });

    it('GnuPG opens what signAndEncrypt sends to a GnuPG-held key', async () => {
      const made = await signAndEncrypt({ document, signingKey: sender.key, encryptionKeys: [recipient.publicKey], armor: true });
      const read = await gnupgReads(made as string);
      expect(read.valid.map((sig) => sig.primaryFingerprint)).to.deep.equal([sender.fingerprint.toUpperCase()]);
      expect(read.content.equals(Buffer.from(document))).to.equal(true);
    });
  });

  describe('sealForRecipient', () => {
    it('refuses a recipient whose only key expired (recipient_not_allowed), and, for the operator, a key under the policy', async () => {
      const opened = await open(await gpgMessage(signEncryptArgs(), sampleDocument(5)));
      const day = 86_400_000;
      const expired = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'old' }], date: new Date(Date.now() - 3 * day), keyExpirationTime: 86_400, format: 'object' });
      await expectRefused(sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys: [expired.publicKey] }), 'recipient_not_allowed', 'no OpenPGP key that can encrypt now');
      const weak = await openpgp.generateKey({ type: 'rsa', rsaBits: 1024, userIDs: [{ name: 'weak' }], format: 'object', config: { minRSABits: 1024 } });
      await expectRefused(sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys: [weak.publicKey] }), 'config_invalid', '1024 bits');
    });

    it('refuses stored bytes that are not a one-pass signed literal', async () => {
      await expectRefused(sealForRecipient({ signedMessage: randomBytes(100), recipientKeys: [recipient.publicKey] }), 'internal');
      const unsigned = (await openpgp.createMessage({ binary: sampleDocument(2) })).write() as Uint8Array;
      await expectRefused(sealForRecipient({ signedMessage: unsigned, recipientKeys: [recipient.publicKey] }), 'internal');
    });
  });
});
