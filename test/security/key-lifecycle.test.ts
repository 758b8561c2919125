/**
 * Security regressions of the OpenPGP key lifecycle, through the HTTP path of a running gateway: a
 * partner rotates or loses a key, the gateway rotates its own, and everything is applied without a
 * restart (file watch of the trust directory, and SIGHUP for `passerelle serve`).
 *
 * Partners are played by the real GnuPG (new keys, GnuPG's own revocation certificates, sealing to
 * a chosen gateway key, decrypting a delivery, verifying receipts and checkpoints); the gateway runs
 * on a private copy of the example trust directory, whose files the tests edit as an operator would.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import * as openpgp from 'openpgp';
import type { PublishedCheckpoint } from '../../src/audit/checkpoint.js';
import { checkpointBytes } from '../../src/audit/checkpoint.js';
import { queueName } from '../../src/broker/topology.js';
import { requestGateway, type HttpAnswer } from '../../src/client/gateway-client.js';
import { receiptBytes, verifyReceipt, type ReceiptedAnswer } from '../../src/crypto/receipt.js';
import { readPublicKeys } from '../../src/crypto/keys.js';
import { runCli } from '../fixtures/cli.js';
import { deleteTopology, drainQueue, eventually, EXAMPLE_CERTS, PROJECT_ROOT, startTestGateway, uniquePrefix, type TestGateway } from '../fixtures/gateway.js';
import { GnupgHome, hasStatus, validSignatures } from '../fixtures/gpg.js';
import { bytesOf, example, partner, post, type Json } from '../fixtures/partner.js';

const OFII_KEYS = path.join('partners', 'ofii-paris', 'openpgp.asc');
const MISSION_LOCALE_KEYS = path.join('partners', 'mission-locale-paris', 'openpgp.asc');

/** A new key made by GnuPG in `home`, as a partner makes its next key; returns its fingerprint (upper-case hex). */
async function gpgNewKey(home: GnupgHome, uid: string): Promise<string> {
  const made = await home.run(['--passphrase', '', '--quick-generate-key', uid, 'future-default', 'default', '1y']);
  const created = made.status.find((line) => line.keyword === 'KEY_CREATED');
  return created!.args[1]!;
}

/** `gpg --armor --export fpr…`: one armored block holding every key named. */
async function gpgExport(home: GnupgHome, ...fingerprints: string[]): Promise<string> {
  return (await home.run(['--armor', '--export', ...fingerprints])).stdout.toString('utf8');
}

function read(dir: string, relative: string): string {
  return fs.readFileSync(path.join(dir, relative), 'utf8');
}

describe('@integration security: OpenPGP key lifecycle (rotation and revocation without restart)', function () {
  this.timeout(180_000);
  let trustDir: string;
  let work: string;
  let gw: TestGateway;
  let ofii: GnupgHome;
  let gatewayFpr: string;
  let ofiiOldFpr: string;
  let ofiiNewFpr: string;
  let originalOfiiKeys: string;

  /** `gpg --sign --encrypt` of a fresh orientation by OFII's key `signer`, to the gateway key `to`. */
  async function gpgOrientation(signer: string, to = gatewayFpr, header: Json = {}): Promise<{ id: string; sealed: Buffer }> {
    const document = example('orientation', header);
    const sealed = (await ofii.run(['--trust-model', 'always', '-u', signer, '-r', to, '--sign', '--encrypt'], { stdin: bytesOf(document) })).stdout;
    return { id: document['header']['messageId'] as string, sealed };
  }

  async function postAsOfii(sealed: Uint8Array | string): Promise<HttpAnswer> {
    return post(gw.baseUrl, 'ofii-paris', sealed, typeof sealed === 'string' ? 'application/pgp-encrypted' : 'application/octet-stream');
  }

  function expectAccepted(answer: HttpAnswer): ReceiptedAnswer {
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    return answer.body as ReceiptedAnswer;
  }

  function expectRefused(answer: HttpAnswer, code: string): Json {
    const body = answer.body as Json;
    expect(body['code'], JSON.stringify(body)).to.equal(code);
    return body;
  }

  /** Writes a key file as an operator would with `install` or an editor: a temporary name, then a rename. */
  function replaceKeys(relative: string, armored: string): void {
    const target = path.join(trustDir, relative);
    fs.writeFileSync(`${target}.new`, armored);
    fs.renameSync(`${target}.new`, target);
  }

  async function reload(): Promise<void> {
    const outcome = await gw.reloadTrust();
    expect(outcome, JSON.stringify(gw.logLines.filter((l) => l['level'] === 'error'))).not.to.equal(undefined);
  }

  before(async () => {
    trustDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-keys-'));
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-keys-work-'));
    fs.cpSync(EXAMPLE_CERTS, trustDir, { recursive: true });
    originalOfiiKeys = read(trustDir, OFII_KEYS);
    gatewayFpr = (await openpgp.readKey({ armoredKey: read(trustDir, 'gateway/openpgp.asc') })).getFingerprint().toUpperCase();
    ofiiOldFpr = (await openpgp.readKey({ armoredKey: originalOfiiKeys })).getFingerprint().toUpperCase();
    ofii = await GnupgHome.create();
    await ofii.importKeys(read(trustDir, 'partners/ofii-paris/openpgp.key.asc'), read(trustDir, 'gateway/openpgp.asc'));
    ofiiNewFpr = await gpgNewKey(ofii, 'OFII Paris 2027 <ofii-paris@passerelle.example>');
    gw = await startTestGateway({ PASSERELLE_CERTS_DIR: trustDir });
  });

  after(async () => {
    await gw?.dispose();
    await ofii?.remove();
    for (const dir of [trustDir, work]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('partner keys', () => {
    afterEach(async () => {
      replaceKeys(OFII_KEYS, originalOfiiKeys);
      await reload();
    });

    it('rotation without downtime: during the overlap, messages signed by the old key and by the new key are both accepted', async () => {
      const beforeRotation = await gpgOrientation(ofiiNewFpr);
      expect(expectRefused(await postAsOfii(beforeRotation.sealed), 'signature_invalid')['detail']).to.contain('not registered for the sender');

      replaceKeys(OFII_KEYS, await gpgExport(ofii, ofiiOldFpr, ofiiNewFpr));
      await reload();
      expect(gw.trust.partner('ofii-paris')!.publicKeys.map((k) => k.getFingerprint().toUpperCase())).to.deep.equal([ofiiNewFpr, ofiiOldFpr]);
      expectAccepted(await postAsOfii((await gpgOrientation(ofiiOldFpr)).sealed));
      expectAccepted(await postAsOfii((await gpgOrientation(ofiiNewFpr)).sealed));
    });

    it('a message signed by an expired key of the partner is refused (signature back-dated into its validity), while its new key is accepted', async () => {
      const now = Date.now();
      const { privateKey: expired } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'OFII short-lived' }], date: new Date(now - 20_000), keyExpirationTime: 10, format: 'object' });
      replaceKeys(OFII_KEYS, `${await gpgExport(ofii, ofiiNewFpr)}\n${expired.toPublic().armor()}`);
      await reload();
      const document = example('orientation');
      // Signed 15 s ago, when the key was still valid: only a check of the key at the time of use refuses it.
      const signedWhenValid = await openpgp.sign({ message: await openpgp.createMessage({ binary: bytesOf(document) }), signingKeys: expired, date: new Date(now - 15_000), format: 'object' });
      const sealed = await openpgp.encrypt({ message: signedWhenValid, encryptionKeys: await openpgp.readKey({ armoredKey: read(trustDir, 'gateway/openpgp.asc') }), format: 'binary' });
      expect(expectRefused(await postAsOfii(sealed), 'signature_invalid')['detail']).to.match(/expired/);
      expect(await gw.store.findMessage(document['header']['messageId'] as string)).to.equal(undefined);
      expectAccepted(await postAsOfii((await gpgOrientation(ofiiNewFpr)).sealed));
    });

    it("a key revoked with GnuPG's own revocation certificate (openpgp-revocs.d/<fpr>.rev) is refused once the file changes (file watch), without restart", async () => {
      const doomed = await gpgNewKey(ofii, 'OFII Paris lost laptop <ofii-paris@passerelle.example>');
      replaceKeys(OFII_KEYS, await gpgExport(ofii, ofiiOldFpr, doomed));
      await reload();
      const signedBefore = await gpgOrientation(doomed);
      expectAccepted(await postAsOfii((await gpgOrientation(doomed)).sealed));

      // GnuPG wrote a revocation certificate when it made the key; importing it revokes the key.
      const certificate = fs.readFileSync(path.join(ofii.dir, 'openpgp-revocs.d', `${doomed}.rev`), 'utf8').replace(/^:-----BEGIN/m, '-----BEGIN');
      await ofii.importKeys(certificate);
      const revokedExport = await gpgExport(ofii, ofiiOldFpr, doomed);
      // A plain overwrite, no reload call: the gateway's watch of the trust directory must see it.
      fs.writeFileSync(path.join(trustDir, OFII_KEYS), revokedExport);
      await eventually(async () => (gw.trust.partner('ofii-paris')!.publicKeys.some((k) => k.getFingerprint().toUpperCase() === doomed) ? undefined : true));

      const refusal = expectRefused(await postAsOfii(signedBefore.sealed), 'signature_invalid');
      expect(refusal['detail']).to.match(/revoked/);
      expect(await gw.store.findMessage(signedBefore.id)).to.equal(undefined);
      expect(gw.trust.partner('ofii-paris')!.keyRing.find((entry) => entry.fingerprint.toUpperCase() === doomed)?.revoked).to.equal(true);
      expect(gw.logLines.some((l) => l['message'] === 'trust keys reloaded' && String(l['reason']).includes(`ofii-paris ${doomed.toLowerCase()}`))).to.equal(true);
      expectAccepted(await postAsOfii((await gpgOrientation(ofiiOldFpr)).sealed));
    });

    it('a broken openpgp.asc on reload keeps the previous keys and logs one error naming the file', async () => {
      replaceKeys(OFII_KEYS, await gpgExport(ofii, ofiiOldFpr, ofiiNewFpr));
      await reload();
      const errorsBefore = gw.logLines.filter((l) => l['level'] === 'error').length;
      // A copy cut short (disk full, interrupted transfer): half of the armored export.
      const exported = await gpgExport(ofii, ofiiOldFpr, ofiiNewFpr);
      replaceKeys(OFII_KEYS, exported.slice(0, Math.floor(exported.length / 2)));
      expect(await gw.reloadTrust()).to.equal(undefined);
      const errors = gw.logLines.filter((l) => l['level'] === 'error').slice(errorsBefore);
      expect(errors.length).to.be.greaterThan(0);
      expect(errors.every((l) => l['message'] === 'trust keys not reloaded; the previous keys stay in force' && String(l['reason']).includes(path.join(trustDir, OFII_KEYS)))).to.equal(true);
      expectAccepted(await postAsOfii((await gpgOrientation(ofiiOldFpr)).sealed));
      expectAccepted(await postAsOfii((await gpgOrientation(ofiiNewFpr)).sealed));
    });
  });

  describe('recipient keys', () => {
    let missionLocaleOld: GnupgHome;
    let missionLocaleNew: GnupgHome;
    let originalMissionLocaleKeys: string;

    before(async () => {
      originalMissionLocaleKeys = read(trustDir, MISSION_LOCALE_KEYS);
      missionLocaleOld = await GnupgHome.create();
      await missionLocaleOld.importKeys(read(trustDir, 'partners/mission-locale-paris/openpgp.key.asc'), originalOfiiKeys);
      missionLocaleNew = await GnupgHome.create();
      await missionLocaleNew.importKeys(originalOfiiKeys);
    });

    after(async () => {
      replaceKeys(MISSION_LOCALE_KEYS, originalMissionLocaleKeys);
      await reload();
      await missionLocaleOld?.remove();
      await missionLocaleNew?.remove();
    });

    it('delivery is sealed to the newest valid key only: GnuPG holding only the new secret key decrypts it, the old secret key cannot', async () => {
      const newFpr = await gpgNewKey(missionLocaleNew, 'Mission locale 2027 <mission-locale-paris@passerelle.example>');
      replaceKeys(MISSION_LOCALE_KEYS, `${originalMissionLocaleKeys}\n${await gpgExport(missionLocaleNew, newFpr)}`);
      await reload();
      const queue = queueName(gw.settings.amqpPrefix, 'mission-locale-paris');
      await drainQueue(queue);
      const document = example('orientation');
      expectAccepted(await postAsOfii((await gpgOrientation(ofiiOldFpr, gatewayFpr, document['header'])).sealed));
      const [delivered] = await eventually(async () => {
        const messages = await drainQueue(queue);
        return messages.length > 0 ? messages : undefined;
      });
      const opened = await missionLocaleNew.run(['--decrypt'], { stdin: delivered!.body });
      expect(validSignatures(opened.status)[0]?.primaryFingerprint).to.equal(ofiiOldFpr);
      expect(JSON.parse(opened.stdout.toString('utf8'))['header']['messageId']).to.equal(document['header']['messageId']);
      const withOldKey = await missionLocaleOld.run(['--decrypt'], { stdin: delivered!.body, allowFailure: true });
      expect(withOldKey.code).not.to.equal(0);
      expect(hasStatus(withOldKey.status, 'NO_SECKEY') || hasStatus(withOldKey.status, 'DECRYPTION_FAILED')).to.equal(true);
    });

    it('a recipient whose every key is revoked: the gateway keeps running, refuses to deliver to it (recipient_not_allowed) and refuses what it signed (signature_invalid)', async () => {
      const mlView = await partner('mission-locale-paris');
      const ack = example('acknowledgement', { sender: 'mission-locale-paris', recipient: 'ofii-paris' });
      const signedByMl = await openpgp.encrypt({
        message: await openpgp.sign({ message: await openpgp.createMessage({ binary: bytesOf(ack) }), signingKeys: mlView.privateKey, format: 'object' }),
        encryptionKeys: mlView.gatewayKeys,
        format: 'binary',
      });
      const { publicKey: revoked } = await openpgp.revokeKey({ key: mlView.privateKey, format: 'armored' });
      replaceKeys(MISSION_LOCALE_KEYS, revoked);
      await reload();
      expect(gw.logLines.some((l) => l['message'] === 'trust key warning' && /Partner mission-locale-paris has no valid OpenPGP key/.test(String(l['reason'])))).to.equal(true);

      const toMl = await gpgOrientation(ofiiOldFpr);
      expect(expectRefused(await postAsOfii(toMl.sealed), 'recipient_not_allowed')['detail']).to.contain('mission-locale-paris');
      const fromMl = await post(gw.baseUrl, 'mission-locale-paris', signedByMl, 'application/octet-stream');
      expect(expectRefused(fromMl, 'signature_invalid')['detail']).to.match(/no valid OpenPGP key/);
      expect(fromMl.status).to.equal(400);
    });
  });

  describe("the gateway's own key", () => {
    it('rotation with the real CLI: receipts and checkpoints signed before still verify (passerelle audit verify, gpg --verify against the published openpgp.asc); a message sealed to the old key is still accepted', async () => {
      const env = { PASSERELLE_CERTS_DIR: trustDir, PASSERELLE_DATA_DIR: path.join(work, 'auditor'), PASSERELLE_PORT: String(gw.port) };
      const before = expectAccepted(await postAsOfii((await gpgOrientation(ofiiOldFpr)).sealed));
      const exportBefore = path.join(work, 'before.json');
      const exported = await runCli(['audit', 'export', '--out', exportBefore], env);
      expect(exported.code, exported.stderr).to.equal(0);
      const checkpointBefore = (JSON.parse(fs.readFileSync(exportBefore, 'utf8')) as { checkpoint: PublishedCheckpoint }).checkpoint;

      const rotated = await runCli(['pki', 'rotate-gateway-key', '--dir', trustDir], {});
      expect(rotated.code, rotated.stderr).to.equal(0);
      // No reload call: the file watch hands the new key to the running gateway.
      const newFpr = await eventually(async () => (gw.trust.gateway.fingerprint.toUpperCase() !== gatewayFpr ? gw.trust.gateway.fingerprint.toUpperCase() : undefined));
      expect(rotated.stdout).to.contain(newFpr).and.contain(gatewayFpr);
      expect(gw.trust.gateway.decryptionKeys.map((k) => k.getFingerprint().toUpperCase())).to.deep.equal([newFpr, gatewayFpr]);

      // Sealed by OFII to the old gateway key during the overlap: accepted; the receipt is by the new key.
      const after = expectAccepted(await postAsOfii((await gpgOrientation(ofiiOldFpr, gatewayFpr)).sealed));

      // The auditor's CLI, holding only the published openpgp.asc: the pre-rotation export verifies.
      const verified = await runCli(['audit', 'verify', '--export', exportBefore], env);
      expect(verified.code, verified.stderr).to.equal(0);
      expect(verified.stdout).to.contain(`checkpoint of ${checkpointBefore.treeSize} entries`);
      const live = await runCli(['audit', 'verify', '--live'], env);
      expect(live.code, live.stderr).to.equal(0);

      // GnuPG with the published openpgp.asc only: the old receipt and checkpoint by the old key, the new receipt by the new key.
      const auditor = await GnupgHome.create();
      try {
        await auditor.importKeys(read(trustDir, 'gateway/openpgp.asc'));
        const gpgVerify = async (data: Uint8Array, signature: string, name: string) => {
          fs.writeFileSync(path.join(work, `${name}.bytes`), data);
          fs.writeFileSync(path.join(work, `${name}.asc`), signature);
          const result = await auditor.run(['--verify', path.join(work, `${name}.asc`), path.join(work, `${name}.bytes`)]);
          return validSignatures(result.status)[0]?.primaryFingerprint;
        };
        expect(await gpgVerify(receiptBytes(before), before.receipt, 'receipt-before')).to.equal(gatewayFpr);
        expect(await gpgVerify(checkpointBytes(checkpointBefore), checkpointBefore.signature, 'checkpoint-before')).to.equal(gatewayFpr);
        expect(await gpgVerify(receiptBytes(after), after.receipt, 'receipt-after')).to.equal(newFpr);
      } finally {
        await auditor.remove();
      }

      // The library a partner uses: the published set verifies both; the new key alone does not verify the old receipt.
      const published = await readPublicKeys({ armored: read(trustDir, 'gateway/openpgp.asc'), source: 'gateway/openpgp.asc' });
      await verifyReceipt(before, published);
      await verifyReceipt(after, published);
      const onlyNew = published.filter((k) => k.getFingerprint().toUpperCase() === newFpr);
      let refused: unknown;
      await verifyReceipt(before, onlyNew).catch((err: unknown) => (refused = err));
      expect((refused as { code?: string })?.code).to.equal('receipt_invalid');
    });
  });

  it('SIGHUP: `passerelle serve` applies a partner key revocation without a restart', async () => {
    const serveTrust = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-keys-serve-'));
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-keys-data-'));
    const prefix = uniquePrefix();
    fs.cpSync(EXAMPLE_CERTS, serveTrust, { recursive: true });
    const doomed = await gpgNewKey(ofii, 'OFII Paris stolen token <ofii-paris@passerelle.example>');
    fs.writeFileSync(path.join(serveTrust, OFII_KEYS), await gpgExport(ofii, ofiiOldFpr, doomed));
    let stderr = '';
    let stdout = '';
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'passerelle.js'), 'serve'], {
      env: { PATH: process.env['PATH'] ?? '', HOME: os.tmpdir(), PASSERELLE_CERTS_DIR: serveTrust, PASSERELLE_DATA_DIR: dataDir, PASSERELLE_PORT: '0', PASSERELLE_AMQP_PREFIX: prefix, PASSERELLE_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      await eventually(async () => (/listening on https:\/\/127\.0\.0\.1:\d+/.test(stderr) ? true : undefined), 30_000);
      const baseUrl = `https://127.0.0.1:${/127\.0\.0\.1:(\d+)/.exec(stderr)![1]}`;
      const view = await partner('ofii-paris');
      const postTo = async (sealed: Buffer) => requestGateway({ baseUrl, tls: view.tls, method: 'POST', path: '/v1/messages', body: sealed, contentType: 'application/octet-stream' });
      expect((await postTo((await gpgOrientation(doomed)).sealed)).status).to.equal(202);
      const pending = await gpgOrientation(doomed);

      const certificate = fs.readFileSync(path.join(ofii.dir, 'openpgp-revocs.d', `${doomed}.rev`), 'utf8').replace(/^:-----BEGIN/m, '-----BEGIN');
      await ofii.importKeys(certificate);
      // The file watch may see the write before the signal: SIGHUP must then be harmless (one more
      // reload) and the process must keep running.
      fs.writeFileSync(path.join(serveTrust, OFII_KEYS), await gpgExport(ofii, ofiiOldFpr, doomed));
      child.kill('SIGHUP');
      await eventually(async () => ((await postTo((await gpgOrientation(ofiiOldFpr)).sealed)).status === 202 && /trust keys reloaded/.test(stdout) ? true : undefined), 10_000);
      const refused = await postTo(pending.sealed);
      expect(refused.status).to.equal(400);
      expect((refused.body as Json)['code']).to.equal('signature_invalid');
      expect(child.exitCode).to.equal(null);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      fs.rmSync(serveTrust, { recursive: true, force: true });
      fs.rmSync(dataDir, { recursive: true, force: true });
      await deleteTopology(prefix).catch(() => undefined);
    }
  });
});
