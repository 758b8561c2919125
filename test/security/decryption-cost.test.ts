/**
 * Decryption cost bombs: messages that stay under the body limit but make the gateway work for seconds
 * before any signature is checked, and the crypto pool's defences against a partner that floods it.
 *
 * Each message attack is posted with OFII's client certificate to a real gateway (its crypto on
 * worker threads) and must get its problem code with nothing stored; the same message is also opened
 * on this thread, where the private-key operations openpgp attempts are counted and the CPU time is
 * measured: the work must be refused before any of them, not merely answered in the end.
 *
 * Before the session-key checks (src/crypto/session-keys.ts), the bomb below took as many private-key
 * operations as it has packets: under a body limit of 1 MiB, 10,807 corrupted session-key packets for
 * the gateway's Curve25519 key took 11.3 s of CPU; with an RSA-3072 gateway key, 327 packets
 * (128 KiB) took 19 s.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import * as openpgp from 'openpgp';
import { PacketList, PublicKeyEncryptedSessionKeyPacket } from 'openpgp';
import type { AnyPacket, PrivateKey, PublicKey } from 'openpgp';
import { readPrivateKey, readPublicKeys } from '../../src/crypto/keys.js';
import { openFromPartner } from '../../src/crypto/open.js';
import { createCryptoPool, type CryptoPoolLog } from '../../src/crypto/worker-pool.js';
import { PROBLEM_CATALOGUE, isGatewayError, type ProblemCode } from '../../src/domain/errors.js';
import { EXAMPLE_CERTS, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { GnupgHome } from '../fixtures/gpg.js';
import { bytesOf, example, partner, post, type Json } from '../fixtures/partner.js';
import { nativePrivateKeyOperations } from '../../src/crypto/session-key-unwrap.js';

const MAX_DOCUMENT_BYTES = 1 << 20;

/**
 * Counts the PKESK decryptions attempted on this thread (each one a private-key operation): openpgp's,
 * and those of the gateway's native path for its Curve25519Legacy key (src/crypto/session-key-unwrap.ts).
 */
class DecryptionCounter {
  private openpgpAttempts = 0;
  private nativeAtStart = nativePrivateKeyOperations();

  get attempts(): number {
    return this.openpgpAttempts + nativePrivateKeyOperations() - this.nativeAtStart;
  }

  set attempts(value: number) {
    this.openpgpAttempts = value;
    this.nativeAtStart = nativePrivateKeyOperations();
  }

  private readonly original = (PublicKeyEncryptedSessionKeyPacket.prototype as unknown as { decrypt: (...args: unknown[]) => unknown }).decrypt;

  install(): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const counter = this as unknown as { openpgpAttempts: number };
    const original = this.original;
    (PublicKeyEncryptedSessionKeyPacket.prototype as unknown as { decrypt: (...args: unknown[]) => unknown }).decrypt = function (this: unknown, ...args: unknown[]) {
      counter.openpgpAttempts++;
      return original.apply(this, args);
    };
  }

  remove(): void {
    (PublicKeyEncryptedSessionKeyPacket.prototype as unknown as { decrypt: unknown }).decrypt = this.original;
  }
}

describe('@integration security: decryption cost bombs', function () {
  this.timeout(180_000);
  let gw: TestGateway;
  let gpg: GnupgHome;
  let gatewaySecret: PrivateKey;
  let ofiiKeys: PublicKey[];
  let ofiiFpr: string;
  let gatewayFpr: string;
  let missionLocaleFpr: string;
  let outsiderFpr: string;
  const counter = new DecryptionCounter();

  /** A fresh orientation from OFII (to Mission Locale) and its bytes. */
  function orientation(): { id: string; bytes: Uint8Array } {
    const document = example('orientation');
    return { id: document['header']['messageId'] as string, bytes: bytesOf(document) };
  }

  /** `gpg --sign --encrypt` by OFII to the gateway, plus `extra` options. */
  async function gpgSealed(document: Uint8Array, extra: string[] = []): Promise<Buffer> {
    return (await gpg.run(['--trust-model', 'always', '-u', ofiiFpr, '-r', gatewayFpr, ...extra, '--sign', '--encrypt'], { stdin: document })).stdout;
  }

  /**
   * An honest message from OFII whose one session-key packet is repeated `copies` times (as many as the
   * body limit allows when absent), each copy's encrypted session key altered (`corrupt`) or not: what
   * an attacker builds from any message it sent.
   */
  async function withSessionKeyCopies(document: Uint8Array, copies: number | undefined, corrupt: boolean): Promise<Uint8Array> {
    const ofii = await partner('ofii-paris');
    const signed = await openpgp.sign({ message: await openpgp.createMessage({ binary: document }), signingKeys: ofii.privateKey, format: 'object' });
    const sealed = await openpgp.encrypt({ message: signed, encryptionKeys: ofii.gatewayKeys, format: 'object' });
    const [pkesk, ...rest] = [...sealed.packets];
    const one = (pkesk as PublicKeyEncryptedSessionKeyPacket).write();
    const list = new PacketList<AnyPacket>();
    // Each copy takes its body and a two-octet header; the rest of the message stays under 4 KiB.
    const count = copies ?? Math.floor((gw.settings.maxBodyBytes - 4096) / (one.length + 2));
    for (let i = 0; i < count; i++) {
      const bytes = one.slice();
      // The last octets are the wrapped session key (RFC 9580 section 5.1.6): altered, it unwraps to nothing.
      if (corrupt) bytes[bytes.length - 5] ^= 0xff;
      const copy = new PublicKeyEncryptedSessionKeyPacket();
      copy.read(bytes);
      list.push(copy);
    }
    list.push(...rest);
    return list.write();
  }

  /** Opens `message` on this thread as the gateway does, counting private-key operations and CPU time. */
  async function openHere(message: Uint8Array): Promise<{ code: string | undefined; message: string; attempts: number; cpuMs: number }> {
    counter.attempts = 0;
    const before = process.cpuUsage();
    let code: string | undefined;
    let text = 'opened';
    try {
      await openFromPartner({ message, decryptionKey: gw.trust.gateway.decryptionKeys, senderKeys: ofiiKeys, knownKeys: [...gw.trust.registry.partners.keys()].flatMap((id) => gw.trust.partner(id)?.publicKeys ?? []), maxDocumentBytes: MAX_DOCUMENT_BYTES });
    } catch (err) {
      code = isGatewayError(err) ? err.code : 'unexpected';
      text = (err as Error).message;
    }
    const used = process.cpuUsage(before);
    return { code, message: text, attempts: counter.attempts, cpuMs: (used.user + used.system) / 1000 };
  }

  /** Posts as OFII; expects `code` and nothing stored under `id`. */
  async function refusedOverHttp(id: string, body: Uint8Array, code: ProblemCode): Promise<Json> {
    const answer = await post(gw.baseUrl, 'ofii-paris', body, 'application/octet-stream');
    const problem = answer.body as Json;
    expect(answer.status, JSON.stringify(problem)).to.equal(PROBLEM_CATALOGUE[code].status);
    expect(problem['code']).to.equal(code);
    expect(await gw.store.findMessage(id)).to.equal(undefined);
    return problem;
  }

  before(async () => {
    const read = (file: string) => fs.readFileSync(path.join(EXAMPLE_CERTS, file), 'utf8');
    gatewaySecret = await readPrivateKey({ armored: read('gateway/openpgp.key.asc'), source: 'gateway/openpgp.key.asc' });
    ofiiKeys = await readPublicKeys({ armored: read('partners/ofii-paris/openpgp.asc'), source: 'ofii-paris' });
    ofiiFpr = ofiiKeys[0]!.getFingerprint().toUpperCase();
    gatewayFpr = gatewaySecret.getFingerprint().toUpperCase();
    missionLocaleFpr = (await readPublicKeys({ armored: read('partners/mission-locale-paris/openpgp.asc'), source: 'mission-locale-paris' }))[0]!.getFingerprint().toUpperCase();
    const outsider = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Not a partner' }], format: 'armored' });
    outsiderFpr = (await openpgp.readKey({ armoredKey: outsider.publicKey })).getFingerprint().toUpperCase();
    gpg = await GnupgHome.create();
    await gpg.importKeys(read('partners/ofii-paris/openpgp.key.asc'), read('gateway/openpgp.asc'), read('partners/mission-locale-paris/openpgp.asc'), outsider.publicKey);
    gw = await startTestGateway({ PASSERELLE_RATE_LIMIT_BURST: '100000', PASSERELLE_RATE_LIMIT_PER_MINUTE: '1000000' });
    counter.install();
  });

  after(async () => {
    counter.remove();
    try {
      await gw?.dispose();
    } finally {
      await gpg?.remove();
    }
  });

  describe('messages', () => {
    it('control: OFII encrypts to the gateway, to Mission Locale (the final recipient) and to itself: accepted, after one private-key operation', async () => {
      const { id, bytes } = orientation();
      const message = await gpgSealed(bytes, ['-r', missionLocaleFpr, '--encrypt-to', ofiiFpr]);
      const here = await openHere(message);
      expect(here.code, here.message).to.equal(undefined);
      expect(here.attempts).to.equal(1);
      const answer = await post(gw.baseUrl, 'ofii-paris', message, 'application/octet-stream');
      expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
      expect(await gw.store.findMessage(id)).to.not.equal(undefined);
    });

    it('PKESK bomb: as many corrupted session-key packets for the gateway key as the body limit holds: refused before any private-key operation', async () => {
      const { id, bytes } = orientation();
      const bomb = await withSessionKeyCopies(bytes, undefined, true);
      expect(bomb.length).to.be.lessThan(gw.settings.maxBodyBytes);
      expect(bomb.length).to.be.greaterThan(gw.settings.maxBodyBytes - 8192);
      const here = await openHere(bomb);
      expect(here.attempts, 'private-key operations').to.equal(0);
      // Generous against noise, and far below what such a message cost before the check: about a
      // millisecond of CPU per packet (11 s for the 10,807 packets of 1 MiB).
      expect(here.cpuMs, 'CPU ms').to.be.lessThan(250);
      expect(here.code).to.equal('malformed_message');
      expect(here.message).to.contain('more than 8 session-key packets');
      const problem = await refusedOverHttp(id, bomb, 'malformed_message');
      expect(problem['detail']).to.contain('session-key packets');
    });

    it('repeated session-key packet: the valid PKESK for the gateway key, 8 times (each copy a private-key operation): refused before any', async () => {
      const { id, bytes } = orientation();
      const repeated = await withSessionKeyCopies(bytes, 8, false);
      const here = await openHere(repeated);
      expect(here.attempts, 'private-key operations').to.equal(0);
      expect(here.code).to.equal('malformed_message');
      expect(here.message).to.contain('several session-key packets for key ID');
      await refusedOverHttp(id, repeated, 'malformed_message');
    });

    it('anonymous recipient: a wildcard key ID (gpg --throw-keyids), which openpgp tries against every gateway key: refused before any private-key operation', async () => {
      const { id, bytes } = orientation();
      const hidden = await gpgSealed(bytes, ['--throw-keyids']);
      const here = await openHere(hidden);
      expect(here.attempts, 'private-key operations').to.equal(0);
      expect(here.code).to.equal('malformed_message');
      const problem = await refusedOverHttp(id, hidden, 'malformed_message');
      expect(problem['detail']).to.contain('anonymous recipient');
    });

    it("unknown key ID: also encrypted to a key that is neither the gateway's nor a registered partner's: refused before any private-key operation", async () => {
      const { id, bytes } = orientation();
      const leaked = await gpgSealed(bytes, ['-r', outsiderFpr]);
      const here = await openHere(leaked);
      expect(here.attempts, 'private-key operations').to.equal(0);
      expect(here.code).to.equal('malformed_message');
      const problem = await refusedOverHttp(id, leaked, 'malformed_message');
      expect(problem['detail']).to.contain("neither the gateway's nor a registered partner's key");
    });
  });

  describe('the crypto pool', () => {
    /** OFII's message to an ECC gateway key generated here, and a message whose document is `megabytes` of zeros compressed. */
    async function pair(megabytes: number) {
      const keys = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'gateway' }], format: 'object' });
      const ofii = await partner('ofii-paris');
      const seal = async (document: Uint8Array) =>
        openpgp.encrypt({
          message: await openpgp.sign({ message: await openpgp.createMessage({ binary: document }), signingKeys: ofii.privateKey, format: 'object' }),
          encryptionKeys: keys.publicKey,
          format: 'binary',
          config: { preferredCompressionAlgorithm: openpgp.enums.compression.zlib },
        });
      return { gatewayKey: keys.privateKey, small: await seal(new TextEncoder().encode('{"header":{},"body":{}}')), heavy: megabytes > 0 ? await seal(new Uint8Array(megabytes << 20)) : new Uint8Array() };
    }

    it('over budget: a task that runs past its time budget has its worker terminated and replaced, is answered 503 and logged, and the pool keeps serving', async () => {
      // 64 MiB of zeros under a document limit raised to let it through: about 8 s of one core to
      // decompress and hash, against a budget of 1 s; an honest message takes a few milliseconds.
      const { gatewayKey, small, heavy } = await pair(64);
      const logged: Array<{ event: string; fields: Parameters<CryptoPoolLog['warn']>[1] }> = [];
      const pool = createCryptoPool({ size: 1, taskBudgetMs: 1_000, log: { warn: (event, fields) => logged.push({ event, fields }) } });
      try {
        const open = (message: Uint8Array, partnerId: string, maxDocumentBytes = MAX_DOCUMENT_BYTES) =>
          pool.openFromPartner({ message, decryptionKey: gatewayKey, senderKeys: ofiiKeys, maxDocumentBytes, partner: partnerId });
        const [bomb, beside] = await Promise.allSettled([open(heavy, 'ofii-paris', 256 << 20), open(small, 'france-travail-paris')]);
        expect(bomb.status).to.equal('rejected');
        const error = (bomb as PromiseRejectedResult).reason as Error & { code: string; retryAfterSeconds?: number };
        expect(error.code, error.message).to.equal('unavailable');
        expect(PROBLEM_CATALOGUE.unavailable.status).to.equal(503);
        expect(error.message).to.contain('took more than 1000 ms');
        // The task that ran beside it on the same worker did nothing wrong: it completed (or was run again).
        expect(beside.status, String((beside as PromiseRejectedResult).reason)).to.equal('fulfilled');
        expect(logged).to.have.length(1);
        expect(logged[0]!.event).to.equal('crypto task over budget');
        expect(logged[0]!.fields).to.include({ component: 'crypto-pool', partner: 'ofii-paris', outcome: 'abandoned' });
        expect(logged[0]!.fields.reason).to.contain('terminated and replaced');
        // The replacement worker serves the next messages.
        for (let i = 0; i < 3; i++) expect((await open(small, 'ofii-paris')).signerFingerprint).to.equal(ofiiKeys[0]!.getFingerprint().toLowerCase());
      } finally {
        await pool.close();
      }
    });

    it("flood: one partner's 40 messages at once delay another partner's message by one turn, not by the 40, and fill only that partner's share", async () => {
      const { gatewayKey, small } = await pair(0);
      // One worker (4 tasks at a time) and a share of 32 waiting tasks per partner.
      const pool = createCryptoPool({ size: 1, partnerQueueLimit: 32 });
      try {
        const open = (partnerId: string) => pool.openFromPartner({ message: small, decryptionKey: gatewayKey, senderKeys: ofiiKeys, maxDocumentBytes: MAX_DOCUMENT_BYTES, partner: partnerId });
        let floodDone = 0;
        const flood = Array.from({ length: 40 }, () => open('ofii-paris').then(() => floodDone++));
        let floodDoneBefore = -1;
        const other = open('france-travail-paris').then(() => {
          floodDoneBefore = floodDone;
        });
        const outcomes = await Promise.allSettled([...flood, other]);
        // The other partner's message was taken and opened although OFII's share was full.
        expect(outcomes.at(-1)!.status).to.equal('fulfilled');
        const refused = outcomes.slice(0, 40).filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason as Error & { code: string });
        // 4 running, 32 waiting in OFII's lane: the 4 others are refused, with words for OFII.
        expect(refused).to.have.length(4);
        for (const err of refused) {
          expect(err.code).to.equal('unavailable');
          expect(err.message).to.contain('the most it queues for one partner');
        }
        // Served in turn: the message came after at most the 4 running, one of OFII's turns and the 3
        // that ran beside it; first come first served, it would have come after all 36.
        expect(floodDoneBefore, 'OFII messages opened before the other partner\'s').to.be.within(0, 8);
      } finally {
        await pool.close();
      }
    });
  });
});
