/**
 * Attack `rectification-hijack`: an agency rewrites, through a rectification, a document it did not
 * author (OFII's orientation, which it received), or a document of its own under another person's
 * reference, or a document it never saw. Each is refused with `rule_violation`
 * `rectification-by-author` and the SAME detail, whether the document exists or not, so that the answer
 * is no oracle on other partners' documents; nothing is kept, nothing is queued. The author itself may
 * correct its own document. On the recipient's side, a rectification signed by someone else than the
 * corrected document's author is refused by the client, whatever the gateway says.
 * Real gateway on the example registry, SQLite, RabbitMQ and OpenPGP.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { applyCorrection, correctedDocuments, type DossierEntry } from '../../src/client/dossier.js';
import { receiveDelivery } from '../../src/client/receive.js';
import { drainQueue, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { acknowledgement, auditLog, orientationTo, randomRef } from '../fixtures/dossier.js';
import { bytesOf, nowRfc3339, partner, send, type Json } from '../fixtures/partner.js';
import type { MessageHeader } from '../../src/domain/message.js';

function rectificationBy(sender: string, ref: string, corrects: string, changes: Json[]): Json {
  return {
    header: { messageId: randomUUID(), type: 'rectification', version: 1, sender, recipient: 'passerelle', sentAt: nowRfc3339(), beneficiaryRef: ref },
    body: { corrects, changes, reason: 'ERREUR_DE_SAISIE', requestedOn: new Date().toISOString().slice(0, 10) },
  };
}

describe('security: rectification-hijack, an agency rewrites a document it did not author', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  const ref = randomRef();
  const otherRef = randomRef();
  let orientation: Json;
  let ack: Json;

  before(async () => {
    gw = await startTestGateway();
    orientation = orientationTo('france-travail-paris', ref);
    expect((await send(gw.baseUrl, 'ofii-paris', orientation)).status).to.equal(202);
    ack = acknowledgement('france-travail-paris', orientation, 'ACCEPTEE');
    expect((await send(gw.baseUrl, 'france-travail-paris', ack)).status).to.equal(202);
    // France Travail also follows another person: it may send messages about both.
    const other = orientationTo('france-travail-paris', otherRef);
    expect((await send(gw.baseUrl, 'ofii-paris', other)).status).to.equal(202);
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    for (const id of ['ofii-paris', 'france-travail-paris']) await drainQueue(queueName(gw.settings.amqpPrefix, id));
  });
  after(async () => {
    await gw?.dispose();
  });

  it('is refused, with one and the same answer, for every document the sender did not author about that person', async () => {
    const change = [{ op: 'replace', path: '/body/language/initialLevel', value: 'C2' }];
    const attempts: Array<[string, Json]> = [
      ['OFII orientation it received', rectificationBy('france-travail-paris', ref, orientation['header']['messageId'], change)],
      ['its own acknowledgement, under another person', rectificationBy('france-travail-paris', otherRef, ack['header']['messageId'], [{ op: 'replace', path: '/body/plannedFirstContactOn', value: '2027-01-04' }])],
      ['a document that does not exist', rectificationBy('france-travail-paris', ref, randomUUID(), change)],
      ['a document of a person it never received', rectificationBy('mission-locale-paris', ref, orientation['header']['messageId'], change)],
    ];
    const details = new Set<string>();
    for (const [what, document] of attempts) {
      const sender = document['header']['sender'] as string;
      const answer = await send(gw.baseUrl, sender, document);
      expect(answer.status, what).to.equal(422);
      expect(answer.body, what).to.include({ code: 'rule_violation', rule: 'rectification-by-author' });
      details.add((answer.body as Json)['detail'] as string);
      expect(await gw.store.findMessage(document['header']['messageId']), what).to.equal(undefined);
    }
    expect([...details], 'no oracle: the detail does not depend on the document').to.have.length(1);
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    for (const id of ['ofii-paris', 'france-travail-paris', 'mission-locale-paris']) expect(await drainQueue(queueName(gw.settings.amqpPrefix, id)), id).to.have.length(0);
    expect((await auditLog(gw)).filter((e) => e.entry['event'] === 'correction-notified')).to.have.length(0);
  });

  it("the author corrects its own document: France Travail's acknowledgement, and OFII, which received it, is told", async () => {
    const own = rectificationBy('france-travail-paris', ref, ack['header']['messageId'], [{ op: 'add', path: '/body/plannedFirstContactOn', value: '2027-01-04' }]);
    const answer = await send(gw.baseUrl, 'france-travail-paris', own);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    const delivered = await drainQueue(queueName(gw.settings.amqpPrefix, 'ofii-paris'));
    expect(delivered.map((m) => m.properties['type'])).to.deep.equal(['correction']);
    const received = await receiveDelivery({ view: await partner('ofii-paris'), delivery: { messageId: delivered[0]!.properties['messageId'] as string, sender: 'passerelle', body: delivered[0]!.body }, maxDocumentBytes: gw.settings.maxDocumentBytes });
    expect((applyCorrection(ack, received.correction!).corrected as Json)['body']['plannedFirstContactOn']).to.equal('2027-01-04');
    // The same rectification cannot be turned against OFII's orientation: the client checks the author.
    expect(() => applyCorrection(orientation, received.correction!)).to.throw(/corrects/);
  });

  it("the client refuses a rectification signed by another partner than the corrected document's author, whatever the gateway says", () => {
    const forged = rectificationBy('france-travail-paris', ref, orientation['header']['messageId'], [{ op: 'replace', path: '/body/identity/birthName', value: 'FORGED' }]);
    const entry = (document: Json, signer: string): DossierEntry => ({ header: document['header'] as MessageHeader, document: bytesOf(document), attestedBy: 'author', signerFingerprint: signer });
    const error = (() => {
      try {
        applyCorrection(orientation, entry(forged, 'ft-fingerprint'));
      } catch (err) {
        return err as { code?: string };
      }
      return undefined;
    })();
    expect(error?.code).to.equal('sender_mismatch');
    expect(() => correctedDocuments([entry(orientation, 'ofii-fingerprint'), entry(forged, 'ft-fingerprint')])).to.throw(/not by ofii-paris/);
  });
});
