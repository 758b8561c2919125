/**
 * The main path of issue 2, with real components only: a partner with GnuPG and curl, the gateway
 * over mutual TLS on SQLite, the local RabbitMQ, and the recipient checking with GnuPG.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import canonicalize from 'canonicalize';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { GnupgHome, validSignatures } from '../fixtures/gpg.js';
import { drainQueue, eventually, EXAMPLE_CERTS, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { example, get, send, type Json } from '../fixtures/partner.js';

const run = promisify(execFile);
const read = (...parts: string[]) => fs.readFileSync(path.join(EXAMPLE_CERTS, ...parts), 'utf8');

async function curlPost(gw: TestGateway, as: string, file: string): Promise<{ status: number; body: Json }> {
  const dir = path.join(EXAMPLE_CERTS, 'partners', as);
  const { stdout } = await run('curl', [
    '-sS', '--cert', path.join(dir, 'tls.crt'), '--key', path.join(dir, 'tls.key'), '--cacert', path.join(EXAMPLE_CERTS, 'ca.crt'),
    '-H', 'Content-Type: application/pgp-encrypted', '--data-binary', `@${file}`, '-w', '\n%{http_code}', `${gw.baseUrl}/v1/messages`,
  ]);
  const lines = stdout.trimEnd().split('\n');
  const status = Number(lines.pop());
  return { status, body: JSON.parse(lines.join('\n')) as Json };
}

async function fingerprintOf(gpg: GnupgHome, armoredPublicKey: string): Promise<string> {
  const shown = await gpg.run(['--with-colons', '--import-options', 'show-only', '--import'], { stdin: armoredPublicKey });
  const fpr = shown.stdout.toString('utf8').split('\n').find((l) => l.startsWith('fpr:'));
  return fpr!.split(':')[9]!;
}

describe('@integration exchange: GnuPG and curl partners through the gateway', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  let ofii: GnupgHome;
  let missionLocale: GnupgHome;
  let work: string;
  let ofiiFpr: string;
  let mlFpr: string;
  let gatewayFpr: string;

  before(async () => {
    gw = await startTestGateway();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-exchange-'));
    ofii = await GnupgHome.create();
    missionLocale = await GnupgHome.create();
    await ofii.importKeys(read('partners', 'ofii-paris', 'openpgp.key.asc'), read('gateway', 'openpgp.asc'), read('partners', 'mission-locale-paris', 'openpgp.asc'));
    await missionLocale.importKeys(read('partners', 'mission-locale-paris', 'openpgp.key.asc'), read('partners', 'ofii-paris', 'openpgp.asc'), read('gateway', 'openpgp.asc'));
    ofiiFpr = await fingerprintOf(ofii, read('partners', 'ofii-paris', 'openpgp.asc'));
    mlFpr = await fingerprintOf(ofii, read('partners', 'mission-locale-paris', 'openpgp.asc'));
    gatewayFpr = await fingerprintOf(ofii, read('gateway', 'openpgp.asc'));
  });

  after(async () => {
    await gw?.dispose();
    await ofii?.remove();
    await missionLocale?.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  let orientation: Json;
  let signedBytes: Buffer;

  it('accepts an orientation sealed with gpg --sign --encrypt and posted with curl, with a receipt GnuPG verifies', async () => {
    orientation = example('orientation');
    signedBytes = Buffer.from(JSON.stringify(orientation, null, 2));
    const documentFile = path.join(work, 'orientation.json');
    fs.writeFileSync(documentFile, signedBytes);
    const sealed = await ofii.run(['--armor', '--sign', '--encrypt', '-u', ofiiFpr, '-r', gatewayFpr, '--trust-model', 'always', '--output', '-', documentFile]);
    const sealedFile = path.join(work, 'orientation.asc');
    fs.writeFileSync(sealedFile, sealed.stdout);

    const answer = await curlPost(gw, 'ofii-paris', sealedFile);
    expect(answer.status).to.equal(202);
    expect(answer.body).to.include({ messageId: orientation['header']['messageId'], status: 'accepted' });
    expect(answer.body['payloadSha256']).to.equal((await import('node:crypto')).createHash('sha256').update(signedBytes).digest('hex'));
    expect(answer.body['auditIndex']).to.be.a('number');

    const { receipt, ...signedPart } = answer.body;
    fs.writeFileSync(path.join(work, 'receipt.json'), canonicalize(signedPart)!);
    fs.writeFileSync(path.join(work, 'receipt.asc'), receipt as string);
    const verified = await ofii.run(['--verify', path.join(work, 'receipt.asc'), path.join(work, 'receipt.json')]);
    expect(validSignatures(verified.status)[0]?.primaryFingerprint).to.equal(gatewayFpr);

    // A receipt over anything else does not verify.
    fs.writeFileSync(path.join(work, 'receipt-tampered.json'), canonicalize({ ...signedPart, auditIndex: (signedPart['auditIndex'] as number) + 1 })!);
    const tampered = await ofii.run(['--verify', path.join(work, 'receipt.asc'), path.join(work, 'receipt-tampered.json')], { allowFailure: true });
    expect(tampered.code).not.to.equal(0);
    expect(validSignatures(tampered.status)).to.have.length(0);
  });

  it("delivers it to the recipient's quorum queue, where GnuPG verifies OFII's own signature over identical bytes", async () => {
    const id = orientation['header']['messageId'] as string;
    await eventually(async () => ((await gw.store.findMessage(id))?.status === 'queued' ? true : undefined));
    const { stdout } = await run('rabbitmqctl', ['-q', 'list_queues', 'name', 'type', '--no-table-headers']);
    expect(stdout).to.match(new RegExp(`^${queueName(gw.settings.amqpPrefix, 'mission-locale-paris').replace(/\./g, '\\.')}\\s+quorum$`, 'm'));

    const [delivered, ...rest] = await drainQueue(queueName(gw.settings.amqpPrefix, 'mission-locale-paris'));
    expect(rest).to.have.length(0);
    expect(delivered!.properties).to.include({ contentType: 'application/pgp-encrypted', messageId: id, type: 'orientation', appId: 'passerelle', deliveryMode: 2 });
    // x-delivery-count is the quorum queue's own counter, added by the broker on delivery.
    const { 'x-delivery-count': _count, ...headers } = delivered!.properties['headers'] as Record<string, unknown>;
    expect(headers).to.deep.equal({ 'x-passerelle-sender': 'ofii-paris', 'x-passerelle-audit-index': (await gw.store.findMessage(id))!.auditIndex });
    expect(delivered!.fields['routingKey']).to.equal('mission-locale-paris.orientation');
    expect(delivered!.body.toString('utf8')).to.match(/^-----BEGIN PGP MESSAGE-----/);

    const opened = await missionLocale.run(['--decrypt'], { stdin: delivered!.body });
    const [signature] = validSignatures(opened.status);
    expect(signature?.primaryFingerprint).to.equal(ofiiFpr);
    expect(Buffer.compare(opened.stdout, signedBytes)).to.equal(0);
  });

  it("carries Mission Locale's acknowledgement back to OFII's queue and marks the orientation acknowledged", async () => {
    const ack = example('acknowledgement', {
      sender: 'mission-locale-paris',
      recipient: 'ofii-paris',
      beneficiaryRef: orientation['header']['beneficiaryRef'],
      inReplyTo: orientation['header']['messageId'],
    });
    const documentFile = path.join(work, 'ack.json');
    fs.writeFileSync(documentFile, JSON.stringify(ack));
    const sealed = await missionLocale.run(['--sign', '--encrypt', '-u', mlFpr, '-r', gatewayFpr, '--trust-model', 'always', '--output', '-', documentFile]);
    fs.writeFileSync(path.join(work, 'ack.gpg'), sealed.stdout);
    const answer = await curlPost(gw, 'mission-locale-paris', path.join(work, 'ack.gpg'));
    expect(answer.status).to.equal(202);

    const ackId = ack['header']['messageId'] as string;
    await eventually(async () => ((await gw.store.findMessage(ackId))?.status === 'queued' ? true : undefined));
    const [delivered] = await drainQueue(queueName(gw.settings.amqpPrefix, 'ofii-paris'));
    expect(delivered!.properties['messageId']).to.equal(ackId);
    const opened = await ofii.run(['--decrypt'], { stdin: delivered!.body });
    expect(validSignatures(opened.status)[0]?.primaryFingerprint).to.equal(mlFpr);
    expect(opened.stdout.toString('utf8')).to.equal(JSON.stringify(ack));

    const status = await get(gw.baseUrl, 'ofii-paris', `/v1/messages/${orientation['header']['messageId']}`);
    expect(status.status).to.equal(200);
    expect(status.body).to.include({ status: 'acknowledged', sender: 'ofii-paris', recipient: 'mission-locale-paris', type: 'orientation' });
    expect(status.body).to.have.keys('messageId', 'type', 'sender', 'recipient', 'status', 'acceptedAt', 'queuedAt', 'acknowledgedAt');
  });

  it('answers the same message again with 200 and the original body, unchanged', async () => {
    const again = example('status-update', {
      sender: 'mission-locale-paris',
      recipient: 'ofii-paris',
      beneficiaryRef: orientation['header']['beneficiaryRef'],
      inReplyTo: orientation['header']['messageId'],
    });
    const first = await send(gw.baseUrl, 'mission-locale-paris', again);
    expect(first.status).to.equal(202);
    const second = await send(gw.baseUrl, 'mission-locale-paris', again);
    expect(second.status).to.equal(200);
    expect(second.body).to.deep.equal(first.body);
  });
});
