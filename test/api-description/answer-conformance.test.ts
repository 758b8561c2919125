/**
 * The check of every test gateway's answers against the OpenAPI document (test/fixtures/api-conformance.ts)
 * accepts the gateway's real answers and refuses the same answer with one field changed.
 */
import { expect } from 'chai';
import { AnswerChecker, type ObservedAnswer } from '../fixtures/api-conformance.js';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { get } from '../fixtures/partner.js';

describe('api-description: answers checked against the OpenAPI document @integration', function () {
  this.timeout(60_000);
  let gateway: TestGateway | undefined;
  const checker = new AnswerChecker();
  before(async () => {
    gateway = await startTestGateway();
  });
  after(async () => gateway?.dispose());

  const asObserved = (path: string, answer: { status: number; contentType: string; body: unknown }): ObservedAnswer => ({
    method: 'GET',
    path,
    status: answer.status,
    contentType: answer.contentType,
    headers: {},
    body: Buffer.from(JSON.stringify(answer.body)),
  });

  it('accepts a real checkpoint and refuses it with rootHash renamed', async () => {
    const answer = await get(gateway!.baseUrl, 'auditor', '/v1/audit/checkpoint');
    expect(answer.status).to.equal(200);
    expect(checker.check(asObserved('/v1/audit/checkpoint', answer))).to.deep.equal([]);
    const { rootHash, ...rest } = answer.body as Record<string, unknown>;
    const mutated = checker.check(asObserved('/v1/audit/checkpoint', { ...answer, body: { ...rest, rootHashes: rootHash } }));
    expect(mutated.join('\n')).to.match(/rootHash/);
  });

  it('refuses a status or a problem code the document does not give for the route', async () => {
    const answer = await get(gateway!.baseUrl, 'prefecture-paris', '/v1/audit/checkpoint');
    expect(answer.status).to.equal(403);
    expect(checker.check(asObserved('/v1/audit/checkpoint', answer))).to.deep.equal([]);
    expect(checker.check(asObserved('/v1/audit/checkpoint', { ...answer, status: 418 })).join('\n')).to.match(/418 is not documented/);
    const otherCode = { ...(answer.body as Record<string, unknown>), code: 'sender_mismatch' };
    expect(checker.check(asObserved('/v1/audit/checkpoint', { ...answer, body: otherCode })).join('\n')).to.match(/code/);
  });
});
