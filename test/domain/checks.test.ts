import { expect } from 'chai';
import { ageOn, assertEligible, type EligibilityInput } from '../../src/domain/eligibility.js';
import { assertFresh } from '../../src/domain/freshness.js';
import { assertReplyMatches, REPLY_RULE } from '../../src/domain/replies.js';
import { assertRoutable } from '../../src/domain/routing.js';
import type { Partner } from '../../src/domain/partner.js';
import { thrownGatewayError } from '../fixtures/gateway-error.js';

const thrown = thrownGatewayError;

const ofii: Partner = { id: 'ofii-paris', name: 'OFII', role: 'agency', sends: ['orientation'], receives: ['acknowledgement'], eligibility: [], minimisation: [] };
const missionLocale: Partner = {
  id: 'mission-locale-paris',
  name: 'Mission Locale',
  role: 'agency',
  organisationType: 'MISSION_LOCALE',
  sends: ['acknowledgement'],
  receives: ['orientation'],
  eligibility: [{ rule: 'mission-locale-age', kind: 'age-between', min: 16, max: 25, messageTypes: ['orientation'] }],
  minimisation: [],
};
const capEmploi: Partner = { ...missionLocale, id: 'cap-emploi-75', eligibility: [{ rule: 'cap-emploi-disability', kind: 'recognised-disability-with-consent', messageTypes: ['orientation'] }] };
const ftda: Partner = { ...missionLocale, id: 'ftda-paris', eligibility: [{ rule: 'ftda-international-protection', kind: 'residence-grounds-in', grounds: ['PI_REFUGIE'], messageTypes: ['orientation'] }] };
const registry = new Map([ofii, missionLocale, capEmploi, ftda].map((p) => [p.id, p]));

function orientation(body: Record<string, unknown>, sentAt = '2026-11-27T09:30:00Z'): EligibilityInput {
  return { header: { type: 'orientation', sentAt }, body };
}

describe('domain/freshness', () => {
  const policy = { maxFutureSeconds: 300, maxAgeSeconds: 86400 };
  const now = new Date('2026-11-27T12:00:00Z');
  it('accepts a message within the window, at both edges', () => {
    assertFresh('2026-11-27T12:05:00Z', now, policy);
    assertFresh('2026-11-26T12:00:00Z', now, policy);
  });
  it('refuses one second beyond either edge with stale_message', () => {
    expect(thrown(() => assertFresh('2026-11-27T12:05:01Z', now, policy)).code).to.equal('stale_message');
    expect(thrown(() => assertFresh('2026-11-26T11:59:59Z', now, policy)).code).to.equal('stale_message');
  });
});

describe('domain/routing', () => {
  const find = (id: string) => registry.get(id);
  const body = { orientation: { recipientType: 'MISSION_LOCALE' } };
  it('returns the recipient when the sender may send the type and the recipient may receive it', () => {
    expect(assertRoutable({ sender: ofii, type: 'orientation', recipientId: 'mission-locale-paris', body, findPartner: find }).id).to.equal('mission-locale-paris');
  });
  it('refuses in the contract order: type, then recipient existence, then recipient permission', () => {
    expect(thrown(() => assertRoutable({ sender: missionLocale, type: 'orientation', recipientId: 'nobody-here', body, findPartner: find })).code).to.equal('type_not_allowed');
    expect(thrown(() => assertRoutable({ sender: ofii, type: 'orientation', recipientId: 'nobody-here', body, findPartner: find })).code).to.equal('unknown_recipient');
    expect(thrown(() => assertRoutable({ sender: missionLocale, type: 'acknowledgement', recipientId: 'ftda-paris', body: {}, findPartner: find })).code).to.equal('recipient_not_allowed');
  });
});

describe('domain/eligibility', () => {
  it('computes whole years, counting the birthday itself', () => {
    expect(ageOn('2000-11-27', '2026-11-27')).to.equal(26);
    expect(ageOn('2000-11-28', '2026-11-27')).to.equal(25);
    expect(ageOn('2008-02-29', '2026-02-28')).to.equal(17);
  });
  it('Mission Locale: 16 to 25 on the send date', () => {
    assertEligible(orientation({ identity: { birthDate: '2000-11-28' } }), missionLocale);
    assertEligible(orientation({ identity: { birthDate: '2010-11-27' } }), missionLocale);
    const error = thrown(() => assertEligible(orientation({ identity: { birthDate: '2000-11-27' } }), missionLocale));
    expect(error.code).to.equal('rule_violation');
    expect(error.rule).to.equal('mission-locale-age');
    expect(error.message).not.to.include('2000');
    expect(thrown(() => assertEligible(orientation({ identity: { birthDate: '2010-11-28' } }), missionLocale)).rule).to.equal('mission-locale-age');
  });
  it('Cap emploi: a recognised disability and consent to share health data', () => {
    assertEligible(orientation({ disability: { rqth: 'OUI' }, consent: { healthData: true } }), capEmploi);
    assertEligible(orientation({ disability: { rqth: 'NON', otherBeneficiaryStatus: ['AAH'] }, consent: { healthData: true } }), capEmploi);
    expect(thrown(() => assertEligible(orientation({ disability: { rqth: 'OUI' }, consent: { healthData: false } }), capEmploi)).rule).to.equal('cap-emploi-disability');
    expect(thrown(() => assertEligible(orientation({ disability: { rqth: 'NON' }, consent: { healthData: true } }), capEmploi)).rule).to.equal('cap-emploi-disability');
    expect(thrown(() => assertEligible(orientation({}), capEmploi)).rule).to.equal('cap-emploi-disability');
  });
  it('France terre d\'asile: residence grounds among those listed', () => {
    assertEligible(orientation({ residencePermit: { grounds: 'PI_REFUGIE' } }), ftda);
    expect(thrown(() => assertEligible(orientation({ residencePermit: { grounds: 'PRO_SALARIE' } }), ftda)).rule).to.equal('ftda-international-protection');
  });
  it('ignores rules of other message types', () => {
    const doc = orientation({ identity: { birthDate: '1960-01-01' } });
    doc.header.type = 'status-update';
    assertEligible(doc, missionLocale);
  });
});

describe('domain/replies', () => {
  const original = { type: 'orientation', sender: 'ofii-paris', recipient: 'mission-locale-paris', beneficiary: 'abc' };
  const referral = { type: 'referral', sender: 'france-travail-paris', recipient: 'mission-locale-paris', beneficiary: 'abc' };
  it('accepts an answer from the recipient of the original, to its sender, about the same person', () => {
    assertReplyMatches({ sender: 'mission-locale-paris', recipient: 'ofii-paris', beneficiary: 'abc', original });
  });
  it('accepts a report to OFII from the agency a referral was sent to, naming that referral', () => {
    assertReplyMatches({ sender: 'mission-locale-paris', recipient: 'ofii-paris', beneficiary: 'abc', original: referral });
  });
  it('refuses an unknown original, another agency\'s exchange, or another person', () => {
    for (const attempt of [
      { sender: 'cap-emploi-75', recipient: 'ofii-paris', beneficiary: 'abc', original: referral },
      { sender: 'mission-locale-paris', recipient: 'ofii-paris', beneficiary: 'def', original: referral },
      { sender: 'mission-locale-paris', recipient: 'cap-emploi-75', beneficiary: 'abc', original },
      { sender: 'mission-locale-paris', recipient: 'ofii-paris', beneficiary: 'abc', original: undefined },
      { sender: 'cap-emploi-75', recipient: 'ofii-paris', beneficiary: 'abc', original },
      { sender: 'mission-locale-paris', recipient: 'ofii-paris', beneficiary: 'def', original },
    ]) {
      const error = thrown(() => assertReplyMatches(attempt));
      expect(error.code).to.equal('rule_violation');
      expect(error.rule).to.equal(REPLY_RULE);
    }
  });
});
