/**
 * Attack: a correction as a side door for a field a recipient may not receive. Mission Locale received
 * OFII's orientation in a dossier (no health data); OFII then adds the person's disability and consent
 * by rectification. Mission Locale's minimisation forbids those fields in orientations, so it must not
 * get that correction: the notice is withheld and audited `correction-withheld` with the rule, without
 * naming Mission Locale (its own view of the log would tell it that a forbidden field changed). France
 * Travail, which may hold health data with consent, gets it. A later correction of an allowed field
 * reaches Mission Locale and carries nothing of the health data.
 * Real gateway on the example registry, SQLite, RabbitMQ and OpenPGP.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { receiveDelivery } from '../../src/client/receive.js';
import { drainQueue, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { acknowledgement, auditLog, orientationTo, randomRef, referral } from '../fixtures/dossier.js';
import { nowRfc3339, partner, send, type Json } from '../fixtures/partner.js';

describe('security: a correction never carries a field its recipient may not receive', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  const ref = randomRef();
  let orientation: Json;

  const rectification = (changes: Json[]): Json => ({
    header: { messageId: randomUUID(), type: 'rectification', version: 1, sender: 'ofii-paris', recipient: 'passerelle', sentAt: nowRfc3339(), beneficiaryRef: ref },
    body: { corrects: orientation['header']['messageId'], changes, reason: 'DEMANDE_DE_LA_PERSONNE', requestedOn: new Date().toISOString().slice(0, 10) },
  });

  async function queues(): Promise<Record<string, Array<{ type: unknown; messageId: unknown; body: Uint8Array }>>> {
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    const found: Record<string, Array<{ type: unknown; messageId: unknown; body: Uint8Array }>> = {};
    for (const id of ['france-travail-paris', 'mission-locale-paris']) {
      found[id] = (await drainQueue(queueName(gw.settings.amqpPrefix, id))).map((m) => ({ type: m.properties['type'], messageId: m.properties['messageId'], body: m.body }));
    }
    return found;
  }

  before(async () => {
    gw = await startTestGateway();
    orientation = orientationTo('france-travail-paris', ref);
    expect((await send(gw.baseUrl, 'ofii-paris', orientation)).status).to.equal(202);
    expect((await send(gw.baseUrl, 'france-travail-paris', acknowledgement('france-travail-paris', orientation, 'ACCEPTEE'))).status).to.equal(202);
    expect((await send(gw.baseUrl, 'france-travail-paris', referral('france-travail-paris', 'mission-locale-paris', ref))).status).to.equal(202);
    await queues();
    expect(await gw.store.documentRecipients(orientation['header']['messageId'])).to.deep.equal(['france-travail-paris', 'mission-locale-paris']);
  });
  after(async () => {
    await gw?.dispose();
  });

  it('adding health data by rectification reaches France Travail only; the notice to Mission Locale is withheld and audited without naming it', async () => {
    const adding = rectification([
      { op: 'add', path: '/body/disability', value: { rqth: 'OUI' } },
      { op: 'add', path: '/body/consent', value: { healthData: true, healthDataGivenOn: '2026-12-01' } },
    ]);
    const answer = await send(gw.baseUrl, 'ofii-paris', adding);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    const delivered = await queues();
    expect(delivered['france-travail-paris']!.map((m) => m.type)).to.deep.equal(['correction']);
    expect(delivered['mission-locale-paris'], 'nothing for Mission Locale').to.have.length(0);

    const entries = await auditLog(gw);
    const withheld = entries.filter((e) => e.entry['event'] === 'correction-withheld');
    expect(withheld).to.have.length(1);
    expect(withheld[0]!.entry).to.include({ messageId: adding['header']['messageId'], sender: 'ofii-paris', code: 'health-data-cap-emploi-france-travail-only' });
    expect(withheld[0]!.entry).to.not.have.property('recipient');
    expect(entries.filter((e) => e.entry['event'] === 'correction-notified').map((e) => e.entry['recipient'])).to.deep.equal(['france-travail-paris']);
    // Mission Locale's own view of the log shows nothing of this rectification.
    const seenByMl = await gw.store.readAuditEntriesNaming('mission-locale-paris', 0, Number.MAX_SAFE_INTEGER, 10_000);
    expect(seenByMl.map((e) => e.entry).join('\n')).to.not.include(adding['header']['messageId']);
    expect(await gw.store.documentRecipients(adding['header']['messageId'])).to.deep.equal(['france-travail-paris']);
  });

  it('a later correction of an allowed field reaches Mission Locale, and carries nothing of the health data', async () => {
    const name = rectification([{ op: 'replace', path: '/body/identity/birthName', value: 'KARIMY' }]);
    expect((await send(gw.baseUrl, 'ofii-paris', name)).status).to.equal(202);
    const delivered = await queues();
    expect(delivered['mission-locale-paris']!.map((m) => m.type)).to.deep.equal(['correction']);
    expect(delivered['france-travail-paris']!.map((m) => m.type)).to.deep.equal(['correction']);
    const notice = delivered['mission-locale-paris']![0]!;
    const received = await receiveDelivery({ view: await partner('mission-locale-paris'), delivery: { messageId: notice.messageId as string, sender: 'passerelle', body: notice.body }, maxDocumentBytes: gw.settings.maxDocumentBytes });
    const everything = Buffer.concat([Buffer.from(received.document), Buffer.from(received.correction!.document)]).toString('utf8');
    expect(everything).to.include('KARIMY');
    for (const forbidden of ['disability', 'rqth', 'consent', 'healthData']) expect(everything, forbidden).to.not.include(forbidden);
  });

  it("a later referral judges the new agency's rules on the corrected orientation: health data added by rectification bars Mission Locale and admits Cap emploi", async () => {
    const person = randomRef();
    const original = orientationTo('france-travail-paris', person);
    expect((await send(gw.baseUrl, 'ofii-paris', original)).status).to.equal(202);
    expect((await send(gw.baseUrl, 'france-travail-paris', acknowledgement('france-travail-paris', original, 'ACCEPTEE'))).status).to.equal(202);
    const adding = {
      header: { messageId: randomUUID(), type: 'rectification', version: 1, sender: 'ofii-paris', recipient: 'passerelle', sentAt: nowRfc3339(), beneficiaryRef: person },
      body: {
        corrects: original['header']['messageId'],
        changes: [
          { op: 'add', path: '/body/disability', value: { rqth: 'OUI' } },
          { op: 'add', path: '/body/consent', value: { healthData: true, healthDataGivenOn: '2026-12-01' } },
        ],
        reason: 'MISE_A_JOUR',
        requestedOn: new Date().toISOString().slice(0, 10),
      },
    };
    expect((await send(gw.baseUrl, 'ofii-paris', adding)).status).to.equal(202);
    await queues();
    // The original alone would go to Mission Locale; the corrected version may not.
    const toMl = await send(gw.baseUrl, 'france-travail-paris', referral('france-travail-paris', 'mission-locale-paris', person));
    expect(toMl.body).to.include({ code: 'rule_violation', rule: 'health-data-cap-emploi-france-travail-only' });
    // Cap emploi's eligibility (a recognised disability, with consent) holds on the corrected version only.
    const toCapEmploi = referral('france-travail-paris', 'cap-emploi-75', person);
    toCapEmploi['body']['reason'] = 'HANDICAP';
    const answer = await send(gw.baseUrl, 'france-travail-paris', toCapEmploi);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    expect(await gw.store.documentRecipients(adding['header']['messageId'])).to.deep.equal(['cap-emploi-75', 'france-travail-paris']);
    expect(await gw.store.documentRecipients(original['header']['messageId'])).to.deep.equal(['cap-emploi-75', 'france-travail-paris']);
  });
});
