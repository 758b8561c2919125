/**
 * src/crypto/open.ts: the gateway opening partners' messages (decrypt, check the packet structure,
 * verify the one signature), against openpgp and GnuPG 2.2 as partners run them, and every refusal
 * docs/interface.md names, each with its control.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import { LiteralDataPacket, Message, PacketList, SignaturePacket, enums } from 'openpgp';
import type { AnyPacket, PublicKey } from 'openpgp';
import { openDelivered, openFromPartner } from '../../src/crypto/open.js';
import { sealForRecipient, signAndEncrypt } from '../../src/crypto/seal.js';
import type { GnupgHome } from '../fixtures/gpg.js';
import { MAX_DOCUMENT_BYTES, crlf, encoder, expectRefused, openpgpParties, party, sampleDocument, type OpenpgpParties, type Party } from '../fixtures/openpgp-parties.js';

describe('crypto/open', function () {
  this.timeout(60_000);

  let parties: OpenpgpParties;
  let sender: Party;
  let other: Party;
  let gateway: Party;
  let recipient: Party;
  let gpg: GnupgHome;

  before(async () => {
    parties = await openpgpParties();
    ({ sender, other, gateway, recipient, gpg } = parties);
  });

  after(async () => {
    await parties?.remove();
  });

  const gpgMessage = (args: string[], document: Uint8Array) => parties.gpgMessage(args, document);
  const signEncryptArgs = (...extra: string[]) => parties.signEncryptArgs(...extra);
  const open = (message: Uint8Array, senderKeys?: PublicKey[], maxDocumentBytes?: number) => parties.open(message, senderKeys, maxDocumentBytes);
  const gnupgReads = (sealed: string) => parties.gnupgReads(sealed);

  describe('round trip with openpgp at both ends', () => {
    it('signAndEncrypt → openFromPartner → sealForRecipient → openDelivered keeps the document and the signer', async () => {
      const document = sampleDocument();
      for (const armor of [false, true]) {
        const made = await signAndEncrypt({ document, signingKey: sender.key, encryptionKeys: [gateway.publicKey], armor });
        expect(typeof made).to.equal(armor ? 'string' : 'object');
        const bytes = typeof made === 'string' ? encoder.encode(made) : made;
        const opened = await open(bytes);
        expect(Buffer.from(opened.document).equals(Buffer.from(document))).to.equal(true);
        expect(opened.signerFingerprint).to.equal(sender.fingerprint);

        const sealed = await sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys: [recipient.publicKey] });
        expect(sealed).to.match(/^-----BEGIN PGP MESSAGE-----/);
        const delivered = await openDelivered({ message: sealed, decryptionKey: recipient.key, senderKeys: [sender.publicKey], maxDocumentBytes: MAX_DOCUMENT_BYTES });
        expect(Buffer.from(delivered.document).equals(Buffer.from(document))).to.equal(true);
        expect(delivered.signerFingerprint).to.equal(sender.fingerprint);
      }
    });

    it('keeps arbitrary bytes (CR, LF, NUL, invalid UTF-8) unchanged', async () => {
      const document = new Uint8Array([...randomBytes(3000), 13, 10, 0, 0xff, 10]);
      const made = await signAndEncrypt({ document, signingKey: sender.key, encryptionKeys: [gateway.publicKey], armor: false });
      const opened = await open(made as Uint8Array);
      const sealed = await sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys: [recipient.publicKey] });
      const delivered = await openDelivered({ message: encoder.encode(sealed), decryptionKey: recipient.key, senderKeys: [sender.publicKey], maxDocumentBytes: MAX_DOCUMENT_BYTES });
      expect(Buffer.from(delivered.document).equals(Buffer.from(document))).to.equal(true);
    });

    it('accepts partner keys on RSA-3072, NIST P-256, brainpoolP256r1 and RFC 9580 Ed25519, and an RSA gateway', async () => {
      const partners = await Promise.all([
        party('rsa3072', { type: 'rsa', rsaBits: 3072 }),
        party('p256', { type: 'ecc', curve: 'nistP256' }),
        party('brainpool', { type: 'ecc', curve: 'brainpoolP256r1' }),
        party('ed25519', { type: 'curve25519' }),
      ]);
      const rsaGateway = partners[0]!;
      const document = sampleDocument(20);
      for (const partner of partners) {
        for (const [gatewayParty, receiver] of [[gateway, recipient], [rsaGateway, partners[1]!]] as const) {
          const made = await signAndEncrypt({ document, signingKey: partner.key, encryptionKeys: [gatewayParty.publicKey], armor: true });
          const opened = await openFromPartner({ message: encoder.encode(made as string), decryptionKey: gatewayParty.key, senderKeys: [partner.publicKey], maxDocumentBytes: MAX_DOCUMENT_BYTES });
          expect(opened.signerFingerprint, partner.name).to.equal(partner.fingerprint);
          const sealed = await sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys: [receiver.publicKey] });
          const delivered = await openDelivered({ message: sealed, decryptionKey: receiver.key, senderKeys: [partner.publicKey], maxDocumentBytes: MAX_DOCUMENT_BYTES });
          expect(Buffer.from(delivered.document).equals(Buffer.from(document)), partner.name).to.equal(true);
        }
      }
    });

    it('names the primary key when a signing subkey made the signature', async () => {
      const { privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'sub' }], subkeys: [{}, { sign: true }], format: 'object' });
      const signingSubkey = privateKey.subkeys.find((subkey) => subkey.keyPacket.algorithm === enums.publicKey.eddsaLegacy)!;
      const message = await openpgp.createMessage({ binary: sampleDocument(5) });
      const made = await openpgp.encrypt({ message, signingKeys: privateKey, signingKeyIDs: signingSubkey.getKeyID(), encryptionKeys: gateway.publicKey, format: 'binary' });
      const opened = await open(made, [privateKey.toPublic()]);
      expect(opened.signerFingerprint).to.equal(privateKey.getFingerprint());
      expect(opened.signerFingerprint).not.to.equal(signingSubkey.getFingerprint());
    });
  });

  describe('interoperability with GnuPG 2.2', () => {
    const document = sampleDocument();
    const variants: Array<{ name: string; args: string[]; compressed: boolean; text: boolean }> = [
      { name: 'binary, compressed (ZIP)', args: ['--compress-algo', 'zip'], compressed: true, text: false },
      { name: 'armored, compressed (ZLIB)', args: ['--armor', '--compress-algo', 'zlib'], compressed: true, text: false },
      { name: 'binary, uncompressed (-z 0)', args: ['-z', '0'], compressed: false, text: false },
      { name: 'armored, uncompressed (-z 0)', args: ['--armor', '-z', '0'], compressed: false, text: false },
      { name: 'text mode, compressed', args: ['--textmode', '--compress-algo', 'zip'], compressed: true, text: true },
      { name: 'text mode, armored, uncompressed', args: ['--armor', '--textmode', '-z', '0'], compressed: false, text: true },
    ];

    for (const variant of variants) {
      it(`opens \`gpg --sign --encrypt\` (${variant.name}) and GnuPG verifies the re-sealed delivery`, async () => {
        const message = await gpgMessage(signEncryptArgs(...variant.args), document);
        // The variant is what it claims: compression shrinks this document several times over.
        if (variant.compressed) expect(message.length).to.be.lessThan(document.length / 4);
        else expect(message.length).to.be.greaterThan(document.length);

        const opened = await open(message);
        // In text mode GnuPG itself writes the literal data with CR LF line ends (RFC 9580 section 5.9):
        // those are the bytes it signed.
        const signedBytes = variant.text ? crlf(document) : document;
        expect(Buffer.from(opened.document).equals(Buffer.from(signedBytes))).to.equal(true);
        expect(opened.signerFingerprint).to.equal(sender.fingerprint);

        const sealed = await sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys: [recipient.publicKey] });
        const read = await gnupgReads(sealed);
        expect(read.valid).to.have.length(1);
        expect(read.valid[0]!.primaryFingerprint).to.equal(sender.fingerprint.toUpperCase());
        expect(read.valid[0]!.signatureClass).to.equal(variant.text ? '01' : '00');
        expect(read.cipher, 'sealed with AES-256').to.equal('9');
        // GnuPG writes a text-mode literal with the local (LF) line ends again, so the recipient gets
        // back the very file the sender signed; a binary literal comes out byte for byte.
        expect(read.content.equals(Buffer.from(document))).to.equal(true);
      });
    }
  });

  describe('refusals', () => {
    const document = sampleDocument(50);

    it('signature_invalid: signed by a key not registered for the sender', async () => {
      const message = await gpgMessage(signEncryptArgs(), document);
      await expectRefused(open(message, [other.publicKey]), 'signature_invalid', 'not registered for the sender');
      // Control: the same message with the right key opens.
      expect((await open(message)).signerFingerprint).to.equal(sender.fingerprint);
    });

    it('signature_invalid: an unsigned message (gpg --encrypt) carries no signature', async () => {
      // Documented choice: an unsigned literal is a well-formed message whose step 3 fails.
      const message = await gpgMessage(['-r', gateway.fingerprint, '--encrypt'], document);
      await expectRefused(open(message), 'signature_invalid', 'no signature');
    });

    it('signature_invalid: two signatures (gpg with two -u), even when both keys are registered', async () => {
      const message = await gpgMessage(['-u', sender.fingerprint, '-u', other.fingerprint, '-r', gateway.fingerprint, '--sign', '--encrypt'], document);
      const error = await expectRefused(open(message, [sender.publicKey, other.publicKey]), 'signature_invalid', 'carries 2 signatures');
      expect(error.message).to.contain('sign it once');
    });

    it('signature_invalid: a SHA-1 signature (--digest-algo SHA1)', async () => {
      const message = await gpgMessage(signEncryptArgs('--digest-algo', 'SHA1'), document);
      await expectRefused(open(message), 'signature_invalid', 'SHA1');
    });

    it('signature_invalid: the document was altered after signing', async () => {
      const opened = await open(await gpgMessage(signEncryptArgs('-z', '0'), document));
      // The uncompressed signed message holds the document verbatim: flip one bit of it, keep the packets.
      const altered = Buffer.from(opened.signedMessage);
      const offset = altered.indexOf(Buffer.from(document));
      expect(offset).to.be.greaterThan(0);
      altered[offset + 10] ^= 0x01;
      const reSealed = await sealForRecipient({ signedMessage: altered, recipientKeys: [gateway.publicKey] });
      await expectRefused(open(encoder.encode(reSealed)), 'signature_invalid', 'does not match the document');
      // Control: the unaltered signed message, sealed the same way, opens.
      const control = await sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys: [gateway.publicKey] });
      expect((await open(encoder.encode(control))).signerFingerprint).to.equal(sender.fingerprint);
    });

    it('signature_invalid: a signing key under the policy (RSA-1024)', async () => {
      const { privateKey } = await openpgp.generateKey({ type: 'rsa', rsaBits: 1024, userIDs: [{ name: 'weak' }], format: 'object', config: { minRSABits: 1024 } });
      const message = await openpgp.encrypt({
        message: await openpgp.createMessage({ binary: document }),
        signingKeys: privateKey,
        encryptionKeys: gateway.publicKey,
        format: 'binary',
        config: { minRSABits: 1024 },
      });
      await expectRefused(open(message, [privateKey.toPublic()]), 'signature_invalid', '1024 bits');
    });

    it('signature_invalid: an expired signing key, even with a signature dated while it was valid', async () => {
      const day = 86_400_000;
      const { privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'expired' }], date: new Date(Date.now() - 3 * day), keyExpirationTime: 86_400, format: 'object' });
      // Signed 2.5 days ago, while the key was valid; encrypted now, to the gateway key made today.
      const signed = await openpgp.sign({
        message: await openpgp.createMessage({ binary: document }),
        signingKeys: privateKey,
        date: new Date(Date.now() - 2.5 * day),
        format: 'object',
      });
      const message = await openpgp.encrypt({ message: signed, encryptionKeys: gateway.publicKey, format: 'binary' });
      await expectRefused(open(message, [privateKey.toPublic()]), 'signature_invalid', 'expired');
    });

    it('signature_invalid: a revoked signing key', async () => {
      const { privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'revoked' }], format: 'object' });
      const message = await signAndEncrypt({ document, signingKey: privateKey, encryptionKeys: [gateway.publicKey], armor: false });
      const { publicKey } = await openpgp.revokeKey({ key: privateKey, format: 'object' });
      expect((await open(message as Uint8Array, [privateKey.toPublic()])).signerFingerprint).to.equal(privateKey.getFingerprint());
      await expectRefused(open(message as Uint8Array, [publicKey]), 'signature_invalid', 'revoked');
    });

    it('malformed_message: 3DES and CAST5 session keys (obsolete ciphers)', async () => {
      await expectRefused(open(await gpgMessage(signEncryptArgs('--cipher-algo', '3DES'), document)), 'malformed_message', 'TRIPLEDES');
      await expectRefused(open(await gpgMessage(signEncryptArgs('--cipher-algo', 'CAST5'), document)), 'malformed_message', 'CAST5');
    });

    it('malformed_message: no integrity protection (--rfc2440 gives a Symmetrically Encrypted Data packet)', async () => {
      for (const cipher of ['CAST5', 'AES256']) {
        const message = await gpgMessage(signEncryptArgs('--rfc2440', '--cipher-algo', cipher), document);
        const listing = await gpg.run(['--list-packets'], { stdin: message, allowFailure: true });
        expect(listing.stdout.toString(), 'GnuPG wrote a tag 9 packet').to.match(/tag=9\b/);
        await expectRefused(open(message), 'malformed_message', 'no integrity protection');
      }
    });

    it('malformed_message: symmetric-only encryption (gpg --symmetric)', async () => {
      const message = await gpgMessage(['--passphrase', 'correct horse', '-u', sender.fingerprint, '--sign', '--symmetric'], document);
      await expectRefused(open(message), 'malformed_message', 'passphrase only');
    });

    it('malformed_message: clear-signed, detached signature, signed but not encrypted', async () => {
      const clear = await gpg.run(['-u', sender.fingerprint, '--clearsign'], { stdin: document });
      await expectRefused(open(clear.stdout), 'malformed_message', 'clear-signed');
      const detached = await gpg.run(['-u', sender.fingerprint, '--detach-sign'], { stdin: document });
      await expectRefused(open(detached.stdout), 'malformed_message', 'not encrypted');
      const detachedArmored = await gpg.run(['--armor', '-u', sender.fingerprint, '--detach-sign'], { stdin: document });
      await expectRefused(open(detachedArmored.stdout), 'malformed_message', 'not a message');
      const signedOnly = await gpg.run(['-u', sender.fingerprint, '--sign'], { stdin: document });
      await expectRefused(open(signedOnly.stdout), 'malformed_message', 'not encrypted');
    });

    it('malformed_message: a signature that precedes the document instead of one-pass form', async () => {
      const literal = (await openpgp.createMessage({ binary: document })).packets.findPacket(enums.packet.literalData) as LiteralDataPacket;
      const detached = await openpgp.sign({ message: await openpgp.createMessage({ binary: document }), signingKeys: sender.key, detached: true, format: 'object' });
      const packets = new PacketList<AnyPacket>();
      packets.push(detached.packets[0] as SignaturePacket, literal);
      const message = await openpgp.encrypt({ message: new Message(packets), encryptionKeys: gateway.publicKey, format: 'binary' });
      await expectRefused(open(message), 'malformed_message', 'one-pass');
    });

    it('malformed_message: garbage, empty, truncated and altered bytes', async () => {
      await expectRefused(open(randomBytes(2048)), 'malformed_message');
      await expectRefused(open(new Uint8Array(0)), 'malformed_message');
      await expectRefused(open(encoder.encode('{"header": {}}')), 'malformed_message');
      const binary = await gpgMessage(signEncryptArgs('-z', '0'), document);
      await expectRefused(open(binary.subarray(0, Math.floor(binary.length * 0.66))), 'malformed_message');
      const flipped = Buffer.from(binary);
      flipped[flipped.length - 40] ^= 0x01;
      await expectRefused(open(flipped), 'malformed_message', 'truncated, altered');
      const armored = (await gpgMessage(signEncryptArgs('--armor'), document)).toString();
      const lines = armored.trimEnd().split('\n');
      const cut = [...lines.slice(0, Math.floor(lines.length / 2)), lines.at(-1)!].join('\n');
      await expectRefused(open(encoder.encode(cut)), 'malformed_message');
      // Control: the untouched messages open.
      await open(binary);
      await open(encoder.encode(armored));
    });

    it('malformed_message: encrypted to another key than the gateway', async () => {
      const message = await gpgMessage(['-u', sender.fingerprint, '-r', recipient.fingerprint, '--sign', '--encrypt'], document);
      await expectRefused(open(message), 'malformed_message', 'not encrypted to');
    });

    it('malformed_message: a document over maxDocumentBytes, compressed or not', async () => {
      const made = await signAndEncrypt({ document, signingKey: sender.key, encryptionKeys: [gateway.publicKey], armor: false });
      await expectRefused(open(made as Uint8Array, [sender.publicKey], document.length - 1), 'malformed_message', 'over the limit');
      expect((await open(made as Uint8Array, [sender.publicKey], document.length)).document.length).to.equal(document.length);
    });

    for (const algorithm of ['zlib', 'bzip2']) {
      it(`malformed_message: a compression bomb (50 MB of zeros, gpg -z 9 --compress-algo ${algorithm}) under a 1 MiB limit`, async () => {
        const bomb = await gpgMessage(signEncryptArgs('-z', '9', '--compress-algo', algorithm), new Uint8Array(50_000_000));
        expect(bomb.length).to.be.lessThan(MAX_DOCUMENT_BYTES);
        const started = Date.now();
        await expectRefused(open(bomb, [sender.publicKey], MAX_DOCUMENT_BYTES), 'malformed_message', `more than ${MAX_DOCUMENT_BYTES} bytes`);
        // Refused once about 1 MiB came out (a few tens of milliseconds), not after inflating 50 MB.
        expect(Date.now() - started).to.be.lessThan(2_000);
      });
    }

    it('decompresses up to the limit: 2 MB of zeros opens under a 4 MiB limit, not under 1 MiB', async () => {
      const zeros = new Uint8Array(2_000_000);
      const message = await gpgMessage(signEncryptArgs('-z', '9', '--compress-algo', 'zlib'), zeros);
      await expectRefused(open(message, [sender.publicKey], MAX_DOCUMENT_BYTES), 'malformed_message', 'decompresses to more than');
      const opened = await open(message, [sender.publicKey], 4 * MAX_DOCUMENT_BYTES);
      expect(Buffer.from(opened.document).equals(Buffer.from(zeros))).to.equal(true);
    });
  });

  describe('openDelivered', () => {
    it('refuses a delivery opened with the wrong sender key or the wrong decryption key', async () => {
      const document = sampleDocument(5);
      const opened = await open(await gpgMessage(signEncryptArgs(), document));
      const sealed = await sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys: [recipient.publicKey] });
      await expectRefused(openDelivered({ message: sealed, decryptionKey: recipient.key, senderKeys: [other.publicKey], maxDocumentBytes: MAX_DOCUMENT_BYTES }), 'signature_invalid');
      await expectRefused(openDelivered({ message: sealed, decryptionKey: gateway.key, senderKeys: [sender.publicKey], maxDocumentBytes: MAX_DOCUMENT_BYTES }), 'malformed_message', 'your registered key');
    });
  });
});
