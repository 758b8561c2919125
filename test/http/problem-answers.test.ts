/**
 * The answers of the HTTP layer (src/http/app.ts, problem.ts) as a partner sees them: RFC 9457
 * problem details for every error, the headers every answer carries, the answer to a fault that is not
 * a GatewayError. Real express app and HTTPS server, fakes at the Ingest and store ports
 * (test/http/bed.ts). The code and status of each contract code through a real gateway are in
 * test/integration/problems.test.ts; operator codes hidden as `internal` in
 * test/security/operator-codes-hidden.test.ts.
 */
import { expect } from 'chai';
import { GatewayError, PROBLEM_CATALOGUE } from '../../src/domain/errors.js';
import { eventually } from '../fixtures/gateway.js';
import { json, problem, startBed, type Answer, type Bed } from '../fixtures/http-bed.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const POST_MESSAGE = { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/pgp-encrypted' }, body: 'sealed' } as const;

describe('http: problem answers and the headers of every answer', function () {
  let bed: Bed;
  before(async () => {
    bed = await startBed();
  });
  after(async () => bed?.close());
  beforeEach(() => {
    bed.ingest.answer = async () => {
      throw new Error('the test did not script Ingest.submit');
    };
    bed.logLines.length = 0;
  });

  it('an error is application/problem+json with exactly type, title, status, detail, code and the request id of the X-Request-Id header', async () => {
    const answer = await bed.request({ as: 'ofii-paris', path: '/v1/no-such-endpoint' });
    expect(answer.status).to.equal(404);
    expect(answer.headers['content-type']).to.match(/^application\/problem\+json(; charset=utf-8)?$/);
    const body = problem(answer);
    expect(Object.keys(body).sort()).to.deep.equal(['code', 'detail', 'requestId', 'status', 'title', 'type']);
    expect(body).to.include({ type: '/problems/not_found', code: 'not_found', status: 404, title: PROBLEM_CATALOGUE.not_found.title });
    expect(body['detail']).to.be.a('string').that.is.not.empty;
    expect(body['requestId']).to.equal(answer.headers['x-request-id']);
  });

  it('every answer, success or error, with or without a certificate, carries Cache-Control: no-store and a request id of its own; none says X-Powered-By or ETag', async () => {
    bed.ingest.answer = async () => ({ outcome: 'accepted', status: 202, answer: { messageId: 'm', status: 'accepted', acceptedAt: 'a', auditIndex: 0, payloadSha256: 'p', receipt: 'r' }, recipient: 'mission-locale-paris', type: 'orientation' });
    const answers: Answer[] = [
      await bed.request({ as: 'none', path: '/healthz' }),
      await bed.request({ as: 'none', path: '/readyz' }),
      await bed.request({ as: 'none', path: '/v1/messages/00000000-0000-4000-8000-000000000000' }),
      await bed.request({ as: 'ofii-paris', ...POST_MESSAGE }),
      await bed.request({ as: 'ofii-paris', path: '/v1/messages/00000000-0000-4000-8000-000000000000' }),
      await bed.request({ as: 'ofii-paris', method: 'DELETE', path: '/v1/messages' }),
      await bed.request({ as: 'ofii-paris', path: '/nothing-here' }),
    ];
    expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 401, 202, 404, 405, 404]);
    for (const answer of answers) {
      expect(answer.headers['cache-control'], String(answer.status)).to.equal('no-store');
      expect(answer.headers['x-request-id'], String(answer.status)).to.match(UUID_V4);
      expect(answer.headers['x-powered-by'], String(answer.status)).to.equal(undefined);
      expect(answer.headers['etag'], String(answer.status)).to.equal(undefined);
    }
    expect(new Set(answers.map((a) => a.headers['x-request-id'])).size).to.equal(answers.length);
  });

  it('a success is application/json with the answer and no problem fields', async () => {
    const accepted = { messageId: '0d2b6c1e-6a2f-4f0e-9b1d-2c3e4f5a6b7c', status: 'accepted' as const, acceptedAt: '2026-11-27T10:00:00.000Z', auditIndex: 7, payloadSha256: 'c'.repeat(64), receipt: '-----BEGIN PGP SIGNATURE-----' };
    bed.ingest.answer = async () => ({ outcome: 'accepted', status: 202, answer: accepted, recipient: 'mission-locale-paris', type: 'orientation' });
    const answer = await bed.request({ as: 'ofii-paris', ...POST_MESSAGE });
    expect(answer.status).to.equal(202);
    expect(answer.headers['content-type']).to.match(/^application\/json(; charset=utf-8)?$/);
    expect(json(answer)).to.deep.equal(accepted);
  });

  it('schema_invalid carries the field errors, rule_violation the rule: both as Ingest raised them', async () => {
    const errors = [{ pointer: '/body/identity', message: 'is missing' }];
    bed.ingest.answer = async () => {
      throw new GatewayError('schema_invalid', 'Correct the fields listed in errors.', { errors });
    };
    const invalid = problem(await bed.request({ as: 'ofii-paris', ...POST_MESSAGE }));
    expect(invalid).to.deep.include({ code: 'schema_invalid', status: 422, errors });
    expect(invalid).not.to.have.property('rule');

    bed.ingest.answer = async () => {
      throw new GatewayError('rule_violation', 'Rule mission-locale-age: orient the person to another agency.', { rule: 'mission-locale-age' });
    };
    const violation = problem(await bed.request({ as: 'ofii-paris', ...POST_MESSAGE }));
    expect(violation).to.include({ code: 'rule_violation', status: 422, rule: 'mission-locale-age', detail: 'Rule mission-locale-age: orient the person to another agency.' });
    expect(violation).not.to.have.property('errors');
  });

  it('Retry-After: the delay the error names, else 5 s for unavailable; none for a code that is not retried', async () => {
    bed.ingest.answer = async () => {
      throw new GatewayError('unavailable', undefined, { retryAfterSeconds: 42 });
    };
    const named = await bed.request({ as: 'ofii-paris', ...POST_MESSAGE });
    expect(named.status).to.equal(503);
    expect(named.headers['retry-after']).to.equal('42');

    bed.ingest.answer = async () => {
      throw new GatewayError('unavailable');
    };
    const fallback = await bed.request({ as: 'ofii-paris', ...POST_MESSAGE });
    expect(fallback.headers['retry-after']).to.equal('5');

    bed.ingest.answer = async () => {
      throw new GatewayError('stale_message');
    };
    const stale = await bed.request({ as: 'ofii-paris', ...POST_MESSAGE });
    expect(stale.status).to.equal(422);
    expect(stale.headers['retry-after']).to.equal(undefined);
  });

  it("a fault that is no GatewayError is answered 500 internal in the catalogue's words; the log keeps its name, not its message", async () => {
    bed.ingest.answer = async () => {
      // A defect whose message quotes a value of the document.
      throw new TypeError('Cannot read properties of 7503123456');
    };
    const answer = await bed.request({ as: 'ofii-paris', ...POST_MESSAGE });
    expect(problem(answer)).to.include({ code: 'internal', status: 500, detail: PROBLEM_CATALOGUE.internal.message });
    expect(answer.text).not.to.include('7503123456');
    const logged = await eventually(async () => bed.logLines.find((line) => line['message'] === 'unexpected error'));
    expect(logged).to.include({ level: 'error', reason: 'TypeError', requestId: answer.headers['x-request-id'] });
    await eventually(async () => (bed.requestLines().length === 1 ? true : undefined));
    expect(JSON.stringify(bed.logLines)).not.to.include('7503123456');
  });

  it('a malformed percent-encoding in a route parameter is answered as problem+json, without a stack trace or the path', async () => {
    const answer = await bed.request({ as: 'ofii-paris', path: '/v1/messages/%E0%A4%A7503123456' });
    expect(problem(answer)['status']).to.equal(answer.status);
    expect(answer.text).not.to.match(/at .*\.(ts|js):\d+/);
    expect(answer.text).not.to.include('7503123456');
  });

  it('a malformed percent-encoding in a route parameter is the client\'s fault: 400 bad_request, not 500 internal', async () => {
    bed.logLines.length = 0;
    const answer = await bed.request({ as: 'ofii-paris', path: '/v1/messages/%E0%A4%A' });
    expect(problem(answer)).to.include({ code: 'bad_request', status: 400 });
    await eventually(async () => (bed.requestLines().length === 1 ? true : undefined));
    expect(bed.logLines.filter((line) => line['level'] === 'error')).to.deep.equal([]);
  });
});
