/**
 * Hostile HTTP against the real gateway (mutual TLS, the express app, the store, RabbitMQ), one named
 * attack per test, each sent as raw bytes so that no client library tidies it up first. Every answer
 * must be a problem+json with the contract's code and status, never a 2xx, and nothing refused may be
 * stored or queued (checked per test and once more at the end against the recipient's queue).
 */
import { randomUUID } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { PROBLEM_CATALOGUE, type ProblemCode } from '../../src/domain/errors.js';
import { drainQueue, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { example, post, seal } from '../fixtures/partner.js';
import { rawRequest, requestBytes, sleep, type RawAnswer } from '../fixtures/raw-http.js';

const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;

function expectProblem(answer: RawAnswer, code: ProblemCode): Record<string, unknown> {
  expect(answer.status, `${answer.status} ${answer.body.slice(0, 200)}`).to.equal(PROBLEM_CATALOGUE[code].status);
  expect(answer.headers['content-type']).to.match(/^application\/problem\+json/);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect(body).to.include({ code, type: `/problems/${code}`, status: PROBLEM_CATALOGUE[code].status });
  expect(body['detail']).to.be.a('string').and.not.empty;
  return body;
}

describe('@integration security: HTTP attacks', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  const accepted: string[] = [];

  before(async () => {
    gw = await startTestGateway({
      PASSERELLE_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      PASSERELLE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      PASSERELLE_RATE_LIMIT_BURST: '100000',
      PASSERELLE_RATE_LIMIT_PER_MINUTE: '1000000',
    });
  });
  after(async () => {
    await gw?.dispose();
  });

  /** A valid sealed orientation and its message id. */
  async function sealedOrientation(): Promise<{ id: string; sealed: string }> {
    const document = example('orientation');
    return { id: document['header']['messageId'] as string, sealed: await seal('ofii-paris', document) };
  }

  /** Sends raw bytes as OFII, or without a client certificate when `client` is null. */
  async function send(bytes: Buffer, client: string | null = 'ofii-paris'): Promise<RawAnswer> {
    return rawRequest({ port: gw.port, client: client ?? undefined, deadlineMs: 10_000, drive: (x) => x.write(bytes) });
  }

  describe('oversized headers', () => {
    it('oversized headers: one 20 KiB header gets 431 request_header_fields_too_large as problem+json, connection closed', async () => {
      const answer = await send(requestBytes('GET /v1/messages/00000000-0000-4000-8000-000000000000 HTTP/1.1', [['Host', 'localhost'], ['X-Padding', 'a'.repeat(20 * 1024)]]));
      expectProblem(answer, 'request_header_fields_too_large');
      expect(answer.ended).to.equal('closed');
    });

    it('oversized headers: 2,000 small headers (20 KiB in all) get 431', async () => {
      const headers: Array<[string, string]> = [['Host', 'localhost']];
      for (let i = 0; i < 2_000; i++) headers.push([`X-H${i}`, 'aaaa']);
      expectProblem(await send(requestBytes('GET /healthz HTTP/1.1', headers)), 'request_header_fields_too_large');
    });

    it('oversized headers, control: 8 KiB of headers pass the limit and reach the API', async () => {
      const answer = await send(requestBytes('GET /v1/messages/00000000-0000-4000-8000-000000000000 HTTP/1.1', [['Host', 'localhost'], ['X-Padding', 'a'.repeat(8 * 1024)]]));
      expectProblem(answer, 'not_found');
    });
  });

  describe('oversized bodies', () => {
    it('oversized body: Content-Length of 50 MB is answered 413 before the body is sent, and the connection is closed', async () => {
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const answer = await rawRequest({
        port: gw.port,
        client: 'ofii-paris',
        deadlineMs: 10_000,
        drive: async (x) => {
          await x.write(requestBytes('POST /v1/messages HTTP/1.1', [['Host', 'localhost'], ['Content-Type', 'application/pgp-encrypted'], ['Content-Length', String(50 * 1024 * 1024)]]));
          // Send a little, then wait: the answer must not need the rest.
          await x.write(chunk);
          await Promise.race([x.answered, sleep(5_000)]);
        },
      });
      expectProblem(answer, 'payload_too_large');
      expect(answer.bytesWrittenAtAnswer).to.be.lessThan(gw.settings.maxBodyBytes);
      expect(answer.ended).to.equal('closed');
    });

    it('oversized body: a chunked body is cut with 413 as soon as it crosses the limit, and the gateway reads no further', async () => {
      // What the gateway itself read is counted on its own end of the connection (Node's documented
      // 'net.server.socket' channel): the client's count also holds what sits in the kernel's socket
      // buffers, which on this machine may grow to tens of megabytes (tcp_rmem) whatever the gateway does.
      const serverSockets = new Map<number, Socket>();
      const onSocket = (message: unknown) => {
        const { socket } = message as { socket: Socket };
        if (socket.localPort === gw.port && socket.remotePort !== undefined) serverSockets.set(socket.remotePort, socket);
      };
      diagnosticsChannel.subscribe('net.server.socket', onSocket);
      const chunk = Buffer.alloc(32 * 1024, 0x42);
      let clientPort = -1;
      let answer: RawAnswer;
      try {
        answer = await rawRequest({
          port: gw.port,
          client: 'ofii-paris',
          deadlineMs: 15_000,
          drive: async (x) => {
            clientPort = x.socket.localPort ?? -1;
            await x.write(requestBytes('POST /v1/messages HTTP/1.1', [['Host', 'localhost'], ['Content-Type', 'application/octet-stream'], ['Transfer-Encoding', 'chunked']]));
            // Up to 20 times the limit, stopping as soon as the gateway answered.
            for (let sent = 0; sent < 20 * gw.settings.maxBodyBytes && !x.isAnswered(); sent += chunk.length) {
              await x.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
            }
            await Promise.race([x.answered, sleep(5_000)]);
          },
        });
      } finally {
        diagnosticsChannel.unsubscribe('net.server.socket', onSocket);
      }
      expectProblem(answer, 'payload_too_large');
      expect(answer.ended).to.equal('closed');
      expect(answer.bytesWrittenAtAnswer, 'the answer came before the client had sent its whole body').to.be.lessThan(20 * gw.settings.maxBodyBytes);
      const server = serverSockets.get(clientPort);
      expect(server, 'the gateway end of the connection').to.not.equal(undefined);
      await eventually(async () => (server!.destroyed ? true : undefined));
      // The limit, plus what was in flight when it was crossed: one TLS record, one socket read, one
      // stream buffer. Reading on to the end of a 20 MiB body would be twenty times this.
      expect(server!.bytesRead).to.be.greaterThan(gw.settings.maxBodyBytes).and.lessThan(gw.settings.maxBodyBytes + 256 * 1024);
    });

    it('oversized body: chunk extensions over the limit are refused', async () => {
      const answer = await send(
        Buffer.concat([
          requestBytes('POST /v1/messages HTTP/1.1', [['Host', 'localhost'], ['Content-Type', 'application/octet-stream'], ['Transfer-Encoding', 'chunked']]),
          Buffer.from(`1;${'e'.repeat(20 * 1024)}=x\r\nA\r\n0\r\n\r\n`),
        ]),
      );
      expect([413, 400]).to.include(answer.status);
      expectProblem(answer, answer.status === 413 ? 'payload_too_large' : 'bad_request');
    });
  });

  describe('slow requests (request timeouts)', () => {
    it(`slow-loris headers: a request line followed by nothing gets 408 after the ${HEADERS_TIMEOUT_MS} ms headers timeout`, async () => {
      const answer = await rawRequest({
        port: gw.port,
        client: 'ofii-paris',
        deadlineMs: 10_000,
        drive: async (x) => {
          await x.write('POST /v1/messages HTTP/1.1\r\nHost: localhost\r\n');
          await x.answered;
        },
      });
      expectProblem(answer, 'request_timeout');
      expect(answer.answeredAfterMs).to.be.within(HEADERS_TIMEOUT_MS - 50, HEADERS_TIMEOUT_MS + 2_000);
      expect(answer.ended).to.equal('closed');
    });

    it('slow-loris headers: trickling a header byte every 100 ms does not extend the headers timeout', async () => {
      let trickled = 0;
      const answer = await rawRequest({
        port: gw.port,
        client: 'ofii-paris',
        deadlineMs: 10_000,
        drive: async (x) => {
          await x.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
          while (!x.isAnswered() && trickled < 80) {
            await x.write('a');
            trickled++;
            await sleep(100);
          }
        },
      });
      expectProblem(answer, 'request_timeout');
      expect(trickled).to.be.lessThan(40);
    });

    it(`slow body: a valid message trickled slower than the ${REQUEST_TIMEOUT_MS} ms request timeout is cut and nothing is accepted`, async () => {
      const { id, sealed } = await sealedOrientation();
      const body = Buffer.from(sealed);
      let sent = 0;
      const answer = await rawRequest({
        port: gw.port,
        client: 'ofii-paris',
        deadlineMs: 15_000,
        drive: async (x) => {
          await x.write(requestBytes('POST /v1/messages HTTP/1.1', [['Host', 'localhost'], ['Content-Type', 'application/pgp-encrypted'], ['Content-Length', String(body.length)]]));
          // 20 bytes every 100 ms: the whole message would need far longer than the request timeout.
          while (!x.isAnswered() && sent < body.length) {
            await x.write(body.subarray(sent, sent + 20));
            sent += 20;
            await sleep(100);
          }
        },
      });
      expectProblem(answer, 'request_timeout');
      expect(sent).to.be.lessThan(body.length);
      expect(answer.answeredAfterMs).to.be.within(REQUEST_TIMEOUT_MS - 50, REQUEST_TIMEOUT_MS + 3_000);
      expect(answer.ended).to.equal('closed');
      expect(await gw.store.findMessage(id)).to.equal(undefined);
    });

    it('slow body, control: the same message sent at once within the timeouts is accepted', async () => {
      const { id, sealed } = await sealedOrientation();
      const answer = await send(requestBytes('POST /v1/messages HTTP/1.1', [['Host', 'localhost'], ['Content-Type', 'application/pgp-encrypted'], ['Content-Length', String(Buffer.byteLength(sealed))], ['Connection', 'close']], sealed));
      expect(answer.status, answer.body).to.equal(202);
      accepted.push(id);
      expect((await gw.store.findMessage(id))?.messageId).to.equal(id);
    });

    it('the gateway still answers after the slow clients were cut', async () => {
      const answer = await send(requestBytes('GET /healthz HTTP/1.1', [['Host', 'localhost'], ['Connection', 'close']]), null);
      expect(answer.status).to.equal(200);
      expect(JSON.parse(answer.body)).to.deep.equal({ status: 'alive' });
    });
  });

  describe('wrong methods', () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE']) {
      it(`wrong method: ${method} /v1/messages gets 405 with Allow: POST`, async () => {
        const answer = await send(requestBytes(`${method} /v1/messages HTTP/1.1`, [['Host', 'localhost'], ['Connection', 'close']]));
        expectProblem(answer, 'method_not_allowed');
        expect(answer.headers['allow']).to.equal('POST');
      });
    }

    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      it(`wrong method: ${method} /v1/messages/{id} gets 405 with Allow: GET`, async () => {
        const answer = await send(requestBytes(`${method} /v1/messages/${randomUUID()} HTTP/1.1`, [['Host', 'localhost'], ['Content-Length', '0'], ['Connection', 'close']]));
        expectProblem(answer, 'method_not_allowed');
        expect(answer.headers['allow']).to.equal('GET');
      });
    }

    it('wrong method: a method HTTP does not define (FOO) gets 400 bad_request as problem+json', async () => {
      expectProblem(await send(requestBytes('FOO /v1/messages HTTP/1.1', [['Host', 'localhost']])), 'bad_request');
    });

    it('wrong method: without a client certificate, the method is not even considered (401)', async () => {
      expectProblem(await send(requestBytes('DELETE /v1/messages HTTP/1.1', [['Host', 'localhost'], ['Connection', 'close']]), null), 'unauthenticated');
    });
  });

  describe('path traversal', () => {
    const targets = [
      '/v1/messages/../../../../etc/passwd',
      '/v1/messages/..%2F..%2F..%2F..%2Fetc%2Fpasswd',
      '/v1/messages/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/v1/messages/%252e%252e%252f%252e%252e%252fetc%252fpasswd',
      '/v1/messages/..%5C..%5C..%5Cetc%5Cpasswd',
      '/v1/messages/..\\..\\..\\etc\\passwd',
      '/v1/messages/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
      '/v1/messages/..%00/etc/passwd',
      '/v1/messages/..',
      '/v1/messages/%2e%2e',
      '/v1/./messages/../../healthz',
      '/v1/messages/..%2F..%2Fhealthz',
      '/healthz/../v1/messages/00000000-0000-4000-8000-000000000000',
      '//etc/passwd',
      '/v1/messages/..;/..;/etc/passwd',
    ];
    for (const target of targets) {
      it(`path traversal: GET ${target} reaches no file and no other route (404 problem+json)`, async () => {
        const answer = await send(requestBytes(`GET ${target} HTTP/1.1`, [['Host', 'localhost'], ['Connection', 'close']]));
        // 400 when Node refuses the request line itself (a raw backslash is not allowed there), 404 otherwise.
        if (answer.status === 400) expectProblem(answer, 'bad_request');
        else expectProblem(answer, 'not_found');
        expect(answer.body).not.to.match(/root:|alive/);
      });
    }

    it('path traversal: without a client certificate, a traversal target gets 401, not a file', async () => {
      const answer = await send(requestBytes('GET /v1/messages/../../../../etc/passwd HTTP/1.1', [['Host', 'localhost'], ['Connection', 'close']]), null);
      expect([401, 404]).to.include(answer.status);
      expect(answer.body).not.to.contain('root:');
    });
  });

  describe('content type and framing', () => {
    // application/pgp-encrypted (RFC 3156) and application/octet-stream define no parameter that
    // changes how the body reads: the body is bytes whatever the parameters say.
    it('unknown Content-Type parameters are ignored: charset, unknown and even malformed parameters do not change how the message reads', async () => {
      const { id, sealed } = await sealedOrientation();
      const answer = await post(gw.baseUrl, 'ofii-paris', sealed, 'application/pgp-encrypted; charset=utf-16; x-unknown="a;b"; boundary=zzz');
      expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
      accepted.push(id);
      // The same message again under other spellings: the original answer (200), never a second message.
      for (const contentType of ['Application/PGP-Encrypted', 'application/pgp-encrypted;', 'application/pgp-encrypted; =x', 'application/pgp-encrypted; charset=ebcdic']) {
        const again = await post(gw.baseUrl, 'ofii-paris', sealed, contentType);
        expect(again.status, contentType).to.equal(200);
        expect((again.body as { messageId: string }).messageId).to.equal(id);
      }
    });

    for (const contentType of ['application/pgp-encrypted, text/plain', 'text/plain; type=application/pgp-encrypted', 'application/pgp-encrypted+json', 'application/json', 'multipart/form-data; boundary=x', '', 'application/pgp-encrypted/x']) {
      it(`unsupported media type: Content-Type "${contentType}" is refused with 415 before decryption, nothing stored`, async () => {
        const { id, sealed } = await sealedOrientation();
        const headers: Array<[string, string]> = [['Host', 'localhost'], ['Content-Length', String(Buffer.byteLength(sealed))], ['Connection', 'close']];
        if (contentType !== '') headers.push(['Content-Type', contentType]);
        const answer = await send(requestBytes('POST /v1/messages HTTP/1.1', headers, sealed));
        expectProblem(answer, 'unsupported_media_type');
        expect(await gw.store.findMessage(id)).to.equal(undefined);
      });
    }

    it('request smuggling: Content-Length together with Transfer-Encoding: chunked is refused (400), nothing stored', async () => {
      const { id, sealed } = await sealedOrientation();
      const chunked = `${Buffer.byteLength(sealed).toString(16)}\r\n${sealed}\r\n0\r\n\r\n`;
      const answer = await send(
        requestBytes('POST /v1/messages HTTP/1.1', [['Host', 'localhost'], ['Content-Type', 'application/pgp-encrypted'], ['Content-Length', '4'], ['Transfer-Encoding', 'chunked']], chunked),
      );
      expectProblem(answer, 'bad_request');
      expect(await gw.store.findMessage(id)).to.equal(undefined);
    });

    it('request smuggling: two different Content-Length headers are refused (400), nothing stored', async () => {
      const { id, sealed } = await sealedOrientation();
      const length = Buffer.byteLength(sealed);
      const answer = await send(requestBytes('POST /v1/messages HTTP/1.1', [['Host', 'localhost'], ['Content-Type', 'application/pgp-encrypted'], ['Content-Length', String(length)], ['Content-Length', String(length - 100)]], sealed));
      expectProblem(answer, 'bad_request');
      expect(await gw.store.findMessage(id)).to.equal(undefined);
    });

    it('truncated body: the client closes before Content-Length bytes came; nothing is accepted', async () => {
      const { id, sealed } = await sealedOrientation();
      await rawRequest({
        port: gw.port,
        client: 'ofii-paris',
        deadlineMs: 3_000,
        drive: async (x) => {
          await x.write(requestBytes('POST /v1/messages HTTP/1.1', [['Host', 'localhost'], ['Content-Type', 'application/pgp-encrypted'], ['Content-Length', String(Buffer.byteLength(sealed))]], sealed.slice(0, 200)));
          await sleep(200);
          x.socket.destroy();
        },
      });
      await sleep(200);
      expect(await gw.store.findMessage(id)).to.equal(undefined);
    });
  });

  // Mocha runs a suite's own tests before its nested suites: this check must come last, in a suite of its own.
  describe('afterwards', () => {
    it('queued nothing but the controls', async () => {
      await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
      const delivered = await drainQueue(queueName(gw.settings.amqpPrefix, 'mission-locale-paris'));
      expect(delivered.map((m) => m.properties['messageId']).sort()).to.deep.equal([...accepted].sort());
    });
  });
});
