/**
 * Issue 3, "tell us once": OFII orients a person to France Travail, France Travail accepts and reports,
 * then refers the person to Mission Locale, which receives OFII's original signed orientation and the
 * history in a dossier from the gateway, and verifies every signature itself (GnuPG, and the project's
 * consumer), with no new data entry. Real gateway, SQLite, RabbitMQ, OpenPGP and GnuPG.
 */
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { receiveDelivery } from '../../src/client/receive.js';
import { drainQueue, eventually, startTestGateway, type QueuedMessage, type TestGateway } from '../fixtures/gateway.js';
import { acknowledgement, auditLog, dossiersOf, fingerprintOf, gpgAs, orientationTo, randomRef, readCert, referral, statusUpdate } from '../fixtures/dossier.js';
import { GnupgHome, validSignatures } from '../fixtures/gpg.js';
import { bytesOf, partner, send, type Json } from '../fixtures/partner.js';

async function queued(gw: TestGateway, messageId: string): Promise<void> {
  await eventually(async () => ((await gw.store.findMessage(messageId))?.status === 'queued' ? true : undefined));
}

describe('@integration tell us once: referral with the dossier', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  let ml: GnupgHome;

  before(async () => {
    gw = await startTestGateway();
    ml = await gpgAs('mission-locale-paris', ['ofii-paris', 'france-travail-paris']);
  });
  after(async () => {
    await gw?.dispose();
    await ml?.remove();
  });

  const ref = randomRef();
  let orientation: Json;
  let ack: Json;
  let update: Json;
  let handOver: Json;
  let dossierDelivery: QueuedMessage;

  it('OFII orients to France Travail, which acknowledges ACCEPTEE and reports a first interview', async () => {
    orientation = orientationTo('france-travail-paris', ref);
    expect((await send(gw.baseUrl, 'ofii-paris', orientation)).status).to.equal(202);
    ack = acknowledgement('france-travail-paris', orientation, 'ACCEPTEE');
    expect((await send(gw.baseUrl, 'france-travail-paris', ack)).status).to.equal(202);
    update = statusUpdate('france-travail-paris', orientation, 'PREMIER_ENTRETIEN_REALISE');
    expect((await send(gw.baseUrl, 'france-travail-paris', update)).status).to.equal(202);
    const beneficiary = (await gw.store.findMessage(orientation['header']['messageId']))!.beneficiary;
    expect(await dossiersOf(gw).followers(beneficiary)).to.deep.equal(['france-travail-paris']);
    expect((await dossiersOf(gw).readDossier(beneficiary))!.map((d) => d.type)).to.deep.equal(['orientation', 'acknowledgement', 'status-update']);
  });

  it('France Travail refers the person to Mission Locale with a reason code and no personal data of its own', async () => {
    handOver = referral('france-travail-paris', 'mission-locale-paris', ref);
    expect(handOver['body']).to.have.keys(['reason', 'recommendedPathway', 'constraints', 'personAgreed', 'personInformedOn']);
    const answer = await send(gw.baseUrl, 'france-travail-paris', handOver);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);

    const disclosed = await eventually(async () => (await auditLog(gw)).find((e) => e.entry['event'] === 'dossier-disclosed'));
    await queued(gw, handOver['header']['messageId']);
    await queued(gw, disclosed.entry['messageId'] as string);
    const delivered = await drainQueue(queueName(gw.settings.amqpPrefix, 'mission-locale-paris'));
    expect(delivered.map((m) => m.properties['type']).sort()).to.deep.equal(['dossier', 'referral']);
    dossierDelivery = delivered.find((m) => m.properties['type'] === 'dossier')!;
    // Section 5 exactly: the gateway is the sender, nothing else in clear.
    expect(dossierDelivery.properties).to.include({ contentType: 'application/pgp-encrypted', messageId: disclosed.entry['messageId'], appId: 'passerelle', deliveryMode: 2 });
    const { 'x-delivery-count': _count, ...headers } = dossierDelivery.properties['headers'] as Record<string, unknown>;
    expect(headers).to.deep.equal({ 'x-passerelle-sender': 'passerelle', 'x-passerelle-audit-index': disclosed.index });
    expect(dossierDelivery.fields['routingKey']).to.equal('mission-locale-paris.dossier');
  });

  it("GnuPG, as Mission Locale, verifies the gateway's signature on the dossier, then OFII's and France Travail's own signatures over the bytes they signed", async () => {
    const gatewayFpr = await fingerprintOf(ml, readCert('gateway', 'openpgp.asc'));
    const ofiiFpr = await fingerprintOf(ml, readCert('partners', 'ofii-paris', 'openpgp.asc'));
    const ftFpr = await fingerprintOf(ml, readCert('partners', 'france-travail-paris', 'openpgp.asc'));
    const opened = await ml.run(['--decrypt'], { stdin: dossierDelivery.body });
    expect(validSignatures(opened.status).map((s) => s.primaryFingerprint)).to.deep.equal([gatewayFpr]);
    const dossier = JSON.parse(opened.stdout.toString('utf8')) as Json;
    expect(dossier['header']).to.include({ type: 'dossier', sender: 'passerelle', recipient: 'mission-locale-paris', beneficiaryRef: ref, inReplyTo: handOver['header']['messageId'] });

    const documents = dossier['body']['documents'] as Json[];
    expect(documents.map((d) => [d['type'], d['sender'], d['messageId']])).to.deep.equal([
      ['orientation', 'ofii-paris', orientation['header']['messageId']],
      ['acknowledgement', 'france-travail-paris', ack['header']['messageId']],
      ['status-update', 'france-travail-paris', update['header']['messageId']],
    ]);
    const expected = [
      { signed: orientation, fpr: ofiiFpr },
      { signed: ack, fpr: ftFpr },
      { signed: update, fpr: ftFpr },
    ];
    for (const [i, document] of documents.entries()) {
      // base64 -d | gpg --decrypt: a signed (not encrypted) message; GnuPG checks the original signature.
      const verified = await ml.run(['--decrypt'], { stdin: Buffer.from(document['signedMessage'] as string, 'base64') });
      expect(validSignatures(verified.status).map((s) => s.primaryFingerprint), `document ${i}`).to.deep.equal([expected[i]!.fpr]);
      expect(Buffer.compare(verified.stdout, Buffer.from(bytesOf(expected[i]!.signed))), `document ${i} is byte-identical`).to.equal(0);
    }
    // What Mission Locale needed to know about the person came from OFII's document, not a new entry.
    const fromOfii = (await ml.run(['--decrypt'], { stdin: Buffer.from(documents[0]!['signedMessage'] as string, 'base64') })).stdout.toString('utf8');
    expect((JSON.parse(fromOfii) as Json)['body']['identity']).to.deep.equal(orientation['body']['identity']);

    // The audit entry of the disclosure commits to exactly this document.
    const disclosed = (await auditLog(gw)).find((e) => e.entry['event'] === 'dossier-disclosed')!;
    expect(disclosed.entry['payloadSha256']).to.equal(createHash('sha256').update(opened.stdout).digest('hex'));
    expect(disclosed.entry['count']).to.equal(3);
  });

  it("the project's consumer unpacks the dossier and verifies every document with its original sender's key", async () => {
    const view = await partner('mission-locale-paris');
    const received = await receiveDelivery({
      view,
      delivery: { messageId: dossierDelivery.properties['messageId'] as string, sender: 'passerelle', body: dossierDelivery.body },
      maxDocumentBytes: gw.settings.maxDocumentBytes,
    });
    expect(received.header.type).to.equal('dossier');
    expect(received.signerFingerprint).to.equal(gw.trust.gateway.fingerprint.toLowerCase());
    expect(received.dossier!.map((d) => [d.header.type, d.header.sender, d.header.recipient])).to.deep.equal([
      ['orientation', 'ofii-paris', 'france-travail-paris'],
      ['acknowledgement', 'france-travail-paris', 'ofii-paris'],
      ['status-update', 'france-travail-paris', 'ofii-paris'],
    ]);
    expect(Buffer.from(received.dossier![0]!.document).equals(Buffer.from(bytesOf(orientation)))).to.equal(true);
    expect(received.dossier![0]!.signerFingerprint).to.equal(gw.trust.partner('ofii-paris')!.publicKeys[0]!.getFingerprint().toLowerCase());
  });

  it("lets Mission Locale report to OFII on the referred person, naming the referral it received", async () => {
    const report = statusUpdate('mission-locale-paris', handOver, 'PREMIER_ENTRETIEN_REALISE');
    report['header']['recipient'] = 'ofii-paris';
    const answer = await send(gw.baseUrl, 'mission-locale-paris', report);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    // The agency that referred the person away cannot report on it through this referral.
    const stray = statusUpdate('cap-emploi-75', handOver, 'PREMIER_ENTRETIEN_REALISE');
    stray['header']['recipient'] = 'ofii-paris';
    expect((await send(gw.baseUrl, 'cap-emploi-75', stray)).body).to.include({ code: 'rule_violation', rule: 'reply-matches-original' });
  });

  it('logs the referral and the disclosure, naming partners and the pseudonym only', async () => {
    const entries = await auditLog(gw);
    const beneficiary = (await gw.store.findMessage(orientation['header']['messageId']))!.beneficiary;
    const referred = entries.find((e) => e.entry['event'] === 'referred')!;
    expect(referred.entry).to.include({ messageId: handOver['header']['messageId'], type: 'referral', sender: 'france-travail-paris', recipient: 'mission-locale-paris', beneficiary });
    const disclosed = entries.find((e) => e.entry['event'] === 'dossier-disclosed')!;
    expect(disclosed.entry).to.include({ type: 'dossier', sender: 'passerelle', recipient: 'mission-locale-paris', beneficiary });
    expect(disclosed.index).to.be.greaterThan(referred.index);
    for (const { raw } of entries) expect(raw).to.not.include(ref);
    // Mission Locale follows the person now; France Travail does not any more.
    expect(await dossiersOf(gw).followers(beneficiary)).to.deep.equal(['mission-locale-paris']);
  });

  it('refuses a referral by an agency that does not follow the person (any more), and delivers nothing', async () => {
    for (const from of ['france-travail-paris', 'cap-emploi-75']) {
      const answer = await send(gw.baseUrl, from, referral(from, 'epec-paris', ref));
      expect(answer.status, from).to.equal(422);
      expect(answer.body, from).to.include({ code: 'rule_violation', rule: 'referrer-follows-beneficiary' });
    }
    // A person the gateway never saw is followed by nobody.
    const stranger = await send(gw.baseUrl, 'france-travail-paris', referral('france-travail-paris', 'epec-paris', randomRef()));
    expect(stranger.body).to.include({ code: 'rule_violation', rule: 'referrer-follows-beneficiary' });
    // Every message the gateway accepted is in its queue once the outbox is empty.
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    expect(await drainQueue(queueName(gw.settings.amqpPrefix, 'epec-paris'))).to.have.length(0);
    expect((await auditLog(gw)).filter((e) => e.entry['event'] === 'referred')).to.have.length(1);
  });

  it("applies the new agency's rules to the orientation the dossier would disclose: age on the referral date, fields it may not receive", async () => {
    const older = randomRef();
    const adult = orientationTo('france-travail-paris', older);
    adult['body']['identity'] = { ...adult['body']['identity'], birthDate: '1990-05-02' };
    expect((await send(gw.baseUrl, 'ofii-paris', adult)).status).to.equal(202);
    const tooOld = await send(gw.baseUrl, 'france-travail-paris', referral('france-travail-paris', 'mission-locale-paris', older));
    expect(tooOld.body).to.include({ code: 'rule_violation', rule: 'mission-locale-age' });

    const withHealthData = randomRef();
    const disabled = orientationTo('france-travail-paris', withHealthData, {
      disability: { rqth: 'OUI' },
      consent: { healthData: true, healthDataGivenOn: '2026-11-26' },
    });
    const accepted = await send(gw.baseUrl, 'ofii-paris', disabled);
    expect(accepted.status, JSON.stringify(accepted.body)).to.equal(202);
    const refused = await send(gw.baseUrl, 'france-travail-paris', referral('france-travail-paris', 'mission-locale-paris', withHealthData));
    expect(refused.status).to.equal(422);
    expect((refused.body as Json)['code']).to.equal('rule_violation');
    expect((refused.body as Json)['rule']).to.match(/health/);
    expect(JSON.stringify(refused.body)).to.not.include('OUI');
    // Cap emploi may receive it: the same referral there is accepted.
    expect((await send(gw.baseUrl, 'france-travail-paris', referral('france-travail-paris', 'cap-emploi-75', withHealthData))).status).to.equal(202);
  });
});
