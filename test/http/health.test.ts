/**
 * GET /healthz, GET /readyz and GET /v1/operator/status (src/http/app.ts). The probes answer without a
 * client certificate and without a rate limit, and say only alive, ready or not ready (docs/interface.md,
 * section 4); /readyz follows the store port's checkWritable(). The details (store, broker,
 * outbox depth) are for the operator role. Real express app and HTTPS server, a fake store port
 * (test/fixtures/http-bed.ts). That a real store that cannot write makes /readyz answer 503 is in
 * test/faults/store-failure.test.ts.
 */
import { expect } from 'chai';
import { GatewayError } from '../../src/domain/errors.js';
import { json, problem, startBed, type Bed } from '../fixtures/http-bed.js';

describe('http: /healthz, /readyz and the operator status', function () {
  let bed: Bed;
  let brokerUp = true;
  before(async () => {
    // A bucket of one request per partner: a probe that took a token would be refused at the second.
    bed = await startBed({ rateLimit: { perMinute: 1, burst: 1 }, brokerConnected: () => brokerUp });
  });
  after(async () => bed?.close());
  beforeEach(() => {
    brokerUp = true;
    bed.store.unwritable = undefined;
    bed.store.depth = 3;
    bed.store.calls.length = 0;
  });

  it('/healthz answers 200 alive to anyone, with or without a certificate, and asks nothing of the store', async () => {
    for (const as of ['none', 'ofii-paris'] as const) {
      const answer = await bed.request({ as, path: '/healthz' });
      expect(answer.status, as).to.equal(200);
      expect(json(answer)).to.deep.equal({ status: 'alive' });
    }
    expect(bed.store.calls).to.deep.equal([]);
  });

  it('/readyz answers 200 ready while the store can write, and asks it nothing else', async () => {
    const answer = await bed.request({ as: 'none', path: '/readyz' });
    expect(answer.status).to.equal(200);
    expect(json(answer)).to.deep.equal({ status: 'ready' });
    expect(bed.store.calls).to.deep.equal(['checkWritable']);
  });

  it('/readyz stays ready while the broker is away: messages are accepted into the outbox meanwhile', async () => {
    brokerUp = false;
    const answer = await bed.request({ as: 'none', path: '/readyz' });
    expect(answer.status).to.equal(200);
    expect(json(answer)).to.deep.equal({ status: 'ready' });
  });

  it('/readyz answers 503 not-ready while the store cannot write, and nothing of why', async () => {
    bed.store.unwritable = new GatewayError('store_unavailable', 'The store cannot take writes: SQLITE_READONLY.');
    const answer = await bed.request({ as: 'none', path: '/readyz' });
    expect(answer.status).to.equal(503);
    expect(json(answer)).to.deep.equal({ status: 'not-ready' });
    expect(answer.text).not.to.include('SQLITE_READONLY');
    expect(bed.store.calls).to.deep.equal(['checkWritable']);
  });

  it('the probes take no token of the partner that calls them (a load balancer may probe with any certificate)', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await bed.request({ as: 'mission-locale-paris', path: '/healthz' })).status).to.equal(200);
      expect((await bed.request({ as: 'mission-locale-paris', path: '/readyz' })).status).to.equal(200);
    }
    // The one token of the bucket is still there.
    expect((await bed.request({ as: 'mission-locale-paris', path: '/v1/messages/00000000-0000-4000-8000-000000000000' })).status).to.equal(404);
  });

  it('a method other than GET on a probe reaches no probe: 404 not_found (where /v1 paths answer 405)', async () => {
    const answer = await bed.request({ as: 'none', method: 'POST', path: '/readyz' });
    expect(problem(answer)).to.include({ code: 'not_found', status: 404 });
    expect(bed.store.calls).to.deep.equal([]);
  });

  it('/readyz says only ready or not ready to a caller without a certificate (docs/interface.md, section 4)', async () => {
    for (const unwritable of [undefined, new GatewayError('store_unavailable', 'The store cannot take writes.')]) {
      bed.store.unwritable = unwritable;
      brokerUp = unwritable === undefined;
      const answer = await bed.request({ as: 'none', path: '/readyz' });
      expect(Object.keys(json(answer))).to.deep.equal(['status']);
    }
  });

  describe('GET /v1/operator/status', () => {
    let operatorBed: Bed;
    before(async () => {
      // The usual rate, not the one-token bucket of the probes' bed: this route is a /v1 request.
      operatorBed = await startBed({ brokerConnected: () => brokerUp });
    });
    after(async () => operatorBed?.close());
    beforeEach(() => {
      operatorBed.store.unwritable = undefined;
      operatorBed.store.depth = 3;
      operatorBed.store.calls.length = 0;
    });

    const summary = (body: Record<string, unknown>) => ({ status: body['status'], store: body['store'], broker: body['broker'], outboxDepth: body['outboxDepth'], outbox: body['outbox'] });

    it('tells the operator role what /readyz decided and why: store, broker, outbox depth', async () => {
      const answer = await operatorBed.request({ as: 'operator', path: '/v1/operator/status' });
      expect(answer.status).to.equal(200);
      const body = json(answer);
      expect(summary(body)).to.deep.equal({ status: 'ready', store: 'writable', broker: 'connected', outboxDepth: 3, outbox: { depth: 3, oldestAgeSeconds: null, held: 0 } });
      // The whole shape the console renders (src/observability/operator-status.ts); the figures are tested on a real gateway (test/observability/).
      expect(Object.keys(body)).to.deep.equal(['status', 'store', 'broker', 'outboxDepth', 'outbox', 'relay', 'queues', 'deadLetters', 'withdrawalReceipts', 'retention', 'auditLog', 'partners', 'gateway', 'checkedAt']);
      expect(operatorBed.store.calls[0]).to.equal('checkWritable');
      expect(operatorBed.store.calls).to.include('operationalFigures');

      brokerUp = false;
      operatorBed.store.depth = 17;
      expect(summary(json(await operatorBed.request({ as: 'operator', path: '/v1/operator/status' })))).to.deep.equal({ status: 'ready', store: 'writable', broker: 'disconnected', outboxDepth: 17, outbox: { depth: 17, oldestAgeSeconds: null, held: 0 } });
    });

    it('answers 503 with the reason while the store cannot write, without asking it anything more', async () => {
      operatorBed.store.unwritable = new GatewayError('store_unavailable', 'The store cannot take writes: SQLITE_READONLY.');
      const answer = await operatorBed.request({ as: 'operator', path: '/v1/operator/status' });
      expect(answer.status).to.equal(503);
      expect(json(answer)).to.deep.include({ status: 'not-ready', store: 'unavailable', broker: 'connected', outboxDepth: null, outbox: null, deadLetters: null, withdrawalReceipts: null, auditLog: null });
      expect(operatorBed.store.calls).to.deep.equal(['checkWritable']);
    });

    it('refuses every other role with 403 forbidden and a caller without a certificate with 401, asking the store nothing', async () => {
      for (const as of ['ofii-paris', 'france-travail-paris', 'prefecture-paris'] as const) {
        expect(problem(await operatorBed.request({ as, path: '/v1/operator/status' })), as).to.include({ code: 'forbidden', status: 403 });
      }
      expect(problem(await operatorBed.request({ as: 'none', path: '/v1/operator/status' }))).to.include({ code: 'unauthenticated', status: 401 });
      expect(operatorBed.store.calls).to.deep.equal([]);
    });

    it('answers another method with 405 and Allow: GET', async () => {
      const answer = await operatorBed.request({ as: 'operator', method: 'POST', path: '/v1/operator/status' });
      expect(problem(answer)).to.include({ code: 'method_not_allowed', status: 405 });
      expect(answer.headers['allow']).to.equal('GET');
    });
  });
});
