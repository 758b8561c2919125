/**
 * The check of every test gateway's answers against the OpenAPI document (test/fixtures/api-conformance.ts)
 * accepts the gateway's real answers and refuses the same answer with one field changed.
 */
import { expect } from 'chai';
import { AnswerChecker, type ObservedAnswer } from '../fixtures/api-conformance.js';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { requestGateway } from '../../src/client/gateway-client.js';
import { buildOpenApi } from '../../src/api-description/openapi.js';
import { defaultSchemasDir } from '../../src/schema/validator.js';
import { example, get, partner, send } from '../fixtures/partner.js';

describe('api-description: answers checked against the OpenAPI document @integration', function () {
  this.timeout(60_000);
  let gateway: TestGateway | undefined;
  const checker = new AnswerChecker();
  before(async () => {
    gateway = await startTestGateway();
  });
  after(async () => gateway?.dispose());

  const asObserved = (path: string, answer: { status: number; contentType: string; body: unknown }): ObservedAnswer => ({
    method: 'GET',
    path,
    status: answer.status,
    contentType: answer.contentType,
    headers: {},
    body: Buffer.from(JSON.stringify(answer.body)),
  });

  it('accepts a real checkpoint and refuses it with rootHash renamed', async () => {
    const answer = await get(gateway!.baseUrl, 'auditor', '/v1/audit/checkpoint');
    expect(answer.status).to.equal(200);
    expect(checker.check(asObserved('/v1/audit/checkpoint', answer))).to.deep.equal([]);
    const { rootHash, ...rest } = answer.body as Record<string, unknown>;
    const mutated = checker.check(asObserved('/v1/audit/checkpoint', { ...answer, body: { ...rest, rootHashes: rootHash } }));
    expect(mutated.join('\n')).to.match(/rootHash/);
  });

  it('refuses a status or a problem code the document does not give for the route', async () => {
    const answer = await get(gateway!.baseUrl, 'prefecture-paris', '/v1/audit/checkpoint');
    expect(answer.status).to.equal(403);
    expect(checker.check(asObserved('/v1/audit/checkpoint', answer))).to.deep.equal([]);
    expect(checker.check(asObserved('/v1/audit/checkpoint', { ...answer, status: 418 })).join('\n')).to.match(/418 is not documented/);
    const otherCode = { ...(answer.body as Record<string, unknown>), code: 'sender_mismatch' };
    expect(checker.check(asObserved('/v1/audit/checkpoint', { ...answer, body: otherCode })).join('\n')).to.match(/code/);
  });

  it('reaches every documented operation with a caller it allows, and each answer matches the document', async () => {
    const sent = await send(gateway!.baseUrl, 'ofii-paris', example('orientation', { recipient: 'mission-locale-paris' }));
    expect(sent.status).to.equal(202);
    const messageId = (sent.body as { messageId: string }).messageId;
    // Who calls each operation, with what: a caller the operation allows, so that it answers for itself.
    const calls: Record<string, { as?: string; path?: string; body?: string; contentType?: string }> = {
      'GET /healthz': {},
      'GET /readyz': {},
      'GET /openapi.json': {},
      'GET /asyncapi.json': {},
      'POST /v1/messages': { as: 'ofii-paris', body: 'not an OpenPGP message', contentType: 'application/pgp-encrypted' },
      'GET /v1/messages/{messageId}': { as: 'ofii-paris', path: `/v1/messages/${messageId}` },
      'GET /v1/operator/status': { as: 'operator' },
      'GET /metrics': { as: 'operator' },
      'GET /console/': { as: 'auditor' },
      'GET /console/{slug}': { as: 'auditor', path: '/console/journal' },
      'GET /console/connexion': { as: 'auditor' },
      'GET /console/session': { as: 'auditor' },
      'POST /console/deconnexion': { as: 'auditor', body: '' },
      'GET /console/assets/{name}': { as: 'auditor', path: '/console/assets/accueil.js' },
      'GET /console/dsfr/{path}': { as: 'auditor', path: '/console/dsfr/dsfr.min.css' },
      'GET /v1/audit/entries': { as: 'auditor' },
      'GET /v1/audit/gateway-keys': { as: 'auditor' },
      'GET /v1/messages/{messageId}/timeline': { as: 'ofii-paris', path: `/v1/messages/${messageId}/timeline` },
      'GET /v1/audit/checkpoint': { as: 'auditor' },
      'POST /v1/audit/checkpoint': { as: 'auditor', body: '' },
      'POST /v1/audit/checkpoint/cosignatures': { as: 'auditor', body: JSON.stringify({ treeSize: 1, signature: 'not a signature' }), contentType: 'application/json' },
      'GET /v1/audit/proofs/inclusion': { as: 'auditor', path: '/v1/audit/proofs/inclusion?index=0&treeSize=1' },
      'GET /v1/audit/proofs/consistency': { as: 'auditor', path: '/v1/audit/proofs/consistency?first=0&second=1' },
      'POST /v1/orientation/suggestions': { as: 'ofii-paris', body: JSON.stringify({ body: example('orientation')['body'] }), contentType: 'application/json' },
      'GET /v1/stats': { as: 'prefecture-paris' },
      'POST /v1/beneficiary-lookups': {
        as: 'mission-locale-paris',
        body: JSON.stringify({ by: 'identity', identity: { birthName: 'Karimi', givenNames: ['Darya'], birthDate: '2004-03-14', countryOfBirth: '99212' }, personAgreement: { recordedOn: '2026-12-01', channel: 'ENTRETIEN_SPE' } }),
        contentType: 'application/json',
      },
      'GET /v1/beneficiary-lookups/summary': { as: 'auditor' },
      'GET /v1/withdrawals': { as: 'auditor', path: '/v1/withdrawals?state=all&limit=10' },
      'GET /v1/partners/{partnerId}/openpgp-key': { as: 'ofii-paris', path: '/v1/partners/mission-locale-paris/openpgp-key' },
    };
    const documented = Object.entries(buildOpenApi({ schemasDir: defaultSchemasDir() }).paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    expect(Object.keys(calls).sort(), 'an operation of the document has no call in this test').to.deep.equal([...documented].sort());
    for (const [operation, call] of Object.entries(calls)) {
      const [method, template] = operation.split(' ') as ['GET' | 'POST', string];
      const view = await partner(call.as ?? 'ofii-paris');
      const answer = await requestGateway({
        baseUrl: gateway!.baseUrl,
        tls: view.tls,
        method,
        path: call.path ?? template,
        ...(call.body === undefined ? {} : { body: call.body, contentType: call.contentType ?? 'application/octet-stream' }),
      });
      expect(answer.status, operation).to.be.below(500);
      const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      expect(body, `${operation} reached no route`).to.not.include('No such endpoint');
      const found = checker.check({ method, path: (call.path ?? template).split('?')[0]!, status: answer.status, contentType: answer.contentType, headers: answer.headers, body: Buffer.from(body) });
      expect(found, operation).to.deep.equal([]);
    }
  });
});
