/**
 * Operator-facing codes never reach a partner (src/domain/errors.ts, audience 'operator'): a fault
 * of the gateway's configuration, store, broker or verification tools, raised while it serves a
 * partner's request, is answered as `internal` with the catalogue's generic message, with no code,
 * title, file, setting or state of the gateway in the answer; the gateway's log keeps the real code.
 *
 * The real express application (createHttpApp with the real audit, statistics and suggestion routers,
 * the real Ingest and Checkpointer) behind the real HTTPS server with mutual TLS and the example trust
 * directory; fakes only at the store port (and, for the suggestions, at the registry port), which raise
 * each operator code of the catalogue in turn, with an operator-only detail.
 */
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { expect } from 'chai';
import type { Dossiers } from '../../src/app/dossiers.js';
import { Checkpointer } from '../../src/app/checkpointer.js';
import { Ingest } from '../../src/app/ingest.js';
import type { AuditEvent } from '../../src/audit/entry.js';
import { INLINE_CRYPTO } from '../../src/crypto/service.js';
import { GatewayError, PROBLEM_CATALOGUE, PROBLEM_CODES, type ProblemCode } from '../../src/domain/errors.js';
import { createHttpApp } from '../../src/http/app.js';
import { createAuditRouter } from '../../src/http/audit-routes.js';
import { RateLimiter } from '../../src/http/rate-limit.js';
import { startHttpsServer, type RunningServer } from '../../src/http/server.js';
import { createStatsRouter } from '../../src/http/stats-routes.js';
import { createSuggestionRouter, SUGGESTIONS_PATH } from '../../src/http/suggestion-routes.js';
import { createTimelineRouter } from '../../src/http/timeline-routes.js';
import { createValidator, defaultSchemasDir } from '../../src/schema/validator.js';
import type { Store } from '../../src/store/port.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';
import { Observer } from '../../src/observability/observer.js';
import { OperatorStatus } from '../../src/observability/operator-status.js';
import { PeerCertificates } from '../../src/observability/peer-certificates.js';
import { Tracing } from '../../src/observability/tracing.js';
import { LAYOUT, loadTrustStore, type TrustStore } from '../../src/trust/trust-store.js';
import { capturingLogger, eventually, EXAMPLE_CERTS, PROJECT_ROOT } from '../fixtures/gateway.js';
import { example, seal } from '../fixtures/partner.js';

const OPERATOR_CODES = PROBLEM_CODES.filter((code) => PROBLEM_CATALOGUE[code].audience === 'operator');
/** What an operator reads and a partner must not: a file of the gateway, a setting, another partner's state. */
const OPERATOR_DETAIL = '/var/lib/passerelle/secrets/pseudonym.key unreadable; PASSERELLE_DATA_DIR; partner cap-emploi-75 has no key';
const LEAK_MARKERS = ['/var/lib/passerelle', 'PASSERELLE_', 'cap-emploi-75'];

type Caller = 'ofii-paris' | 'auditor' | 'operator' | 'no certificate';

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

interface Fault {
  method: string;
  code: ProblemCode;
  detail: string;
}

interface Attack {
  name: string;
  caller: Caller;
  method: 'GET' | 'POST';
  path: string;
  contentType?: string;
  body?: () => Promise<string>;
  /** The port method that fails on this request's path. */
  failing: string;
}

const ATTACKS: Attack[] = [
  { name: 'GET /v1/operator/status', caller: 'operator', method: 'GET', path: '/v1/operator/status', failing: 'operationalFigures' },
  { name: 'GET /metrics', caller: 'operator', method: 'GET', path: '/metrics', failing: 'operationalFigures' },
  { name: 'GET /v1/messages/{id}', caller: 'ofii-paris', method: 'GET', path: '/v1/messages/00000000-0000-4000-8000-000000000000', failing: 'findMessage' },
  {
    name: 'POST /v1/messages (a valid orientation, through the real Ingest)',
    caller: 'ofii-paris',
    method: 'POST',
    path: '/v1/messages',
    contentType: 'application/pgp-encrypted',
    body: () => seal('ofii-paris', example('orientation', { recipient: 'france-travail-paris' })),
    failing: 'findMessage',
  },
  { name: 'GET /v1/messages/{id}/timeline', caller: 'ofii-paris', method: 'GET', path: '/v1/messages/00000000-0000-4000-8000-000000000000/timeline', failing: 'messageHistory' },
  { name: 'GET /v1/audit/entries', caller: 'ofii-paris', method: 'GET', path: '/v1/audit/entries?event=accepted', failing: 'findAuditEntries' },
  { name: 'GET /v1/audit/gateway-keys', caller: 'auditor', method: 'GET', path: '/v1/audit/gateway-keys', failing: 'gatewayKeys' },
  { name: 'GET /v1/audit/checkpoint', caller: 'ofii-paris', method: 'GET', path: '/v1/audit/checkpoint', failing: 'latestCheckpoint' },
  { name: 'POST /v1/audit/checkpoint', caller: 'auditor', method: 'POST', path: '/v1/audit/checkpoint', failing: 'auditSize' },
  { name: 'GET /v1/audit/proofs/inclusion', caller: 'auditor', method: 'GET', path: '/v1/audit/proofs/inclusion?index=0&treeSize=1', failing: 'auditNode' },
  { name: 'GET /v1/audit/proofs/consistency', caller: 'ofii-paris', method: 'GET', path: '/v1/audit/proofs/consistency?first=1&second=2', failing: 'auditNode' },
  {
    name: 'POST /v1/audit/checkpoint/cosignatures',
    caller: 'ofii-paris',
    method: 'POST',
    path: '/v1/audit/checkpoint/cosignatures?treeSize=2',
    contentType: 'application/pgp-signature',
    body: async () => '-----BEGIN PGP SIGNATURE-----\n\n-----END PGP SIGNATURE-----\n',
    failing: 'findCheckpoint',
  },
  { name: 'GET /v1/stats', caller: 'auditor', method: 'GET', path: '/v1/stats', failing: 'facts' },
  {
    name: `POST /v1${SUGGESTIONS_PATH}`,
    caller: 'ofii-paris',
    method: 'POST',
    path: `/v1${SUGGESTIONS_PATH}`,
    contentType: 'application/json',
    body: async () => JSON.stringify({ body: example('orientation')['body'] }),
    failing: 'partners',
  },
];

describe('security: operator-facing codes never reach a partner', function () {
  this.timeout(60_000);
  let trust: TrustStore;
  let server: RunningServer;
  let baseUrl: string;
  const logLines: Array<Record<string, unknown>> = [];
  const audited: AuditEvent[] = [];
  let fault: Fault | undefined;
  const tls = new Map<Caller, { cert?: string; key?: string; ca: string }>();

  /** Throws the fault when `method` is the failing one, as the real port would when its backend fails. */
  function port<T>(method: string, answer: () => T): T {
    if (fault?.method === method) throw new GatewayError(fault.code, fault.detail);
    return answer();
  }

  /** The store port: a tree of two entries, naming ofii-paris, and a checkpoint of them. */
  const leaf = 'a'.repeat(64);
  const entry = { index: 0, entry: JSON.stringify({ index: 0, event: 'accepted', sender: 'ofii-paris', recipient: 'france-travail-paris' }), leafHash: leaf };
  const store = {
    checkWritable: async () => port('checkWritable', () => undefined),
    outboxDepth: async () => port('outboxDepth', () => 0),
    operationalFigures: async () => port('operationalFigures', () => ({ outboxDepth: 0, outboxOldestAcceptedAt: undefined, heldNotices: 0, deadLettered: 0 })),
    findMessage: async () => port('findMessage', () => undefined),
    recordEvent: async (event: AuditEvent) => port('recordEvent', () => audited.push(event) - 1),
    auditSize: async () => port('auditSize', () => 2),
    readAuditEntries: async () => port('readAuditEntries', () => [entry]),
    readAuditEntriesNaming: async () => port('readAuditEntriesNaming', () => [entry]),
    findAuditEntries: async () => port('findAuditEntries', () => [entry]),
    messageHistory: async () => port('messageHistory', () => undefined),
    auditNode: async () => port('auditNode', () => leaf),
    latestCheckpoint: async () => port('latestCheckpoint', () => undefined),
    findCheckpoint: async () => port('findCheckpoint', () => undefined),
    saveCheckpoint: async () => port('saveCheckpoint', () => undefined),
    cosignatures: async () => port('cosignatures', () => []),
    addCosignature: async () => port('addCosignature', () => undefined),
  };

  function call(attack: Attack, body: string | undefined): Promise<Answer> {
    const credentials = tls.get(attack.caller)!;
    return new Promise((resolve, reject) => {
      const request = https.request(
        `${baseUrl}${attack.path}`,
        {
          method: attack.method,
          ...credentials,
          agent: false,
          headers: { ...(attack.contentType ? { 'content-type': attack.contentType } : {}), ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: String(response.headers['content-type']), text: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  before(async () => {
    trust = await loadTrustStore({ dir: EXAMPLE_CERTS });
    const ca = trust.caPem;
    for (const id of ['ofii-paris', 'auditor', 'operator'] as const) {
      tls.set(id, {
        cert: fs.readFileSync(path.join(EXAMPLE_CERTS, LAYOUT.partnerTlsCert(id)), 'utf8'),
        key: fs.readFileSync(path.join(EXAMPLE_CERTS, LAYOUT.partnerTlsKey(id)), 'utf8'),
        ca,
      });
    }
    tls.set('no certificate', { ca });
    const logger = capturingLogger(logLines);
    const validator = createValidator({ schemasDir: defaultSchemasDir() });
    const now = () => new Date();
    const ports = store as unknown as Store;
    const ingest = new Ingest({
      trust,
      validator,
      store: ports,
      pseudonymise: async () => {
        throw new GatewayError('internal', 'The test does not reach pseudonymisation. This is a defect of the test.');
      },
      dossiers: {} as Dossiers,
      freshness: { maxFutureSeconds: 300, maxAgeSeconds: 86_400 },
      maxDocumentBytes: 1024 * 1024,
      now,
      crypto: INLINE_CRYPTO,
    });
    const checkpointer = new Checkpointer({ store: ports, signingKey: () => trust.gateway.privateKey, crypto: INLINE_CRYPTO, now, logger, intervalMs: 3_600_000 });
    const registry = () => port('partners', () => trust.registry.partners.values());
    const metrics = new GatewayMetrics({ processMetrics: false });
    const peers = new PeerCertificates();
    const operations = new OperatorStatus({ store: ports, brokerConnected: () => true, checkQueues: async () => [], trust, peers, now, relayLagSeconds: () => undefined });
    const app = createHttpApp({
      ingest,
      store: ports,
      findPartner: (id) => trust.registry.get(id),
      logger,
      maxBodyBytes: 1024 * 1024,
      rateLimiter: new RateLimiter({ perMinute: 100_000, burst: 100_000 }),
      brokerConnected: () => true,
      auditRouter: createAuditRouter({ store: ports, checkpointer, partnerKeys: (id) => trust.partner(id)?.publicKeys ?? [], crypto: INLINE_CRYPTO, now, gatewayKeys: () => port('gatewayKeys', () => []) }),
      timelineRouter: createTimelineRouter({ store: ports }),
      suggestionRouter: createSuggestionRouter({ validator, partners: registry, maxBodyBytes: 1024 * 1024, now }),
      statsRouter: createStatsRouter({ facts: async () => port('facts', () => []), partners: () => trust.registry.partners.values(), now }),
      operatorStatus: () => operations.snapshot(),
      observability: { metrics, observer: new Observer(metrics, new Tracing({ endpoint: undefined, serviceName: 'test' }), 'test.deliveries'), peers },
    });
    server = await startHttpsServer({ app, host: '127.0.0.1', port: 0, certPem: trust.gateway.tlsCertPem, keyPem: trust.gateway.tlsKeyPem, caPem: ca });
    baseUrl = `https://localhost:${server.port}`;
  });

  after(async () => {
    await server?.close(1_000);
  });

  beforeEach(() => {
    fault = undefined;
    logLines.length = 0;
    audited.length = 0;
  });

  /** The answer says `internal`, in the catalogue's words, and nothing of the fault. */
  function expectHidden(answer: Answer, code: ProblemCode): void {
    expect(answer.status, answer.text).to.equal(PROBLEM_CATALOGUE.internal.status);
    expect(answer.contentType).to.match(/^application\/problem\+json/);
    const body = JSON.parse(answer.text) as Record<string, unknown>;
    expect(body).to.include({
      code: 'internal',
      type: '/problems/internal',
      title: PROBLEM_CATALOGUE.internal.title,
      detail: PROBLEM_CATALOGUE.internal.message,
      status: PROBLEM_CATALOGUE.internal.status,
    });
    for (const field of ['code', 'type', 'title', 'detail'] as const) {
      expect(String(body[field]), field).not.to.include(code);
      expect(String(body[field]), field).not.to.include(PROBLEM_CATALOGUE[code].title);
    }
    for (const marker of [code, PROBLEM_CATALOGUE[code].title, PROBLEM_CATALOGUE[code].message, ...LEAK_MARKERS]) {
      expect(answer.text, marker).not.to.include(marker);
    }
  }

  /**
   * The gateway's own log names the real code, for the operator. The request line is written when the
   * server finishes the response, which the client (in this same process) may see first.
   */
  async function expectLogged(code: ProblemCode): Promise<void> {
    const request = await eventually(async () => logLines.find((line) => line['message'] === 'request'));
    expect(request, JSON.stringify(logLines)).to.include({ code, status: PROBLEM_CATALOGUE.internal.status });
    expect(logLines.some((line) => line['level'] === 'error' && line['code'] === code && String(line['reason']).includes(OPERATOR_DETAIL)), JSON.stringify(logLines)).to.equal(true);
  }

  it('the catalogue has operator-facing codes to hide (else this file proves nothing)', () => {
    expect(OPERATOR_CODES).to.include.members(['config_invalid', 'broker_unreachable', 'store_unavailable', 'receipt_invalid', 'audit_invalid', 'usage_invalid']);
  });

  for (const attack of ATTACKS) {
    for (const code of OPERATOR_CODES) {
      it(`${attack.name}: ${code} raised by ${attack.failing}() on the request path reaches the partner as internal`, async () => {
        const body = attack.body ? await attack.body() : undefined;
        fault = { method: attack.failing, code, detail: OPERATOR_DETAIL };
        const answer = await call(attack, body);
        expectHidden(answer, code);
        await expectLogged(code);
      });
    }
  }

  it('POST /v1/messages: the audit entry of the refusal, which the sender may read, carries internal, not the operator code', async () => {
    const body = await seal('ofii-paris', example('orientation', { recipient: 'france-travail-paris' }));
    fault = { method: 'findMessage', code: 'config_invalid', detail: OPERATOR_DETAIL };
    const answer = await call(ATTACKS.find((a) => a.method === 'POST' && a.path === '/v1/messages')!, body);
    expectHidden(answer, 'config_invalid');
    expect(audited.map((event) => event.code)).to.deep.equal(['internal']);
    expect(JSON.stringify(audited)).not.to.include('/var/lib/passerelle');
  });

  it("an internal fault's own detail (a defect, for the operator) reaches the partner as the catalogue's message", async () => {
    fault = { method: 'findMessage', code: 'internal', detail: `The audit tree of ${OPERATOR_DETAIL} is inconsistent. This is a defect: report it.` };
    const answer = await call(ATTACKS.find((a) => a.name === 'GET /v1/messages/{id}')!, undefined);
    expect(answer.status).to.equal(500);
    expect(JSON.parse(answer.text)).to.include({ code: 'internal', detail: PROBLEM_CATALOGUE.internal.message });
    for (const marker of LEAK_MARKERS) expect(answer.text, marker).not.to.include(marker);
  });

  it('the attacks cover every route that reads a store or registry port on the request path', () => {
    const source = ['app.ts', 'audit-routes.ts', 'stats-routes.ts', 'suggestion-routes.ts', 'timeline-routes.ts'].map((file) => fs.readFileSync(path.join(PROJECT_ROOT, 'src', 'http', file), 'utf8')).join('\n');
    const routes = [...source.matchAll(/\b(app|v1|router)\.(get|post)\(\s*('([^']+)'|SUGGESTIONS_PATH)/g)].length;
    // /healthz reads no port, and /readyz turns every fault of the store's checkWritable() into
    // not-ready, saying nothing more (test/http/health.test.ts); every other route has its attack.
    expect(new Set(ATTACKS.map((a) => a.name.replace(/ \(.*\)$/, ''))).size).to.equal(routes - 2);
  });
});
