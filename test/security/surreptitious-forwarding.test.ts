/**
 * Surreptitious forwarding (RFC 9580 section 13.12; issue 12, item 13): a signature made while
 * encrypting names the keys it was encrypted to (Intended Recipient Fingerprint, section 5.2.3.36),
 * and Sequoia refuses it in any other encrypted context. A message OFII seals with `sq encrypt
 * --signer-key` for the gateway alone names the gateway only: delivered to Mission Locale, Mission
 * Locale's Sequoia refuses it ("Not an intended recipient") although the gateway accepted it. The
 * gateway must refuse it instead, with how to seal, and audit the refusal.
 *
 * Real gateway over mutual TLS, real Sequoia, GnuPG and RNP.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import * as openpgp from 'openpgp';
import type { AnyPacket, SignaturePacket } from 'openpgp';
import { queueName } from '../../src/broker/topology.js';
import { fullConfig } from '../../src/crypto/config.js';
import { forwardSentCiphertext } from '../../src/crypto/forward.js';
import { readPrivateKeys, readPublicKeys } from '../../src/crypto/keys.js';
import { openFromPartner } from '../../src/crypto/open.js';
import { drainPackets } from '../../src/crypto/packets.js';
import { drainQueue, EXAMPLE_CERTS, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { auditLog } from '../fixtures/dossier.js';
import { GnupgHome, validSignatures } from '../fixtures/gpg.js';
import { bytesOf, example, post, type Json } from '../fixtures/partner.js';
import { runTool } from '../interop/tools.js';

const run = promisify(execFile);
const cert = (...parts: string[]) => path.join(EXAMPLE_CERTS, ...parts);
const OFII_KEY = cert('partners', 'ofii-paris', 'openpgp.key.asc');
const OFII_CERT = cert('partners', 'ofii-paris', 'openpgp.asc');
const GATEWAY_CERT = cert('gateway', 'openpgp.asc');
const MISSION_LOCALE_KEY = cert('partners', 'mission-locale-paris', 'openpgp.key.asc');
const MISSION_LOCALE_CERT = cert('partners', 'mission-locale-paris', 'openpgp.asc');

describe('@integration security: surreptitious forwarding (intended recipients)', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  let dir: string;

  before(async () => {
    gw = await startTestGateway();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-forwarding-'));
  });
  after(async () => {
    await gw?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** OFII's orientation to Mission Locale, sealed with `sq encrypt --signer-key` for `certs`. */
  async function sequoiaSeals(document: Json, certs: string[]): Promise<Buffer> {
    const input = path.join(dir, `${document['header']['messageId']}.json`);
    fs.writeFileSync(input, bytesOf(document));
    const { stdout } = await run('sq', ['encrypt', '--signer-key', OFII_KEY, ...certs.flatMap((c) => ['--recipient-cert', c]), input], { encoding: 'buffer' });
    return stdout;
  }

  it('a message Sequoia signed for the gateway alone is refused with signature_invalid and how to seal, audited, and never delivered', async () => {
    const orientation = example('orientation');
    const answer = await post(gw.baseUrl, 'ofii-paris', await sequoiaSeals(orientation, [GATEWAY_CERT]));
    expect(answer.status, JSON.stringify(answer.body)).to.equal(400);
    const problem = answer.body as Json;
    expect(problem).to.include({ code: 'signature_invalid' });
    expect(problem['detail']).to.match(/intended recipients/).and.match(/\/v1\/partners\/\{header\.recipient\}\/openpgp-key/).and.match(/--recipient-cert/);
    const id = orientation['header']['messageId'] as string;
    expect(await gw.store.findMessage(id)).to.equal(undefined);
    const rejected = (await auditLog(gw)).filter((e) => e.entry['event'] === 'rejected' && e.entry['messageId'] === id);
    expect(rejected.map((e) => e.entry['code'])).to.deep.equal(['signature_invalid']);
    expect(await gw.store.outboxDepth()).to.equal(0);
    expect(await drainQueue(queueName(gw.settings.amqpPrefix, 'mission-locale-paris'))).to.have.length(0);
  });

  it("without the gateway's check, Mission Locale's Sequoia refuses such a delivery while GnuPG and RNP accept it: only the gateway can stop it", async () => {
    const message = await sequoiaSeals(example('orientation'), [GATEWAY_CERT]);
    const gatewayKeys = (await readPrivateKeys({ armored: fs.readFileSync(cert('gateway', 'openpgp.key.asc'), 'utf8'), source: 'gateway' })).map((entry) => entry.key);
    const senderKeys = await readPublicKeys({ armored: fs.readFileSync(OFII_CERT, 'utf8'), source: 'ofii' });
    const [missionLocale] = await readPublicKeys({ armored: fs.readFileSync(MISSION_LOCALE_CERT, 'utf8'), source: 'mission locale' });
    const opened = await openFromPartner({ message, decryptionKey: gatewayKeys, senderKeys, maxDocumentBytes: gw.settings.maxDocumentBytes });
    const delivery = await forwardSentCiphertext({ sent: opened.sent!, signedMessage: opened.signedMessage, recipientKey: missionLocale!, config: fullConfig({ maxDocumentBytes: gw.settings.maxDocumentBytes }) });

    const bySequoia = await runTool('sq', ['decrypt', '--recipient-key', MISSION_LOCALE_KEY, '--signer-cert', OFII_CERT], delivery!);
    expect(bySequoia.code).to.not.equal(0);
    expect(bySequoia.stderr).to.contain('Not an intended recipient');

    const gpg = await GnupgHome.create();
    try {
      await gpg.importKeys(fs.readFileSync(MISSION_LOCALE_KEY, 'utf8'), fs.readFileSync(OFII_CERT, 'utf8'));
      const byGnupg = await gpg.run(['--trust-model', 'always', '--decrypt'], { stdin: delivery! });
      expect(validSignatures(byGnupg.status)).to.have.length(1);
    } finally {
      await gpg.remove();
    }
    const rnpHome = fs.mkdtempSync(path.join(dir, 'rnp-'));
    for (const key of [MISSION_LOCALE_KEY, OFII_CERT]) expect((await runTool('rnpkeys', ['--homedir', rnpHome, '--import', key])).code).to.equal(0);
    const byRnp = await runTool('rnp', ['--homedir', rnpHome, '--decrypt', '--password', '', '--output', '-', '-'], delivery!);
    expect(byRnp.code, byRnp.stderr).to.equal(0);
    expect(byRnp.stderr).to.contain('Signature(s) verified successfully');
  });

  it('an Intended Recipient subpacket naming Mission Locale added to the unhashed area (not signed) does not lift the refusal', async () => {
    const orientation = example('orientation');
    const sealed = await sequoiaSeals(orientation, [GATEWAY_CERT]);
    // Re-made as anyone holding the plaintext could: the signed packets, one unsigned subpacket added, encrypted to the gateway again.
    const gatewayKeys = (await readPrivateKeys({ armored: fs.readFileSync(cert('gateway', 'openpgp.key.asc'), 'utf8'), source: 'gateway' })).map((entry) => entry.key);
    const inner = await openpgp.readMessage({ armoredMessage: sealed.toString('utf8') });
    const content = await inner.decrypt(gatewayKeys);
    const packets = (await drainPackets(content.unwrapCompressed().packets)) as AnyPacket[];
    const signature = packets.find((p): p is SignaturePacket => p instanceof openpgp.SignaturePacket)!;
    const [missionLocale] = await readPublicKeys({ armored: fs.readFileSync(MISSION_LOCALE_CERT, 'utf8'), source: 'mission locale' });
    signature.unhashedSubpackets.push({ type: 35, critical: false, body: Uint8Array.from([4, ...Buffer.from(missionLocale!.getFingerprint(), 'hex')]) });
    const list = new openpgp.PacketList<AnyPacket>();
    list.push(...packets);
    const [gatewayPublic] = await readPublicKeys({ armored: fs.readFileSync(GATEWAY_CERT, 'utf8'), source: 'gateway' });
    const resealed = await openpgp.encrypt({ message: new openpgp.Message(list), encryptionKeys: gatewayPublic!, format: 'armored' });

    const answer = await post(gw.baseUrl, 'ofii-paris', resealed as string);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(400);
    // The signature still verifies (the unhashed area is outside it): the refusal is for its intended recipients.
    expect(answer.body).to.include({ code: 'signature_invalid' });
    expect((answer.body as Json)['detail']).to.match(/intended recipients/);
    expect(await gw.store.findMessage(orientation['header']['messageId'] as string)).to.equal(undefined);
  });
});
