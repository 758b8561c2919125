/**
 * Brainpool keys, which the crypto policy accepts (src/crypto/policy.ts, RGS annex B1 lists the
 * brainpool curves), end to end: a partner whose OpenPGP key is brainpoolP256r1, made by GnuPG, sends
 * a message through a real gateway to a recipient whose key is brainpoolP256r1 too, and the recipient's
 * GnuPG verifies the sender's signature.
 *
 * openpgp 6.3.2 signs and verifies ECDSA over brainpool curves with Node's crypto, through the
 * `eckey-utils` package it requires at run time (and lists only as a development dependency of its
 * own): the gateway needs it to read a brainpool key (its self-signatures) and to verify a brainpool
 * signature. That is why the project depends on a package it never imports (docs/dependencies.md);
 * the second test below proves that openpgp still needs it, so that the day it does not, the
 * dependency can go.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { drainQueue, eventually, EXAMPLE_CERTS, PROJECT_ROOT, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { GnupgHome, validSignatures } from '../fixtures/gpg.js';
import { bytesOf, example, post } from '../fixtures/partner.js';

const run = promisify(execFile);

/** RFC 9580 section 9.1: ECDSA. */
const ECDSA = 19;

/**
 * A preload that makes `eckey-utils` impossible to load, as if it were not installed, for the
 * processes started with it (node --require): openpgp loads it with a CommonJS require at the first
 * brainpool signature. Module._load, not Module._resolveFilename, which tsx's loader goes around.
 */
const WITHOUT_ECKEY_UTILS = `const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'eckey-utils') {
    const error = new Error("Cannot find module 'eckey-utils'");
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return load.call(this, request, ...rest);
};
`;

describe('@integration crypto: brainpool partner keys, end to end', function () {
  this.timeout(180_000);
  let gpg: GnupgHome;
  let trustDir: string;
  let gw: TestGateway;
  let ofiiFpr: string;
  let missionLocaleFpr: string;
  let gatewayFpr: string;

  /** A brainpoolP256r1 key made by GnuPG: ECDSA primary key (sign, certify) and ECDH subkey (encrypt). */
  async function brainpoolKey(uid: string): Promise<string> {
    await gpg.run(['--passphrase', '', '--quick-gen-key', uid, 'brainpoolP256r1', 'sign,cert', 'never']);
    const listing = await gpg.run(['--list-keys', '--with-colons', uid]);
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(listing.stdout.toString())![1]!;
    await gpg.run(['--passphrase', '', '--quick-add-key', fingerprint, 'brainpoolP256r1', 'encr', 'never']);
    return fingerprint;
  }

  before(async () => {
    gpg = await GnupgHome.create();
    const gatewayPublic = fs.readFileSync(path.join(EXAMPLE_CERTS, 'gateway', 'openpgp.asc'), 'utf8');
    await gpg.importKeys(gatewayPublic);
    gatewayFpr = /^fpr:+([0-9A-F]{40}):/m.exec((await gpg.run(['--list-keys', '--with-colons'])).stdout.toString())![1]!;
    ofiiFpr = await brainpoolKey('OFII brainpool <ofii@example.test>');
    missionLocaleFpr = await brainpoolKey('Mission Locale brainpool <ml@example.test>');

    // The example trust directory, with both partners' registered keys replaced by their brainpool keys.
    trustDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-brainpool-'));
    fs.cpSync(EXAMPLE_CERTS, trustDir, { recursive: true });
    for (const [id, fingerprint] of [['ofii-paris', ofiiFpr], ['mission-locale-paris', missionLocaleFpr]] as const) {
      const exported = (await gpg.run(['--armor', '--export', fingerprint])).stdout.toString();
      fs.writeFileSync(path.join(trustDir, 'partners', id, 'openpgp.asc'), exported);
    }
    gw = await startTestGateway({ PASSERELLE_CERTS_DIR: trustDir });
    const registered = gw.trust.partner('ofii-paris')!.publicKeys[0]!;
    expect(registered.getFingerprint().toUpperCase()).to.equal(ofiiFpr);
    expect(registered.getAlgorithmInfo()).to.deep.include({ algorithm: 'ecdsa', curve: 'brainpoolP256r1' });
  });

  after(async () => {
    try {
      await gw?.dispose();
    } finally {
      await gpg?.remove();
      if (trustDir) fs.rmSync(trustDir, { recursive: true, force: true });
    }
  });

  it('a brainpoolP256r1 partner (GnuPG) sends to a brainpoolP256r1 recipient through the gateway, and the recipient verifies it', async () => {
    const document = example('orientation');
    const id = document['header']['messageId'] as string;
    const bytes = bytesOf(document);
    const sealed = (await gpg.run(['--trust-model', 'always', '-u', ofiiFpr, '-r', gatewayFpr, '--sign', '--encrypt'], { stdin: bytes })).stdout;

    const answer = await post(gw.baseUrl, 'ofii-paris', sealed, 'application/octet-stream');
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);

    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    const delivered = (await drainQueue(queueName(gw.settings.amqpPrefix, 'mission-locale-paris'))).filter((m) => m.properties['messageId'] === id);
    expect(delivered).to.have.length(1);

    // Mission Locale's GnuPG decrypts with its brainpool key and verifies OFII's brainpool signature.
    const read = await gpg.run(['--trust-model', 'always', '--decrypt'], { stdin: delivered[0]!.body });
    expect(Buffer.from(read.stdout).equals(Buffer.from(bytes)), 'the document, byte for byte').to.equal(true);
    const signatures = validSignatures(read.status);
    expect(signatures).to.have.length(1);
    expect(signatures[0]).to.include({ primaryFingerprint: ofiiFpr, publicKeyAlgorithm: ECDSA });
    const encryptedTo = read.status.filter((line) => line.keyword === 'ENC_TO').map((line) => line.args[0]);
    const missionLocaleSubkey = /^sub:(?:[^:]*:){3}([0-9A-F]{16}):/m.exec((await gpg.run(['--list-keys', '--with-colons', missionLocaleFpr])).stdout.toString())![1]!;
    expect(encryptedTo).to.deep.equal([missionLocaleSubkey]);
  });

  it('openpgp needs eckey-utils for brainpool: without it (unresolvable), a registered brainpool key cannot even be read (its self-signatures checked)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-no-eckey-'));
    const blocker = path.join(dir, 'without-eckey-utils.cjs');
    fs.writeFileSync(blocker, WITHOUT_ECKEY_UTILS);
    // The registered brainpool key, read and its self-signatures verified, as the gateway does at start.
    const script = [
      "import fs from 'node:fs';",
      "import * as openpgp from 'openpgp';",
      `const key = await openpgp.readKey({ armoredKey: fs.readFileSync(${JSON.stringify(path.join(trustDir, 'partners', 'ofii-paris', 'openpgp.asc'))}, 'utf8') });`,
      'await key.verifyPrimaryKey();',
      "console.log('verified');",
    ].join('\n');
    const node = (preload: string[]) => run(process.execPath, [...preload, '--input-type=module', '-e', script], { cwd: PROJECT_ROOT }).then(
      (done) => ({ ok: true, output: done.stdout + done.stderr }),
      (err: { stdout?: string; stderr?: string }) => ({ ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
    );
    try {
      const installed = await node([]);
      expect(installed, installed.output).to.deep.equal({ ok: true, output: 'verified\n' });
      const missing = await node(['--require', blocker]);
      expect(missing.ok, missing.output).to.equal(false);
      expect(missing.output).to.contain("Cannot find module 'eckey-utils'");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
