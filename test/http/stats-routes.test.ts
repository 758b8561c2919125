/**
 * GET /v1/stats as the HTTP layer serves it (src/http/stats-routes.ts): a rate per role, apart from the
 * per-partner rate of /v1; the kept report; and the gateway answering other requests while a large
 * report is computed. The real express app and HTTPS server (test/fixtures/http-bed.ts), a fake facts
 * port and a clock the test moves; the real worker thread where the test is about it. Which roles
 * may ask is test/http/authorization.test.ts and test/security/http-authorisation-matrix.test.ts; the
 * figures, test/integration/stats.test.ts.
 */
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { expect } from 'chai';
import { createStatsRouter } from '../../src/http/stats-routes.js';
import type { StoredFact } from '../../src/stats/facts.js';
import { buildStatistics, type StatisticsReport } from '../../src/stats/report.js';
import { computeOnWorker, REFRESH_SECONDS, type ComputeReport, type Computed } from '../../src/stats/service/statistics-service.js';
import { json, problem, startBed, type Bed, type Caller } from '../fixtures/http-bed.js';
import { manyFacts, pagesOf } from '../fixtures/many-facts.js';

const T0 = new Date('2026-11-27T12:00:00.000Z');

describe('http: GET /v1/stats, its rate per role, its kept report, off the main thread', function () {
  this.timeout(60_000);
  let bed: Bed | undefined;
  afterEach(async () => {
    await bed?.close();
    bed = undefined;
  });

  /** A bed whose stats router reads `facts` (counting the reads) and computes on this thread unless told. */
  async function statsBed(opts: { facts?: StoredFact[]; rate?: { perMinute: number; burst: number }; compute?: ComputeReport } = {}) {
    let now = T0;
    let reads = 0;
    const facts = opts.facts ?? manyFacts(300);
    const inline: ComputeReport = async (given, options) => ({ report: buildStatistics(given, options), threadId, buildMs: 0 });
    bed = await startBed({
      statsRouter: createStatsRouter({
        facts: async (page) => {
          reads++;
          return pagesOf(facts)(page);
        },
        partners: () => [],
        now: () => now,
        compute: opts.compute ?? inline,
        ...(opts.rate ? { rateLimit: opts.rate } : {}),
      }),
    });
    const stats = (as: Caller, query = '') => bed!.request({ as, path: `/v1/stats${query}` });
    return { bed, stats, reads: () => reads, advance: (seconds: number) => (now = new Date(now.getTime() + seconds * 1000)) };
  }

  it('a role past its statistics rate gets 429 rate_limited with Retry-After; the other role and the other requests keep their own rates', async () => {
    const { stats, advance, bed } = await statsBed({ rate: { perMinute: 2, burst: 2 } });
    for (let i = 0; i < 2; i++) expect((await stats('prefecture-paris')).status).to.equal(200);
    const refused = await stats('prefecture-paris');
    expect(problem(refused)).to.include({ code: 'rate_limited', status: 429 });
    // One request more at 2 a minute: 30 s.
    expect(refused.headers['retry-after']).to.equal('30');
    expect(String(problem(refused)['detail'])).to.include('statistics role');

    expect((await stats('auditor')).status, 'the auditor role has a rate of its own').to.equal(200);
    const other = await bed.request({ as: 'prefecture-paris', path: '/v1/messages/00000000-0000-4000-8000-000000000000' });
    expect(problem(other), 'the per-partner rate of /v1 is apart').to.include({ code: 'not_found' });

    advance(30);
    expect((await stats('prefecture-paris')).status).to.equal(200);
  });

  it('serves the kept report for REFRESH_SECONDS, in JSON and CSV alike, and computes it again after', async () => {
    const { stats, reads, advance } = await statsBed();
    const first = json(await stats('prefecture-paris')) as unknown as StatisticsReport;
    const again = json(await stats('auditor')) as unknown as StatisticsReport;
    const csv = await stats('prefecture-paris', '?format=csv');
    expect(csv.status).to.equal(200);
    expect(reads()).to.equal(1);
    expect(again).to.deep.equal(first);
    expect(first.generatedAt).to.equal(T0.toISOString());

    advance(REFRESH_SECONDS);
    const later = json(await stats('auditor')) as unknown as StatisticsReport;
    expect(reads()).to.equal(2);
    expect(later.generatedAt).to.equal(new Date(T0.getTime() + REFRESH_SECONDS * 1000).toISOString());
  });

  it('answers /healthz and /readyz at once while a report of 40,000 messages is computed, on another thread', async () => {
    const computed: Computed[] = [];
    const { stats, bed } = await statsBed({
      facts: manyFacts(40_000),
      compute: async (facts, options) => {
        const result = await computeOnWorker(facts, options);
        computed.push(result);
        return result;
      },
    });
    let done = false;
    const report = stats('prefecture-paris').finally(() => (done = true));
    const probes: number[] = [];
    while (!done) {
      const started = performance.now();
      expect((await bed.request({ as: 'none', path: probes.length % 2 === 0 ? '/healthz' : '/readyz' })).status).to.equal(200);
      probes.push(performance.now() - started);
    }
    expect((await report).status).to.equal(200);
    const slowest = Math.max(...probes);
    console.log(`      ${probes.length} probes answered while the report was computed (${computed[0]!.buildMs.toFixed(0)} ms on thread ${computed[0]!.threadId}); slowest ${slowest.toFixed(0)} ms`);
    expect(computed.map((c) => c.threadId)).to.have.length(1).and.not.include(threadId);
    expect(probes.length).to.be.above(1);
    expect(slowest, 'slowest probe, against the build time').to.be.below(computed[0]!.buildMs / 2);
  });
});
