/**
 * Attacks on execution receipts and on the withdrawal of health consent, one named attack per test,
 * against a real gateway and store:
 * - receipt-forgery: an agency answers a withdrawal notice sent to another agency, to mark it carried
 *   out (or to learn whether such a notice exists);
 * - receipt-overwrite: the notice's recipient sends a second receipt to change what it reported;
 * - receipt-free-text: personal data smuggled into the legal reference of a refusal;
 * - health-after-withdrawal: health data sent again after the person withdrew their consent, by
 *   another field than /body/disability (a SANTE constraint, a referral's reason HANDICAP).
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { receiveDelivery } from '../../src/client/receive.js';
import { acknowledgement, auditLog, optOut, orientationTo, randomRef, referral } from '../fixtures/dossier.js';
import { drainQueue, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { get, partner, send, type Json } from '../fixtures/partner.js';

describe('@integration security: execution receipts and the withdrawal of health consent', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  /** The withdrawal notice France Travail received, as it decrypted it. */
  let notice: Json;

  before(async () => {
    gw = await startTestGateway();
    const ref = randomRef();
    expect((await send(gw.baseUrl, 'ofii-paris', orientationTo('france-travail-paris', ref))).status).to.equal(202);
    expect((await send(gw.baseUrl, 'ofii-paris', optOut(ref, 'RETRAIT'))).status).to.equal(202);
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    const delivered = (await drainQueue(queueName(gw.settings.amqpPrefix, 'france-travail-paris'))).find((m) => m.properties['type'] === 'withdrawal')!;
    const received = await receiveDelivery({ view: await partner('france-travail-paris'), delivery: { messageId: delivered.properties['messageId'] as string, sender: 'passerelle', body: delivered.body }, maxDocumentBytes: gw.settings.maxDocumentBytes });
    notice = JSON.parse(new TextDecoder().decode(received.document)) as Json;
  });
  after(async () => {
    await gw?.dispose();
  });

  function receipt(from: string, inReplyTo: string, body: Json = { status: 'EFFECTUE', executedOn: new Date().toISOString().slice(0, 10) }): Json {
    return { header: { messageId: randomUUID(), type: 'execution-receipt', version: 1, sender: from, recipient: 'passerelle', sentAt: new Date().toISOString(), beneficiaryRef: notice['header']['beneficiaryRef'], inReplyTo }, body };
  }
  const comparable = (answer: { status: number; body: unknown }) => {
    const { requestId: _id, ...rest } = answer.body as Record<string, unknown>;
    return { status: answer.status, ...rest };
  };

  it("receipt-forgery: another agency's notice cannot be answered, and the refusal reads as for a notice that does not exist", async () => {
    const forged = receipt('cap-emploi-75', notice['header']['messageId']);
    const onForeign = await send(gw.baseUrl, 'cap-emploi-75', forged);
    const onNothing = await send(gw.baseUrl, 'cap-emploi-75', receipt('cap-emploi-75', randomUUID()));
    expect(onForeign.body).to.include({ code: 'rule_violation', rule: 'receipt-answers-withdrawal' });
    expect(comparable(onForeign)).to.deep.equal(comparable(onNothing));
    const row = ((await get(gw.baseUrl, 'operator', '/v1/withdrawals')).body as Json)['notices'].find((n: Json) => n['noticeId'] === notice['header']['messageId']);
    expect(row).to.not.have.property('status');
    // The refusal's audit entry does not carry the pseudonym of the person the other agency's notice is about.
    const refused = (await auditLog(gw)).find((e) => e.entry['event'] === 'rejected' && e.entry['messageId'] === forged['header']['messageId'])!;
    expect(refused.entry).to.not.have.property('beneficiary');
  });

  it('receipt-overwrite: once the recipient answered, a second receipt (a new message) cannot change the record', async () => {
    const effected = await send(gw.baseUrl, 'france-travail-paris', receipt('france-travail-paris', notice['header']['messageId']));
    expect(effected.status).to.equal(202);
    const refused = await send(gw.baseUrl, 'france-travail-paris', receipt('france-travail-paris', notice['header']['messageId'], { status: 'REFUSE_MOTIF_LEGAL', executedOn: new Date().toISOString().slice(0, 10), legalGround: 'CONTENTIEUX_EN_COURS' }));
    expect(refused.body).to.include({ code: 'rule_violation', rule: 'receipt-answers-withdrawal' });
    const row = ((await get(gw.baseUrl, 'auditor', '/v1/withdrawals?state=answered')).body as Json)['notices'].find((n: Json) => n['noticeId'] === notice['header']['messageId']);
    expect(row).to.include({ status: 'EFFECTUE' }).and.not.have.property('legalGround');
  });

  it('receipt-free-text: a legal reference that is not a code and an article is refused, and its text goes nowhere', async () => {
    const smuggled = receipt('france-travail-paris', randomUUID(), { status: 'REFUSE_MOTIF_LEGAL', executedOn: '2026-12-01', legalGround: 'AUTRE_OBLIGATION_LEGALE', legalReference: 'Mme KARIMI Leila' });
    const answer = await send(gw.baseUrl, 'france-travail-paris', smuggled);
    expect(answer.body).to.include({ code: 'schema_invalid' });
    expect(JSON.stringify(answer.body)).to.not.include('KARIMI');
    expect((answer.body as Json)['errors'].map((e: Json) => e['pointer'])).to.include('/body/legalReference');
    expect((await auditLog(gw)).map((e) => e.raw).join('\n')).to.not.include('KARIMI');
  });

  it('health-after-withdrawal: a SANTE constraint in an orientation, or a referral for HANDICAP, is refused by pointer, never by value', async () => {
    const ref = randomRef();
    const orientation = orientationTo('france-travail-paris', ref);
    expect((await send(gw.baseUrl, 'ofii-paris', orientation)).status).to.equal(202);
    expect((await send(gw.baseUrl, 'france-travail-paris', acknowledgement('france-travail-paris', orientation, 'ACCEPTEE'))).status).to.equal(202);
    expect((await send(gw.baseUrl, 'ofii-paris', optOut(ref, 'RETRAIT_ACCORD_SANTE'))).status).to.equal(202);

    const constraints = [{ theme: 'LOGEMENT', impact: 'LEGER' }, { theme: 'SANTE', impact: 'BLOQUANT' }];
    const byConstraint = await send(gw.baseUrl, 'ofii-paris', orientationTo('france-travail-paris', ref, { constraints, consent: { healthData: true, healthDataGivenOn: '2026-11-26' } }));
    expect(byConstraint.body).to.include({ code: 'rule_violation', rule: 'health-consent-withdrawn' });
    expect((byConstraint.body as Json)['detail']).to.include('/body/constraints/1').and.not.include('BLOQUANT');

    const handicap = referral('france-travail-paris', 'cap-emploi-75', ref);
    handicap['body']['reason'] = 'HANDICAP';
    const byReason = await send(gw.baseUrl, 'france-travail-paris', handicap);
    expect(byReason.body).to.include({ code: 'rule_violation', rule: 'health-consent-withdrawn' });
    expect((byReason.body as Json)['detail']).to.include('/body/reason').and.not.include('HANDICAP');
  });
});
