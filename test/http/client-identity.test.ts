/**
 * Step 1 at the HTTP layer (src/http/client-identity.ts): a partner is authenticated at every request,
 * from the verified client certificate's CN and the registry port, not once per connection (the
 * certificate itself is read once per connection: a connection cannot change it); and /v1 is
 * closed to a connection that is not TLS at all. Real express app, real HTTPS server with the example
 * certificates, a fake registry port (test/http/bed.ts). Certificates that TLS itself must refuse
 * (foreign CA, expired, revoked, ambiguous CN) are in test/security/tls-attacks.test.ts.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { expect } from 'chai';
import type { Ingest } from '../../src/app/ingest.js';
import { createHttpApp } from '../../src/http/app.js';
import { RateLimiter } from '../../src/http/rate-limit.js';
import type { Store } from '../../src/store/port.js';
import { capturingLogger } from '../fixtures/gateway.js';
import { FakeIngest, FakeStore, json, PARTNERS, problem, startBed, type Answer, type Bed } from '../fixtures/http-bed.js';

const UNKNOWN_MESSAGE = '/v1/messages/00000000-0000-4000-8000-000000000000';

/** Counts getPeerCertificate() on the server's sockets (a client socket has no `server`), while `run` runs. */
async function countingPeerReads(run: () => Promise<void>): Promise<number> {
  const original = tls.TLSSocket.prototype.getPeerCertificate;
  let reads = 0;
  tls.TLSSocket.prototype.getPeerCertificate = function (this: tls.TLSSocket & { server?: unknown }, ...args: [boolean?]) {
    if (this.server !== undefined) reads++;
    return original.apply(this, args as [true]);
  } as typeof original;
  try {
    await run();
    return reads;
  } finally {
    tls.TLSSocket.prototype.getPeerCertificate = original;
  }
}

describe('http: who is calling (client identity)', function () {
  describe('over HTTPS with client certificates', () => {
    let bed: Bed;
    beforeEach(async () => {
      bed = await startBed();
    });
    afterEach(async () => bed?.close());

    it('a partner is looked up in the registry at every request: removed from it, it is refused 401 on the connection it already holds', async () => {
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const first = await bed.request({ as: 'mission-locale-paris', path: UNKNOWN_MESSAGE, agent });
        expect(first.status).to.equal(404);

        bed.registry.delete('mission-locale-paris');
        const { request, answer } = bed.open({ as: 'mission-locale-paris', path: UNKNOWN_MESSAGE, agent });
        request.end();
        const second = await answer;
        expect(request.reusedSocket, 'sent on the connection of the first request').to.equal(true);
        expect(problem(second)).to.include({ code: 'unauthenticated', status: 401 });
        expect(String(problem(second)['detail'])).to.include('does not name a registered partner');
      } finally {
        agent.destroy();
      }
    });

    for (const route of [
      { title: 'POST /v1/messages', method: 'POST', path: '/v1/messages', status: 202 },
      { title: 'a route of express', method: 'GET', path: UNKNOWN_MESSAGE, status: 404 },
    ]) {
      it(`the client certificate is read once per connection, not at every request (${route.title})`, async () => {
        bed.ingest.answer = async () => ({
          outcome: 'accepted',
          status: 202,
          answer: { messageId: 'm', status: 'accepted', acceptedAt: '2026-11-27T10:00:00.000Z', auditIndex: 0, payloadSha256: 'c'.repeat(64), receipt: 'r' },
          recipient: 'mission-locale-paris',
          type: 'orientation',
        });
        const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
        const statuses: number[] = [];
        try {
          const reads = await countingPeerReads(async () => {
            for (let i = 0; i < 5; i++) {
              const answer = await bed.request({ as: 'ofii-paris', method: route.method, path: route.path, headers: { 'content-type': 'application/pgp-encrypted' }, body: route.method === 'POST' ? 'sealed' : undefined, agent } as never);
              statuses.push(answer.status);
            }
          });
          expect(statuses).to.deep.equal(Array(5).fill(route.status));
          expect(Object.values(agent.freeSockets).flat(), 'one connection').to.have.length(1);
          expect(reads).to.equal(1);
        } finally {
          agent.destroy();
        }
      });
    }

    it("a partner's registry entry is read at every request: a role changed in the registry port applies to the next request", async () => {
      const post = () => bed.request({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/pgp-encrypted' }, body: 'sealed' });
      bed.ingest.answer = async () => ({
        outcome: 'accepted',
        status: 202,
        answer: { messageId: 'm', status: 'accepted', acceptedAt: '2026-11-27T10:00:00.000Z', auditIndex: 0, payloadSha256: 'c'.repeat(64), receipt: 'r' },
        recipient: 'mission-locale-paris',
        type: 'orientation',
      });
      expect((await post()).status).to.equal(202);
      const ofii = bed.registry.get('ofii-paris')!;
      bed.registry.set('ofii-paris', { ...ofii, sends: [] });
      expect(problem(await post())).to.include({ code: 'forbidden' });
      expect(bed.ingest.submitted).to.have.length(1);
    });
  });

  describe('over plain HTTP (a listener without TLS by mistake)', () => {
    let server: http.Server;
    let base: string;
    before(async () => {
      const registry = new Map(PARTNERS.map((p) => [p.id, p]));
      const app = createHttpApp({
        ingest: new FakeIngest() as unknown as Ingest,
        store: new FakeStore() as unknown as Store,
        findPartner: (id) => registry.get(id),
        logger: capturingLogger([]),
        maxBodyBytes: 1024,
        rateLimiter: new RateLimiter({ perMinute: 1000, burst: 1000 }),
        brokerConnected: () => true,
      });
      server = http.createServer(app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    function get(pathname: string, headers: Record<string, string> = {}): Promise<Answer> {
      return new Promise((resolve, reject) => {
        http
          .get(`${base}${pathname}`, { headers, agent: false }, (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (c: Buffer) => chunks.push(c));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
          })
          .on('error', reject);
      });
    }

    it('/v1 answers 401 to everyone, whatever the request claims about its client', async () => {
      const claims: Array<Record<string, string>> = [{}, { 'x-ssl-client-s-dn': 'CN=ofii-paris', 'x-client-cert-cn': 'ofii-paris' }];
      for (const headers of claims) {
        expect(problem(await get(UNKNOWN_MESSAGE, headers))).to.include({ code: 'unauthenticated', status: 401 });
      }
    });

    it('/healthz still answers, naming no partner', async () => {
      const answer = await get('/healthz');
      expect(answer.status).to.equal(200);
      expect(json(answer)).to.deep.equal({ status: 'alive' });
    });
  });
});
