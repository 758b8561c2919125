import { expect } from 'chai';
import * as openpgp from 'openpgp';
import { enums } from 'openpgp';
import type { PrivateKey } from 'openpgp';
import { isGatewayError } from '../../src/domain/errors.js';
import { readPrivateKey, readPublicKeys } from '../../src/crypto/keys.js';
import {
  ACCEPTED_HASH_ALGORITHMS,
  REFUSED_HASH_ALGORITHMS,
  assertCipher,
  assertKeyPolicy,
  assertSignatureHash,
  keyAlgorithmViolation,
} from '../../src/crypto/policy.js';
import { GnupgHome } from '../fixtures/gpg.js';

type KeyOptions = Parameters<typeof openpgp.generateKey>[0];

async function generate(options: Omit<KeyOptions, 'format' | 'userIDs'>, name: string): Promise<{ key: PrivateKey; publicArmored: string; privateArmored: string }> {
  const { privateKey } = await openpgp.generateKey({ ...options, userIDs: [{ name }], format: 'object' });
  return { key: privateKey, publicArmored: privateKey.toPublic().armor(), privateArmored: privateKey.armor() };
}

function expectGatewayError(fn: () => unknown, code: string, ...fragments: string[]): void {
  try {
    fn();
  } catch (err) {
    expect(isGatewayError(err), String(err)).to.equal(true);
    const error = err as { code: string; message: string };
    expect(error.code).to.equal(code);
    for (const fragment of fragments) expect(error.message).to.contain(fragment);
    return;
  }
  expect.fail(`expected GatewayError ${code}`);
}

async function expectRejected(promise: Promise<unknown>, code: string, ...fragments: string[]): Promise<void> {
  try {
    await promise;
  } catch (err) {
    expect(isGatewayError(err), String(err)).to.equal(true);
    const error = err as { code: string; message: string };
    expect(error.code).to.equal(code);
    for (const fragment of fragments) expect(error.message).to.contain(fragment);
    return;
  }
  expect.fail(`expected GatewayError ${code}`);
}

describe('crypto policy', function () {
  this.timeout(60_000);

  const accepted: Record<string, Awaited<ReturnType<typeof generate>>> = {};
  let rsa1024: Awaited<ReturnType<typeof generate>>;
  let gpg: GnupgHome;
  let dsaArmored: string;
  let sha1SelfSignedArmored: string;

  before(async () => {
    accepted['curve25519Legacy (EdDSA + ECDH)'] = await generate({ type: 'ecc', curve: 'curve25519Legacy' }, 'legacy');
    accepted['RFC 9580 Ed25519 + X25519 (v4)'] = await generate({ type: 'curve25519' }, 'rfc9580');
    accepted['NIST P-256'] = await generate({ type: 'ecc', curve: 'nistP256' }, 'p256');
    accepted['NIST P-384'] = await generate({ type: 'ecc', curve: 'nistP384' }, 'p384');
    accepted['brainpoolP256r1'] = await generate({ type: 'ecc', curve: 'brainpoolP256r1' }, 'brainpool');
    accepted['RSA 3072'] = await generate({ type: 'rsa', rsaBits: 3072 }, 'rsa3072');
    // openpgp itself refuses to make a key this weak unless told to: the test needs one.
    rsa1024 = await generate({ type: 'rsa', rsaBits: 1024, config: { minRSABits: 1024 } }, 'rsa1024');

    gpg = await GnupgHome.create();
    await gpg.run(['--passphrase', '', '--quick-generate-key', 'dsa <dsa@example.test>', 'dsa2048', 'sign', 'never']);
    dsaArmored = (await gpg.run(['--armor', '--export', 'dsa@example.test'])).stdout.toString('utf8');
    await gpg.run(['--passphrase', '', '--cert-digest-algo', 'SHA1', '--quick-generate-key', 'sha1 <sha1@example.test>', 'ed25519', 'sign', 'never']);
    sha1SelfSignedArmored = (await gpg.run(['--armor', '--export', 'sha1@example.test'])).stdout.toString('utf8');
  });

  after(async () => {
    await gpg?.remove();
  });

  describe('assertKeyPolicy', () => {
    it('accepts the key types docs/interface.md requires (section 2)', () => {
      for (const [label, generated] of Object.entries(accepted)) {
        expect(() => assertKeyPolicy(generated.key.toPublic(), label), label).not.to.throw();
      }
    });

    it('refuses RSA under 2048 bits, naming the source', () => {
      expectGatewayError(() => assertKeyPolicy(rsa1024.key.toPublic(), 'partners/x/openpgp.asc'), 'config_invalid', 'partners/x/openpgp.asc', '1024 bits');
    });

    it('refuses DSA keys made by GnuPG', async () => {
      const keys = await openpgp.readKeys({ armoredKeys: dsaArmored });
      expect(keys[0]!.getAlgorithmInfo().algorithm).to.equal('dsa');
      expectGatewayError(() => assertKeyPolicy(keys[0]!, 'dsa.asc'), 'config_invalid', 'DSA');
    });

    it('reports an accepted algorithm as no violation and a weak one with a reason', () => {
      expect(keyAlgorithmViolation(accepted['NIST P-256']!.key)).to.equal(undefined);
      expect(keyAlgorithmViolation(rsa1024.key)).to.match(/RSA key of 1024 bits/);
    });
  });

  describe('readPublicKeys / readPrivateKey', () => {
    it('reads every accepted key type', async () => {
      for (const [label, generated] of Object.entries(accepted)) {
        const keys = await readPublicKeys({ armored: generated.publicArmored, source: label });
        expect(keys.map((key) => key.getFingerprint()), label).to.deep.equal([generated.key.getFingerprint()]);
        const secret = await readPrivateKey({ armored: generated.privateArmored, source: label });
        expect(secret.getFingerprint(), label).to.equal(generated.key.getFingerprint());
      }
    });

    it('reads several keys from one file, in one or several armored blocks', async () => {
      const a = accepted['NIST P-256']!;
      const b = accepted['RSA 3072']!;
      const separate = await readPublicKeys({ armored: `${a.publicArmored}\n${b.publicArmored}`, source: 'two.asc' });
      expect(separate.map((key) => key.getFingerprint())).to.deep.equal([a.key.getFingerprint(), b.key.getFingerprint()]);
      const packets = new Uint8Array([...a.key.toPublic().write(), ...b.key.toPublic().write()]);
      const oneBlock = openpgp.armor(enums.armor.publicKey, packets);
      const together = await readPublicKeys({ armored: oneBlock, source: 'one-block.asc' });
      expect(together.map((key) => key.getFingerprint())).to.deep.equal([a.key.getFingerprint(), b.key.getFingerprint()]);
    });

    it('refuses an RSA-1024 key with config_invalid naming the file', async () => {
      await expectRejected(readPublicKeys({ armored: rsa1024.publicArmored, source: 'partners/weak/openpgp.asc' }), 'config_invalid', 'partners/weak/openpgp.asc');
      await expectRejected(readPrivateKey({ armored: rsa1024.privateArmored, source: 'gateway/openpgp.key.asc' }), 'config_invalid', 'gateway/openpgp.key.asc');
    });

    it('refuses a DSA key and a key whose only self-signature uses SHA-1', async () => {
      await expectRejected(readPublicKeys({ armored: dsaArmored, source: 'dsa.asc' }), 'config_invalid', 'dsa.asc', 'DSA');
      await expectRejected(readPublicKeys({ armored: sha1SelfSignedArmored, source: 'sha1.asc' }), 'config_invalid', 'sha1.asc', 'not usable');
    });

    it('refuses garbage, an empty file and a secret key given as public key', async () => {
      await expectRejected(readPublicKeys({ armored: 'not a key', source: 'garbage.asc' }), 'config_invalid', 'garbage.asc');
      await expectRejected(readPublicKeys({ armored: '', source: 'empty.asc' }), 'config_invalid', 'empty.asc');
      const lines = accepted['NIST P-256']!.publicArmored.trimEnd().split('\n');
      // Keep the armor lines, drop the second half of the base64 body: a truncated key.
      const body = lines.slice(2, -2);
      const broken = [...lines.slice(0, 2), ...body.slice(0, Math.floor(body.length / 2)), ...lines.slice(-1)].join('\n');
      await expectRejected(readPublicKeys({ armored: broken, source: 'broken.asc' }), 'config_invalid', 'broken.asc');
      await expectRejected(readPublicKeys({ armored: accepted['NIST P-256']!.privateArmored, source: 'leak.asc' }), 'config_invalid', 'secret key');
      await expectRejected(readPrivateKey({ armored: accepted['NIST P-256']!.publicArmored, source: 'pub.asc' }), 'config_invalid', 'pub.asc');
    });

    it('refuses a passphrase-protected secret key, which the gateway cannot unlock', async () => {
      const generated = accepted['curve25519Legacy (EdDSA + ECDH)']!;
      const locked = await openpgp.encryptKey({ privateKey: generated.key, passphrase: 'secret' });
      await expectRejected(readPrivateKey({ armored: locked.armor(), source: 'locked.asc' }), 'config_invalid', 'passphrase');
    });

    it('refuses a revoked key', async () => {
      const generated = await generate({ type: 'ecc', curve: 'curve25519Legacy' }, 'revoked');
      const { publicKey } = await openpgp.revokeKey({ key: generated.key, format: 'armored' });
      await expectRejected(readPublicKeys({ armored: publicKey, source: 'revoked.asc' }), 'config_invalid', 'revoked.asc', 'revoked');
    });

    it('accepts an expired key at load time (its messages are refused one by one)', async () => {
      const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
      const generated = await generate({ type: 'ecc', curve: 'curve25519Legacy', date: twoDaysAgo, keyExpirationTime: 86_400 }, 'expired');
      const keys = await readPublicKeys({ armored: generated.publicArmored, source: 'expired.asc' });
      expect(keys).to.have.length(1);
    });
  });

  describe('hash and cipher rules', () => {
    it('accepts SHA-2 of 256 bits or more and refuses MD5, SHA-1, RIPEMD-160 and SHA-224', () => {
      for (const hash of [enums.hash.sha256, enums.hash.sha384, enums.hash.sha512, enums.hash.sha3_256, enums.hash.sha3_512]) {
        expect(ACCEPTED_HASH_ALGORITHMS.has(hash)).to.equal(true);
        expect(() => assertSignatureHash(hash, 'signature_invalid', 'advice')).not.to.throw();
      }
      for (const hash of [enums.hash.md5, enums.hash.sha1, enums.hash.ripemd, enums.hash.sha224]) {
        expect(REFUSED_HASH_ALGORITHMS.has(hash)).to.equal(true);
        expectGatewayError(() => assertSignatureHash(hash, 'signature_invalid', 'use SHA-256'), 'signature_invalid', 'use SHA-256');
      }
      expectGatewayError(() => assertSignatureHash(enums.hash.sha1, 'receipt_invalid', 'x'), 'receipt_invalid', 'SHA1');
      expectGatewayError(() => assertSignatureHash(null, 'signature_invalid', 'x'), 'signature_invalid');
    });

    it('accepts AES only and refuses IDEA, 3DES, CAST5, Blowfish and Twofish', () => {
      for (const cipher of [enums.symmetric.aes128, enums.symmetric.aes192, enums.symmetric.aes256]) {
        expect(() => assertCipher(cipher)).not.to.throw();
      }
      for (const cipher of [enums.symmetric.idea, enums.symmetric.tripledes, enums.symmetric.cast5, enums.symmetric.blowfish, enums.symmetric.twofish]) {
        expectGatewayError(() => assertCipher(cipher), 'malformed_message', 'obsolete or refused cipher');
      }
      expectGatewayError(() => assertCipher(undefined), 'malformed_message');
    });
  });
});
