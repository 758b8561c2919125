/**
 * The end-of-CIR review's rules in the domain: where it may go (an agency that follows the person, or
 * the gateway for the statistics only), what it does to the follow and the dossier, and that the
 * registry's minimisation engine applies to it like to any disclosure.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { GatewayError } from '../../src/domain/errors.js';
import { assertReviewToFollower, DOSSIER_TYPES, followEffects, keptInDossier, REVIEW_RULE } from '../../src/domain/follow.js';
import { forStatisticsOnly, GATEWAY_ID, GATEWAY_PARTNER, GATEWAY_RECEIVES } from '../../src/domain/gateway-partner.js';
import { assertMinimised, findForbiddenFields } from '../../src/domain/minimisation.js';
import type { Partner } from '../../src/domain/partner.js';
import { assertRoutable } from '../../src/domain/routing.js';
import { DEFAULT_PARTNERS } from '../../src/dev-pki/example-partners.js';

const example = JSON.parse(readFileSync(new URL('../../schemas/examples/cir-review.v1.json', import.meta.url), 'utf8')) as { header: { type: string; sender: string; recipient: string }; body: Record<string, unknown> };

function refusal(action: () => void): GatewayError {
  try {
    action();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('no refusal');
}

const registry = new Map(DEFAULT_PARTNERS.map((p) => [p.id, p as Partner]));
const findPartner = (id: string) => (id === GATEWAY_ID ? GATEWAY_PARTNER : registry.get(id));

describe('domain: the end-of-CIR review (cir-review)', () => {
  it('goes to an agency only if it follows the person: otherwise rule review-to-follower, which names the two ways out', () => {
    expect(() => assertReviewToFollower({ follows: true, recipient: 'france-travail-paris' })).not.to.throw();
    const err = refusal(() => assertReviewToFollower({ follows: false, recipient: 'mission-locale-paris' }));
    expect(err.code).to.equal('rule_violation');
    expect(err.rule).to.equal(REVIEW_RULE).and.equal('review-to-follower');
    expect(err.status).to.equal(422);
    expect(err.message).to.include('mission-locale-paris does not follow').and.include('the agency that follows the person').and.include('"passerelle"');
  });

  it('changes no follow and takes nobody in charge, whoever it is addressed to', () => {
    for (const recipient of ['france-travail-paris', GATEWAY_ID]) {
      expect(followEffects({ header: { type: 'cir-review', sender: 'ofii-paris', recipient }, body: example.body }), recipient).to.deep.equal({ takenInCharge: false });
    }
  });

  it('joins the dossier when delivered to an agency, never when addressed to the gateway for the statistics only', () => {
    expect(DOSSIER_TYPES).to.include('cir-review');
    expect(keptInDossier({ type: 'cir-review', recipient: 'france-travail-paris' })).to.equal(true);
    expect(keptInDossier({ type: 'cir-review', recipient: GATEWAY_ID })).to.equal(false);
    expect(forStatisticsOnly({ type: 'cir-review', recipient: GATEWAY_ID })).to.equal(true);
    expect(forStatisticsOnly({ type: 'cir-review', recipient: 'france-travail-paris' })).to.equal(false);
    // The opt-out is addressed to the gateway, but is not a statistics-only message and keeps nothing either.
    expect(forStatisticsOnly({ type: 'opt-out', recipient: GATEWAY_ID })).to.equal(false);
    expect(keptInDossier({ type: 'opt-out', recipient: GATEWAY_ID })).to.equal(false);
  });

  it('routes from OFII to every agency of the example registry and to the gateway; an agency may not send it', () => {
    const ofii = registry.get('ofii-paris')!;
    for (const id of ['france-travail-paris', 'mission-locale-paris', 'cap-emploi-75', 'epec-paris', 'ville-de-paris', 'ftda-paris', GATEWAY_ID]) {
      expect(assertRoutable({ sender: ofii, type: 'cir-review', recipientId: id, body: example.body, findPartner }).id, id).to.equal(id);
    }
    const agency = registry.get('france-travail-paris')!;
    expect(refusal(() => assertRoutable({ sender: agency, type: 'cir-review', recipientId: 'cap-emploi-75', body: example.body, findPartner })).code).to.equal('type_not_allowed');
    expect(refusal(() => assertRoutable({ sender: ofii, type: 'cir-review', recipientId: 'prefecture-paris', body: example.body, findPartner })).code).to.equal('recipient_not_allowed');
  });

  it('is not a type only the gateway receives: the registry still lets agencies receive it', () => {
    expect(GATEWAY_RECEIVES).not.to.include('cir-review');
    expect(GATEWAY_PARTNER.receives).to.include('cir-review').and.include('opt-out');
  });

  it('the example registry forbids nothing in a review (codes only, no health data, no income-support rights): every agency may receive the example', () => {
    for (const partner of DEFAULT_PARTNERS.filter((p) => p.receives.includes('cir-review'))) {
      expect(findForbiddenFields(example, partner as Partner), partner.id).to.deep.equal([]);
      expect(partner.minimisation.filter((rule) => rule.messageTypes.includes('cir-review')), partner.id).to.deep.equal([]);
    }
  });

  it('a registry rule naming cir-review is applied to it like to any message: the field is refused with its pointer, never its value', () => {
    const strict: Partner = {
      ...(registry.get('epec-paris') as Partner),
      minimisation: [{ rule: 'no-declared-situation-for-test', messageTypes: ['cir-review'], forbiddenFields: ['/body/declaredSituation'], forbiddenValues: ['INACTIF'] }],
    };
    const inactive = { ...example, body: { ...example.body, declaredSituation: 'INACTIF' } };
    const err = refusal(() => assertMinimised(inactive, strict));
    expect(err.rule).to.equal('no-declared-situation-for-test');
    expect(err.message).to.include('/body/declaredSituation').and.include('cir-review').and.not.include('INACTIF');
    expect(() => assertMinimised(example, strict)).not.to.throw();
  });
});
