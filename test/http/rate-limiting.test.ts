/**
 * The per-partner rate limit at the HTTP layer (src/http/app.ts with src/http/rate-limit.ts): one
 * bucket per authenticated partner for every /v1 route, checked before anything else of the request
 * is done, refused with 429 and the Retry-After the limiter computes. Real express app and HTTPS
 * server with client certificates, a clock of the test's own, fakes at the Ingest and store ports
 * (test/http/bed.ts). The bucket arithmetic alone is test/http/rate-limit.test.ts; a real gateway's
 * 429 is in test/integration/problems.test.ts.
 */
import { expect } from 'chai';
import { problem, startBed, type Bed } from '../fixtures/http-bed.js';

const UNKNOWN_MESSAGE = '/v1/messages/00000000-0000-4000-8000-000000000000';
/** 6 per minute: a token every 10 s. */
const PER_MINUTE = 6;
const BURST = 2;

describe('http: rate limiting per partner', function () {
  let bed: Bed;
  let now = 0;
  beforeEach(async () => {
    now = Date.parse('2026-11-27T10:00:00Z');
    bed = await startBed({ rateLimit: { perMinute: PER_MINUTE, burst: BURST, now: () => now } });
  });
  afterEach(async () => bed?.close());

  it(`past its burst a partner gets 429 rate_limited with the limiter's Retry-After, and passes again once that time has passed`, async () => {
    for (let i = 0; i < BURST; i++) expect((await bed.request({ as: 'ofii-paris', path: UNKNOWN_MESSAGE })).status).to.equal(404);
    now += 4_000;
    const refused = await bed.request({ as: 'ofii-paris', path: UNKNOWN_MESSAGE });
    expect(problem(refused)).to.include({ code: 'rate_limited', status: 429 });
    // 4 s of the 10 s a token takes have passed: 6 s to wait.
    expect(refused.headers['retry-after']).to.equal('6');
    now += 6_000;
    expect((await bed.request({ as: 'ofii-paris', path: UNKNOWN_MESSAGE })).status).to.equal(404);
  });

  it("one partner's exhausted bucket does not refuse another partner", async () => {
    for (let i = 0; i < BURST; i++) await bed.request({ as: 'ofii-paris', path: UNKNOWN_MESSAGE });
    expect((await bed.request({ as: 'ofii-paris', path: UNKNOWN_MESSAGE })).status).to.equal(429);
    expect((await bed.request({ as: 'mission-locale-paris', path: UNKNOWN_MESSAGE })).status).to.equal(404);
  });

  it('every /v1 route draws on the same bucket: reads use up the tokens a POST then lacks', async () => {
    for (let i = 0; i < BURST; i++) await bed.request({ as: 'ofii-paris', path: UNKNOWN_MESSAGE });
    const post = await bed.request({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/pgp-encrypted' }, body: 'sealed' });
    expect(problem(post)).to.include({ code: 'rate_limited' });
  });

  it('a rate-limited POST is refused before anything else: not read, not given to Ingest, not audited, not even its authorisation checked', async () => {
    for (let i = 0; i < BURST; i++) await bed.request({ as: 'prefecture-paris', path: UNKNOWN_MESSAGE });
    const post = await bed.request({ as: 'prefecture-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(10) });
    // Not forbidden nor unsupported_media_type, which would come from later checks.
    expect(problem(post)).to.include({ code: 'rate_limited' });
    expect(bed.ingest.submitted).to.deep.equal([]);
    expect(bed.ingest.refusedAtEdge).to.deep.equal([]);
  });

  it('requests without a client certificate are refused 401 before the limiter and take no token', async () => {
    for (let i = 0; i < BURST + 3; i++) expect((await bed.request({ as: 'none', path: UNKNOWN_MESSAGE })).status).to.equal(401);
    for (let i = 0; i < BURST; i++) expect((await bed.request({ as: 'ofii-paris', path: UNKNOWN_MESSAGE })).status).to.equal(404);
  });
});
