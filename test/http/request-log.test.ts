/**
 * The request log line (src/http/app.ts): one JSON line per answered request, with what the operator
 * needs to follow a request (its id, the partner, the route, the status, the duration, the message id,
 * the outcome, the problem code, the audit index of a refusal) and nothing a request carries: no body,
 * no header, no query, no path as sent. Real express app and HTTPS server, fakes at the Ingest and
 * store ports (test/http/bed.ts). The scan of a real gateway's log for personal data is in
 * test/security/personal-data-leak.test.ts.
 */
import { expect } from 'chai';
import { GatewayError } from '../../src/domain/errors.js';
import { eventually } from '../fixtures/gateway.js';
import { messageRecord, startBed, type Answer, type Bed } from '../fixtures/http-bed.js';

const MESSAGE_ID = '0d2b6c1e-6a2f-4f0e-9b1d-2c3e4f5a6b7c';
const REF = '7503123456';
const LOGGED_FIELDS = ['auditIndex', 'code', 'durationMs', 'level', 'message', 'messageId', 'method', 'outcome', 'partner', 'path', 'requestId', 'service', 'status', 'timestamp'];

describe('http: the request log line', function () {
  let bed: Bed;
  before(async () => {
    bed = await startBed();
  });
  after(async () => bed?.close());
  beforeEach(() => {
    bed.logLines.length = 0;
    bed.store.messages.clear();
    bed.ingest.refusedAtEdge.length = 0;
  });

  /** The request line of this answer (the line is written when the answer is finished). */
  async function lineOf(answer: Answer): Promise<Record<string, unknown>> {
    return eventually(async () => bed.requestLines().find((line) => line['requestId'] === answer.headers['x-request-id']));
  }

  it('an accepted message: request id, method, route, status, duration, partner, message id, outcome', async () => {
    bed.ingest.answer = async () => ({
      outcome: 'accepted',
      status: 202,
      answer: { messageId: MESSAGE_ID, status: 'accepted', acceptedAt: '2026-11-27T10:00:00.000Z', auditIndex: 7, payloadSha256: 'c'.repeat(64), receipt: 'r' },
      recipient: 'mission-locale-paris',
      type: 'orientation',
    });
    const answer = await bed.request({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/pgp-encrypted' }, body: 'sealed' });
    const line = await lineOf(answer);
    expect(line).to.include({ level: 'info', method: 'POST', path: '/v1/messages', status: 202, partner: 'ofii-paris', messageId: MESSAGE_ID, outcome: 'accepted' });
    expect(line['durationMs']).to.be.a('number').that.is.at.least(0);
    expect(line).not.to.have.property('code');
    expect(Object.keys(line).every((key) => LOGGED_FIELDS.includes(key)), Object.keys(line).join(',')).to.equal(true);
  });

  it('a refusal: the code, the outcome rejected, and the message id and audit index that Ingest recorded', async () => {
    bed.ingest.answer = async () => {
      throw new GatewayError('stale_message').recordedAs({ messageId: MESSAGE_ID, type: 'orientation', auditIndex: 12 });
    };
    const answer = await bed.request({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/pgp-encrypted' }, body: 'sealed' });
    expect(await lineOf(answer)).to.include({ status: 422, code: 'stale_message', outcome: 'rejected', messageId: MESSAGE_ID, auditIndex: 12, partner: 'ofii-paris' });
  });

  it('a refusal at the edge logs the audit index of its entry', async () => {
    const answer = await bed.request({ as: 'prefecture-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/pgp-encrypted' }, body: 'sealed' });
    const line = await lineOf(answer);
    // The fake Ingest gives its first refusal at the edge the audit index 1000.
    expect(line).to.include({ status: 403, code: 'forbidden', outcome: 'rejected', partner: 'prefecture-paris', auditIndex: 1000 });
  });

  it('a route with a parameter is logged as its pattern; the message id only once the caller may see the message', async () => {
    bed.store.messages.set(MESSAGE_ID, messageRecord({ messageId: MESSAGE_ID, sender: 'ofii-paris', recipient: 'mission-locale-paris' }));
    const seen = await lineOf(await bed.request({ as: 'mission-locale-paris', path: `/v1/messages/${MESSAGE_ID}` }));
    expect(seen).to.include({ method: 'GET', path: '/v1/messages/:messageId', status: 200, messageId: MESSAGE_ID, partner: 'mission-locale-paris' });
    const hidden = await lineOf(await bed.request({ as: 'france-travail-paris', path: `/v1/messages/${MESSAGE_ID}` }));
    expect(hidden).to.include({ status: 404, code: 'not_found' });
    expect(hidden).not.to.have.property('messageId');
  });

  it('a refused request is logged under the same route as an answered one', async () => {
    bed.store.messages.set(MESSAGE_ID, messageRecord({ messageId: MESSAGE_ID, sender: 'ofii-paris', recipient: 'mission-locale-paris' }));
    const seen = await lineOf(await bed.request({ as: 'mission-locale-paris', path: `/v1/messages/${MESSAGE_ID}` }));
    const hidden = await lineOf(await bed.request({ as: 'france-travail-paris', path: `/v1/messages/${MESSAGE_ID}` }));
    expect(hidden['path']).to.equal(seen['path']);
    const refused = await lineOf(await bed.request({ as: 'prefecture-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/pgp-encrypted' }, body: 'sealed' }));
    expect(refused['path']).to.equal('/v1/messages');
  });

  it('a path no route matches is logged as (unmatched): the path and query as sent are never written', async () => {
    const answer = await bed.request({ as: 'ofii-paris', path: `/v1/beneficiaries/${REF}?birthName=KARIMI` });
    expect(await lineOf(answer)).to.include({ path: '(unmatched)', status: 404, code: 'not_found' });
    expect(JSON.stringify(bed.logLines)).not.to.match(new RegExp(`${REF}|KARIMI`));
  });

  it('nothing of the body, the headers or the query string reaches the log, whatever the answer', async () => {
    const body = JSON.stringify({ beneficiaryRef: REF, birthName: 'KARIMI' });
    const headers = { 'content-type': 'application/pgp-encrypted', 'x-beneficiary': REF, 'user-agent': `agent KARIMI` };
    bed.ingest.answer = async () => {
      throw new GatewayError('malformed_message').recordedAs({ auditIndex: 3 });
    };
    const answers = [
      await bed.request({ as: 'ofii-paris', method: 'POST', path: `/v1/messages?ref=${REF}`, headers, body }),
      await bed.request({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { ...headers, 'content-type': 'text/plain' }, body }),
      await bed.request({ as: 'none', method: 'POST', path: '/v1/messages', headers, body }),
    ];
    expect(answers.map((a) => a.status)).to.deep.equal([400, 415, 401]);
    await Promise.all(answers.map(lineOf));
    expect(JSON.stringify(bed.logLines)).not.to.match(new RegExp(`${REF}|KARIMI`));
  });

  it('a request without a client certificate names no partner', async () => {
    const line = await lineOf(await bed.request({ as: 'none', path: `/v1/messages/${MESSAGE_ID}` }));
    expect(line).to.include({ status: 401, code: 'unauthenticated' });
    expect(line).not.to.have.property('partner');
  });
});
