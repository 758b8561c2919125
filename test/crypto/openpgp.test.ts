import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { LiteralDataPacket, Message, PacketList, SignaturePacket, enums } from 'openpgp';
import type { AnyPacket, PrivateKey, PublicKey } from 'openpgp';
import { isGatewayError } from '../../src/domain/errors.js';
import {
  openDelivered,
  openFromPartner,
  readPrivateKey,
  readPublicKeys,
  sealForRecipient,
  signAndEncrypt,
  signDetached,
  verifyDetached,
} from '../../src/crypto/openpgp.js';
import { GnupgHome, goodSignatures, validSignatures } from '../fixtures/gpg.js';

interface Party {
  name: string;
  key: PrivateKey;
  publicKey: PublicKey;
  /** Lower-case hex, as the adapter reports it. */
  fingerprint: string;
  publicArmored: string;
  privateArmored: string;
}

type KeyOptions = Omit<Parameters<typeof openpgp.generateKey>[0], 'format' | 'userIDs'>;

/** Generates a key and reads it back through the adapter, as the gateway would from its trust directory. */
async function party(name: string, options: KeyOptions = { type: 'ecc', curve: 'curve25519Legacy' }): Promise<Party> {
  const { privateKey, publicKey } = await openpgp.generateKey({ ...options, userIDs: [{ name, email: `${name}@example.test` }], format: 'armored' });
  const key = await readPrivateKey({ armored: privateKey, source: `${name}.key.asc` });
  const [pub] = await readPublicKeys({ armored: publicKey, source: `${name}.asc` });
  return { name, key, publicKey: pub!, fingerprint: key.getFingerprint(), publicArmored: publicKey, privateArmored: privateKey };
}

async function expectRefused(promise: Promise<unknown>, code: string, fragment?: string | RegExp): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    expect(isGatewayError(err), `expected a GatewayError, got ${String(err)}`).to.equal(true);
    const error = err as Error & { code: string };
    expect(error.code, error.message).to.equal(code);
    if (typeof fragment === 'string') expect(error.message).to.contain(fragment);
    if (fragment instanceof RegExp) expect(error.message).to.match(fragment);
    return error;
  }
  return expect.fail(`expected GatewayError ${code}, but the call succeeded`);
}

const MAX_DOCUMENT_BYTES = 1 << 20;
const encoder = new TextEncoder();

/** A JSON-like document, compressible, with LF line ends and some non-ASCII text. */
function sampleDocument(lines = 400): Uint8Array {
  const body = Array.from({ length: lines }, (_, i) => `  {"ligne": ${i}, "commune": "Paris 19e arrondissement", "libellé": "Orientation"},`).join('\n');
  return encoder.encode(`{\n "items": [\n${body}\n ]\n}\n`);
}

function crlf(bytes: Uint8Array): Uint8Array {
  return encoder.encode(new TextDecoder().decode(bytes).replace(/\r?\n/g, '\r\n'));
}

describe('crypto/openpgp adapter', function () {
  this.timeout(60_000);

  let sender: Party;
  let other: Party;
  let gateway: Party;
  let recipient: Party;
  let gpg: GnupgHome;

  before(async () => {
    [sender, other, gateway, recipient] = await Promise.all([party('sender'), party('other'), party('gateway'), party('recipient')]);
    gpg = await GnupgHome.create();
    // GnuPG plays the partners (sender, other) and the recipient; the gateway's secret stays in openpgp.
    await gpg.importKeys(sender.privateArmored, other.privateArmored, recipient.privateArmored, gateway.publicArmored);
  });

  after(async () => {
    await gpg?.remove();
  });

  /** `gpg … --encrypt` of `document` as a partner would run it; returns the message bytes. */
  async function gpgMessage(args: string[], document: Uint8Array): Promise<Buffer> {
    const made = await gpg.run(['--trust-model', 'always', ...args], { stdin: document });
    return made.stdout;
  }

  function signEncryptArgs(...extra: string[]): string[] {
    return ['-u', sender.fingerprint, '-r', gateway.fingerprint, ...extra, '--sign', '--encrypt'];
  }

  function open(message: Uint8Array, senderKeys: PublicKey[] = [sender.publicKey], maxDocumentBytes = MAX_DOCUMENT_BYTES) {
    return openFromPartner({ message, decryptionKey: gateway.key, senderKeys, maxDocumentBytes });
  }

  /** Decrypts a sealed delivery with GnuPG holding the recipient's secret key. */
  async function gnupgReads(sealed: string) {
    const result = await gpg.run(['--trust-model', 'always', '--decrypt'], { stdin: sealed });
    // DECRYPTION_INFO <mdc_method> <sym_algo>: the cipher GnuPG had to use (9 = AES-256).
    const cipher = result.status.find((line) => line.keyword === 'DECRYPTION_INFO')?.args[1];
    return { content: result.stdout, valid: validSignatures(result.status), good: goodSignatures(result.status), cipher };
  }

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

  describe('receipts (detached signatures)', () => {
    const answer = encoder.encode('{"acceptedAt":"2026-11-27T09:30:01Z","auditIndex":41,"messageId":"8d4c2f9e-1b7a-4c3e-9f60-2a5b7d9e1c44","payloadSha256":"00","status":"accepted"}');

    it('signDetached makes a receipt that gpg --verify accepts and verifyDetached accepts', async () => {
      const receipt = await signDetached({ data: answer, signingKey: gateway.key });
      expect(receipt).to.match(/^-----BEGIN PGP SIGNATURE-----/);
      await writeFile(path.join(gpg.dir, 'answer.json'), answer);
      await writeFile(path.join(gpg.dir, 'answer.json.asc'), receipt);
      const verified = await gpg.run(['--verify', path.join(gpg.dir, 'answer.json.asc'), path.join(gpg.dir, 'answer.json')]);
      expect(validSignatures(verified.status).map((sig) => sig.primaryFingerprint)).to.deep.equal([gateway.fingerprint.toUpperCase()]);
      await verifyDetached({ data: answer, signature: receipt, verificationKeys: [gateway.publicKey] });
    });

    it('refuses a receipt over other bytes, by another key, or that is not a signature', async () => {
      const receipt = await signDetached({ data: answer, signingKey: gateway.key });
      const altered = answer.slice();
      altered[altered.length - 3] = 0x41;
      await expectRefused(verifyDetached({ data: altered, signature: receipt, verificationKeys: [gateway.publicKey] }), 'receipt_invalid', 'does not verify');
      await expectRefused(verifyDetached({ data: answer, signature: receipt, verificationKeys: [other.publicKey] }), 'receipt_invalid', 'not the gateway key');
      await expectRefused(verifyDetached({ data: answer, signature: 'not a signature', verificationKeys: [gateway.publicKey] }), 'receipt_invalid', 'not an armored');
    });

    it('refuses a SHA-1 detached signature and a detached signature by two keys', async () => {
      const sha1 = await gpg.run(['--armor', '--digest-algo', 'SHA1', '-u', sender.fingerprint, '--detach-sign'], { stdin: answer });
      await expectRefused(verifyDetached({ data: answer, signature: sha1.stdout.toString(), verificationKeys: [sender.publicKey] }), 'receipt_invalid', 'SHA1');
      const two = await gpg.run(['--armor', '-u', sender.fingerprint, '-u', other.fingerprint, '--detach-sign'], { stdin: answer });
      await expectRefused(verifyDetached({ data: answer, signature: two.stdout.toString(), verificationKeys: [sender.publicKey, other.publicKey] }), 'receipt_invalid', '2 signature packets');
      // The control: the same GnuPG detached signature with one key and SHA-256 is accepted.
      const good = await gpg.run(['--armor', '--digest-algo', 'SHA256', '-u', sender.fingerprint, '--detach-sign'], { stdin: answer });
      await verifyDetached({ data: answer, signature: good.stdout.toString(), verificationKeys: [sender.publicKey] });
    });
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
