/**
 * GET /metrics and GET /v1/operator/status on a real gateway (SQLite, the local RabbitMQ, mutual TLS):
 * the figures move as messages go through, the two answers agree, only the operator role reads them,
 * and no label carries a message id or anything of a document (docs/monitoring.md, "Cardinality").
 */
import { expect } from 'chai';
import { requestGateway } from '../../src/client/gateway-client.js';
import { eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { example, get, partner, post, send, type Json } from '../fixtures/partner.js';
import { parseExposition, valueOf, type Sample } from '../fixtures/prometheus-text.js';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

async function scrape(gw: TestGateway, as = 'operator'): Promise<{ status: number; text: string; samples: Sample[] }> {
  const answer = await get(gw.baseUrl, as, '/metrics');
  const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  return { status: answer.status, text, samples: answer.status === 200 ? parseExposition(text) : [] };
}

async function status(gw: TestGateway): Promise<Json> {
  const answer = await get(gw.baseUrl, 'operator', '/v1/operator/status');
  expect(answer.status).to.equal(200);
  return answer.body as Json;
}

/** Every string of a document, recursively: none may appear as a label value. */
function stringsOf(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string' && value.length >= 6) into.add(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, into);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) stringsOf(v, into);
  return into;
}

describe('observability: /metrics and the operator status on a real gateway', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  const documents: Json[] = [];

  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => gw?.dispose());

  it('answers the operator role only: 403 for a partner, 401 without a certificate', async () => {
    expect((await scrape(gw, 'ofii-paris')).status).to.equal(403);
    const view = await partner('operator');
    const anonymous = await requestGateway({ baseUrl: gw.baseUrl, tls: { ...view.tls, certPem: undefined as never, keyPem: undefined as never }, method: 'GET', path: '/metrics' });
    expect(anonymous.status).to.equal(401);
  });

  it('counts the requests by route template and problem code, times each stage, and follows the outbox, queues and log', async () => {
    const before = await scrape(gw);
    expect(before.status).to.equal(200);
    const accepted = (s: Sample[]) => valueOf(s, 'passerelle_http_requests_total', { route: '/v1/messages', method: 'POST', status: '202', code: 'none' }) ?? 0;
    const stageCount = (s: Sample[], stage: string) => valueOf(s, 'passerelle_stage_duration_seconds_count', { stage }) ?? 0;

    for (let i = 0; i < 3; i++) {
      const document = example('orientation');
      documents.push(document);
      const answer = await send(gw.baseUrl, 'ofii-paris', document);
      expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    }
    // A refusal, and a read of a message by its id (a path that holds an id).
    expect((await post(gw.baseUrl, 'ofii-paris', 'not a message', 'text/plain')).status).to.equal(415);
    expect((await get(gw.baseUrl, 'ofii-paris', `/v1/messages/${documents[0]!['header']['messageId'] as string}`)).status).to.equal(200);

    // Published: the outbox drains, and the recipient's queue holds the three (the queue check is cached a few seconds).
    const after = await eventually(async () => {
      const s = (await scrape(gw)).samples;
      const depth = valueOf(s, 'passerelle_queue_messages', { partner: 'mission-locale-paris', queue: 'delivery' });
      return valueOf(s, 'passerelle_outbox_depth') === 0 && depth === 3 ? s : undefined;
    }, 15_000);

    expect(accepted(after) - accepted(before.samples)).to.equal(3);
    expect(valueOf(after, 'passerelle_http_requests_total', { route: '/v1/messages', status: '415', code: 'unsupported_media_type' })).to.equal(1);
    expect(valueOf(after, 'passerelle_http_requests_total', { route: '/v1/messages/:messageId', method: 'GET', status: '200' })).to.equal(1);
    for (const stage of ['crypto_open', 'validation', 'crypto_seal', 'store', 'receipt', 'publish']) {
      expect(stageCount(after, stage) - stageCount(before.samples, stage), stage).to.equal(3);
    }
    expect(stageCount(after, 'tls_handshake')).to.be.greaterThan(0);
    expect(valueOf(after, 'passerelle_queue_messages', { partner: 'mission-locale-paris', queue: 'dead-letter' })).to.equal(0);
    expect(valueOf(after, 'passerelle_broker_connected')).to.equal(1);
    expect(valueOf(after, 'passerelle_ready')).to.equal(1);
    expect(valueOf(after, 'passerelle_relay_lag_seconds')).to.be.at.least(0);
    expect(valueOf(after, 'passerelle_relay_delay_seconds_count')).to.equal(3);
    // Accepted and queued for each message, and the refusal.
    expect(valueOf(after, 'passerelle_audit_log_entries')).to.equal(7);
    expect(valueOf(after, 'passerelle_dead_lettered_messages')).to.equal(0);
    expect(valueOf(after, 'passerelle_crypto_queue_length')).to.equal(0);
    expect(valueOf(after, 'passerelle_crypto_queue_limit')).to.be.greaterThan(0);
    // The certificate ofii-paris presented, and the gateway's own.
    expect(valueOf(after, 'passerelle_certificate_expiry_seconds', { partner: 'ofii-paris' })).to.be.greaterThan(86_400);
    expect(valueOf(after, 'passerelle_certificate_expiry_seconds', { partner: 'passerelle' })).to.be.greaterThan(86_400);
    // Node's process metrics.
    expect(valueOf(after, 'process_cpu_user_seconds_total')).to.be.greaterThan(0);
  });

  it('counts the retention sweeps and says when the last one ended', async () => {
    const sweeps = (s: Sample[]) => valueOf(s, 'passerelle_retention_sweeps_total') ?? 0;
    const before = (await scrape(gw)).samples;
    await gw.runRetention();
    const after = (await scrape(gw)).samples;
    expect(sweeps(after) - sweeps(before)).to.equal(1);
    expect(valueOf(after, 'passerelle_retention_last_sweep_timestamp_seconds')).to.be.closeTo(Date.now() / 1000, 60);
    const body = await status(gw);
    expect(body['retention']['lastSweepAt']).to.be.a('string');
    expect(body['retention']['lastSweep']).to.include({ expired: 0 });
  });

  it('tells the operator status with the same figures, partners and expiry dates', async () => {
    const body = await status(gw);
    expect(body).to.include({ status: 'ready', store: 'writable', broker: 'connected', outboxDepth: 0 });
    expect(body['outbox']).to.deep.equal({ depth: 0, oldestAgeSeconds: null, held: 0 });
    expect(body['deadLetters']).to.deep.equal({ total: 0 });
    expect(body['auditLog']['size']).to.equal(7);
    expect(body['queues']).to.deep.include({ partner: 'mission-locale-paris', queue: `${gw.settings.amqpPrefix}.mission-locale-paris`, messages: 3, deadLettered: 0 });
    const ofii = (body['partners'] as Json[]).find((p) => p['id'] === 'ofii-paris')!;
    expect(ofii['certificate']['source']).to.equal('presented');
    expect(ofii['certificate']['daysLeft']).to.be.greaterThan(30);
    expect(ofii['openpgpKeys']).to.have.length.greaterThan(0);
    expect(ofii['openpgpKeys'][0]).to.have.keys(['fingerprint', 'expiresAt', 'revoked', 'daysLeft']);
    expect(ofii['warning']).to.equal(false);
    // A partner that never connected: the copy of its certificate in the trust directory.
    const auditor = (body['partners'] as Json[]).find((p) => p['id'] === 'auditor')!;
    expect(auditor['certificate']['source']).to.equal('trust-directory');
    expect(body['gateway']['tlsCertificate']['daysLeft']).to.be.greaterThan(30);
    expect(body['gateway']['openpgpKeys']).to.have.length.greaterThan(0);
  });

  it('has no label value that is a message id, a UUID or a string of a document sent', async () => {
    const { samples } = await scrape(gw);
    const forbidden = new Set<string>();
    for (const document of documents) stringsOf(document, forbidden);
    // Partner ids are labels by design (the trust directory's, not the document's): the header names them too.
    for (const id of gw.trust.registry.partners.keys()) forbidden.delete(id);
    expect(forbidden.size).to.be.greaterThan(documents.length);
    const values = samples.flatMap((s) => Object.values(s.labels));
    expect(values.filter((v) => UUID.test(v)), 'UUID-like label values').to.deep.equal([]);
    expect(values.filter((v) => forbidden.has(v)), 'label values taken from a document').to.deep.equal([]);
    // The bound on label sets (docs/monitoring.md): the route label is a template of the app's routes.
    const routes = new Set(samples.filter((s) => s.name === 'passerelle_http_requests_total').map((s) => s.labels['route']));
    for (const route of routes) expect(route).to.match(/^(\/[a-z0-9/:-]*|\(unmatched\))$/i);
  });
});
