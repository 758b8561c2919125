/**
 * Per-recipient minimisation at step 8, and the suggestion endpoint for OFII's advisers, through a
 * real gateway (mutual TLS, SQLite, RabbitMQ) with the committed example registry.
 */
import { expect } from 'chai';
import { requestGateway, type HttpAnswer } from '../../src/client/gateway-client.js';
import { queueName } from '../../src/broker/topology.js';
import { drainQueue, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { example, partner, send, type Json } from '../fixtures/partner.js';

const DISABILITY = { disability: { rqth: 'OUI', otherBeneficiaryStatus: ['AAH'] }, consent: { healthData: true, healthDataGivenOn: '2026-11-26' } };

async function suggest(gw: TestGateway, as: string, body: string, contentType = 'application/json'): Promise<HttpAnswer> {
  const view = await partner(as);
  return requestGateway({ baseUrl: gw.baseUrl, tls: view.tls, method: 'POST', path: '/v1/orientation/suggestions', body, contentType });
}

function bySuggestedPartner(answer: HttpAnswer): Map<string, Json> {
  return new Map(((answer.body as Json)['suggestions'] as Json[]).map((s) => [s['partner'] as string, s]));
}

describe('@integration minimisation and suggestions', function () {
  this.timeout(60_000);
  let gw: TestGateway;

  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => {
    await gw?.dispose();
  });

  it('refuses disability data to Mission Locale with rule_violation naming the rule and the field, never a value, and delivers nothing', async () => {
    const orientation = example('orientation', {}, DISABILITY);
    const answer = await send(gw.baseUrl, 'ofii-paris', orientation);
    expect(answer.status).to.equal(422);
    expect(answer.contentType).to.match(/^application\/problem\+json/);
    const problem = answer.body as Json;
    expect(problem).to.include({ code: 'rule_violation', rule: 'health-data-cap-emploi-france-travail-only' });
    expect(problem['detail']).to.include('/body/disability');
    for (const value of ['OUI', 'AAH', '2026-11-26', 'KARIMI', orientation['header']['beneficiaryRef']]) expect(JSON.stringify(problem)).not.to.include(value);
    expect(await gw.store.findMessage(orientation['header']['messageId'])).to.equal(undefined);
    const entries = (await gw.store.readAuditEntries(0, await gw.store.auditSize(), Number.MAX_SAFE_INTEGER)).map((e) => JSON.parse(e.entry) as Json);
    expect(entries.at(-1)).to.include({ event: 'rejected', code: 'rule_violation', messageId: orientation['header']['messageId'], recipient: 'mission-locale-paris' });
    expect(await drainQueue(queueName(gw.settings.amqpPrefix, 'mission-locale-paris'))).to.have.length(0);
  });

  it('accepts the same data for Cap emploi, where eligibility holds (recognised disability with consent), and delivers it', async () => {
    const orientation = example('orientation', { recipient: 'cap-emploi-75' }, DISABILITY);
    const answer = await send(gw.baseUrl, 'ofii-paris', orientation);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    const id = orientation['header']['messageId'] as string;
    await eventually(async () => ((await gw.store.findMessage(id))?.status === 'queued' ? true : undefined));
    const delivered = await drainQueue(queueName(gw.settings.amqpPrefix, 'cap-emploi-75'));
    expect(delivered.map((m) => m.properties['messageId'])).to.deep.equal([id]);
  });

  it('accepts the example orientation to Mission Locale, its RSA flag false included', async () => {
    expect((await send(gw.baseUrl, 'ofii-paris', example('orientation'))).status).to.equal(202);
    const rsa = await send(gw.baseUrl, 'ofii-paris', example('orientation', {}, { situation: { housing: 'HEBERGEMENT_COLLECTIF', rsaBeneficiary: true } }));
    expect(rsa.body).to.include({ code: 'rule_violation', rule: 'income-support-rights-ville-de-paris-france-travail-only' });
  });

  it('suggests the agencies for an orientation body, with each rule, whether it holds and what it asks', async () => {
    const body = example('orientation')['body'] as Json;
    const auditSize = await gw.store.auditSize();
    const answer = await suggest(gw, 'ofii-paris', JSON.stringify({ body, sentAt: '2026-11-27T09:30:00Z' }));
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    expect((answer.body as Json)['sentAt']).to.equal('2026-11-27T09:30:00Z');
    const suggestions = bySuggestedPartner(answer);
    expect([...suggestions.keys()]).to.deep.equal(['france-travail-paris', 'mission-locale-paris', 'cap-emploi-75', 'epec-paris', 'ville-de-paris', 'ftda-paris']);
    expect(suggestions.get('mission-locale-paris')).to.deep.equal({
      partner: 'mission-locale-paris',
      name: 'Mission Locale de Paris',
      eligible: true,
      reasons: [{ rule: 'mission-locale-age', holds: true, explanation: "the beneficiary's age on the send date must be from 16 to 25" }],
      minimisation: [],
    });
    expect(suggestions.get('ftda-paris')).to.deep.include({ eligible: true });
    expect(suggestions.get('cap-emploi-75')).to.deep.include({ eligible: false });
    // Nothing of the request is kept: no audit entry, no message, no log line with a value of the body.
    expect(await gw.store.auditSize()).to.equal(auditSize);
    const logged = JSON.stringify(gw.logLines);
    for (const value of ['KARIMI', 'Darya', '2004-03-14', '+33639980012', 'darya.karimi@example.org']) expect(logged).not.to.include(value);
  });

  it('tells the adviser which fields to remove for which agency, for a person with a disability who consented', async () => {
    const body = { ...(example('orientation')['body'] as Json), ...DISABILITY };
    const suggestions = bySuggestedPartner(await suggest(gw, 'ofii-paris', JSON.stringify({ body })));
    expect(suggestions.get('cap-emploi-75')).to.deep.include({ eligible: true, minimisation: [] });
    expect(suggestions.get('france-travail-paris')).to.deep.include({ eligible: true, minimisation: [] });
    expect(suggestions.get('mission-locale-paris')!['minimisation']).to.deep.equal([
      { rule: 'health-data-cap-emploi-france-travail-only', field: '/body/disability' },
      { rule: 'health-data-cap-emploi-france-travail-only', field: '/body/consent' },
    ]);
  });

  it('answers suggestions only to a partner that sends orientations', async () => {
    const request = JSON.stringify({ body: example('orientation')['body'] });
    for (const as of ['mission-locale-paris', 'prefecture-paris', 'auditor']) {
      const answer = await suggest(gw, as, request);
      expect(answer.status, as).to.equal(403);
      expect(answer.body, as).to.include({ code: 'forbidden' });
    }
  });

  it('checks the body against the orientation schema, naming fields and never values, and refuses what is not JSON', async () => {
    const body = example('orientation')['body'] as Json;
    delete body['identity']['birthDate'];
    body['identity']['nir'] = '284037512345678';
    const invalid = await suggest(gw, 'ofii-paris', JSON.stringify({ body }));
    expect(invalid.status).to.equal(422);
    expect(invalid.body).to.include({ code: 'schema_invalid' });
    expect((invalid.body as Json)['errors'][0]['pointer']).to.match(/^\/body\/identity\//);
    expect(JSON.stringify(invalid.body)).not.to.include('284037512345678').and.not.include('KARIMI');

    const badTime = await suggest(gw, 'ofii-paris', JSON.stringify({ body: example('orientation')['body'], sentAt: 'yesterday' }));
    expect(badTime.status).to.equal(422);
    expect((badTime.body as Json)['errors'][0]['pointer']).to.equal('/sentAt');

    const truncated = await suggest(gw, 'ofii-paris', '{"body": ');
    expect(truncated.body).to.include({ code: 'bad_request' });
    // Nothing is signed on this endpoint: the advice is to send the request again, never to sign it.
    const duplicate = await suggest(gw, 'ofii-paris', '{"body": {}, "body": {}}');
    for (const answer of [truncated, duplicate]) {
      expect((answer.body as Json)['detail']).to.include('send it again').and.not.match(/sign/i);
    }
    expect((await suggest(gw, 'ofii-paris', JSON.stringify({ body: {}, beneficiaryRef: '7503123456' }))).body).to.include({ code: 'bad_request' });
    expect((await suggest(gw, 'ofii-paris', JSON.stringify({ body }), 'text/plain')).status).to.equal(415);
    const view = await partner('ofii-paris');
    const get = await requestGateway({ baseUrl: gw.baseUrl, tls: view.tls, method: 'GET', path: '/v1/orientation/suggestions' });
    expect(get.status).to.equal(405);
    expect(get.headers['allow']).to.equal('POST');
  });
});
