/**
 * POST /v1/messages on its lean path (src/http/message-route.ts), before express: the answers, log
 * lines, metrics, traces and audited refusals are those express gave before the path existed, for
 * the accepted message and for each refusal (the expected values below were taken from the express
 * route, then kept); whatever is not exactly `POST /v1/messages` with a client certificate still goes
 * through express. Real HTTPS server with the example certificates, fakes at the ports
 * (test/fixtures/http-bed.ts).
 */
import https from 'node:https';
import { expect } from 'chai';
import express from 'express';
import type { IngestResult } from '../../src/app/ingest.js';
import { GatewayError } from '../../src/domain/errors.js';
import { eventually } from '../fixtures/gateway.js';
import { startBed, type Answer, type Bed, type RequestOptions } from '../fixtures/http-bed.js';

const MAX_BODY_BYTES = 1024;
const MESSAGE_ID = '0d2b6c1e-6a2f-4f0e-9b1d-2c3e4f5a6b7c';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const SEALED = { 'content-type': 'application/pgp-encrypted' };

function accepted(): IngestResult {
  return {
    outcome: 'accepted',
    status: 202,
    answer: { messageId: MESSAGE_ID, status: 'accepted', acceptedAt: '2026-11-27T10:00:00.000Z', auditIndex: 7, payloadSha256: 'c'.repeat(64), receipt: '-----BEGIN PGP SIGNATURE-----' },
    recipient: 'mission-locale-paris',
    type: 'orientation',
  } as IngestResult;
}

/** One exchange as the client and the operator see it, without what changes at every request (date, request id, duration). */
interface Seen {
  status: number;
  rawHeaders: string[];
  body: string;
  log: Record<string, unknown> | undefined;
  /** The other log lines of the request (faults). */
  faults: Array<Record<string, unknown>>;
  metrics: Array<Record<string, unknown>>;
  traces: Array<Record<string, unknown>>;
  audited: Array<{ partner: string; code: string }>;
  peers: string[];
}

async function exchange(bed: Bed, options: RequestOptions): Promise<Seen> {
  bed.logLines.length = 0;
  bed.observed.requests.length = 0;
  bed.observed.messages.length = 0;
  bed.observed.peers.length = 0;
  bed.ingest.refusedAtEdge.length = 0;
  const answer: Answer = await bed.request(options);
  const requestId = String(answer.headers['x-request-id']);
  expect(requestId).to.match(UUID);
  const log = await eventually(async () => bed.requestLines().find((line) => line['requestId'] === requestId));
  const rawHeaders: string[] = [];
  const raw = answer.rawHeaders ?? [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i] === 'Date') continue;
    rawHeaders.push(`${raw[i]}: ${raw[i] === 'X-Request-Id' ? '<request-id>' : raw[i + 1]}`);
  }
  const { requestId: _id, durationMs, timestamp: _at, ...logged } = log;
  expect(durationMs).to.be.a('number');
  return {
    status: answer.status,
    rawHeaders,
    body: answer.text.split(requestId).join('<request-id>'),
    log: logged,
    faults: bed.logLines
      .filter((line) => line['message'] !== 'request' && line['requestId'] === requestId)
      .map(({ requestId: _r, timestamp: _t, ...line }) => line),
    metrics: bed.observed.requests.map(({ seconds, ...fields }) => {
      expect(seconds).to.be.a('number').that.is.at.least(0);
      return { ...fields };
    }),
    traces: bed.observed.messages.map((message) => ({ ...message })),
    audited: [...bed.ingest.refusedAtEdge],
    peers: bed.observed.peers.map((peer) => peer.partnerId),
  };
}

/** Taken from the express route before the lean path existed (agent: false, so Connection: close). */
const EXPRESS_ANSWERED: Record<string, Seen> = {
  accepted: {
    status: 202,
    rawHeaders: [
      'X-Request-Id: <request-id>',
      'Cache-Control: no-store',
      'Content-Type: application/json; charset=utf-8',
      'Content-Length: 252',
      'Connection: close',
    ],
    body: '{"messageId":"0d2b6c1e-6a2f-4f0e-9b1d-2c3e4f5a6b7c","status":"accepted","acceptedAt":"2026-11-27T10:00:00.000Z","auditIndex":7,"payloadSha256":"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc","receipt":"-----BEGIN PGP SIGNATURE-----"}',
    log: {
      level: 'info',
      message: 'request',
      messageId: '0d2b6c1e-6a2f-4f0e-9b1d-2c3e4f5a6b7c',
      method: 'POST',
      outcome: 'accepted',
      partner: 'ofii-paris',
      path: '/v1/messages',
      service: 'passerelle',
      status: 202,
    },
    faults: [],
    metrics: [{ route: '/v1/messages', method: 'POST', status: 202 }],
    traces: [{ received: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }, sender: 'ofii-paris', ended: [{ status: 202 }] }],
    audited: [],
    peers: ['ofii-paris'],
  },
  'refused by Ingest': {
    status: 422,
    rawHeaders: [
      'X-Request-Id: <request-id>',
      'Cache-Control: no-store',
      'Content-Type: application/problem+json; charset=utf-8',
      'Content-Length: 285',
      'Connection: close',
    ],
    body: '{"type":"/problems/stale_message","title":"Message too old or in the future","status":422,"detail":"header.sentAt is too old or in the future. Check your clock and send the message again with the current time.","code":"stale_message","requestId":"<request-id>"}',
    log: {
      auditIndex: 12,
      code: 'stale_message',
      level: 'info',
      message: 'request',
      messageId: '0d2b6c1e-6a2f-4f0e-9b1d-2c3e4f5a6b7c',
      method: 'POST',
      outcome: 'rejected',
      partner: 'ofii-paris',
      path: '/v1/messages',
      service: 'passerelle',
      status: 422,
    },
    faults: [],
    metrics: [{ route: '/v1/messages', method: 'POST', status: 422, code: 'stale_message' }],
    traces: [{ sender: 'ofii-paris', ended: [{ status: 422, code: 'stale_message' }] }],
    audited: [],
    peers: ['ofii-paris'],
  },
  'an operator fault in Ingest': {
    status: 500,
    rawHeaders: [
      'X-Request-Id: <request-id>',
      'Cache-Control: no-store',
      'Content-Type: application/problem+json; charset=utf-8',
      'Content-Length: 293',
      'Connection: close',
    ],
    body: '{"type":"/problems/internal","title":"Internal error","status":500,"detail":"The gateway failed to process the request; nothing was accepted. Retry later, and give the operator the request id (X-Request-Id) if it persists.","code":"internal","requestId":"<request-id>"}',
    log: {
      code: 'store_unavailable',
      level: 'info',
      message: 'request',
      method: 'POST',
      outcome: 'rejected',
      partner: 'ofii-paris',
      path: '/v1/messages',
      service: 'passerelle',
      status: 500,
    },
    faults: [
      {
        code: 'store_unavailable',
        level: 'error',
        message: 'fault answered as internal',
        reason: 'disk full at /var/lib/passerelle',
        service: 'passerelle',
      },
    ],
    metrics: [{ route: '/v1/messages', method: 'POST', status: 500, code: 'store_unavailable' }],
    traces: [{ sender: 'ofii-paris', ended: [{ status: 500, code: 'store_unavailable' }] }],
    audited: [],
    peers: ['ofii-paris'],
  },
  'an unexpected error in Ingest': {
    status: 500,
    rawHeaders: [
      'X-Request-Id: <request-id>',
      'Cache-Control: no-store',
      'Content-Type: application/problem+json; charset=utf-8',
      'Content-Length: 293',
      'Connection: close',
    ],
    body: '{"type":"/problems/internal","title":"Internal error","status":500,"detail":"The gateway failed to process the request; nothing was accepted. Retry later, and give the operator the request id (X-Request-Id) if it persists.","code":"internal","requestId":"<request-id>"}',
    log: {
      code: 'internal',
      level: 'info',
      message: 'request',
      method: 'POST',
      outcome: 'rejected',
      partner: 'ofii-paris',
      path: '/v1/messages',
      service: 'passerelle',
      status: 500,
    },
    faults: [{ level: 'error', message: 'unexpected error', reason: 'TypeError', service: 'passerelle' }],
    metrics: [{ route: '/v1/messages', method: 'POST', status: 500, code: 'internal' }],
    traces: [{ sender: 'ofii-paris', ended: [{ status: 500, code: 'internal' }] }],
    audited: [],
    peers: ['ofii-paris'],
  },
  forbidden: {
    status: 403,
    rawHeaders: [
      'X-Request-Id: <request-id>',
      'Cache-Control: no-store',
      'Content-Type: application/problem+json; charset=utf-8',
      'Content-Length: 210',
      'Connection: close',
    ],
    body: '{"type":"/problems/forbidden","title":"Forbidden","status":403,"detail":"Partner prefecture-paris may not send messages (role statistics).","code":"forbidden","requestId":"<request-id>"}',
    log: {
      auditIndex: 1000,
      code: 'forbidden',
      level: 'info',
      message: 'request',
      method: 'POST',
      outcome: 'rejected',
      partner: 'prefecture-paris',
      path: '/v1/messages',
      service: 'passerelle',
      status: 403,
    },
    faults: [],
    metrics: [{ route: '/v1/messages', method: 'POST', status: 403, code: 'forbidden' }],
    traces: [],
    audited: [{ partner: 'prefecture-paris', code: 'forbidden' }],
    peers: ['prefecture-paris'],
  },
  'unsupported media type': {
    status: 415,
    rawHeaders: [
      'X-Request-Id: <request-id>',
      'Cache-Control: no-store',
      'Content-Type: application/problem+json; charset=utf-8',
      'Content-Length: 285',
      'Connection: close',
    ],
    body: '{"type":"/problems/unsupported_media_type","title":"Unsupported media type","status":415,"detail":"Send the OpenPGP message as application/pgp-encrypted (armored) or application/octet-stream (binary).","code":"unsupported_media_type","requestId":"<request-id>"}',
    log: {
      auditIndex: 1000,
      code: 'unsupported_media_type',
      level: 'info',
      message: 'request',
      method: 'POST',
      outcome: 'rejected',
      partner: 'ofii-paris',
      path: '/v1/messages',
      service: 'passerelle',
      status: 415,
    },
    faults: [],
    metrics: [{ route: '/v1/messages', method: 'POST', status: 415, code: 'unsupported_media_type' }],
    traces: [],
    audited: [{ partner: 'ofii-paris', code: 'unsupported_media_type' }],
    peers: ['ofii-paris'],
  },
  'compressed body': {
    status: 415,
    rawHeaders: [
      'X-Request-Id: <request-id>',
      'Cache-Control: no-store',
      'Content-Type: application/problem+json; charset=utf-8',
      'Content-Length: 298',
      'Connection: close',
    ],
    body: '{"type":"/problems/unsupported_media_type","title":"Unsupported media type","status":415,"detail":"Content-Encoding is not accepted: send the body uncompressed (an OpenPGP message is compressed by OpenPGP itself).","code":"unsupported_media_type","requestId":"<request-id>"}',
    log: {
      auditIndex: 1000,
      code: 'unsupported_media_type',
      level: 'info',
      message: 'request',
      method: 'POST',
      outcome: 'rejected',
      partner: 'ofii-paris',
      path: '/v1/messages',
      service: 'passerelle',
      status: 415,
    },
    faults: [],
    metrics: [{ route: '/v1/messages', method: 'POST', status: 415, code: 'unsupported_media_type' }],
    traces: [],
    audited: [{ partner: 'ofii-paris', code: 'unsupported_media_type' }],
    peers: ['ofii-paris'],
  },
  'payload too large': {
    status: 413,
    rawHeaders: [
      'X-Request-Id: <request-id>',
      'Cache-Control: no-store',
      'Connection: close',
      'Content-Type: application/problem+json; charset=utf-8',
      'Content-Length: 253',
    ],
    body: '{"type":"/problems/payload_too_large","title":"Payload too large","status":413,"detail":"The request body exceeds 1024 bytes. Large attachments are not part of the exchange.","code":"payload_too_large","requestId":"<request-id>"}',
    log: {
      auditIndex: 1000,
      code: 'payload_too_large',
      level: 'info',
      message: 'request',
      method: 'POST',
      outcome: 'rejected',
      partner: 'ofii-paris',
      path: '/v1/messages',
      service: 'passerelle',
      status: 413,
    },
    faults: [],
    metrics: [{ route: '/v1/messages', method: 'POST', status: 413, code: 'payload_too_large' }],
    traces: [],
    audited: [{ partner: 'ofii-paris', code: 'payload_too_large' }],
    peers: ['ofii-paris'],
  },
  'unknown partner': {
    status: 401,
    rawHeaders: [
      'X-Request-Id: <request-id>',
      'Cache-Control: no-store',
      'Content-Type: application/problem+json; charset=utf-8',
      'Content-Length: 277',
      'Connection: close',
    ],
    body: '{"type":"/problems/unauthenticated","title":"Unauthenticated","status":401,"detail":"The client certificate does not name a registered partner. Ask the gateway operator to register your organisation.","code":"unauthenticated","requestId":"<request-id>"}',
    log: {
      code: 'unauthenticated',
      level: 'info',
      message: 'request',
      method: 'POST',
      outcome: 'rejected',
      path: '(unmatched)',
      service: 'passerelle',
      status: 401,
    },
    faults: [],
    metrics: [{ route: '(unmatched)', method: 'POST', status: 401, code: 'unauthenticated' }],
    traces: [],
    audited: [],
    peers: [],
  },
  'no client certificate': {
    status: 401,
    rawHeaders: [
      'X-Request-Id: <request-id>',
      'Cache-Control: no-store',
      'Content-Type: application/problem+json; charset=utf-8',
      'Content-Length: 274',
      'Connection: close',
    ],
    body: '{"type":"/problems/unauthenticated","title":"Unauthenticated","status":401,"detail":"A client certificate is required: connect with the certificate issued to your organisation (curl --cert --key).","code":"unauthenticated","requestId":"<request-id>"}',
    log: {
      code: 'unauthenticated',
      level: 'info',
      message: 'request',
      method: 'POST',
      outcome: 'rejected',
      path: '(unmatched)',
      service: 'passerelle',
      status: 401,
    },
    faults: [],
    metrics: [{ route: '(unmatched)', method: 'POST', status: 401, code: 'unauthenticated' }],
    traces: [],
    audited: [],
    peers: [],
  },
  'a query string': {
    status: 202,
    rawHeaders: [
      'X-Request-Id: <request-id>',
      'Cache-Control: no-store',
      'Content-Type: application/json; charset=utf-8',
      'Content-Length: 252',
      'Connection: close',
    ],
    body: '{"messageId":"0d2b6c1e-6a2f-4f0e-9b1d-2c3e4f5a6b7c","status":"accepted","acceptedAt":"2026-11-27T10:00:00.000Z","auditIndex":7,"payloadSha256":"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc","receipt":"-----BEGIN PGP SIGNATURE-----"}',
    log: {
      level: 'info',
      message: 'request',
      messageId: '0d2b6c1e-6a2f-4f0e-9b1d-2c3e4f5a6b7c',
      method: 'POST',
      outcome: 'accepted',
      partner: 'ofii-paris',
      path: '/v1/messages',
      service: 'passerelle',
      status: 202,
    },
    faults: [],
    metrics: [{ route: '/v1/messages', method: 'POST', status: 202 }],
    traces: [{ sender: 'ofii-paris', ended: [{ status: 202 }] }],
    audited: [],
    peers: ['ofii-paris'],
  },
  'another method': {
    status: 405,
    rawHeaders: [
      'X-Request-Id: <request-id>',
      'Cache-Control: no-store',
      'Allow: POST',
      'Content-Type: application/problem+json; charset=utf-8',
      'Content-Length: 194',
      'Connection: close',
    ],
    body: '{"type":"/problems/method_not_allowed","title":"Method not allowed","status":405,"detail":"Use POST on this path.","code":"method_not_allowed","requestId":"<request-id>"}',
    log: { level: 'info', message: 'request', method: 'PUT', partner: 'ofii-paris', path: '/v1/messages', service: 'passerelle', status: 405 },
    faults: [],
    metrics: [{ route: '/v1/messages', method: 'PUT', status: 405 }],
    traces: [],
    audited: [],
    peers: ['ofii-paris'],
  },
  'rate limited': {
    status: 429,
    rawHeaders: [
      'X-Request-Id: <request-id>',
      'Cache-Control: no-store',
      'Retry-After: 10',
      'Content-Type: application/problem+json; charset=utf-8',
      'Content-Length: 224',
      'Connection: close',
    ],
    body: '{"type":"/problems/rate_limited","title":"Too many requests","status":429,"detail":"Partner ofii-paris exceeded 6 requests per minute. Retry in 10 s.","code":"rate_limited","requestId":"<request-id>"}',
    log: {
      code: 'rate_limited',
      level: 'info',
      message: 'request',
      method: 'POST',
      outcome: 'rejected',
      partner: 'ofii-paris',
      path: '(unmatched)',
      service: 'passerelle',
      status: 429,
    },
    faults: [],
    metrics: [{ route: '(unmatched)', method: 'POST', status: 429, code: 'rate_limited' }],
    traces: [],
    audited: [],
    peers: ['ofii-paris'],
  },
};

/** Counts the requests express handles: its applications copy `handle` from this prototype when made. */
const expressPrototype = express.application as unknown as { handle: (...args: unknown[]) => unknown };

describe('http: POST /v1/messages on its lean path', function () {
  let expressHandled = 0;
  const handle = expressPrototype.handle;
  before(() => {
    expressPrototype.handle = function (this: unknown, ...args: unknown[]) {
      expressHandled++;
      return handle.apply(this, args);
    };
  });
  after(() => {
    expressPrototype.handle = handle;
  });

  let bed: Bed;
  beforeEach(async () => {
    bed = await startBed({ maxBodyBytes: MAX_BODY_BYTES, observed: true });
    bed.ingest.answer = async () => accepted();
  });
  afterEach(async () => bed?.close());

  /** `express`: the request is one the lean path leaves to express. */
  const CASES: Array<{ title: string; request: RequestOptions; before?: (bed: Bed) => void; express?: true }> = [
    { title: 'accepted', request: { as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { ...SEALED, traceparent: TRACEPARENT }, body: 'sealed' } },
    {
      title: 'refused by Ingest',
      request: { as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: SEALED, body: 'sealed' },
      before: (b) => {
        b.ingest.answer = async () => {
          throw new GatewayError('stale_message').recordedAs({ messageId: MESSAGE_ID, type: 'orientation', auditIndex: 12 });
        };
      },
    },
    {
      title: 'an operator fault in Ingest',
      request: { as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: SEALED, body: 'sealed' },
      before: (b) => {
        b.ingest.answer = async () => {
          throw new GatewayError('store_unavailable', 'disk full at /var/lib/passerelle');
        };
      },
    },
    {
      title: 'an unexpected error in Ingest',
      request: { as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: SEALED, body: 'sealed' },
      before: (b) => {
        b.ingest.answer = async () => {
          throw new TypeError('a defect');
        };
      },
    },
    { title: 'forbidden', request: { as: 'prefecture-paris', method: 'POST', path: '/v1/messages', headers: SEALED, body: 'sealed' } },
    { title: 'unsupported media type', request: { as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'text/plain' }, body: 'sealed' } },
    { title: 'compressed body', request: { as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { ...SEALED, 'content-encoding': 'gzip' }, body: 'sealed' } },
    { title: 'payload too large', request: { as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: SEALED, body: 'x'.repeat(MAX_BODY_BYTES + 1) } },
    {
      title: 'unknown partner',
      request: { as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: SEALED, body: 'sealed' },
      before: (b) => void b.registry.delete('ofii-paris'),
    },
    { title: 'no client certificate', request: { as: 'none', method: 'POST', path: '/v1/messages', headers: SEALED, body: 'sealed' }, express: true },
    { title: 'a query string', request: { as: 'ofii-paris', method: 'POST', path: '/v1/messages?x=1', headers: SEALED, body: 'sealed' }, express: true },
    { title: 'another method', request: { as: 'ofii-paris', method: 'PUT', path: '/v1/messages', headers: SEALED, body: 'sealed' }, express: true },
  ];

  for (const { title, request, before, express: toExpress } of CASES) {
    it(`${toExpress ? 'left to express' : 'as express answered'}: ${title}`, async () => {
      before?.(bed);
      const handled = expressHandled;
      const seen = await exchange(bed, request);
      expect(JSON.parse(JSON.stringify(seen))).to.deep.equal(EXPRESS_ANSWERED[title]);
      expect(expressHandled - handled, 'requests express handled').to.equal(toExpress ? 1 : 0);
    });
  }

  it('as express answered: rate limited', async () => {
    await bed.close();
    bed = await startBed({ maxBodyBytes: MAX_BODY_BYTES, observed: true, rateLimit: { perMinute: 6, burst: 1, now: () => Date.parse('2026-11-27T10:00:00Z') } });
    bed.ingest.answer = async () => accepted();
    const handled = expressHandled;
    await exchange(bed, { as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: SEALED, body: 'sealed' });
    const seen = await exchange(bed, { as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: SEALED, body: 'sealed' });
    expect(JSON.parse(JSON.stringify(seen))).to.deep.equal(EXPRESS_ANSWERED['rate limited']);
    expect(expressHandled - handled).to.equal(0);
  });

  it('a body the client abandons half-way is audited as malformed_message and never reaches Ingest', async () => {
    const { request, answer } = bed.open({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { ...SEALED, 'content-length': '100' } });
    answer.catch(() => undefined);
    request.write('sealed');
    await eventually(async () => (bed.observed.peers.length === 1 ? true : undefined));
    request.destroy();
    await eventually(async () => (bed.ingest.refusedAtEdge.length === 1 ? true : undefined));
    expect(bed.ingest.refusedAtEdge).to.deep.equal([{ partner: 'ofii-paris', code: 'malformed_message' }]);
    expect(bed.ingest.submitted).to.deep.equal([]);
  });

  it('a partner removed from the registry is refused 401 on the connection that sent its accepted message', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const post = () => bed.open({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: SEALED, agent });
      const first = post();
      first.request.end('sealed');
      expect((await first.answer).status).to.equal(202);
      bed.registry.delete('ofii-paris');
      const second = post();
      second.request.end('sealed');
      const answer = await second.answer;
      expect(second.request.reusedSocket, 'sent on the connection of the first request').to.equal(true);
      expect(answer.status).to.equal(401);
      expect(JSON.parse(answer.text)).to.include({ code: 'unauthenticated' });
      expect(bed.ingest.submitted).to.have.length(1);
    } finally {
      agent.destroy();
    }
  });

  it('kept-alive requests each get their answer, log line, metrics and trace, and each message reaches Ingest', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const answers: Answer[] = [];
      for (let i = 0; i < 5; i++) answers.push(await bed.request({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: SEALED, body: `sealed ${i}`, agent }));
      expect(answers.map((answer) => answer.status)).to.deep.equal([202, 202, 202, 202, 202]);
      expect(answers.map((answer) => answer.headers['connection'])).to.deep.equal(Array(5).fill('keep-alive'));
      expect(new Set(answers.map((answer) => answer.headers['x-request-id'])).size).to.equal(5);
      expect(bed.ingest.submitted.map((message) => message.body.toString())).to.deep.equal(['sealed 0', 'sealed 1', 'sealed 2', 'sealed 3', 'sealed 4']);
      await eventually(async () => (bed.requestLines().length === 5 ? true : undefined));
      expect(bed.observed.requests.map((request) => request.status)).to.deep.equal([202, 202, 202, 202, 202]);
      expect(bed.observed.messages.map((message) => message.ended)).to.deep.equal(Array(5).fill([{ status: 202, code: undefined }]));
    } finally {
      agent.destroy();
    }
  });
});
