/**
 * Several OpenPGP keys per party, their validity from the keys' own dates, the atomic reload of the
 * trust store, and the rotation of the gateway's key in a trust directory.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import * as openpgp from 'openpgp';
import type { PrivateKey, PublicKey } from 'openpgp';
import { currentKeys, isCurrent, newestCurrent, unrevoked, type RingKey } from '../../src/crypto/key-ring.js';
import { signDetached, verifyDetached } from '../../src/crypto/detached.js';
import { readKeyRing, readPrivateKeys } from '../../src/crypto/keys.js';
import { newestEncryptionKey } from '../../src/crypto/seal.js';
import { GatewayError } from '../../src/domain/errors.js';
import { rotateGatewayKey } from '../../src/trust/key-rotation.js';
import { LAYOUT, loadTrustStore } from '../../src/trust/trust-store.js';

const EXAMPLE = fileURLToPath(new URL('../../certs.example', import.meta.url));
const DAY_MS = 86_400_000;

async function newKey(name: string, opts: { date?: Date; keyExpirationTime?: number } = {}): Promise<{ privateKey: PrivateKey; publicKey: PublicKey }> {
  return openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name, email: 'gateway@passerelle.example' }], format: 'object', ...opts });
}

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const outcome = await promise.then(() => 'resolved', (err: unknown) => err);
  expect(outcome, 'expected a GatewayError').to.be.instanceOf(GatewayError);
  return outcome as GatewayError;
}

describe('trust/key lifecycle', function () {
  this.timeout(60_000);
  /** A fresh copy of certs.example for each test, edited as an operator would. */
  let copy: string;
  beforeEach(async () => {
    copy = await mkdtemp(path.join(tmpdir(), 'passerelle-key-lifecycle-'));
    await cp(EXAMPLE, copy, { recursive: true });
  });
  afterEach(() => rm(copy, { recursive: true, force: true }));

  const file = (relative: string) => path.join(copy, relative);

  describe('key ring (pure)', () => {
    const at = (iso: string) => new Date(iso);
    const entry = (fingerprint: string, created: string, expires?: string, revoked = false): RingKey =>
      ({ key: {} as PublicKey, fingerprint, created: at(created), expires: expires === undefined ? undefined : at(expires), revoked });
    const old = entry('aa', '2025-01-01T00:00:00Z', '2027-01-01T00:00:00Z');
    const recent = entry('bb', '2026-06-01T00:00:00Z', '2026-12-01T00:00:00Z');
    const future = entry('cc', '2030-01-01T00:00:00Z');
    const revoked = entry('dd', '2026-10-01T00:00:00Z', undefined, true);

    it('a key is current from its creation to its expiration, and never once revoked', () => {
      expect(isCurrent(old, at('2026-11-27T00:00:00Z'))).to.equal(true);
      expect(isCurrent(recent, at('2026-12-01T00:00:00Z'))).to.equal(false);
      expect(isCurrent(future, at('2026-11-27T00:00:00Z'))).to.equal(false);
      expect(isCurrent(revoked, at('2026-11-27T00:00:00Z'))).to.equal(false);
    });

    it('the newest current key is chosen, and the next older one once it expires', () => {
      const ring = [old, recent, future, revoked];
      expect(newestCurrent(ring, at('2026-11-27T00:00:00Z'))?.fingerprint).to.equal('bb');
      expect(newestCurrent(ring, at('2026-12-02T00:00:00Z'))?.fingerprint).to.equal('aa');
      expect(newestCurrent(ring, at('2027-02-01T00:00:00Z'))).to.equal(undefined);
      expect(currentKeys(ring, at('2030-06-01T00:00:00Z')).map((e) => e.fingerprint)).to.deep.equal(['cc']);
      expect(unrevoked(ring).map((e) => e.fingerprint)).to.deep.equal(['cc', 'bb', 'aa']);
    });
  });

  describe('reading several keys', () => {
    it('reads every key of one file with its dates and revocation, without refusing the revoked or expired ones', async () => {
      const valid = await newKey('valid');
      const expired = await newKey('expired', { date: new Date(Date.now() - 3 * DAY_MS), keyExpirationTime: 86_400 });
      const { publicKey: revoked } = await openpgp.revokeKey({ key: (await newKey('revoked')).privateKey, format: 'object' });
      const ring = await readKeyRing({ armored: [valid.publicKey.armor(), expired.publicKey.armor(), revoked.armor()].join('\n'), source: 'three.asc' });
      expect(ring.map((e) => [e.fingerprint, e.revoked, e.expires !== undefined && e.expires < new Date()])).to.deep.equal([
        [valid.publicKey.getFingerprint(), false, false],
        [expired.publicKey.getFingerprint(), false, true],
        [revoked.getFingerprint(), true, false],
      ]);
    });

    it('refuses the same key twice, and more keys than the limit', async () => {
      const key = (await newKey('twice')).publicKey.armor();
      expect((await rejection(readKeyRing({ armored: `${key}\n${key}`, source: 'twice.asc' }))).message).to.contain('twice');
      const many = await Promise.all(Array.from({ length: 17 }, (_, i) => newKey(`k${i}`)));
      expect((await rejection(readKeyRing({ armored: many.map((k) => k.publicKey.armor()).join('\n'), source: 'many.asc' }))).message).to.contain('limit of 16');
    });

    it('reads several gateway secret keys from one block (gpg --export-secret-keys fpr1 fpr2) and refuses a public key among them', async () => {
      const [a, b] = await Promise.all([newKey('a'), newKey('b')]);
      const packets = new openpgp.PacketList<openpgp.AnyPacket>();
      packets.push(...a.privateKey.toPacketList(), ...b.privateKey.toPacketList());
      const oneBlock = openpgp.armor(openpgp.enums.armor.privateKey, packets.write());
      expect((await readPrivateKeys({ armored: oneBlock, source: 'both.key.asc' })).map((e) => e.fingerprint)).to.deep.equal([a.privateKey.getFingerprint(), b.privateKey.getFingerprint()]);
      const mixed = new openpgp.PacketList<openpgp.AnyPacket>();
      mixed.push(...a.privateKey.toPacketList(), ...b.publicKey.toPacketList());
      expect((await rejection(readPrivateKeys({ armored: openpgp.armor(openpgp.enums.armor.privateKey, mixed.write()), source: 'mixed.key.asc' }))).message).to.contain('mixed.key.asc');
    });

    it('seals to the newest key that can encrypt now, skipping an expired newer one', async () => {
      const older = await newKey('older', { date: new Date(Date.now() - 2 * DAY_MS) });
      const newer = await newKey('newer', { date: new Date(Date.now() - DAY_MS) });
      const newestExpired = await newKey('expired', { date: new Date(Date.now() - 20_000), keyExpirationTime: 10 });
      expect((await newestEncryptionKey([older.publicKey, newer.publicKey], new Date())).getFingerprint()).to.equal(newer.publicKey.getFingerprint());
      expect((await newestEncryptionKey([newestExpired.publicKey, older.publicKey], new Date())).getFingerprint()).to.equal(older.publicKey.getFingerprint());
      expect((await rejection(newestEncryptionKey([newestExpired.publicKey], new Date()))).code).to.equal('recipient_not_allowed');
    });

    it('a receipt signed by a key that expired since still verifies; a cosignature (signerValidNow) by that key does not', async () => {
      const now = Date.now();
      const shortLived = await newKey('short', { date: new Date(now - 20_000), keyExpirationTime: 10 });
      const data = new TextEncoder().encode('{"treeSize":1}');
      const signature = await openpgp.sign({ message: await openpgp.createMessage({ binary: data }), signingKeys: shortLived.privateKey, detached: true, date: new Date(now - 15_000) });
      await verifyDetached({ data, signature, verificationKeys: [shortLived.publicKey] });
      expect((await rejection(verifyDetached({ data, signature, verificationKeys: [shortLived.publicKey], signerValidNow: true }))).code).to.equal('receipt_invalid');
    });
  });

  describe('the gateway keys of a trust directory', () => {
    it('signs with the newest valid secret key, decrypts with all of them, publishes all of them', async () => {
      const previous = await readFile(file(LAYOUT.gatewaySecretKey), 'utf8');
      const next = await newKey('Passerelle gateway 2027');
      await writeFile(file(LAYOUT.gatewaySecretKey), `${previous}\n${next.privateKey.armor()}`);
      await writeFile(file(LAYOUT.gatewayPublicKey), `${await readFile(file(LAYOUT.gatewayPublicKey), 'utf8')}\n${next.publicKey.armor()}`);
      const trust = await loadTrustStore({ dir: copy });
      const previousFpr = (await openpgp.readKey({ armoredKey: previous })).getFingerprint();
      expect(trust.gateway.fingerprint).to.equal(next.privateKey.getFingerprint());
      expect(trust.gateway.publicKey.getFingerprint()).to.equal(next.privateKey.getFingerprint());
      expect(trust.gateway.decryptionKeys.map((k) => k.getFingerprint())).to.deep.equal([next.privateKey.getFingerprint(), previousFpr]);
      expect(trust.gateway.publishedKeys.map((k) => k.getFingerprint())).to.have.members([next.privateKey.getFingerprint(), previousFpr]);
      const signature = await signDetached({ data: new Uint8Array([1]), signingKey: trust.gateway.privateKey });
      await verifyDetached({ data: new Uint8Array([1]), signature, verificationKeys: [next.publicKey] });
    });

    it('hands over to the older key when the newest one has expired', async () => {
      const expired = await newKey('expired newest', { date: new Date(Date.now() - 20_000), keyExpirationTime: 10 });
      const previousFpr = (await openpgp.readKey({ armoredKey: await readFile(file(LAYOUT.gatewayPublicKey), 'utf8') })).getFingerprint();
      await writeFile(file(LAYOUT.gatewaySecretKey), `${await readFile(file(LAYOUT.gatewaySecretKey), 'utf8')}\n${expired.privateKey.armor()}`);
      await writeFile(file(LAYOUT.gatewayPublicKey), `${await readFile(file(LAYOUT.gatewayPublicKey), 'utf8')}\n${expired.publicKey.armor()}`);
      const trust = await loadTrustStore({ dir: copy });
      expect(trust.gateway.fingerprint).to.equal(previousFpr);
    });

    it('a revoked gateway key neither signs nor decrypts nor verifies once reloaded; revoking the only one is refused and changes nothing', async () => {
      const trust = await loadTrustStore({ dir: copy });
      const current = trust.gateway.privateKey;
      const { privateKey: revokedSecret, publicKey: revokedPublic } = await openpgp.revokeKey({ key: current, format: 'armored' });
      await writeFile(file(LAYOUT.gatewaySecretKey), revokedSecret);
      await writeFile(file(LAYOUT.gatewayPublicKey), revokedPublic);
      expect((await rejection(trust.reload())).message).to.contain('revoked');
      expect(trust.gateway.decryptionKeys.map((k) => k.getFingerprint())).to.deep.equal([current.getFingerprint()]);

      const next = await newKey('Passerelle gateway after compromise');
      await writeFile(file(LAYOUT.gatewaySecretKey), `${revokedSecret}\n${next.privateKey.armor()}`);
      await writeFile(file(LAYOUT.gatewayPublicKey), `${revokedPublic}\n${next.publicKey.armor()}`);
      const outcome = await trust.reload();
      expect(outcome.withdrawn).to.deep.equal([`passerelle ${current.getFingerprint()}`]);
      expect(trust.gateway.fingerprint).to.equal(next.privateKey.getFingerprint());
      expect(trust.gateway.decryptionKeys.map((k) => k.getFingerprint())).to.deep.equal([next.privateKey.getFingerprint()]);
      expect(trust.gateway.publishedKeys.map((k) => k.getFingerprint())).to.deep.equal([next.privateKey.getFingerprint()]);
    });

    it('refuses a gateway secret key whose public key is not published in gateway/openpgp.asc', async () => {
      const unpublished = await newKey('unpublished');
      await writeFile(file(LAYOUT.gatewaySecretKey), `${await readFile(file(LAYOUT.gatewaySecretKey), 'utf8')}\n${unpublished.privateKey.armor()}`);
      const error = await rejection(loadTrustStore({ dir: copy }));
      expect(error.code).to.equal('config_invalid');
      expect(error.message).to.contain('does not hold the public key').and.to.contain(unpublished.privateKey.getFingerprint());
    });

    it('pki rotate-gateway-key: adds a new key beside the current one, which then signs; the user ID is kept', async () => {
      const before = await loadTrustStore({ dir: copy });
      const rotated = await rotateGatewayKey({ dir: copy, validityDays: 30 });
      expect(rotated.previous).to.deep.equal([before.gateway.fingerprint]);
      const after = await loadTrustStore({ dir: copy });
      expect(after.gateway.fingerprint).to.equal(rotated.fingerprint);
      expect(after.gateway.decryptionKeys).to.have.length(2);
      expect(after.gateway.publishedKeys.map((k) => k.getFingerprint())).to.include(before.gateway.fingerprint);
      expect((await after.gateway.publicKey.getPrimaryUser()).user.userID?.userID).to.equal((await before.gateway.publicKey.getPrimaryUser()).user.userID?.userID);
      // 30 days: within the notice period, so the operator is told at each load.
      expect(after.warnings.some((w) => w.includes('The gateway') && w.includes(rotated.fingerprint))).to.equal(true);
    });
  });

  describe('reload', () => {
    it('swaps in new partner keys at once; a broken file keeps the previous keys; partners.json changes are announced, not applied', async () => {
      const trust = await loadTrustStore({ dir: copy });
      const ofiiFile = file(LAYOUT.partnerPublicKey('ofii-paris'));
      const original = await readFile(ofiiFile, 'utf8');
      const next = await newKey('OFII 2027');
      const held = trust.partner('ofii-paris');

      await writeFile(ofiiFile, `${original}\n${next.publicKey.armor()}`);
      const outcome = await trust.reload();
      expect(outcome.withdrawn).to.deep.equal([]);
      expect(trust.partner('ofii-paris')!.publicKeys.map((k) => k.getFingerprint())[0]).to.equal(next.publicKey.getFingerprint());
      // What a request in flight already holds does not change under it.
      expect(held!.publicKeys).to.have.length(1);

      await writeFile(ofiiFile, '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbroken\n-----END PGP PUBLIC KEY BLOCK-----\n');
      const error = await rejection(trust.reload());
      expect(error.code).to.equal('config_invalid');
      expect(error.message).to.contain(ofiiFile);
      expect(trust.partner('ofii-paris')!.publicKeys).to.have.length(2);

      await writeFile(ofiiFile, next.publicKey.armor());
      const registry = file(LAYOUT.registry);
      await writeFile(registry, `${await readFile(registry, 'utf8')}\n`);
      const third = await trust.reload();
      expect(third.withdrawn.map((w) => w.split(' ')[0])).to.deep.equal(['ofii-paris']);
      expect(third.warnings.some((w) => w.includes('partners.json changed'))).to.equal(true);
      expect(trust.registry.get('ofii-paris')).not.to.equal(undefined);
    });
  });
});
