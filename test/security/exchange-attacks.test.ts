/**
 * Named attacks on the exchange, one per test, each against the real gateway (or the real consumer
 * path) and each proving that nothing is accepted or delivered. Cryptographic attacks on the OpenPGP
 * layer itself are in test/crypto/ (open, seal, detached).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { connect } from 'amqplib';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { receiveDelivery } from '../../src/client/receive.js';
import { signAndEncrypt } from '../../src/crypto/seal.js';
import { AMQP_URL, EXAMPLE_CERTS, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { bytesOf, example, get, partner, post, seal, send } from '../fixtures/partner.js';

const run = promisify(execFile);

describe('@integration security: attacks on the exchange', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  let orientation: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  before(async () => {
    gw = await startTestGateway();
    orientation = example('orientation');
    expect((await send(gw.baseUrl, 'ofii-paris', orientation)).status).to.equal(202);
  });
  after(async () => {
    await gw?.dispose();
  });

  it('reply hijack: an agency that did not receive the orientation cannot answer it', async () => {
    const hijack = example('acknowledgement', { sender: 'cap-emploi-75', recipient: 'ofii-paris', beneficiaryRef: orientation['header']['beneficiaryRef'], inReplyTo: orientation['header']['messageId'] });
    const answer = await send(gw.baseUrl, 'cap-emploi-75', hijack);
    expect(answer.status).to.equal(422);
    expect(answer.body).to.include({ code: 'rule_violation', rule: 'reply-matches-original' });
    expect((await gw.store.findMessage(orientation['header']['messageId']))?.status).not.to.equal('acknowledged');
  });

  it('misfiled answer: the right agency answers about another person', async () => {
    const misfiled = example('status-update', { sender: 'mission-locale-paris', recipient: 'ofii-paris', beneficiaryRef: '7509999999', inReplyTo: orientation['header']['messageId'] });
    const answer = await send(gw.baseUrl, 'mission-locale-paris', misfiled);
    expect(answer.body).to.include({ code: 'rule_violation', rule: 'reply-matches-original' });
  });

  it('sender spoofing: a valid partner signs as itself but writes another partner in header.sender', async () => {
    const spoofed = example('acknowledgement', { sender: 'ofii-paris', recipient: 'mission-locale-paris', inReplyTo: orientation['header']['messageId'] });
    const answer = await send(gw.baseUrl, 'mission-locale-paris', spoofed);
    expect(answer.body).to.include({ code: 'sender_mismatch' });
  });

  it('borrowed signature: a payload signed by another partner, posted with OFII\'s certificate', async () => {
    const sealedByMl = await seal('mission-locale-paris', example('orientation'));
    const answer = await post(gw.baseUrl, 'ofii-paris', sealedByMl);
    expect(answer.body).to.include({ code: 'signature_invalid' });
  });

  it('status snooping: a partner outside the exchange learns nothing about a message id', async () => {
    const known = await get(gw.baseUrl, 'france-travail-paris', `/v1/messages/${orientation['header']['messageId']}`);
    const unknown = await get(gw.baseUrl, 'france-travail-paris', `/v1/messages/${randomUUID()}`);
    expect(known.status).to.equal(404);
    expect(unknown.status).to.equal(404);
    expect((known.body as { detail: string }).detail).to.equal((unknown.body as { detail: string }).detail);
  });

  it('compressed body smuggling: Content-Encoding gzip is refused, not inflated past the size limit', async () => {
    const view = await partner('ofii-paris');
    const bomb = gzipSync(Buffer.alloc(gw.settings.maxBodyBytes * 4, 0x41));
    const https = await import('node:https');
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(`${gw.baseUrl}/v1/messages`, { method: 'POST', cert: view.tls.certPem, key: view.tls.keyPem, ca: view.tls.caPem, headers: { 'content-type': 'application/pgp-encrypted', 'content-encoding': 'gzip' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end(bomb);
    });
    expect(answer.status).to.equal(415);
    expect(JSON.parse(answer.body)).to.include({ code: 'unsupported_media_type' });
  });

  it('protocol downgrade: a client offering only TLS 1.1 cannot connect', async () => {
    const view = await partner('ofii-paris');
    const outcome = await new Promise<string>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port: gw.port, ca: view.tls.caPem, cert: view.tls.certPem, key: view.tls.keyPem, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', servername: 'localhost' });
      socket.on('secureConnect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (err) => resolve(err.message));
    });
    expect(outcome).not.to.equal('connected');
  });

  it('forged delivery: a message put straight into a queue, claiming to come from OFII, is refused by the consumer', async () => {
    // Someone with write access to the broker (not the gateway) publishes a document signed with
    // France Travail's key but labelled as sent by OFII.
    const forger = await partner('france-travail-paris');
    const victim = await partner('mission-locale-paris');
    const forged = example('orientation');
    const body = await signAndEncrypt({ document: bytesOf(forged), signingKey: forger.privateKey, encryptionKeys: await victim.senderKeys('mission-locale-paris'), armor: true });
    let error: unknown;
    try {
      await receiveDelivery({ view: victim, delivery: { messageId: forged['header']['messageId'], sender: 'ofii-paris', body: Buffer.from(body as string) }, maxDocumentBytes: gw.settings.maxDocumentBytes });
    } catch (err) {
      error = err;
    }
    expect((error as { code?: string }).code).to.equal('signature_invalid');

    // And through the broker: the gateway's own delivery of the real orientation still verifies.
    await eventually(async () => ((await gw.store.findMessage(orientation['header']['messageId']))?.status === 'queued' ? true : undefined));
    const connection = await connect(AMQP_URL);
    try {
      const channel = await connection.createChannel();
      const message = await channel.get(queueName(gw.settings.amqpPrefix, 'mission-locale-paris'), { noAck: false });
      expect(message).not.to.equal(false);
      if (message === false) return;
      const received = await receiveDelivery({
        view: victim,
        delivery: { messageId: message.properties.messageId as string, sender: message.properties.headers!['x-passerelle-sender'] as string, body: message.content },
        maxDocumentBytes: gw.settings.maxDocumentBytes,
      });
      expect(received.header.sender).to.equal('ofii-paris');
      channel.ack(message);
      await channel.close();
    } finally {
      await connection.close();
    }
  });

  it('path traversal: encoded dot segments do not reach another route or the file system', async () => {
    const { stdout } = await run('curl', ['-s', '--path-as-is', '--cacert', `${EXAMPLE_CERTS}/ca.crt`, `${gw.baseUrl}/v1/messages/..%2F..%2F..%2Fetc%2Fpasswd`]);
    expect(JSON.parse(stdout)).to.include({ code: 'unauthenticated' });
    const answer = await get(gw.baseUrl, 'ofii-paris', '/v1/messages/..%2F..%2Fhealthz');
    expect(answer.body).to.include({ code: 'not_found' });
  });
});
