/**
 * The statistics as the gateway serves them (src/stats/service): computed on a worker thread, one
 * computation at a time, kept for REFRESH_SECONDS. The report itself is tested in report.test.ts; here,
 * where and how often it is computed. A fake facts port and a fake clock; the real worker thread.
 */
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { expect } from 'chai';
import { GatewayError } from '../../src/domain/errors.js';
import type { FactsPage, StoredFact } from '../../src/stats/facts.js';
import { buildStatistics, type ReportOptions } from '../../src/stats/report.js';
import { computeOnWorker, FACTS_PER_PAGE, REFRESH_SECONDS, StatisticsService, type ComputeReport } from '../../src/stats/service/statistics-service.js';
import { EXAMPLE_RECIPIENTS, EXAMPLE_TYPES, manyFacts, pagesOf } from '../fixtures/many-facts.js';

const SHAPE = { recipients: EXAMPLE_RECIPIENTS, messageTypes: EXAMPLE_TYPES };
const T0 = new Date('2026-11-27T12:00:00.000Z');

/**
 * The longest time between two turns of this thread's event loop from now until stop(), from a 5 ms
 * interval: stop() waits for one more turn, so a block that ends just before it is counted.
 */
function tickGaps(): { stop(): Promise<number> } {
  let last = performance.now();
  let longest = 0;
  let stopping: ((longest: number) => void) | undefined;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (stopping) {
      clearInterval(timer);
      stopping(longest);
    }
  }, 5);
  return { stop: () => new Promise((resolve) => (stopping = resolve)) };
}

/** A service over `facts`, with a clock the test moves and a computation that counts its calls (inline). */
function service(facts: StoredFact[] = manyFacts(300)) {
  let now = T0;
  const reads: number[] = [];
  const computed: ReportOptions[] = [];
  const compute: ComputeReport = async (given, options) => {
    computed.push(options);
    return { report: buildStatistics(given, options), threadId, buildMs: 0 };
  };
  const statistics = new StatisticsService({
    facts: async (page) => {
      reads.push(now.getTime());
      return pagesOf(facts)(page);
    },
    now: () => now,
    compute,
  });
  return { statistics, reads, computed, advance: (seconds: number) => (now = new Date(now.getTime() + seconds * 1000)) };
}

describe('stats/service: the report off the main thread, kept for a bounded time', function () {
  this.timeout(60_000);

  it('computes the report on a worker thread: the same report as on this thread, from another thread', async () => {
    const facts = manyFacts(3_000);
    const options = { ...SHAPE, generatedAt: T0.toISOString() };
    const computed = await computeOnWorker(facts, options);
    expect(threadId).to.equal(0);
    expect(computed.threadId).to.be.a('number').and.not.equal(threadId);
    expect(computed.report).to.deep.equal(buildStatistics(facts, options));
  });

  it('the event loop keeps turning while a report of 40,000 messages is computed (it stood still for the whole computation on this thread)', async () => {
    const facts = manyFacts(40_000);
    const statistics = new StatisticsService({ facts: pagesOf(facts), now: () => T0 });
    const ticks = tickGaps();
    const offThreadStarted = performance.now();
    await statistics.report(SHAPE);
    const offThreadMs = performance.now() - offThreadStarted;
    const blockedMs = await ticks.stop();

    const started = performance.now();
    buildStatistics(facts, { ...SHAPE, generatedAt: T0.toISOString() });
    const inlineMs = performance.now() - started;
    const computed = statistics.lastComputation!;
    console.log(
      `      40,000 facts: report built in ${inlineMs.toFixed(0)} ms on this thread, in ${computed.buildMs.toFixed(0)} ms on thread ${computed.threadId} ` +
        `(${offThreadMs.toFixed(0)} ms end to end), during which this thread's event loop stood still ${blockedMs.toFixed(0)} ms at most`,
    );
    expect(computed.threadId).to.be.a('number').and.not.equal(threadId);
    // On this thread the loop would stand still for the whole build; on a worker, only for handing
    // over the facts (and this thread's garbage collection of them).
    expect(blockedMs, `longest stand-still of the event loop, the build taking ${computed.buildMs.toFixed(0)} ms`).to.be.below(computed.buildMs / 2);
  });

  it('reads the facts by pages of FACTS_PER_PAGE, with a turn of the event loop between two: no read of them all at once', async () => {
    const facts = manyFacts(40_000);
    const pages: FactsPage[] = [];
    let turns = 0;
    const turning = setInterval(() => turns++, 0);
    let turnsAtRead: number[] = [];
    const statistics = new StatisticsService({
      facts: async (page) => {
        pages.push(page);
        turnsAtRead.push(turns);
        return pagesOf(facts)(page);
      },
      now: () => T0,
      compute: async (given, options) => ({ report: buildStatistics(given, options), threadId, buildMs: 0 }),
    });
    const report = await statistics.report(SHAPE);
    clearInterval(turning);
    expect(report).to.deep.equal(buildStatistics(facts, { ...SHAPE, generatedAt: T0.toISOString() }));
    expect(pages).to.have.length(Math.ceil(40_000 / FACTS_PER_PAGE) + 1);
    expect(pages.every((page) => page.limit === FACTS_PER_PAGE)).to.equal(true);
    expect(pages[0]!.afterSeq).to.equal(undefined);
    expect(pages[1]!.afterSeq).to.equal(facts[FACTS_PER_PAGE - 1]!.seq);
    turnsAtRead = turnsAtRead.slice(1);
    expect(new Set(turnsAtRead).size, 'the timers ran between the reads').to.be.above(turnsAtRead.length / 2);
  });

  it('serves the kept report for REFRESH_SECONDS: a second request neither reads the facts nor computes again', async () => {
    const { statistics, reads, computed, advance } = service();
    const first = await statistics.report(SHAPE);
    advance(REFRESH_SECONDS - 1);
    expect(await statistics.report(SHAPE)).to.equal(first);
    expect(reads).to.have.length(1);
    expect(computed).to.have.length(1);
    expect(statistics.computations).to.equal(1);
    expect(first.generatedAt).to.equal(T0.toISOString());

    advance(1);
    const second = await statistics.report(SHAPE);
    expect(computed).to.have.length(2);
    expect(second.generatedAt).to.equal(new Date(T0.getTime() + REFRESH_SECONDS * 1000).toISOString());
  });

  it('requests that arrive during a computation wait for it: a burst costs one computation', async () => {
    const { statistics, reads, computed } = service();
    const answers = await Promise.all(Array.from({ length: 20 }, () => statistics.report(SHAPE)));
    expect(new Set(answers).size).to.equal(1);
    expect(reads).to.have.length(1);
    expect(computed).to.have.length(1);
  });

  it('a registry that lists other recipients or types gets a report of its own, computed again', async () => {
    const { statistics, computed } = service();
    await statistics.report(SHAPE);
    const fewer = await statistics.report({ ...SHAPE, recipients: EXAMPLE_RECIPIENTS.slice(0, 2) });
    expect(computed).to.have.length(2);
    expect(fewer.rates[0]!.cells.map((c) => c.row)).to.include.members(EXAMPLE_RECIPIENTS.slice(0, 2));
  });

  it('runs one computation at a time, even for a registry reloaded while one runs', async () => {
    let running = 0;
    let most = 0;
    const statistics = new StatisticsService({
      facts: pagesOf(manyFacts(300)),
      now: () => T0,
      compute: async (facts, options) => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running--;
        return { report: buildStatistics(facts, options), threadId, buildMs: 0 };
      },
    });
    const reports = await Promise.all([statistics.report(SHAPE), statistics.report({ ...SHAPE, recipients: EXAMPLE_RECIPIENTS.slice(0, 1) }), statistics.report(SHAPE)]);
    expect(most).to.equal(1);
    expect(statistics.computations).to.equal(2);
    expect(reports[0]).to.equal(reports[2]);
  });

  it('keeps no failed computation: the request fails, the next one computes again', async () => {
    let failing = true;
    const statistics = new StatisticsService({
      facts: async (page) => {
        if (failing) throw new GatewayError('store_unavailable', 'The store cannot be read.');
        return pagesOf(manyFacts(30))(page);
      },
      now: () => T0,
    });
    let error: unknown;
    await statistics.report(SHAPE).catch((err: unknown) => (error = err));
    expect(error).to.be.instanceOf(GatewayError).with.property('code', 'store_unavailable');
    failing = false;
    expect((await statistics.report(SHAPE)).tables).to.have.length(9);
    expect(statistics.computations).to.equal(2);
  });
});
