/**
 * Step 7, business identity (src/domain/routing.ts): the type of organisation an orientation names is
 * its recipient's registered type; fields that name a third party (a redirection, a decided referent)
 * are not held to the registry.
 */
import { expect } from 'chai';
import { DEFAULT_PARTNERS } from '../../src/dev-pki/example-partners.js';
import type { OrganisationType, Partner } from '../../src/domain/partner.js';
import { assertRecipientType, assertRoutable } from '../../src/domain/routing.js';
import { thrownGatewayError } from '../fixtures/gateway-error.js';

const CODES: OrganisationType[] = ['FRANCE_TRAVAIL', 'MISSION_LOCALE', 'CAP_EMPLOI', 'PLIE_EPEC', 'AGIR_FTDA', 'VILLE_PARIS', 'APEC', 'AUTRE'];
const registry = new Map(DEFAULT_PARTNERS.map((p) => [p.id, p]));
const find = (id: string) => registry.get(id);
const ofii = registry.get('ofii-paris')!;
const franceTravail = registry.get('france-travail-paris')!;

const thrown = thrownGatewayError;

const orientationNaming = (recipientType: unknown) => ({ orientation: { recipientType, pathway: 'EMPLOI' } });

describe('domain/routing: the recipient type an orientation names', () => {
  it('an orientation to France Travail labelled MISSION_LOCALE is refused with recipient_not_allowed, naming both types', () => {
    const error = thrown(() => assertRoutable({ sender: ofii, type: 'orientation', recipientId: 'france-travail-paris', body: orientationNaming('MISSION_LOCALE'), findPartner: find }));
    expect(error).to.include({ code: 'recipient_not_allowed', status: 422 });
    expect(error.message).to.include('/body/orientation/recipientType must be FRANCE_TRAVAIL').and.include('not MISSION_LOCALE').and.include('france-travail-paris');
  });

  it('every receiver of orientations in the example registry takes its own type and refuses each of the others', () => {
    const receivers = DEFAULT_PARTNERS.filter((p) => p.receives.includes('orientation'));
    expect(receivers.map((p) => p.organisationType)).to.deep.equal(['FRANCE_TRAVAIL', 'MISSION_LOCALE', 'CAP_EMPLOI', 'PLIE_EPEC', 'VILLE_PARIS', 'AGIR_FTDA']);
    for (const recipient of receivers) {
      for (const code of CODES) {
        const route = () => assertRoutable({ sender: ofii, type: 'orientation', recipientId: recipient.id, body: orientationNaming(code), findPartner: find });
        if (code === recipient.organisationType) expect(route().id, `${recipient.id} ${code}`).to.equal(recipient.id);
        else expect(thrown(route).code, `${recipient.id} ${code}`).to.equal('recipient_not_allowed');
      }
    }
  });

  it('an orientation that names no type, or not a string, is refused (the schema requires one; this check never assumes it)', () => {
    for (const body of [{}, { orientation: {} }, orientationNaming(['FRANCE_TRAVAIL']), null]) {
      expect(thrown(() => assertRecipientType({ type: 'orientation', body, recipient: franceTravail })).code, JSON.stringify(body)).to.equal('recipient_not_allowed');
    }
  });

  it('a recipient with no registered type is refused, not let through', () => {
    const untyped: Partner = { ...franceTravail, organisationType: undefined };
    delete (untyped as { organisationType?: unknown }).organisationType;
    const error = thrown(() => assertRecipientType({ type: 'orientation', body: orientationNaming('FRANCE_TRAVAIL'), recipient: untyped }));
    expect(error.code).to.equal('recipient_not_allowed');
    expect(error.message).to.include('no organisation type in the partner registry');
  });

  it('comes after the checks of the contract order: the type the sender may send and the recipient may receive', () => {
    expect(thrown(() => assertRoutable({ sender: franceTravail, type: 'orientation', recipientId: 'mission-locale-paris', body: orientationNaming('AUTRE'), findPartner: find })).code).to.equal('type_not_allowed');
    expect(thrown(() => assertRoutable({ sender: ofii, type: 'orientation', recipientId: 'nobody-here', body: orientationNaming('AUTRE'), findPartner: find })).code).to.equal('unknown_recipient');
    const refused = thrown(() => assertRoutable({ sender: ofii, type: 'orientation', recipientId: 'prefecture-paris', body: orientationNaming('AUTRE'), findPartner: find }));
    expect(refused.message).to.include('may not receive messages of type orientation');
  });

  it('a redirection (acknowledgement REDIRIGEE) and a decided referent name a third party: any type of the schema passes step 7, registered or not', () => {
    const missionLocale = registry.get('mission-locale-paris')!;
    for (const code of CODES) {
      const redirected = { status: 'REDIRIGEE', redirectedTo: { recipientType: code } };
      expect(assertRoutable({ sender: missionLocale, type: 'acknowledgement', recipientId: 'ofii-paris', body: redirected, findPartner: find }).id, code).to.equal('ofii-paris');
      const decided = { event: { type: 'ORIENTATION_DECIDEE', effectiveOn: '2026-11-27' }, decidedOrientation: { pathway: 'EMPLOI', referentType: code } };
      expect(assertRoutable({ sender: missionLocale, type: 'status-update', recipientId: 'ofii-paris', body: decided, findPartner: find }).id, code).to.equal('ofii-paris');
    }
  });
});
