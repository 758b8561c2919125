import { expect } from 'chai';
import { GatewayError } from '../../src/domain/errors.js';
import { assertFollows, assertNotOptedOut, followEffects, OPTED_OUT_RULE, REFERRER_RULE } from '../../src/domain/follow.js';

const header = (type: string, sender: string, recipient: string) => ({ type, sender, recipient });

describe('domain/follow', () => {
  it('an orientation makes its recipient follow the person; a referral moves the follow from sender to recipient', () => {
    expect(followEffects({ header: header('orientation', 'ofii-paris', 'france-travail-paris'), body: {} })).to.deep.equal({ starts: 'france-travail-paris', takenInCharge: false });
    expect(followEffects({ header: header('referral', 'france-travail-paris', 'mission-locale-paris'), body: { reason: 'AGE' } })).to.deep.equal({
      starts: 'mission-locale-paris',
      stops: 'france-travail-paris',
      takenInCharge: false,
    });
  });

  it('a refusal or a redirection ends the follow; an acceptance takes the person in charge; other answers change nothing', () => {
    const ack = (status: string) => followEffects({ header: header('acknowledgement', 'france-travail-paris', 'ofii-paris'), body: { status } });
    expect(ack('REFUSEE')).to.deep.equal({ stops: 'france-travail-paris', takenInCharge: false });
    expect(ack('REDIRIGEE')).to.deep.equal({ stops: 'france-travail-paris', takenInCharge: false });
    expect(ack('ACCEPTEE')).to.deep.equal({ takenInCharge: true });
    expect(ack('RECUE')).to.deep.equal({ takenInCharge: false });
  });

  it('FIN_ACCOMPAGNEMENT ends the follow; an event of support takes the person in charge, an attempt to reach them does not', () => {
    const update = (type: string) => followEffects({ header: header('status-update', 'france-travail-paris', 'ofii-paris'), body: { event: { type, effectiveOn: '2026-11-27' } } });
    expect(update('FIN_ACCOMPAGNEMENT')).to.deep.equal({ stops: 'france-travail-paris', takenInCharge: true });
    expect(update('ENTREE_EMPLOI')).to.deep.equal({ takenInCharge: true });
    expect(update('PREMIER_ENTRETIEN_REALISE')).to.deep.equal({ takenInCharge: true });
    for (const attempt of ['RDV_PLANIFIE', 'ABSENT_RDV', 'NON_JOIGNABLE']) expect(update(attempt), attempt).to.deep.equal({ takenInCharge: false });
    expect(followEffects({ header: header('opt-out', 'ofii-paris', 'passerelle'), body: { kind: 'DISPENSE' } })).to.deep.equal({ takenInCharge: false });
  });

  it('names its rules in rule_violation', () => {
    expect(() => assertNotOptedOut(false)).to.not.throw();
    expect(() => assertNotOptedOut(true)).to.throw(GatewayError).with.property('rule', OPTED_OUT_RULE);
    expect(() => assertFollows({ follows: true, sender: 'france-travail-paris' })).to.not.throw();
    const err = (() => {
      try {
        assertFollows({ follows: false, sender: 'cap-emploi-75' });
      } catch (e) {
        return e as GatewayError;
      }
      throw new Error('no error');
    })();
    expect(err.code).to.equal('rule_violation');
    expect(err.rule).to.equal(REFERRER_RULE);
    expect(err.status).to.equal(422);
  });
});
