import { expect } from 'chai';
import { GatewayError } from '../../src/domain/errors.js';
import { assertNoHealthFields, changedHealthField, findHealthFields, withoutHealthFields } from '../../src/domain/health-fields.js';

const orientation = (body: Record<string, unknown>) => ({ header: { type: 'orientation' }, body });

describe('domain/health-fields: what a withdrawal of health consent keeps out', () => {
  it('finds the disability block, SANTE constraints and the consent block of an orientation, by pointer', () => {
    const document = orientation({
      disability: { rqth: 'OUI' },
      consent: { healthData: true },
      constraints: [{ theme: 'SANTE', impact: 'LEGER' }, { theme: 'LOGEMENT', impact: 'LEGER' }, { theme: 'SANTE', impact: 'BLOQUANT' }],
    });
    expect(findHealthFields(document)).to.deep.equal(['/body/disability', '/body/constraints/0', '/body/constraints/2', '/body/consent']);
    expect(findHealthFields(orientation({ constraints: [{ theme: 'LOGEMENT', impact: 'LEGER' }] }))).to.deep.equal([]);
  });

  it("finds a referral's reason HANDICAP and its SANTE constraints, not another reason", () => {
    expect(findHealthFields({ header: { type: 'referral' }, body: { reason: 'HANDICAP', constraints: [{ theme: 'SANTE' }] } })).to.deep.equal(['/body/constraints/0', '/body/reason']);
    expect(findHealthFields({ header: { type: 'referral' }, body: { reason: 'AGE' } })).to.deep.equal([]);
    // A status update carries no health field.
    expect(findHealthFields({ header: { type: 'status-update' }, body: { disability: { rqth: 'OUI' } } })).to.deep.equal([]);
  });

  it('refuses only after the withdrawal, naming the first pointer and never the value', () => {
    const document = orientation({ disability: { rqth: 'EN_COURS' } });
    expect(() => assertNoHealthFields({ withdrawn: false, document })).to.not.throw();
    expect(() => assertNoHealthFields({ withdrawn: true, document: orientation({}) })).to.not.throw();
    try {
      assertNoHealthFields({ withdrawn: true, document });
      expect.fail('not refused');
    } catch (err) {
      expect(err).to.be.instanceOf(GatewayError).with.property('rule', 'health-consent-withdrawn');
      expect((err as GatewayError).message).to.include('/body/disability').and.not.include('EN_COURS');
    }
  });

  it('removes every health field from a copy, array elements from the last, and leaves the original whole', () => {
    const body = {
      identity: { birthName: 'KARIMI' },
      disability: { rqth: 'OUI' },
      consent: { healthData: true },
      constraints: [{ theme: 'SANTE', impact: 'LEGER' }, { theme: 'LOGEMENT', impact: 'LEGER' }, { theme: 'SANTE', impact: 'BLOQUANT' }],
    };
    const document = orientation(body);
    const { body: redacted, removed } = withoutHealthFields(document);
    expect(redacted).to.deep.equal({ identity: { birthName: 'KARIMI' }, constraints: [{ theme: 'LOGEMENT', impact: 'LEGER' }] });
    expect(removed).to.deep.equal(['/body/disability', '/body/constraints/0', '/body/constraints/2', '/body/consent']);
    expect(document.body.constraints).to.have.length(3);
    expect(document.body).to.have.property('disability');
  });
  it('names the health field a correction would put back or change, and none for a removal or another field', () => {
    const before = { header: { type: 'orientation' }, body: { identity: { givenNames: ['Darya'] }, constraints: [{ theme: 'LOGEMENT' }] } };
    const put = (body: Record<string, unknown>) => ({ header: { type: 'orientation' }, body: { ...before.body, ...body } });
    expect(changedHealthField(before, put({ disability: { rqth: 'OUI' } }))).to.equal('/body/disability');
    expect(changedHealthField(before, put({ constraints: [{ theme: 'LOGEMENT' }, { theme: 'SANTE' }] }))).to.equal('/body/constraints/1');
    expect(changedHealthField(before, put({ identity: { givenNames: ['Daria'] } }))).to.equal(undefined);
    const withHealth = put({ disability: { rqth: 'OUI' } });
    expect(changedHealthField(withHealth, before), 'a removal').to.equal(undefined);
    expect(changedHealthField(withHealth, put({ disability: { rqth: 'EN_COURS' } }))).to.equal('/body/disability');
    expect(changedHealthField(withHealth, withHealth), 'unchanged').to.equal(undefined);
  });
});
