/**
 * Business identity: an orientation says which kind of agency it orients the person to
 * (body.orientation.recipientType) and is addressed to one agency (header.recipient). When the two
 * disagree, the person's file would reach an agency that the orientation does not name (OFII meant
 * Mission Locale and typed France Travail's id, or the reverse); step 7 refuses it against the type
 * each partner has in the registry (src/domain/routing.ts). Real gateway, real broker.
 */
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { drainQueue, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { auditLog, orientationTo, randomRef } from '../fixtures/dossier.js';
import { get, send, type Json } from '../fixtures/partner.js';

describe('@integration security: an orientation labelled for one kind of agency and addressed to another', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => {
    await gw?.dispose();
  });

  function labelled(document: Json, recipientType: string): Json {
    document['body']['orientation'] = { ...document['body']['orientation'], recipientType };
    return document;
  }

  it('an orientation to France Travail labelled MISSION_LOCALE: 422 recipient_not_allowed, audited, nothing delivered', async () => {
    const mislabelled = labelled(orientationTo('france-travail-paris', randomRef()), 'MISSION_LOCALE');
    const id = mislabelled['header']['messageId'] as string;
    const answer = await send(gw.baseUrl, 'ofii-paris', mislabelled);
    expect(answer.status).to.equal(422);
    expect(answer.body).to.include({ code: 'recipient_not_allowed' });
    expect(String((answer.body as Record<string, unknown>)['detail'])).to.include('FRANCE_TRAVAIL').and.include('MISSION_LOCALE');

    const refusal = (await auditLog(gw)).map((e) => e.entry).find((e) => e['messageId'] === id);
    expect(refusal).to.include({ event: 'rejected', code: 'recipient_not_allowed', sender: 'ofii-paris', recipient: 'france-travail-paris', type: 'orientation' });
    expect(await gw.store.findMessage(id)).to.equal(undefined);
    expect((await get(gw.baseUrl, 'ofii-paris', `/v1/messages/${id}`)).status).to.equal(404);

    // The same orientation, labelled with France Travail's own type, goes through.
    const right = orientationTo('france-travail-paris', randomRef());
    expect((await send(gw.baseUrl, 'ofii-paris', right)).status).to.equal(202);
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    const delivered = await drainQueue(queueName(gw.settings.amqpPrefix, 'france-travail-paris'));
    expect(delivered.map((m) => m.properties['messageId'])).to.deep.equal([right['header']['messageId']]);
    expect(await drainQueue(queueName(gw.settings.amqpPrefix, 'mission-locale-paris'))).to.have.length(0);
  });

  it('every agency of the example registry refuses an orientation labelled with another agency type', async () => {
    const agencies: Array<[string, string]> = [
      ['france-travail-paris', 'CAP_EMPLOI'],
      ['mission-locale-paris', 'FRANCE_TRAVAIL'],
      ['epec-paris', 'AUTRE'],
      ['ville-de-paris', 'PLIE_EPEC'],
    ];
    for (const [recipient, wrong] of agencies) {
      const answer = await send(gw.baseUrl, 'ofii-paris', labelled(orientationTo(recipient, randomRef()), wrong));
      expect(answer.body, `${recipient} labelled ${wrong}`).to.include({ code: 'recipient_not_allowed' });
    }
  });
});
