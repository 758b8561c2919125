/**
 * Every endpoint of the HTTP API against every kind of caller, on a real gateway (docs/interface.md, "Who may call
 * what"; the table below is that one). Each request is one that the endpoint would serve to an entitled
 * caller, so that the status measures the authorisation and nothing else (no malformed body, no
 * missing parameter).
 *
 * The callers are the kinds of certs.example: an agency that sends orientations (OFII), an agency
 * that receives them (France Travail; every agency of the example both sends and receives), the
 * statistics role, the auditor, the operator, a certificate issued by the partner CA to a CN that is
 * not registered, and no client certificate at all.
 */
import { expect } from 'chai';
import { checkpointBytes, type PublishedCheckpoint } from '../../src/audit/checkpoint.js';
import { requestGateway, type HttpAnswer, type PartnerTls } from '../../src/client/gateway-client.js';
import { signDetached } from '../../src/crypto/detached.js';
import fs from 'node:fs';
import path from 'node:path';
import { SUGGESTIONS_PATH } from '../../src/http/suggestion-routes.js';
import { EXAMPLE_CERTS, eventually, PROJECT_ROOT, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { OpensslCa } from '../fixtures/openssl-ca.js';
import { example, partner, seal, send, type Json } from '../fixtures/partner.js';

const CALLERS = ['ofii-paris', 'france-travail-paris', 'prefecture-paris', 'auditor', 'operator', 'unknown CN', 'no certificate'] as const;
type Caller = (typeof CALLERS)[number];
/**
 * `2xx` where 200 and 201 both mean "served" (a checkpoint or cosignature new, or kept from before).
 * A refusal has one code per status (REFUSAL_CODES); a refusal with another code is written with it.
 */
type Expected = number | '2xx' | `${number} ${string}`;

/** One code per refusal: not authenticated, not allowed, not visible (src/http/authorization.ts). */
const REFUSAL_CODES: Record<number, string> = { 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found' };

interface Request {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  contentType?: string;
}

interface Row {
  endpoint: string;
  request: (caller: Caller) => Promise<Request>;
  expected: Record<Caller, Expected>;
}

/** The identity whose OpenPGP key signs what a caller without one of its own sends. */
function signerOf(caller: Caller): string {
  return caller === 'unknown CN' || caller === 'no certificate' ? 'ofii-paris' : caller;
}

describe('@integration security: HTTP authorisation matrix (every role against every endpoint)', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  let ca: OpensslCa;
  const tlsOf = new Map<Caller, PartnerTls>();
  /** ofii-paris → france-travail-paris, and ofii-paris → mission-locale-paris (not France Travail's). */
  let toFranceTravail: string;
  let toMissionLocale: string;
  let entryOfFranceTravail: number;
  let entryOfMissionLocale: number;

  const row = (endpoint: string, request: Row['request'], ...statuses: Expected[]): Row => {
    if (statuses.length !== CALLERS.length) throw new Error(`${endpoint}: ${statuses.length} statuses for ${CALLERS.length} callers`);
    return { endpoint, request, expected: Object.fromEntries(CALLERS.map((caller, i) => [caller, statuses[i]!])) as Record<Caller, Expected> };
  };
  const fixed = (method: 'GET' | 'POST', pathname: string) => async (): Promise<Request> => ({ method, path: pathname });

  // endpoint                                                                    ofii  FT   stats auditor operator unknown none
  const MATRIX: Row[] = [
    row('GET /healthz', fixed('GET', '/healthz'),                                 200, 200, 200, 200, 200,   200,    200),
    row('GET /readyz', fixed('GET', '/readyz'),                                   200, 200, 200, 200, 200,   200,    200),
    row('POST /v1/messages (an orientation signed by the caller)', async (caller) => ({
      method: 'POST', path: '/v1/messages', contentType: 'application/pgp-encrypted',
      body: await seal(signerOf(caller), example('orientation', { sender: signerOf(caller), recipient: 'france-travail-paris' })),
    }),                                                                           202, '403 type_not_allowed', 403, 403, 403, 401, 401),
    row('GET /v1/messages/{id} (OFII to France Travail)', async () => ({ method: 'GET', path: `/v1/messages/${toFranceTravail}` }),
                                                                                  200, 200, 404, 404, 404,   401,    401),
    row('GET /v1/messages/{id} (OFII to Mission Locale)', async () => ({ method: 'GET', path: `/v1/messages/${toMissionLocale}` }),
                                                                                  200, 404, 404, 404, 404,   401,    401),
    row('GET /v1/messages/{id}/timeline (OFII to France Travail)', async () => ({ method: 'GET', path: `/v1/messages/${toFranceTravail}/timeline` }),
                                                                                  200, 200, 403, 200, 403,   401,    401),
    row('GET /v1/messages/{id}/timeline (OFII to Mission Locale)', async () => ({ method: 'GET', path: `/v1/messages/${toMissionLocale}/timeline` }),
                                                                                  200, 404, 403, 200, 403,   401,    401),
    row('GET /v1/audit/entries', fixed('GET', '/v1/audit/entries'),               200, 200, 403, 200, 403,   401,    401),
    row('GET /v1/audit/entries (filtered by agency and event)', fixed('GET', '/v1/audit/entries?agency=mission-locale-paris&event=accepted'),
                                                                                  200, 200, 403, 200, 403,   401,    401),
    row('GET /v1/audit/gateway-keys', fixed('GET', '/v1/audit/gateway-keys'),     200, 200, 403, 200, 403,   401,    401),
    row('GET /v1/audit/checkpoint', fixed('GET', '/v1/audit/checkpoint'),         200, 200, 403, 200, 403,   401,    401),
    row('POST /v1/audit/checkpoint', fixed('POST', '/v1/audit/checkpoint'),       403, 403, 403, '2xx', 403, 401,    401),
    row('GET /v1/audit/proofs/inclusion (entry naming OFII and France Travail)', async () => ({
      method: 'GET', path: `/v1/audit/proofs/inclusion?index=${entryOfFranceTravail}&treeSize=${entryOfFranceTravail + 1}`,
    }),                                                                           200, 200, 403, 200, 403,   401,    401),
    row('GET /v1/audit/proofs/inclusion (entry naming OFII and Mission Locale)', async () => ({
      method: 'GET', path: `/v1/audit/proofs/inclusion?index=${entryOfMissionLocale}&treeSize=${entryOfMissionLocale + 1}`,
    }),                                                                           200, 404, 403, 200, 403,   401,    401),
    row('GET /v1/audit/proofs/consistency', fixed('GET', '/v1/audit/proofs/consistency?first=1&second=2'),
                                                                                  200, 200, 403, 200, 403,   401,    401),
    row('POST /v1/audit/checkpoint/cosignatures (signed by the caller)', async (caller) => {
      const checkpoint = await latestCheckpoint();
      const signature = await signDetached({ data: checkpointBytes(checkpoint), signingKey: (await partner(signerOf(caller))).privateKey });
      return { method: 'POST', path: `/v1/audit/checkpoint/cosignatures?treeSize=${checkpoint.treeSize}`, body: signature, contentType: 'application/pgp-signature' };
    },                                                                            '2xx', '2xx', 403, '2xx', 403, 401,  401),
    row('POST /v1/orientation/suggestions', async () => ({
      method: 'POST', path: '/v1/orientation/suggestions', contentType: 'application/json', body: JSON.stringify({ body: example('orientation')['body'] }),
    }),                                                                           200, 403, 403, 403, 403,   401,    401),
    row('GET /v1/stats', fixed('GET', '/v1/stats'),                               403, 403, 200, 200, 403,   401,    401),
    row('GET /v1/partners/:partnerId/openpgp-key (Mission Locale\'s key)', fixed('GET', '/v1/partners/mission-locale-paris/openpgp-key'),
                                                                                  200, 200, 403, 403, 403,   401,    401),
    row('POST /v1/beneficiary-lookups (by reference, with the agreement)', async () => ({
      method: 'POST', path: '/v1/beneficiary-lookups', contentType: 'application/json',
      body: JSON.stringify({ by: 'reference', beneficiaryRef: '7599999999', personAgreement: { recordedOn: '2026-12-01', channel: 'ENTRETIEN_SPE' } }),
    }),                                                                           403, 200, 403, 403, 403,   401,    401),
    row('GET /v1/beneficiary-lookups/summary', fixed('GET', '/v1/beneficiary-lookups/summary'),
                                                                                  403, 403, 403, 200, 200,   401,    401),
    row('GET /v1/operator/status', fixed('GET', '/v1/operator/status'),           403, 403, 403, 403, 200,   401,    401),
    row('GET /v1/withdrawals', fixed('GET', '/v1/withdrawals?state=all'),         403, 403, 403, 200, 200,   401,    401),
    row('GET /metrics', fixed('GET', '/metrics'),                                 403, 403, 403, 403, 200,   401,    401),
  ];

  async function call(caller: Caller, request: Request): Promise<HttpAnswer> {
    return requestGateway({ baseUrl: gw.baseUrl, tls: tlsOf.get(caller)!, ...request });
  }

  async function latestCheckpoint(): Promise<PublishedCheckpoint> {
    const answer = await call('auditor', { method: 'GET', path: '/v1/audit/checkpoint' });
    expect(answer.status).to.equal(200);
    return answer.body as PublishedCheckpoint;
  }

  async function accepted(document: Json): Promise<{ id: string; auditIndex: number }> {
    const answer = await send(gw.baseUrl, 'ofii-paris', document);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    return { id: document['header']['messageId'] as string, auditIndex: (answer.body as { auditIndex: number }).auditIndex };
  }

  before(async () => {
    gw = await startTestGateway();
    ca = OpensslCa.over(path.join(EXAMPLE_CERTS, 'ca.crt'), path.join(EXAMPLE_CERTS, 'ca.key'));
    const ofii = await partner('ofii-paris');
    for (const id of ['ofii-paris', 'france-travail-paris', 'prefecture-paris', 'auditor', 'operator'] as const) tlsOf.set(id, (await partner(id)).tls);
    const stranger = await ca.issue({ subject: '/O=Passerelle (example)/CN=not-a-partner' });
    tlsOf.set('unknown CN', { certPem: stranger.certPem, keyPem: stranger.keyPem, caPem: ofii.tls.caPem });
    // No certificate and no key: https.request offers none when both are undefined.
    tlsOf.set('no certificate', { caPem: ofii.tls.caPem } as PartnerTls);

    const first = await accepted(example('orientation', { recipient: 'france-travail-paris' }));
    const second = await accepted(example('orientation'));
    toFranceTravail = first.id;
    toMissionLocale = second.id;
    entryOfFranceTravail = first.auditIndex;
    entryOfMissionLocale = second.auditIndex;
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
  });

  after(async () => {
    await gw?.dispose();
    ca?.remove();
  });

  it('the matrix has a row for every route registered in src/http (a new route needs its row)', () => {
    const mounts: Record<string, string> = { 'app.ts': '', 'audit-routes.ts': '/v1/audit' };
    const registered = new Set<string>();
    for (const file of fs.readdirSync(path.join(PROJECT_ROOT, 'src', 'http')).filter((f) => f.endsWith('.ts'))) {
      const source = fs.readFileSync(path.join(PROJECT_ROOT, 'src', 'http', file), 'utf8');
      for (const m of source.matchAll(/\b(app|v1|router)\.(get|post|put|patch|delete)\(\s*('([^']+)'|SUGGESTIONS_PATH)/g)) {
        const route = m[4] ?? SUGGESTIONS_PATH;
        const mount = m[1] === 'app' ? '' : m[1] === 'v1' ? '/v1' : (mounts[file] ?? '/v1');
        registered.add(`${m[2]!.toUpperCase()} ${mount}${route.replace(/:messageId/, '{id}')}`);
      }
    }
    const inMatrix = new Set(MATRIX.map((r) => r.endpoint.replace(/ \(.*\)$/, '')));
    expect([...inMatrix].sort()).to.deep.equal([...registered].sort());
  });

  for (const entry of MATRIX) {
    it(entry.endpoint, async () => {
      const got: Record<string, Expected> = {};
      for (const caller of CALLERS) {
        const answer = await call(caller, await entry.request(caller));
        let status: Expected = entry.expected[caller] === '2xx' && (answer.status === 200 || answer.status === 201) ? '2xx' : answer.status;
        if (answer.status >= 400) {
          // A refusal says why in the contract's problem format, never a bare status.
          expect(answer.contentType, `${caller}: ${entry.endpoint}`).to.match(/^application\/problem\+json/);
          const code = (answer.body as { code?: unknown }).code;
          if (code !== REFUSAL_CODES[answer.status]) status = `${answer.status} ${String(code)}`;
        }
        got[caller] = status;
      }
      expect(got).to.deep.equal(entry.expected);
    });
  }
});
