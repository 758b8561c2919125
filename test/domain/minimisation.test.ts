import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { GatewayError } from '../../src/domain/errors.js';
import { assertMinimised, findForbiddenFields, resolvePointer, type MinimisationInput } from '../../src/domain/minimisation.js';
import { DEFAULT_PARTNERS } from '../../src/dev-pki/example-partners.js';
import type { Partner } from '../../src/domain/partner.js';
import { PROJECT_ROOT } from '../fixtures/gateway.js';

const partners = new Map(DEFAULT_PARTNERS.map((p) => [p.id, p]));
const recipient = (id: string): Partner => partners.get(id)!;

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function exampleBody(): Body {
  return (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'schemas', 'examples', 'orientation.v1.json'), 'utf8')) as { body: Body }).body;
}

function orientation(change: (body: Body) => void = () => undefined): MinimisationInput {
  const body = exampleBody();
  change(body);
  return { header: { type: 'orientation' }, body };
}

const withDisability = (body: Body) => {
  body['disability'] = { rqth: 'OUI', otherBeneficiaryStatus: ['AAH'] };
  body['consent'] = { healthData: true, healthDataGivenOn: '2026-11-26' };
};

function refusal(document: MinimisationInput, to: Partner): GatewayError {
  try {
    assertMinimised(document, to);
  } catch (err) {
    expect(err).to.be.instanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('the document was not refused');
}

describe('domain/minimisation', () => {
  describe('resolvePointer', () => {
    const document = { body: { constraints: [{ theme: 'LOGEMENT' }, { theme: 'SANTE' }], 'a/b': { '~x': 1 }, list: ['p', 'q'] } };

    it('names a field by its RFC 6901 pointer, escapes included', () => {
      expect(resolvePointer(document, '/body/a~1b/~0x')).to.deep.equal([{ pointer: '/body/a~1b/~0x', value: 1 }]);
      expect(resolvePointer(document, '/body/list/1')).to.deep.equal([{ pointer: '/body/list/1', value: 'q' }]);
    });

    it('expands a * token over every element of an array, and names nothing where the path is absent', () => {
      expect(resolvePointer(document, '/body/constraints/*/theme')).to.deep.equal([
        { pointer: '/body/constraints/0/theme', value: 'LOGEMENT' },
        { pointer: '/body/constraints/1/theme', value: 'SANTE' },
      ]);
      expect(resolvePointer(document, '/body/disability')).to.deep.equal([]);
      expect(resolvePointer(document, '/body/list/2')).to.deep.equal([]);
      expect(resolvePointer(document, '/body/a~1b/*')).to.deep.equal([]);
      expect(resolvePointer({ body: { toString: 'x' } }, '/body/constructor')).to.deep.equal([]);
    });
  });

  describe('the rules of the example registry (DEFAULT_PARTNERS)', () => {
    it('lets the example orientation through to Mission Locale, its recipient', () => {
      assertMinimised(orientation(), recipient('mission-locale-paris'));
    });

    it('refuses disability data to Mission Locale, naming the rule and the field, never the value', () => {
      const error = refusal(orientation(withDisability), recipient('mission-locale-paris'));
      expect(error.code).to.equal('rule_violation');
      expect(error.rule).to.equal('health-data-cap-emploi-france-travail-only');
      expect(error.message).to.include('/body/disability').and.include('mission-locale-paris');
      for (const value of ['OUI', 'AAH', '2026-11-26', 'true']) expect(error.message).not.to.include(value);
    });

    it('lists every forbidden field, the consent block too, for an agency without health data', () => {
      for (const id of ['mission-locale-paris', 'epec-paris', 'ville-de-paris', 'ftda-paris']) {
        expect(findForbiddenFields(orientation(withDisability), recipient(id)), id).to.deep.equal([
          { rule: 'health-data-cap-emploi-france-travail-only', field: '/body/disability' },
          { rule: 'health-data-cap-emploi-france-travail-only', field: '/body/consent' },
        ]);
      }
    });

    it('lets disability data with consent through to Cap emploi and France Travail', () => {
      assertMinimised(orientation(withDisability), recipient('cap-emploi-75'));
      assertMinimised(orientation(withDisability), recipient('france-travail-paris'));
    });

    it('refuses disability data without consent even to Cap emploi (the unless clause)', () => {
      const document = orientation((body) => {
        withDisability(body);
        body['consent']['healthData'] = false;
      });
      expect(refusal(document, recipient('cap-emploi-75')).rule).to.equal('health-data-with-consent-only');
      expect(refusal(orientation((body) => (body['disability'] = { rqth: 'OUI' })), recipient('france-travail-paris')).rule).to.equal('health-data-with-consent-only');
    });

    it('refuses a SANTE constraint outside Cap emploi and France Travail, naming the element, and lets other themes through', () => {
      const document = orientation((body) => body['constraints'].push({ theme: 'SANTE', impact: 'LEGER' }));
      const error = refusal(document, recipient('epec-paris'));
      expect(error.rule).to.equal('health-constraint-cap-emploi-france-travail-only');
      expect(error.message).to.include('/body/constraints/2/theme').and.not.include('SANTE');
      expect(refusal(document, recipient('france-travail-paris')).rule).to.equal('health-constraint-with-consent-only');
      assertMinimised(
        orientation((body) => {
          body['constraints'].push({ theme: 'SANTE', impact: 'LEGER' });
          body['consent'] = { healthData: true, healthDataGivenOn: '2026-11-26' };
        }),
        recipient('france-travail-paris'),
      );
    });

    it('refuses an RSA or ARE right (true) outside the Ville de Paris and France Travail, and lets false through', () => {
      const rsa = orientation((body) => (body['situation']['rsaBeneficiary'] = true));
      const are = orientation((body) => (body['situation']['unemploymentBenefitEntitled'] = true));
      for (const id of ['mission-locale-paris', 'cap-emploi-75', 'epec-paris', 'ftda-paris']) {
        expect(refusal(rsa, recipient(id)).rule, id).to.equal('income-support-rights-ville-de-paris-france-travail-only');
        expect(refusal(are, recipient(id)).message, id).to.include('/body/situation/unemploymentBenefitEntitled').and.not.include('true');
      }
      for (const id of ['ville-de-paris', 'france-travail-paris']) {
        assertMinimised(rsa, recipient(id));
        assertMinimised(are, recipient(id));
      }
      assertMinimised(orientation((body) => (body['situation']['unemploymentBenefitEntitled'] = false)), recipient('mission-locale-paris'));
    });

    it('applies a rule only to its message types', () => {
      const ack: MinimisationInput = { header: { type: 'acknowledgement' }, body: { disability: { rqth: 'OUI' } } };
      expect(findForbiddenFields(ack, recipient('mission-locale-paris'))).to.deep.equal([]);
    });
  });
});
