/**
 * src/crypto/fast-signature.ts: detached signatures by an EdDSALegacy key made with node:crypto, which
 * GnuPG, Sequoia and the gateway's own verification accept as openpgp's, and openpgp.sign for every
 * other key.
 */
import { execFile } from 'node:child_process';
import type { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import * as openpgp from 'openpgp';
import { enums, SignaturePacket } from 'openpgp';
import type { PrivateKey } from 'openpgp';
import { signDetached, verifyDetached } from '../../src/crypto/detached.js';
import { fastDetachedSignature } from '../../src/crypto/fast-signature.js';
import { RESELECT_AFTER_MS } from '../../src/crypto/key-selection.js';
import { readPrivateKey, readPublicKeys } from '../../src/crypto/keys.js';
import { GnupgHome, validSignatures } from '../fixtures/gpg.js';
import { encoder, expectRefused, party, type Party } from '../fixtures/openpgp-parties.js';

const run = promisify(execFile);
const EXAMPLE_GATEWAY = 'certs.example/gateway';

/**
 * Counts the Ed25519 signatures made through WebCrypto, which openpgp.sign uses for EdDSA keys and
 * the fast path does not: once per selection (openpgp's probe), never per signature.
 */
async function webCryptoEd25519Signatures<T>(work: () => Promise<T>): Promise<{ result: T; count: number }> {
  const subtle = globalThis.crypto.subtle;
  const original = subtle.sign;
  let count = 0;
  subtle.sign = function (this: webcrypto.SubtleCrypto, ...args: Parameters<webcrypto.SubtleCrypto['sign']>) {
    const algorithm = args[0];
    if ((typeof algorithm === 'string' ? algorithm : algorithm.name) === 'Ed25519') count++;
    return original.apply(this, args);
  };
  try {
    return { result: await work(), count };
  } finally {
    // The counting function was set on the instance: removing it uncovers SubtleCrypto's own again.
    delete (subtle as Partial<webcrypto.SubtleCrypto>).sign;
  }
}

/** Signature subpacket types (RFC 9580 section 5.2.3.7), which openpgp's typings do not export. */
const SUBPACKET = { creationTime: 2, issuerKeyID: 16, notationData: 20, issuerFingerprint: 33 } as const;

/** Hashed subpackets as [type, critical] pairs, read from the hashed part of a version 4 signature. */
function hashedSubpackets(packet: SignaturePacket): Array<[number, boolean]> {
  const data = packet.signatureData!;
  const end = 6 + ((data[4]! << 8) | data[5]!);
  const found: Array<[number, boolean]> = [];
  for (let at = 6; at < end; ) {
    let length = data[at]!;
    let header = 1;
    if (length >= 192 && length < 255) {
      length = ((length - 192) << 8) + data[at + 1]! + 192;
      header = 2;
    }
    expect(length, 'five-octet subpacket lengths are not expected here').to.be.below(255);
    found.push([data[at + header]! & 0x7f, (data[at + header]! & 0x80) !== 0]);
    at += header + length;
  }
  return found;
}

async function onlyPacket(armoredSignature: string): Promise<SignaturePacket> {
  const signature = await openpgp.readSignature({ armoredSignature });
  expect(signature.packets.length).to.equal(1);
  return signature.packets[0] as SignaturePacket;
}

describe('crypto/fast-signature', function () {
  this.timeout(120_000);

  const data = encoder.encode('{"acceptedAt":"2026-11-27T09:30:01Z","auditIndex":41,"messageId":"8d4c2f9e-1b7a-4c3e-9f60-2a5b7d9e1c44","payloadSha256":"00","status":"accepted"}');
  let gateway: Party;
  let gpg: GnupgHome;

  before(async () => {
    const privateArmored = readFileSync(path.join(EXAMPLE_GATEWAY, 'openpgp.key.asc'), 'utf8');
    const publicArmored = readFileSync(path.join(EXAMPLE_GATEWAY, 'openpgp.asc'), 'utf8');
    const key = await readPrivateKey({ armored: privateArmored, source: 'openpgp.key.asc' });
    const [publicKey] = await readPublicKeys({ armored: publicArmored, source: 'openpgp.asc' });
    gateway = { name: 'gateway', key, publicKey: publicKey!, fingerprint: key.getFingerprint(), publicArmored, privateArmored };
    gpg = await GnupgHome.create();
    await gpg.importKeys(publicArmored);
  });

  after(async () => {
    await gpg?.remove();
  });

  /** The primary and signing-key fingerprints GnuPG reports for `signature` over `signed`, or undefined when it refuses it. */
  async function gpgVerifies(signed: Uint8Array, signature: string): Promise<{ primary: string; signing: string } | undefined> {
    await writeFile(path.join(gpg.dir, 'data'), signed);
    await writeFile(path.join(gpg.dir, 'data.asc'), signature);
    const result = await gpg.run(['--verify', path.join(gpg.dir, 'data.asc'), path.join(gpg.dir, 'data')], { allowFailure: true });
    const [valid] = validSignatures(result.status);
    return result.code === 0 && valid ? { primary: valid.primaryFingerprint, signing: valid.signingKeyFingerprint } : undefined;
  }

  async function sqVerifies(signed: Uint8Array, signature: string, cert: string): Promise<boolean> {
    await writeFile(path.join(gpg.dir, 'sq-data'), signed);
    await writeFile(path.join(gpg.dir, 'sq-data.asc'), signature);
    await writeFile(path.join(gpg.dir, 'sq-cert.asc'), cert);
    try {
      await run('sq', ['verify', '--signer-cert', path.join(gpg.dir, 'sq-cert.asc'), '--detached', path.join(gpg.dir, 'sq-data.asc'), path.join(gpg.dir, 'sq-data')]);
      return true;
    } catch {
      return false;
    }
  }

  describe('the example gateway key (EdDSALegacy)', () => {
    it('is signed for by node:crypto, not openpgp.sign: one WebCrypto Ed25519 signature (the selection) for twenty receipts', async () => {
      // A key object of its own: its selection is made inside the count.
      const key = await readPrivateKey({ armored: gateway.privateArmored, source: 'openpgp.key.asc' });
      const { result, count } = await webCryptoEd25519Signatures(() => Promise.all(Array.from({ length: 20 }, () => signDetached({ data, signingKey: key }))));
      expect(count).to.equal(1);
      expect(new Set(result).size, 'each signature has its own salt').to.equal(20);
      for (const signature of result) await verifyDetached({ data, signature, verificationKeys: [gateway.publicKey] });
      // The control: openpgp.sign itself does go through WebCrypto for this key.
      const control = await webCryptoEd25519Signatures(async () => openpgp.sign({ message: await openpgp.createMessage({ binary: data }), signingKeys: key, detached: true }));
      expect(control.count).to.be.at.least(1);
    });

    it('makes a signature that verifyDetached, gpg --verify and sq verify accept, and that none accepts over a changed byte', async () => {
      const signature = await fastDetachedSignature(data, gateway.key);
      expect(signature, 'the fast path is taken for the example gateway key').to.be.a('string');
      await verifyDetached({ data, signature: signature!, verificationKeys: [gateway.publicKey] });
      expect(await gpgVerifies(data, signature!)).to.deep.equal({ primary: gateway.fingerprint.toUpperCase(), signing: gateway.fingerprint.toUpperCase() });
      expect(await sqVerifies(data, signature!, gateway.publicArmored)).to.equal(true);

      const altered = data.slice();
      altered[10] ^= 0x01;
      await expectRefused(verifyDetached({ data: altered, signature: signature!, verificationKeys: [gateway.publicKey] }), 'receipt_invalid', 'does not verify');
      expect(await gpgVerifies(altered, signature!)).to.equal(undefined);
      expect(await sqVerifies(altered, signature!, gateway.publicArmored)).to.equal(false);
    });

    it('refuses a signature whose packet has a changed byte (hashed subpacket, hash prefix, R or S)', async () => {
      const signature = (await fastDetachedSignature(data, gateway.key))!;
      const packet = (await openpgp.readSignature({ armoredSignature: signature })).write();
      // Offsets in the packet: the creation time (hashed), then the last octet of S.
      for (const offset of [10, packet.length - 1]) {
        const changed = packet.slice();
        changed[offset] ^= 0x01;
        const armored = openpgp.armor(enums.armor.signature, changed);
        await expectRefused(verifyDetached({ data, signature: armored, verificationKeys: [gateway.publicKey] }), 'receipt_invalid');
        expect(await gpgVerifies(data, armored), `offset ${offset}`).to.equal(undefined);
      }
    });

    it('writes the packet openpgp.sign writes: version 4, binary type, EdDSALegacy, the same hash algorithm and the same subpackets', async () => {
      const ours = await onlyPacket((await fastDetachedSignature(data, gateway.key))!);
      const theirs = await onlyPacket(await openpgp.sign({ message: await openpgp.createMessage({ binary: data }), signingKeys: gateway.key, detached: true }));
      for (const packet of [ours, theirs]) {
        expect(packet.version).to.equal(4);
        expect(packet.signatureType).to.equal(enums.signature.binary);
        expect(packet.publicKeyAlgorithm).to.equal(enums.publicKey.eddsaLegacy);
      }
      expect(ours.hashAlgorithm).to.equal(theirs.hashAlgorithm);
      expect(hashedSubpackets(ours)).to.deep.equal(hashedSubpackets(theirs));
      expect(hashedSubpackets(ours)).to.deep.equal([
        [SUBPACKET.creationTime, true],
        [SUBPACKET.issuerKeyID, false],
        [SUBPACKET.notationData, false],
        [SUBPACKET.issuerFingerprint, false],
      ]);
      expect(ours.unhashedSubpackets).to.deep.equal(theirs.unhashedSubpackets);
      expect(ours.rawNotations.map(({ name, value, humanReadable, critical }) => ({ name, length: value.length, humanReadable, critical }))).to.deep.equal(
        theirs.rawNotations.map(({ name, value, humanReadable, critical }) => ({ name, length: value.length, humanReadable, critical })),
      );
      expect(ours.issuerKeyID.toHex()).to.equal(theirs.issuerKeyID.toHex());
      expect(Buffer.from(ours.issuerFingerprint!).toString('hex')).to.equal(gateway.fingerprint);
      expect(Math.abs(ours.created!.getTime() - Date.now())).to.be.below(60_000);
    });

    it('armors as openpgp does: no header, 60-character lines, a CRC-24 line', async () => {
      const signature = (await fastDetachedSignature(data, gateway.key))!;
      expect(signature).to.match(/^-----BEGIN PGP SIGNATURE-----\n\n(?:[A-Za-z0-9+/]{60}\n)*[A-Za-z0-9+/=]{1,60}\n=[A-Za-z0-9+/]{4}\n-----END PGP SIGNATURE-----\n$/);
      const theirs = (await openpgp.sign({ message: await openpgp.createMessage({ binary: data }), signingKeys: gateway.key, detached: true })) as string;
      expect(signature.split('\n').map((line) => line.length)).to.deep.equal(theirs.split('\n').map((line) => line.length));
    });
  });

  describe('the selection of the signing key', () => {
    it('signs with the signing subkey openpgp selects when the key has one', async () => {
      const withSubkey = await party('subkey-signer', { type: 'ecc', curve: 'curve25519Legacy', subkeys: [{}, { sign: true }] });
      const subkey = await withSubkey.key.getSigningKey();
      expect(subkey.getFingerprint()).to.not.equal(withSubkey.fingerprint);
      const signature = await fastDetachedSignature(data, withSubkey.key);
      expect(signature).to.be.a('string');
      expect((await onlyPacket(signature!)).issuerKeyID.toHex()).to.equal(subkey.getKeyID().toHex());
      await verifyDetached({ data, signature: signature!, verificationKeys: [withSubkey.publicKey] });
      await gpg.importKeys(withSubkey.publicArmored);
      expect(await gpgVerifies(data, signature!)).to.deep.equal({ primary: withSubkey.fingerprint.toUpperCase(), signing: subkey.getFingerprint().toUpperCase() });
    });

    it('ends at the key expiration, and is made again after a minute at most', async () => {
      const now = Date.now();
      const { privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'short-lived' }], date: new Date(now - 60_000), keyExpirationTime: 3_600, format: 'object' });
      const at = (offset: number) => new Date(now + offset);
      const before = await webCryptoEd25519Signatures(async () => [
        await fastDetachedSignature(data, privateKey, at(0)),
        await fastDetachedSignature(data, privateKey, at(RESELECT_AFTER_MS / 2)),
      ]);
      expect(before.result.every((signature) => typeof signature === 'string')).to.equal(true);
      expect(before.count, 'one selection for both').to.equal(1);
      const later = await webCryptoEd25519Signatures(() => fastDetachedSignature(data, privateKey, at(RESELECT_AFTER_MS + 1_000)));
      expect(later.result).to.be.a('string');
      expect(later.count, 'selected again after a minute').to.equal(1);
      // Signed in the last seconds of its validity, then after it: the cached selection does not outlive the key.
      expect(await fastDetachedSignature(data, privateKey, at(3_600_000 - 60_000 - 2_000))).to.be.a('string');
      expect(await fastDetachedSignature(data, privateKey, at(3_600_000 - 60_000 + 1_000))).to.equal(undefined);
    });

    it('leaves a revoked key to openpgp.sign, which refuses it', async () => {
      const doomed = await party('doomed');
      expect(await fastDetachedSignature(data, doomed.key)).to.be.a('string');
      const revoked = await doomed.key.revoke();
      expect(await fastDetachedSignature(data, revoked)).to.equal(undefined);
      await expectRefused(signDetached({ data, signingKey: revoked }), 'config_invalid', 'signing key cannot be used');
    });
  });

  describe('keys left to openpgp.sign', () => {
    const fallbacks: Array<[string, () => Promise<{ key: PrivateKey; publicArmored: string; fingerprint: string }>]> = [
      ['an RSA key', () => party('rsa-signer', { type: 'rsa', rsaBits: 2048 })],
      ['an RFC 9580 Ed25519 (algorithm 27) version 4 key', () => party('ed25519-signer', { type: 'curve25519' })],
    ];
    for (const [what, make] of fallbacks) {
      it(`${what}: signed by openpgp.sign, which GnuPG and verifyDetached accept`, async () => {
        const signer = await make();
        expect(await fastDetachedSignature(data, signer.key)).to.equal(undefined);
        const signature = await signDetached({ data, signingKey: signer.key });
        const [publicKey] = await readPublicKeys({ armored: signer.publicArmored, source: `${what}.asc` });
        await verifyDetached({ data, signature, verificationKeys: [publicKey!] });
        await gpg.importKeys(signer.publicArmored);
        const verified = await gpgVerifies(data, signature);
        // GnuPG 2.2 does not know algorithm 27: only the RSA signature is checked there.
        if (signer.key.keyPacket.algorithm !== enums.publicKey.ed25519) expect(verified?.primary).to.equal(signer.fingerprint.toUpperCase());
      });
    }

    it('a passphrase-protected key: left to openpgp.sign, which refuses it', async () => {
      const { privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'protected' }], passphrase: 'secret', format: 'object' });
      expect(await fastDetachedSignature(data, privateKey)).to.equal(undefined);
      await expectRefused(signDetached({ data, signingKey: privateKey }), 'config_invalid', 'signing key cannot be used');
    });
  });
});
