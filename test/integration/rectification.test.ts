/**
 * Issue 14, rectification (RGPD art. 16): OFII orients a person to France Travail, which accepts and
 * refers the person to Cap emploi (Cap emploi's dossier carries the orientation). OFII corrects the
 * orientation (a misspelt given name, the language level), sealed with GnuPG: France Travail and Cap
 * emploi each receive a `correction` notice whose inner rectification verifies with OFII's key (GnuPG,
 * and the project's client), Mission Locale, which never received the orientation, gets nothing. A
 * rectification by someone else than the author, or one that would make the orientation invalid, is
 * refused and queues nothing. A later referral's dossier carries the original and its rectification,
 * and the client's corrected version has the new values. Real gateway, SQLite, RabbitMQ, OpenPGP and
 * GnuPG.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { applyCorrection, correctedDocuments } from '../../src/client/dossier.js';
import { receiveDelivery } from '../../src/client/receive.js';
import { drainQueue, eventually, startTestGateway, type QueuedMessage, type TestGateway } from '../fixtures/gateway.js';
import { acknowledgement, auditLog, fingerprintOf, gpgAs, orientationTo, randomRef, readCert, referral } from '../fixtures/dossier.js';
import { validSignatures, type GnupgHome } from '../fixtures/gpg.js';
import { bytesOf, nowRfc3339, partner, post, send, type Json } from '../fixtures/partner.js';

const AGENCIES = ['ofii-paris', 'france-travail-paris', 'mission-locale-paris', 'cap-emploi-75', 'epec-paris'];

function rectificationOf(opts: { sender: string; ref: string; corrects: string; changes: Json[]; reason?: string }): Json {
  return {
    header: { messageId: randomUUID(), type: 'rectification', version: 1, sender: opts.sender, recipient: 'passerelle', sentAt: nowRfc3339(), beneficiaryRef: opts.ref },
    body: { corrects: opts.corrects, changes: opts.changes, reason: opts.reason ?? 'ERREUR_DE_SAISIE', requestedOn: new Date().toISOString().slice(0, 10) },
  };
}

async function settled(gw: TestGateway): Promise<void> {
  await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
}

async function drainAll(gw: TestGateway): Promise<Map<string, QueuedMessage[]>> {
  await settled(gw);
  const drained = new Map<string, QueuedMessage[]>();
  for (const id of AGENCIES) drained.set(id, await drainQueue(queueName(gw.settings.amqpPrefix, id)));
  return drained;
}

describe('@integration rectification: the author corrects, every recipient of the document is told', function () {
  this.timeout(180_000);
  let gw: TestGateway;
  let ofiiGpg: GnupgHome;
  let ftGpg: GnupgHome;

  before(async () => {
    gw = await startTestGateway();
    ofiiGpg = await gpgAs('ofii-paris', []);
    ftGpg = await gpgAs('france-travail-paris', ['ofii-paris']);
  });
  after(async () => {
    await gw?.dispose();
    await ofiiGpg?.remove();
    await ftGpg?.remove();
  });

  const ref = randomRef();
  let orientation: Json;
  let rectification: Json;
  let toFranceTravail: QueuedMessage;
  let toCapEmploi: QueuedMessage;

  it('before: OFII orients to France Travail, which accepts and refers the person to Cap emploi with the dossier', async () => {
    orientation = orientationTo('france-travail-paris', ref, { disability: { rqth: 'OUI' }, consent: { healthData: true, healthDataGivenOn: '2026-11-26' } });
    expect((await send(gw.baseUrl, 'ofii-paris', orientation)).status).to.equal(202);
    expect((await send(gw.baseUrl, 'france-travail-paris', acknowledgement('france-travail-paris', orientation, 'ACCEPTEE'))).status).to.equal(202);
    const handOver = referral('france-travail-paris', 'cap-emploi-75', ref);
    handOver['body']['reason'] = 'HANDICAP';
    const answer = await send(gw.baseUrl, 'france-travail-paris', handOver);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    const drained = await drainAll(gw);
    expect(drained.get('cap-emploi-75')!.map((m) => m.properties['type']).sort()).to.deep.equal(['dossier', 'referral']);
    // The table of disclosures says who received OFII's orientation.
    expect(await gw.store.documentRecipients(orientation['header']['messageId'])).to.deep.equal(['cap-emploi-75', 'france-travail-paris']);
  });

  it('OFII corrects the given name and the language level, sealed with GnuPG; France Travail and Cap emploi each get one correction notice, Mission Locale nothing', async () => {
    rectification = rectificationOf({
      sender: 'ofii-paris',
      ref,
      corrects: orientation['header']['messageId'],
      changes: [
        { op: 'replace', path: '/body/identity/givenNames/0', value: 'Daria' },
        { op: 'replace', path: '/body/language/initialLevel', value: 'A1' },
      ],
    });
    const ofiiFpr = await fingerprintOf(ofiiGpg, readCert('partners', 'ofii-paris', 'openpgp.asc'));
    const gatewayFpr = await fingerprintOf(ofiiGpg, readCert('gateway', 'openpgp.asc'));
    const sealed = await ofiiGpg.run(['--armor', '--sign', '--encrypt', '-u', ofiiFpr, '-r', gatewayFpr, '--trust-model', 'always', '--output', '-'], { stdin: Buffer.from(bytesOf(rectification)) });
    const answer = await post(gw.baseUrl, 'ofii-paris', sealed.stdout.toString('utf8'));
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);

    const drained = await drainAll(gw);
    expect(drained.get('france-travail-paris')!.map((m) => m.properties['type'])).to.deep.equal(['correction']);
    expect(drained.get('cap-emploi-75')!.map((m) => m.properties['type'])).to.deep.equal(['correction']);
    for (const id of ['ofii-paris', 'mission-locale-paris', 'epec-paris']) expect(drained.get(id), id).to.have.length(0);
    toFranceTravail = drained.get('france-travail-paris')![0]!;
    toCapEmploi = drained.get('cap-emploi-75')![0]!;
    expect(toFranceTravail.fields['routingKey']).to.equal('france-travail-paris.correction');
    expect(toFranceTravail.properties).to.include({ appId: 'passerelle' });
  });

  it("GnuPG, as France Travail, verifies the gateway's signature on the notice, then OFII's own signature on the rectification it carries", async () => {
    const gatewayFpr = await fingerprintOf(ftGpg, readCert('gateway', 'openpgp.asc'));
    const ofiiFpr = await fingerprintOf(ftGpg, readCert('partners', 'ofii-paris', 'openpgp.asc'));
    const opened = await ftGpg.run(['--decrypt'], { stdin: toFranceTravail.body });
    expect(validSignatures(opened.status).map((s) => s.primaryFingerprint)).to.deep.equal([gatewayFpr]);
    const notice = JSON.parse(opened.stdout.toString('utf8')) as Json;
    expect(notice['header']).to.include({ type: 'correction', sender: 'passerelle', recipient: 'france-travail-paris', beneficiaryRef: ref, inReplyTo: rectification['header']['messageId'] });
    expect(notice['body']['corrects']).to.equal(orientation['header']['messageId']);
    expect(notice['body']['rectification']).to.include({ messageId: rectification['header']['messageId'], sender: 'ofii-paris' });
    const inner = await ftGpg.run(['--decrypt'], { stdin: Buffer.from(notice['body']['rectification']['signedMessage'] as string, 'base64') });
    expect(validSignatures(inner.status).map((s) => s.primaryFingerprint)).to.deep.equal([ofiiFpr]);
    expect(Buffer.compare(inner.stdout, Buffer.from(bytesOf(rectification)))).to.equal(0);
  });

  it("the project's client, as Cap emploi, verifies the rectification with OFII's key and applies it to the orientation its dossier carried", async () => {
    const view = await partner('cap-emploi-75');
    const received = await receiveDelivery({ view, delivery: { messageId: toCapEmploi.properties['messageId'] as string, sender: 'passerelle', body: toCapEmploi.body }, maxDocumentBytes: gw.settings.maxDocumentBytes });
    expect(received.header.type).to.equal('correction');
    expect(received.correction!.signerFingerprint).to.equal(gw.trust.partner('ofii-paris')!.publicKeys[0]!.getFingerprint().toLowerCase());
    const { corrected: applied, step } = applyCorrection(orientation, received.correction!);
    const corrected = applied as Json;
    expect(corrected['body']['identity']['givenNames']).to.deep.equal(['Daria', ...(orientation['body']['identity']['givenNames'] as string[]).slice(1)]);
    expect(corrected['body']['language']['initialLevel']).to.equal('A1');
    expect(corrected['header']).to.deep.equal(orientation['header']);
    expect(step).to.include({ messageId: rectification['header']['messageId'], reason: 'ERREUR_DE_SAISIE' });
  });

  it('audits the acceptance and one correction-notified entry per recipient, with pseudonyms and ids only', async () => {
    const entries = await auditLog(gw);
    const id = rectification['header']['messageId'] as string;
    const accepted = entries.find((e) => e.entry['event'] === 'accepted' && e.entry['messageId'] === id)!;
    expect(accepted.entry).to.include({ type: 'rectification', sender: 'ofii-paris', recipient: 'passerelle' });
    const notified = entries.filter((e) => e.entry['event'] === 'correction-notified');
    expect(notified.map((e) => e.entry['recipient']).sort()).to.deep.equal(['cap-emploi-75', 'france-travail-paris']);
    for (const e of notified) expect(e.entry).to.include({ type: 'correction', sender: 'passerelle', beneficiary: accepted.entry['beneficiary'] });
    expect(entries.filter((e) => e.entry['event'] === 'correction-withheld')).to.have.length(0);
    for (const { raw } of entries) expect(raw).to.not.include(ref).and.not.include('Daria');
    // Who received the rectification, as the access report will read it.
    expect(await gw.store.documentRecipients(id)).to.deep.equal(['cap-emploi-75', 'france-travail-paris']);
  });

  it("refuses France Travail's rectification of OFII's orientation (rule rectification-by-author), and queues nothing", async () => {
    const hijack = rectificationOf({ sender: 'france-travail-paris', ref, corrects: orientation['header']['messageId'], changes: [{ op: 'replace', path: '/body/language/initialLevel', value: 'B2' }] });
    const answer = await send(gw.baseUrl, 'france-travail-paris', hijack);
    expect(answer.status).to.equal(422);
    expect(answer.body).to.include({ code: 'rule_violation', rule: 'rectification-by-author' });
    await settled(gw);
    for (const id of AGENCIES) expect(await drainQueue(queueName(gw.settings.amqpPrefix, id)), id).to.have.length(0);
  });

  it('refuses a patch that makes the orientation invalid with schema_invalid naming the pointer, never the value, and queues nothing', async () => {
    const before = (await auditLog(gw)).length;
    const broken = rectificationOf({ sender: 'ofii-paris', ref, corrects: orientation['header']['messageId'], changes: [{ op: 'replace', path: '/body/language/initialLevel', value: 'NIVEAU-Z9' }] });
    const answer = await send(gw.baseUrl, 'ofii-paris', broken);
    expect(answer.status).to.equal(422);
    expect((answer.body as Json)['code']).to.equal('schema_invalid');
    expect((answer.body as Json)['errors'][0]).to.include({ pointer: '/body/language/initialLevel' });
    expect(JSON.stringify(answer.body)).to.not.include('NIVEAU-Z9');
    const after = await auditLog(gw);
    expect(after.slice(before).map((e) => e.entry['event'])).to.deep.equal(['rejected']);
    await settled(gw);
    for (const id of AGENCIES) expect(await drainQueue(queueName(gw.settings.amqpPrefix, id)), id).to.have.length(0);
    expect(await gw.store.findMessage(broken['header']['messageId'])).to.equal(undefined);
  });

  it("a further referral's dossier carries the original and its rectification, and the client's corrected version has the new values", async () => {
    // EPEC may not receive the orientation (health data): Cap emploi refers the person back to France Travail.
    const epec = await send(gw.baseUrl, 'cap-emploi-75', referral('cap-emploi-75', 'epec-paris', ref));
    expect(epec.body).to.include({ code: 'rule_violation', rule: 'health-data-cap-emploi-france-travail-only' });
    const back = referral('cap-emploi-75', 'france-travail-paris', ref);
    back['body']['reason'] = 'DEMANDE_PERSONNE';
    const answer = await send(gw.baseUrl, 'cap-emploi-75', back);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    await settled(gw);
    const delivered = await drainQueue(queueName(gw.settings.amqpPrefix, 'france-travail-paris'));
    const dossier = delivered.find((m) => m.properties['type'] === 'dossier')!;
    const view = await partner('france-travail-paris');
    const received = await receiveDelivery({ view, delivery: { messageId: dossier.properties['messageId'] as string, sender: 'passerelle', body: dossier.body }, maxDocumentBytes: gw.settings.maxDocumentBytes });
    expect(received.dossier!.map((d) => [d.header.type, d.header.sender])).to.deep.equal([
      ['orientation', 'ofii-paris'],
      ['acknowledgement', 'france-travail-paris'],
      ['rectification', 'ofii-paris'],
    ]);
    const documents = correctedDocuments(received.dossier!);
    expect(documents.map((d) => d.header.type)).to.deep.equal(['orientation', 'acknowledgement']);
    const [corrected] = documents;
    expect(corrected!.original).to.deep.equal(orientation);
    expect((corrected!.corrected as Json)['body']['identity']['givenNames'][0]).to.equal('Daria');
    expect((corrected!.corrected as Json)['body']['language']['initialLevel']).to.equal('A1');
    expect(corrected!.history).to.have.length(1);
    expect(corrected!.history[0]).to.include({ messageId: rectification['header']['messageId'], reason: 'ERREUR_DE_SAISIE', requestedOn: rectification['body']['requestedOn'] });
    expect(corrected!.history[0]!.acceptedAt).to.be.a('string');
    expect(documents[1]!.history).to.deep.equal([]);
    // The rectification is recorded as disclosed by this dossier too.
    expect(await gw.store.documentRecipients(rectification['header']['messageId'])).to.deep.equal(['cap-emploi-75', 'france-travail-paris']);
  });
});
