/**
 * Issue 14, the end-of-CIR review: OFII, with GnuPG as its OpenPGP stack, sends its review of the
 * contract to the agency that follows the person, which receives it on its queue signed by OFII; a
 * review to an agency that does not follow the person is refused (review-to-follower); a review to the
 * gateway itself is counted for the statistics only; and the review travels in the dossier of a later
 * referral. Real gateway, SQLite, RabbitMQ, OpenPGP and GnuPG.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { receiveDelivery } from '../../src/client/receive.js';
import { drainQueue, eventually, PROJECT_ROOT, startTestGateway, type QueuedMessage, type TestGateway } from '../fixtures/gateway.js';
import { acknowledgement, auditLog, fingerprintOf, gpgAs, orientationTo, randomRef, readCert, referral } from '../fixtures/dossier.js';
import { GnupgHome, validSignatures } from '../fixtures/gpg.js';
import { bytesOf, get, nowRfc3339, partner, post, send, type Json } from '../fixtures/partner.js';

/** schemas/examples/cir-review.v1.json about the person `ref`, addressed to `recipient`. */
function review(recipient: string, ref: string, body: Json = {}): Json {
  const document = JSON.parse(fs.readFileSync(`${PROJECT_ROOT}/schemas/examples/cir-review.v1.json`, 'utf8')) as Json;
  document['header'] = { ...document['header'], messageId: randomUUID(), sentAt: nowRfc3339(), recipient, beneficiaryRef: ref };
  document['body'] = { ...document['body'], ...body };
  return document;
}

describe('@integration end-of-CIR review (cir-review)', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  let ofii: GnupgHome;
  let ft: GnupgHome;
  let ce: GnupgHome;
  let ofiiFpr: string;
  let gatewayFpr: string;

  /** OFII's integrators' way: the JSON signed and encrypted by `gpg --sign --encrypt`, posted over mutual TLS. */
  async function sendWithGpg(document: Json) {
    const sealed = await ofii.run(['--armor', '--sign', '--encrypt', '-u', ofiiFpr, '-r', gatewayFpr, '--trust-model', 'always', '--output', '-'], { stdin: bytesOf(document) });
    return post(gw.baseUrl, 'ofii-paris', sealed.stdout);
  }

  const drain = (id: string) => drainQueue(queueName(gw.settings.amqpPrefix, id));
  const outboxEmpty = () => eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));

  before(async () => {
    gw = await startTestGateway();
    ofii = await gpgAs('ofii-paris', []);
    ft = await gpgAs('france-travail-paris', ['ofii-paris']);
    ce = await gpgAs('cap-emploi-75', ['ofii-paris', 'france-travail-paris']);
    ofiiFpr = await fingerprintOf(ofii, readCert('partners', 'ofii-paris', 'openpgp.asc'));
    gatewayFpr = await fingerprintOf(ofii, readCert('gateway', 'openpgp.asc'));
  });
  after(async () => {
    await gw?.dispose();
    for (const home of [ofii, ft, ce]) await home?.remove();
  });

  const ref = randomRef();
  let orientation: Json;
  let ack: Json;
  let delivered: Json;
  let beneficiary: string;

  it('before: OFII orients the person to France Travail (disability shared with consent), which acknowledges ACCEPTEE', async () => {
    orientation = orientationTo('france-travail-paris', ref, { disability: { rqth: 'OUI' }, consent: { healthData: true, healthDataGivenOn: '2026-11-26' } });
    const oriented = await sendWithGpg(orientation);
    expect(oriented.status, JSON.stringify(oriented.body)).to.equal(202);
    ack = acknowledgement('france-travail-paris', orientation, 'ACCEPTEE');
    expect((await send(gw.baseUrl, 'france-travail-paris', ack)).status).to.equal(202);
    beneficiary = (await gw.store.findMessage(orientation['header']['messageId']))!.beneficiary;
    expect(await gw.store.followers(beneficiary)).to.deep.equal(['france-travail-paris']);
    await outboxEmpty();
    for (const id of ['france-travail-paris', 'ofii-paris', 'mission-locale-paris']) await drain(id);
  });

  it("delivers OFII's review to France Travail, which follows the person: the AMQP client gets it, and GnuPG verifies OFII's signature over the bytes OFII signed", async () => {
    delivered = review('france-travail-paris', ref);
    const answer = await sendWithGpg(delivered);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    await eventually(async () => ((await gw.store.findMessage(delivered['header']['messageId']))?.status === 'queued' ? true : undefined));
    const [message, ...rest] = await drain('france-travail-paris');
    expect(rest).to.have.length(0);
    expect(message!.properties).to.include({ contentType: 'application/pgp-encrypted', messageId: delivered['header']['messageId'], type: 'cir-review', appId: 'passerelle', deliveryMode: 2 });
    expect((message!.properties['headers'] as Record<string, unknown>)['x-passerelle-sender']).to.equal('ofii-paris');
    expect(message!.fields['routingKey']).to.equal('france-travail-paris.cir-review');

    const opened = await ft.run(['--decrypt'], { stdin: message!.body });
    expect(validSignatures(opened.status).map((s) => s.primaryFingerprint)).to.deep.equal([ofiiFpr]);
    expect(Buffer.compare(opened.stdout, Buffer.from(bytesOf(delivered)))).to.equal(0);
    // The project's consumer reads it the same way.
    const received = await receiveDelivery({
      view: await partner('france-travail-paris'),
      delivery: { messageId: message!.properties['messageId'] as string, sender: 'ofii-paris', body: message!.body },
      maxDocumentBytes: gw.settings.maxDocumentBytes,
    });
    expect(received.header).to.include({ type: 'cir-review', sender: 'ofii-paris', recipient: 'france-travail-paris' });

    // It joins the dossier, and changes no follow.
    expect((await gw.store.readDossier(beneficiary))!.map((d) => d.type)).to.deep.equal(['orientation', 'acknowledgement', 'cir-review']);
    expect(await gw.store.followers(beneficiary)).to.deep.equal(['france-travail-paris']);
  });

  it('refuses a review to Mission Locale, which does not follow the person, with rule review-to-follower, and queues nothing', async () => {
    const stray = review('mission-locale-paris', ref);
    const answer = await sendWithGpg(stray);
    expect(answer.status).to.equal(422);
    expect(answer.body).to.include({ code: 'rule_violation', rule: 'review-to-follower' });
    expect((answer.body as Json)['detail']).to.include('passerelle').and.not.include(ref);
    expect(await gw.store.findMessage(stray['header']['messageId'])).to.equal(undefined);
    await outboxEmpty();
    expect(await drain('mission-locale-paris')).to.have.length(0);
    const rejected = (await auditLog(gw)).find((e) => e.entry['event'] === 'rejected' && e.entry['messageId'] === stray['header']['messageId']);
    expect(rejected?.entry).to.include({ code: 'rule_violation', type: 'cir-review', recipient: 'mission-locale-paris' });
  });

  it('accepts a review addressed to the gateway for the statistics only: counted, queued to nobody, not kept in the dossier', async () => {
    const factsBefore = (await gw.store.statisticsFacts()).length;
    const depthBefore = await gw.store.outboxDepth();
    const counted = review('passerelle', ref, {
      cir: { finalStatus: 'ROMPU', endInterviewOn: '2026-11-30' },
      language: { prescribedCourse: 'A1_200H', hoursAttended: 40, levelReached: 'INFRA_A1' },
      declaredSituation: 'INACTIF',
      postCirOrientation: { decision: 'DISPENSE' },
    });
    const answer = await sendWithGpg(counted);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    const status = await get(gw.baseUrl, 'ofii-paris', `/v1/messages/${counted['header']['messageId']}`);
    expect(status.body).to.include({ type: 'cir-review', sender: 'ofii-paris', recipient: 'passerelle', status: 'accepted' });
    expect(await gw.store.outboxDepth()).to.equal(depthBefore);
    for (const id of ['france-travail-paris', 'mission-locale-paris', 'cap-emploi-75', 'ofii-paris']) expect(await drain(id), id).to.have.length(0);

    const facts = await gw.store.statisticsFacts();
    expect(facts).to.have.length(factsBefore + 1);
    expect(facts.at(-1)).to.deep.include({
      messageId: counted['header']['messageId'], type: 'cir-review', recipient: 'passerelle',
      finalStatus: 'ROMPU', levelReached: 'INFRA_A1', certified: false, declaredSituation: 'INACTIF', postCirOrientation: 'DISPENSE',
    });
    expect(facts.find((f) => f.messageId === delivered['header']['messageId'])).to.deep.include({ finalStatus: 'ACHEVE', levelReached: 'A2', certified: true, postCirOrientation: 'FRANCE_TRAVAIL' });
    // Nothing of the person beyond the statistics facts: the dossier holds the delivered review only.
    expect((await gw.store.readDossier(beneficiary))!.map((d) => d.messageId)).to.not.include(counted['header']['messageId']);
    expect((await gw.store.recipientsOf(beneficiary)).sort()).to.deep.equal(['france-travail-paris', 'ofii-paris']);
  });

  it('puts the review in the dossier Cap emploi receives when France Travail refers the person, each document verified with its signer\'s key', async () => {
    const handOver = referral('france-travail-paris', 'cap-emploi-75', ref);
    handOver['body']['reason'] = 'HANDICAP';
    const answer = await send(gw.baseUrl, 'france-travail-paris', handOver);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    await outboxEmpty();
    const queued: QueuedMessage[] = await drain('cap-emploi-75');
    const dossier = queued.find((m) => m.properties['type'] === 'dossier')!;
    expect(dossier, 'a dossier on Cap emploi\'s queue').to.not.equal(undefined);

    const opened = await ce.run(['--decrypt'], { stdin: dossier.body });
    const documents = (JSON.parse(opened.stdout.toString('utf8')) as Json)['body']['documents'] as Json[];
    expect(documents.map((d) => [d['type'], d['sender'], d['messageId']])).to.deep.equal([
      ['orientation', 'ofii-paris', orientation['header']['messageId']],
      ['acknowledgement', 'france-travail-paris', ack['header']['messageId']],
      ['cir-review', 'ofii-paris', delivered['header']['messageId']],
    ]);
    const verified = await ce.run(['--decrypt'], { stdin: Buffer.from(documents[2]!['signedMessage'] as string, 'base64') });
    expect(validSignatures(verified.status).map((s) => s.primaryFingerprint)).to.deep.equal([ofiiFpr]);
    expect(Buffer.compare(verified.stdout, Buffer.from(bytesOf(delivered)))).to.equal(0);

    const received = await receiveDelivery({
      view: await partner('cap-emploi-75'),
      delivery: { messageId: dossier.properties['messageId'] as string, sender: 'passerelle', body: dossier.body },
      maxDocumentBytes: gw.settings.maxDocumentBytes,
    });
    expect(received.dossier!.map((d) => [d.header.type, d.header.sender, d.header.recipient])).to.deep.equal([
      ['orientation', 'ofii-paris', 'france-travail-paris'],
      ['acknowledgement', 'france-travail-paris', 'ofii-paris'],
      ['cir-review', 'ofii-paris', 'france-travail-paris'],
    ]);
    // The audit log names the review by partners and pseudonym only.
    const entries = await auditLog(gw);
    expect(entries.find((e) => e.entry['event'] === 'accepted' && e.entry['messageId'] === delivered['header']['messageId'])?.entry).to.include({ type: 'cir-review', sender: 'ofii-paris', recipient: 'france-travail-paris', beneficiary });
    for (const { raw } of entries) expect(raw).to.not.include(ref);
  });
});
