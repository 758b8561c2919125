/**
 * The OpenAPI document names every route of the app and no other: the routes are read from the real
 * gateway's express app as it is built (test/fixtures/express-routes.ts), and compared with the
 * document both ways. The document is served at GET /openapi.json without a certificate.
 */
import https from 'node:https';
import { expect } from 'chai';
import { buildOpenApi } from '../../src/api-description/openapi.js';
import { defaultSchemasDir } from '../../src/schema/validator.js';
import { recordRoutes, type ServedRoute } from '../fixtures/express-routes.js';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.js';

const key = (route: ServedRoute) => `${route.method.toUpperCase()} ${route.path}`;

function fetchWithoutCertificate(url: string): Promise<{ status: number; contentType: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { rejectUnauthorized: false, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }));
      })
      .on('error', reject);
  });
}

describe('api-description: the OpenAPI document and the routes of the app @integration', function () {
  this.timeout(60_000);
  let gateway: TestGateway | undefined;
  let served: ServedRoute[] = [];

  before(async () => {
    const recorded = await recordRoutes(() => startTestGateway());
    gateway = recorded.value;
    served = recorded.routes;
  });
  after(async () => gateway?.dispose());

  const documented = () =>
    Object.entries(buildOpenApi({ schemasDir: defaultSchemasDir() }).paths).flatMap(([path, item]) => Object.keys(item).map((method) => key({ method, path })));

  it('reads the routes of the real app (the enumeration itself works)', () => {
    expect(served.map(key)).to.include.members(['GET /healthz', 'POST /v1/messages', 'GET /v1/audit/entries', 'GET /v1/partners/{partnerId}/openpgp-key']);
  });

  it('documents every route the app serves', () => {
    const missing = [...new Set(served.map(key))].filter((route) => !documented().includes(route));
    expect(missing, 'routes of the app missing from src/api-description/http-operations.ts').to.deep.equal([]);
  });

  it('documents no route the app does not serve', () => {
    const routes = new Set(served.map(key));
    const extra = documented().filter((route) => !routes.has(route));
    expect(extra, 'documented in src/api-description/http-operations.ts but not served by the app').to.deep.equal([]);
  });

  it('serves the document at GET /openapi.json without a client certificate', async () => {
    const answer = await fetchWithoutCertificate(`${gateway!.baseUrl}/openapi.json`);
    expect(answer.status).to.equal(200);
    expect(answer.contentType).to.match(/^application\/json/);
    expect(JSON.parse(answer.body)).to.deep.equal(buildOpenApi({ schemasDir: defaultSchemasDir() }));
  });

  it('serves the AsyncAPI document at GET /asyncapi.json without a client certificate, with the gateway\'s own queue names', async () => {
    const answer = await fetchWithoutCertificate(`${gateway!.baseUrl}/asyncapi.json`);
    expect(answer.status).to.equal(200);
    const document = JSON.parse(answer.body) as { asyncapi: string; channels: Record<string, { address: string }> };
    expect(document.asyncapi).to.equal('3.0.0');
    expect(document.channels['queue-epec-paris']?.address).to.equal(`${gateway!.settings.amqpPrefix}.epec-paris`);
  });
});
