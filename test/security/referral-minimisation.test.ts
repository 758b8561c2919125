/**
 * Minimisation for referrals (issue 12, item 5): a referral says as much as an orientation through its
 * constraints and its coded reason. An agency that follows the person may not use a referral to hand
 * Mission Locale health data (a SANTE constraint, the reason HANDICAP) or an income-support right (the
 * reason RSA) that an orientation could not have carried to it. Each attack is refused with
 * rule_violation naming the recipient's rule, and changes nothing: no message, no dossier disclosure.
 * Real gateway on the example registry, SQLite, RabbitMQ and OpenPGP.
 */
import { expect } from 'chai';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { acknowledgement, auditLog, dossiersOf, orientationTo, randomRef, referral } from '../fixtures/dossier.js';
import { send, type Json } from '../fixtures/partner.js';

describe('security: a referral cannot carry what an orientation could not', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  const ref = randomRef();
  let beneficiary: string;

  before(async () => {
    gw = await startTestGateway();
    const orientation = orientationTo('france-travail-paris', ref);
    expect((await send(gw.baseUrl, 'ofii-paris', orientation)).status).to.equal(202);
    expect((await send(gw.baseUrl, 'france-travail-paris', acknowledgement('france-travail-paris', orientation, 'ACCEPTEE'))).status).to.equal(202);
    beneficiary = (await gw.store.findMessage(orientation['header']['messageId']))!.beneficiary;
  });
  after(async () => {
    await gw?.dispose();
  });

  async function refusedWith(rule: string, body: Json, recipient = 'mission-locale-paris'): Promise<void> {
    const document = referral('france-travail-paris', recipient, ref);
    document['body'] = { ...document['body'], ...body };
    const disclosuresBefore = (await auditLog(gw)).filter((e) => e.entry['event'] === 'dossier-disclosed').length;
    const answer = await send(gw.baseUrl, 'france-travail-paris', document);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(422);
    expect(answer.body).to.include({ code: 'rule_violation', rule });
    expect(await gw.store.findMessage(document['header']['messageId']), 'no message kept').to.equal(undefined);
    expect((await auditLog(gw)).filter((e) => e.entry['event'] === 'dossier-disclosed'), 'no dossier disclosed').to.have.length(disclosuresBefore);
    expect(await dossiersOf(gw).recipientsOf(beneficiary)).not.to.include(recipient);
  }

  it('a health constraint (SANTE) referred to Mission Locale is refused', async () => {
    await refusedWith('health-constraint-cap-emploi-france-travail-only', { reason: 'DEMANDE_PERSONNE', constraints: [{ theme: 'SANTE', impact: 'BLOQUANT' }] });
  });

  it('the reason HANDICAP, which says the person has a recognised disability, referred to Mission Locale is refused', async () => {
    await refusedWith('disability-referral-cap-emploi-france-travail-only', { reason: 'HANDICAP', constraints: [{ theme: 'LOGEMENT', impact: 'LEGER' }] });
  });

  it('the reason RSA, an income-support right, referred to Ensemble Paris Emploi Compétences is refused', async () => {
    await refusedWith('rsa-referral-ville-de-paris-france-travail-only', { reason: 'RSA', constraints: [] }, 'epec-paris');
  });

  it('the same person is still referred where the rules allow it: RSA to the Ville de Paris, which gets the dossier', async () => {
    const document = referral('france-travail-paris', 'ville-de-paris', ref);
    document['body'] = { ...document['body'], reason: 'RSA', constraints: [] };
    const answer = await send(gw.baseUrl, 'france-travail-paris', document);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    expect(await dossiersOf(gw).recipientsOf(beneficiary)).to.include('ville-de-paris');
  });
});
