/**
 * OpenPGP attacks proven THROUGH THE HTTP PATH: each hostile message is made with the real GnuPG
 * (or with openpgp where GnuPG cannot make the shape), posted with OFII's client certificate to a real
 * gateway, and must get its problem code with nothing stored or queued.
 *
 * The OpenPGP layer's own tests (test/crypto/open.test.ts, "refusals") already cover these at
 * the adapter level: another partner's key, unsigned, two signatures, SHA-1, an altered document,
 * RSA-1024, an expired and a revoked primary key, 3DES and CAST5, SED (--rfc2440), symmetric-only,
 * clear-signed, detached and signed-only, signature-before-literal, garbage/empty/truncated/altered,
 * encrypted to another key, over the size, compression bombs. They are repeated here only where the
 * HTTP path adds something to prove: the answer a partner gets (code, status, problem+json), that the
 * refusal is audited, and that nothing reaches the store or a queue.
 *
 * The gateway here runs on a copy of the example trust directory where OFII has, besides its own
 * key, three more registered keys used by the key-state attacks (expired, revoked signing subkey,
 * signing subkey without a valid binding signature).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import * as openpgp from 'openpgp';
import { CompressedDataPacket, LiteralDataPacket, Message, PacketList, SignaturePacket, enums } from 'openpgp';
import type { AnyPacket, PrivateKey } from 'openpgp';
import { queueName } from '../../src/broker/topology.js';
import type { HttpAnswer } from '../../src/client/gateway-client.js';
import { PROBLEM_CATALOGUE, type ProblemCode } from '../../src/domain/errors.js';
import { drainQueue, eventually, EXAMPLE_CERTS, PROJECT_ROOT, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { GnupgHome } from '../fixtures/gpg.js';
import { bytesOf, example, partner, post, type Json } from '../fixtures/partner.js';

const DAY_MS = 86_400_000;

function expectProblem(answer: HttpAnswer, code: ProblemCode): Json {
  const body = answer.body as Json;
  expect(answer.contentType, JSON.stringify(body)).to.match(/^application\/problem\+json/);
  expect(body, JSON.stringify(body)).to.include({ code, type: `/problems/${code}`, status: PROBLEM_CATALOGUE[code].status });
  expect(answer.status).to.equal(PROBLEM_CATALOGUE[code].status);
  return body;
}

/** "6.3.2" ≥ "6.1.1", numerically per component. */
function atLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (a[i]! !== b[i]!) return a[i]! > b[i]!;
  return true;
}

describe('@integration security: OpenPGP attacks through the HTTP path', function () {
  this.timeout(120_000);
  let trustDir: string;
  let gw: TestGateway;
  let gpg: GnupgHome;
  let ofiiFpr: string;
  let missionLocaleFpr: string;
  let gatewayFpr: string;
  let expiredKey: PrivateKey;
  let revokedSubkeyKey: PrivateKey;
  let unboundSubkeyKey: PrivateKey;
  const accepted: string[] = [];

  /** A fresh orientation from OFII and its bytes. */
  function orientation(header: Json = {}): { id: string; bytes: Uint8Array } {
    const document = example('orientation', header);
    return { id: document['header']['messageId'] as string, bytes: bytesOf(document) };
  }

  /** Posts as OFII (its client certificate) and expects `code` with nothing stored under `id`. */
  async function refused(id: string, body: Uint8Array | string, code: ProblemCode, armored = false): Promise<Json> {
    const answer = await post(gw.baseUrl, 'ofii-paris', body, armored ? 'application/pgp-encrypted' : 'application/octet-stream');
    const problem = expectProblem(answer, code);
    expect(await gw.store.findMessage(id)).to.equal(undefined);
    return problem;
  }

  async function acceptedAs(id: string, body: Uint8Array | string): Promise<void> {
    const answer = await post(gw.baseUrl, 'ofii-paris', body, typeof body === 'string' ? 'application/pgp-encrypted' : 'application/octet-stream');
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    accepted.push(id);
  }

  /** `gpg … --sign --encrypt` by OFII to the gateway, plus `extra` options, over `document`. */
  async function gpgSealed(document: Uint8Array, extra: string[] = [], signers: string[] = [ofiiFpr]): Promise<Buffer> {
    const signerArgs = signers.flatMap((fpr) => ['-u', fpr]);
    return (await gpg.run(['--trust-model', 'always', ...signerArgs, '-r', gatewayFpr, ...extra, '--sign', '--encrypt'], { stdin: document })).stdout;
  }

  /** openpgp: encrypts an arbitrary packet list to the gateway key. */
  async function encryptPackets(packets: AnyPacket[]): Promise<Uint8Array> {
    const list = new PacketList<AnyPacket>();
    list.push(...packets);
    return openpgp.encrypt({ message: new Message(list), encryptionKeys: (await partner('ofii-paris')).gatewayKeys, format: 'binary' });
  }

  /** OFII's one-pass signed literal over `document`, as packets [one-pass signature, literal, signature]. */
  async function signedPackets(document: Uint8Array, signingKey?: PrivateKey): Promise<AnyPacket[]> {
    const signed = await openpgp.sign({ message: await openpgp.createMessage({ binary: document }), signingKeys: signingKey ?? (await partner('ofii-paris')).privateKey, format: 'object' });
    return [...signed.packets];
  }

  async function literalPacket(document: Uint8Array): Promise<LiteralDataPacket> {
    return (await openpgp.createMessage({ binary: document })).packets.findPacket(enums.packet.literalData) as LiteralDataPacket;
  }

  function compressed(packets: AnyPacket[]): CompressedDataPacket {
    const packet = new CompressedDataPacket();
    (packet as unknown as { algorithm: enums.compression }).algorithm = enums.compression.zlib;
    const list = new PacketList<AnyPacket>();
    list.push(...packets);
    (packet as unknown as { packets: PacketList<AnyPacket> }).packets = list;
    return packet;
  }

  before(async () => {
    const [ofiiSecret, missionLocaleSecret, gatewayPublic] = ['partners/ofii-paris/openpgp.key.asc', 'partners/mission-locale-paris/openpgp.key.asc', 'gateway/openpgp.asc'].map((file) => fs.readFileSync(path.join(EXAMPLE_CERTS, file), 'utf8'));
    ofiiFpr = (await openpgp.readKey({ armoredKey: ofiiSecret! })).getFingerprint().toUpperCase();
    missionLocaleFpr = (await openpgp.readKey({ armoredKey: missionLocaleSecret! })).getFingerprint().toUpperCase();
    gatewayFpr = (await openpgp.readKey({ armoredKey: gatewayPublic! })).getFingerprint().toUpperCase();
    gpg = await GnupgHome.create();
    await gpg.importKeys(ofiiSecret!, missionLocaleSecret!, gatewayPublic!);

    // Three more keys registered for OFII, each broken in its own way.
    const ecc = { type: 'ecc', curve: 'curve25519Legacy', format: 'object' } as const;
    ({ privateKey: expiredKey } = await openpgp.generateKey({ ...ecc, userIDs: [{ name: 'OFII expired' }], date: new Date(Date.now() - 3 * DAY_MS), keyExpirationTime: 86_400 }));
    ({ privateKey: revokedSubkeyKey } = await openpgp.generateKey({ ...ecc, userIDs: [{ name: 'OFII revoked subkey' }], subkeys: [{}, { sign: true }], date: new Date(Date.now() - DAY_MS) }));
    ({ privateKey: unboundSubkeyKey } = await openpgp.generateKey({ ...ecc, userIDs: [{ name: 'OFII unbound subkey' }], subkeys: [{}, { sign: true }], date: new Date(Date.now() - DAY_MS) }));

    const withRevokedSubkey = await openpgp.readPrivateKey({ armoredKey: revokedSubkeyKey.armor() });
    withRevokedSubkey.subkeys[1] = await revokedSubkeyKey.subkeys[1]!.revoke(revokedSubkeyKey.keyPacket as openpgp.SecretKeyPacket, { flag: enums.reasonForRevocation.keyCompromised, string: 'test' });
    const revokedPublic = withRevokedSubkey.toPublic();
    expect(revokedPublic.subkeys[1]!.revocationSignatures).to.have.length(1);
    // The signing subkey keeps its key packet but loses its binding signature: nothing ties it to the primary any more.
    const unboundPublic = unboundSubkeyKey.toPublic();
    unboundPublic.subkeys[1]!.bindingSignatures = [];

    trustDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-pgp-trust-'));
    fs.cpSync(EXAMPLE_CERTS, trustDir, { recursive: true });
    const ofiiKeys = path.join(trustDir, 'partners', 'ofii-paris', 'openpgp.asc');
    fs.appendFileSync(ofiiKeys, ['\n', expiredKey.toPublic().armor(), revokedPublic.armor(), unboundPublic.armor()].join('\n'));
    gw = await startTestGateway({ PASSERELLE_CERTS_DIR: trustDir, PASSERELLE_RATE_LIMIT_BURST: '100000', PASSERELLE_RATE_LIMIT_PER_MINUTE: '1000000' });
    expect(gw.trust.partner('ofii-paris')!.publicKeys).to.have.length(4);
  });

  after(async () => {
    try {
      await gw?.dispose();
    } finally {
      await gpg?.remove();
      if (trustDir) fs.rmSync(trustDir, { recursive: true, force: true });
    }
  });

  it('control: `gpg --sign --encrypt` by OFII with the defaults is accepted', async () => {
    const { id, bytes } = orientation();
    await acceptedAs(id, await gpgSealed(bytes));
  });

  describe('algorithms', () => {
    it('SHA-1 signature (gpg --digest-algo SHA1): signature_invalid', async () => {
      const { id, bytes } = orientation();
      const body = await refused(id, await gpgSealed(bytes, ['--digest-algo', 'SHA1']), 'signature_invalid');
      expect(body['detail']).to.contain('SHA1');
    });

    for (const cipher of ['3DES', 'CAST5', 'IDEA']) {
      it(`obsolete cipher ${cipher} (gpg --cipher-algo ${cipher}): malformed_message`, async () => {
        const { id, bytes } = orientation();
        const message = await gpgSealed(bytes, ['--cipher-algo', cipher]);
        const listing = await gpg.run(['--list-packets', '--list-only'], { stdin: message, allowFailure: true });
        expect(listing.stderr + listing.stdout.toString()).not.to.match(/\bAES/);
        const body = await refused(id, message, 'malformed_message');
        expect(body['detail']).to.match(/TRIPLEDES|CAST5|IDEA/);
      });
    }

    it('no integrity protection (gpg --rfc2440, a Symmetrically Encrypted Data packet): malformed_message', async () => {
      const { id, bytes } = orientation();
      const message = await gpgSealed(bytes, ['--rfc2440', '--cipher-algo', 'AES256']);
      const listing = await gpg.run(['--list-packets'], { stdin: message, allowFailure: true });
      expect(listing.stdout.toString(), 'GnuPG wrote a tag 9 packet').to.match(/tag=9\b/);
      const body = await refused(id, message, 'malformed_message');
      expect(body['detail']).to.contain('integrity protection');
    });

    it('compression bomb: 200 MB of zeros (gpg -z 9, under 1 MiB on the wire) is refused at the decompressed-size limit, quickly', async () => {
      const { id } = orientation();
      const bomb = await gpgSealed(new Uint8Array(200_000_000), ['-z', '9', '--compress-algo', 'zlib']);
      expect(bomb.length).to.be.lessThan(gw.settings.maxBodyBytes);
      const started = Date.now();
      const body = await refused(id, bomb, 'malformed_message');
      expect(body['detail']).to.contain(`more than ${gw.settings.maxDocumentBytes} bytes`);
      expect(Date.now() - started).to.be.lessThan(5_000);
    });
  });

  describe('signatures and keys', () => {
    it('several signatures (gpg -u OFII -u Mission Locale): signature_invalid', async () => {
      const { id, bytes } = orientation();
      const body = await refused(id, await gpgSealed(bytes, [], [ofiiFpr, missionLocaleFpr]), 'signature_invalid');
      expect(body['detail']).to.contain('2 signatures');
    });

    it("a key of another partner (gpg -u Mission Locale, posted with OFII's certificate): signature_invalid", async () => {
      const { id, bytes } = orientation();
      const body = await refused(id, await gpgSealed(bytes, [], [missionLocaleFpr]), 'signature_invalid');
      expect(body['detail']).to.contain('not registered for the sender');
    });

    it('unsigned (gpg --encrypt only): signature_invalid', async () => {
      const { id, bytes } = orientation();
      const message = (await gpg.run(['--trust-model', 'always', '-r', gatewayFpr, '--encrypt'], { stdin: bytes })).stdout;
      await refused(id, message, 'signature_invalid');
    });

    it('expired key: a registered OFII key that expired, signature back-dated to when it was valid: signature_invalid', async () => {
      const { id, bytes } = orientation();
      const signed = await openpgp.sign({ message: await openpgp.createMessage({ binary: bytes }), signingKeys: expiredKey, date: new Date(Date.now() - 2.5 * DAY_MS), format: 'object' });
      const message = await openpgp.encrypt({ message: signed, encryptionKeys: (await partner('ofii-paris')).gatewayKeys, format: 'binary' });
      const body = await refused(id, message, 'signature_invalid');
      expect(body['detail']).to.contain('expired');
    });

    it('revoked key: a signing subkey revoked (key compromise) on a registered OFII key: signature_invalid', async () => {
      const { id, bytes } = orientation();
      const subkeyId = revokedSubkeyKey.subkeys[1]!.getKeyID();
      const signed = await openpgp.sign({ message: await openpgp.createMessage({ binary: bytes }), signingKeys: revokedSubkeyKey, signingKeyIDs: subkeyId, date: new Date(Date.now() - 3_600_000), format: 'object' });
      expect((signed.packets.findPacket(enums.packet.signature) as SignaturePacket).issuerKeyID.equals(subkeyId)).to.equal(true);
      const message = await openpgp.encrypt({ message: signed, encryptionKeys: (await partner('ofii-paris')).gatewayKeys, format: 'binary' });
      const body = await refused(id, message, 'signature_invalid');
      expect(body['detail']).to.match(/revoked|not a valid signing key/);
    });

    it('revoked key, control: the primary key of that same registered key still signs acceptably', async () => {
      const { id, bytes } = orientation();
      const signed = await openpgp.sign({ message: await openpgp.createMessage({ binary: bytes }), signingKeys: revokedSubkeyKey, signingKeyIDs: revokedSubkeyKey.getKeyID(), format: 'object' });
      await acceptedAs(id, await openpgp.encrypt({ message: signed, encryptionKeys: (await partner('ofii-paris')).gatewayKeys, format: 'binary' }));
    });

    it('revoked key: a revoked primary key registered for OFII does not stop the gateway (warning), and a message it signed before its revocation is refused', async () => {
      const { privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'OFII revoked' }], format: 'object' });
      const { id, bytes } = orientation();
      const signed = await openpgp.sign({ message: await openpgp.createMessage({ binary: bytes }), signingKeys: privateKey, format: 'object' });
      const sealed = await openpgp.encrypt({ message: signed, encryptionKeys: (await partner('ofii-paris')).gatewayKeys, format: 'binary' });
      const { publicKey: revoked } = await openpgp.revokeKey({ key: privateKey, format: 'armored' });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-pgp-revoked-'));
      const onlyRevoked = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-pgp-revoked-'));
      try {
        fs.cpSync(EXAMPLE_CERTS, dir, { recursive: true });
        fs.appendFileSync(path.join(dir, 'partners', 'ofii-paris', 'openpgp.asc'), `\n${revoked}`);
        const started = await startTestGateway({ PASSERELLE_CERTS_DIR: dir });
        try {
          const answer = await post(started.baseUrl, 'ofii-paris', sealed, 'application/octet-stream');
          expect(answer.status, JSON.stringify(answer.body)).to.equal(400);
          expect((answer.body as Json)['code']).to.equal('signature_invalid');
          expect(await started.store.findMessage(id)).to.equal(undefined);
          expect(started.trust.partner('ofii-paris')!.keyRing.find((entry) => entry.fingerprint === privateKey.getFingerprint())?.revoked).to.equal(true);
        } finally {
          await started.dispose();
        }
        // Its only key revoked, OFII is announced in the log at start, by id and fingerprint only.
        fs.cpSync(EXAMPLE_CERTS, onlyRevoked, { recursive: true });
        fs.writeFileSync(path.join(onlyRevoked, 'partners', 'ofii-paris', 'openpgp.asc'), revoked);
        const alone = await startTestGateway({ PASSERELLE_CERTS_DIR: onlyRevoked });
        try {
          const warning = alone.logLines.find((line) => line['message'] === 'trust key warning' && String(line['reason']).includes('ofii-paris'));
          expect(String(warning?.['reason'])).to.contain('has no valid OpenPGP key').and.to.contain(privateKey.getFingerprint()).and.to.match(/revoked/);
        } finally {
          await alone.dispose();
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.rmSync(onlyRevoked, { recursive: true, force: true });
      }
    });

    it('unbound subkey: a signing subkey without a binding signature on a registered OFII key: signature_invalid', async () => {
      const { id, bytes } = orientation();
      // Signed while the secret key still carries the binding: the registered public key does not.
      const signed = await openpgp.sign({ message: await openpgp.createMessage({ binary: bytes }), signingKeys: unboundSubkeyKey, signingKeyIDs: unboundSubkeyKey.subkeys[1]!.getKeyID(), format: 'object' });
      const message = await openpgp.encrypt({ message: signed, encryptionKeys: (await partner('ofii-paris')).gatewayKeys, format: 'binary' });
      await refused(id, message, 'signature_invalid');
    });

    it('unbound subkey, control: the primary key of that same registered key signs acceptably', async () => {
      const { id, bytes } = orientation();
      const signed = await openpgp.sign({ message: await openpgp.createMessage({ binary: bytes }), signingKeys: unboundSubkeyKey, signingKeyIDs: unboundSubkeyKey.getKeyID(), format: 'object' });
      await acceptedAs(id, await openpgp.encrypt({ message: signed, encryptionKeys: (await partner('ofii-paris')).gatewayKeys, format: 'binary' }));
    });
  });

  describe('message forms', () => {
    it('truncated packets: the first 60 % of a valid binary message: malformed_message', async () => {
      const { id, bytes } = orientation();
      const message = await gpgSealed(bytes, ['-z', '0']);
      await refused(id, message.subarray(0, Math.floor(message.length * 0.6)), 'malformed_message');
    });

    it('truncated packets: an armored message with its middle lines removed: malformed_message', async () => {
      const { id, bytes } = orientation();
      const lines = (await gpgSealed(bytes, ['--armor'])).toString().trimEnd().split('\n');
      const cut = [...lines.slice(0, Math.floor(lines.length / 2)), ...lines.slice(-2)].join('\n');
      await refused(id, cut, 'malformed_message', true);
    });

    it('garbage: 64 KiB of random bytes, and a fake armor header over garbage: malformed_message', async () => {
      const { id } = orientation();
      await refused(id, randomBytes(65_536), 'malformed_message');
      await refused(id, '-----BEGIN PGP MESSAGE-----\n\nbm90IGFuIE9wZW5QR1AgbWVzc2FnZQ==\n=AAAA\n-----END PGP MESSAGE-----\n', 'malformed_message', true);
    });

    it('symmetric-only encryption (gpg --symmetric with a passphrase, signed by OFII): malformed_message', async () => {
      const { id, bytes } = orientation();
      const message = (await gpg.run(['--passphrase', 'correct horse', '-u', ofiiFpr, '--sign', '--symmetric'], { stdin: bytes })).stdout;
      const body = await refused(id, message, 'malformed_message');
      expect(body['detail']).to.contain('passphrase');
    });

    it('clear-signed (gpg --clearsign by OFII): malformed_message', async () => {
      const { id, bytes } = orientation();
      const message = (await gpg.run(['-u', ofiiFpr, '--clearsign'], { stdin: bytes })).stdout;
      const body = await refused(id, message, 'malformed_message', true);
      expect(body['detail']).to.contain('clear-signed');
    });

    it('detached-signature form (gpg --detach-sign, armored and binary): malformed_message', async () => {
      const { id, bytes } = orientation();
      await refused(id, (await gpg.run(['--armor', '-u', ofiiFpr, '--detach-sign'], { stdin: bytes })).stdout, 'malformed_message', true);
      await refused(id, (await gpg.run(['-u', ofiiFpr, '--detach-sign'], { stdin: bytes })).stdout, 'malformed_message');
    });

    it('detached-signature form inside the encryption (signature packet, then the literal): malformed_message', async () => {
      const { id, bytes } = orientation();
      const detached = await openpgp.sign({ message: await openpgp.createMessage({ binary: bytes }), signingKeys: (await partner('ofii-paris')).privateKey, detached: true, format: 'object' });
      await refused(id, await encryptPackets([detached.packets[0] as SignaturePacket, await literalPacket(bytes)]), 'malformed_message');
    });
  });

  describe('CVE-2025-47934 class: verified data differs from returned data (OpenPGP.js < 6.1.1, GHSA-8qff-qr5q-5pr8)', () => {
    // The signed document goes to Mission Locale; the injected one would send the same person's file to
    // France terre d'asile. A vulnerable reader verifies OFII's signature over the first and hands back the second.
    function pair(): { id: string; signed: Uint8Array; injected: Uint8Array } {
      const document = example('orientation');
      const injected = { ...document, header: { ...document['header'], recipient: 'ftda-paris' } };
      return { id: document['header']['messageId'] as string, signed: bytesOf(document), injected: bytesOf(injected) };
    }

    it('spoofing: a second literal packet inside the signed region (one-pass signature, injected literal, signed literal, signature)', async () => {
      const { id, signed, injected } = pair();
      const [ops, literal, signature] = await signedPackets(signed);
      await refused(id, await encryptPackets([ops!, await literalPacket(injected), literal!, signature!]), 'malformed_message');
    });

    it('spoofing: a literal packet appended after the signature, outside the signed region', async () => {
      const { id, signed, injected } = pair();
      await refused(id, await encryptPackets([...(await signedPackets(signed)), await literalPacket(injected)]), 'malformed_message');
    });

    it('spoofing: an injected literal packet before a compressed packet holding the signed message', async () => {
      const { id, signed, injected } = pair();
      await refused(id, await encryptPackets([await literalPacket(injected), compressed(await signedPackets(signed))]), 'malformed_message');
    });

    it('spoofing: a compressed packet holding the signed message, followed by an injected literal packet', async () => {
      const { id, signed, injected } = pair();
      await refused(id, await encryptPackets([compressed(await signedPackets(signed)), await literalPacket(injected)]), 'malformed_message');
    });

    it('spoofing: the signed literal compressed, the signature packets outside it, and the injected literal at the top', async () => {
      const { id, signed, injected } = pair();
      const [ops, literal, signature] = await signedPackets(signed);
      await refused(id, await encryptPackets([ops!, compressed([await literalPacket(injected)]), literal!, signature!]), 'malformed_message');
    });

    it('spoofing: a one-pass signature announcing a signature over another document (signature of the signed document, literal of the injected one)', async () => {
      const { id, signed, injected } = pair();
      const [ops, , signature] = await signedPackets(signed);
      await refused(id, await encryptPackets([ops!, await literalPacket(injected), signature!]), 'signature_invalid');
    });

    it('spoofing, control: the honest one-pass form of the same signed document is accepted', async () => {
      const { id, signed } = pair();
      // A valid orientation to FTDA needs FTDA's eligibility; the signed one (to Mission Locale) is the control.
      await acceptedAs(id, await encryptPackets(await signedPackets(signed)));
    });

    it('the pinned openpgp version is one with the fix (≥ 6.1.1), exactly pinned, and is the one installed', () => {
      const lock = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
      const manifest = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
      const locked = lock.packages['node_modules/openpgp']!.version;
      expect(atLeast(locked, '6.1.1'), `openpgp ${locked} is affected by CVE-2025-47934`).to.equal(true);
      expect(manifest.dependencies['openpgp'], 'an exact version, no range').to.match(/^\d+\.\d+\.\d+$/);
      expect(manifest.dependencies['openpgp']).to.equal(locked);
      const installed = JSON.parse(fs.readFileSync(fileURLToPath(new URL('../../node_modules/openpgp/package.json', import.meta.url)), 'utf8')) as { version: string };
      expect(installed.version).to.equal(locked);
      expect(atLeast('6.1.0', '6.1.1')).to.equal(false);
      expect(atLeast('5.11.3', '6.1.1')).to.equal(false);
    });
  });

  // Mocha runs a suite's own tests before its nested suites: this check must come last, in a suite of its own.
  describe('afterwards', () => {
    it('queued nothing but the controls, and audited every refusal', async () => {
      await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
      const delivered = await drainQueue(queueName(gw.settings.amqpPrefix, 'mission-locale-paris'));
      expect(delivered.map((m) => m.properties['messageId']).sort()).to.deep.equal([...accepted].sort());
      expect(await drainQueue(queueName(gw.settings.amqpPrefix, 'ftda-paris'))).to.have.length(0);
      const refusals = gw.logLines.filter((line) => line['message'] === 'request' && line['outcome'] === 'rejected');
      expect(refusals.length).to.be.greaterThan(25);
    });
  });
});
