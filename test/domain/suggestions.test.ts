import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { assertEligible, evaluateEligibility } from '../../src/domain/eligibility.js';
import { suggestRecipients } from '../../src/domain/suggestions.js';
import { DEFAULT_PARTNERS } from '../../src/dev-pki/example-partners.js';
import { PROJECT_ROOT } from '../fixtures/gateway.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function orientation(change: (body: Body) => void = () => undefined, sentAt = '2026-11-27T09:30:00Z') {
  const body = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'schemas', 'examples', 'orientation.v1.json'), 'utf8')) as { body: Body }).body;
  change(body);
  return { header: { type: 'orientation', sentAt }, body };
}

describe('domain/eligibility: evaluateEligibility', () => {
  const missionLocale = DEFAULT_PARTNERS.find((p) => p.id === 'mission-locale-paris')!;

  it('reports each rule of the recipient with whether it holds and what it asks, from the registry only', () => {
    expect(evaluateEligibility(orientation(), missionLocale)).to.deep.equal([
      { rule: 'mission-locale-age', holds: true, explanation: "the beneficiary's age on the send date must be from 16 to 25" },
    ]);
    // Born 2004-03-14: 26 on 2030-03-14.
    const older = orientation(() => undefined, '2030-03-14T08:00:00Z');
    expect(evaluateEligibility(older, missionLocale)[0]!.holds).to.equal(false);
    expect(() => assertEligible(older, missionLocale)).to.throw('Rule mission-locale-age: mission-locale-paris cannot take this orientation');
  });

  it('has no result for a rule of another message type', () => {
    expect(evaluateEligibility({ header: { type: 'acknowledgement', sentAt: '2026-11-27T09:30:00Z' }, body: {} }, missionLocale)).to.deep.equal([]);
  });
});

describe('domain/suggestions', () => {
  it('lists every agency that receives orientations, in registry order, with its rules and the fields to remove', () => {
    const suggestions = suggestRecipients(orientation(), DEFAULT_PARTNERS);
    expect(suggestions.map((s) => s.partner)).to.deep.equal(['france-travail-paris', 'mission-locale-paris', 'cap-emploi-75', 'epec-paris', 'ville-de-paris', 'ftda-paris']);
    const byId = new Map(suggestions.map((s) => [s.partner, s]));
    // The example: a 22-year-old refugee, no disability data.
    expect(byId.get('mission-locale-paris')).to.deep.include({ name: 'Mission Locale de Paris', eligible: true, minimisation: [] });
    expect(byId.get('ftda-paris')).to.deep.include({ eligible: true });
    expect(byId.get('france-travail-paris')).to.deep.include({ eligible: true, reasons: [] });
    expect(byId.get('cap-emploi-75')).to.deep.include({
      eligible: false,
      reasons: [{ rule: 'cap-emploi-disability', holds: false, explanation: 'the beneficiary must have a recognised disability and have consented to sharing health data' }],
    });
  });

  it('sends a person with a disability and consent to Cap emploi and France Travail, and tells what others may not receive', () => {
    const body = orientation((b) => {
      b['disability'] = { rqth: 'EN_COURS' };
      b['consent'] = { healthData: true, healthDataGivenOn: '2026-11-26' };
      b['residencePermit']['grounds'] = 'FAM_CONJOINT_FR';
      b['situation']['rsaBeneficiary'] = true;
    });
    const byId = new Map(suggestRecipients(body, DEFAULT_PARTNERS).map((s) => [s.partner, s]));
    expect(byId.get('cap-emploi-75')).to.deep.include({ eligible: true });
    expect(byId.get('cap-emploi-75')!.minimisation).to.deep.equal([{ rule: 'income-support-rights-ville-de-paris-france-travail-only', field: '/body/situation/rsaBeneficiary' }]);
    expect(byId.get('france-travail-paris')).to.deep.include({ eligible: true, minimisation: [] });
    expect(byId.get('ftda-paris')!.eligible).to.equal(false);
    expect(byId.get('ville-de-paris')!.minimisation.map((m) => m.field)).to.deep.equal(['/body/disability', '/body/consent']);
  });
});
