/**
 * GET /v1/stats without blocking the gateway: the report (src/stats/report.ts, about half a second of
 * CPU at 40,000 messages) is computed on a worker thread, one computation at a time (requests that
 * arrive meanwhile wait for the same one), and the computed report is served for REFRESH_SECONDS.
 *
 * Kept for a bounded time rather than until new facts arrive: the gateway accepts messages all day,
 * so a report invalidated by every acceptance would be computed again at almost every request, and
 * with several gateways on one database no instance sees every acceptance. The steering committee
 * reads monthly figures; `generatedAt` says how old the ones it reads are. A computation that fails
 * is not kept: the next request tries again.
 */
import { GatewayError } from '../../domain/errors.js';
import { siblingModule, startModuleWorker } from '../../crypto/worker-thread.js';
import type { FactsPage, StoredFact } from '../facts.js';
import type { ReportOptions, StatisticsReport } from '../report.js';
import type { ReportReply, ReportTask } from './report-worker.js';

/** How long a computed report is served before a request computes it again. */
export const REFRESH_SECONDS = 300;

/** A computation that takes longer is stopped and answered 503: about a hundred times the cost at 40,000 messages. */
export const COMPUTE_TIMEOUT_MS = 60_000;

export interface Computed {
  report: StatisticsReport;
  /** The thread that computed it (worker_threads.threadId; the main thread is 0). */
  threadId: number;
  /** How long building the report took on that thread. */
  buildMs: number;
}

export type ComputeReport = (facts: StoredFact[], options: ReportOptions) => Promise<Computed>;

/** Reads one page of the facts of accepted messages (Store.statisticsFacts). */
export type ReadFacts = (page: FactsPage) => Promise<StoredFact[]>;

/**
 * Facts read from the store per read. SQLite reads on the main thread: 2,000 rows take it a few
 * milliseconds, where the 40,000 of a busy year in one read held it for tens.
 */
export const FACTS_PER_PAGE = 2_000;

export interface StatisticsServiceOptions {
  facts: ReadFacts;
  now: () => Date;
  refreshSeconds?: number;
  /** Where the report is computed: a worker thread (computeOnWorker) unless a test says otherwise. */
  compute?: ComputeReport;
}

/** What the report shows besides the facts (from the registry, which may be reloaded). */
export type ReportShape = Omit<ReportOptions, 'generatedAt'>;

interface Kept {
  key: string;
  expiresAt: number;
  report: StatisticsReport;
}

export class StatisticsService {
  private kept: Kept | undefined;
  private running: { key: string; done: Promise<StatisticsReport> } | undefined;
  private readonly compute: ComputeReport;
  private readonly refreshMs: number;
  private count = 0;
  private last: Omit<Computed, 'report'> | undefined;

  constructor(private readonly options: StatisticsServiceOptions) {
    this.compute = options.compute ?? computeOnWorker;
    this.refreshMs = (options.refreshSeconds ?? REFRESH_SECONDS) * 1000;
  }

  /** Computations started so far. */
  get computations(): number {
    return this.count;
  }

  /** Where and how long the last computation that completed ran. */
  get lastComputation(): Omit<Computed, 'report'> | undefined {
    return this.last;
  }

  async report(shape: ReportShape): Promise<StatisticsReport> {
    const key = JSON.stringify([shape.recipients, shape.messageTypes]);
    for (;;) {
      if (this.kept?.key === key && this.options.now().getTime() < this.kept.expiresAt) return this.kept.report;
      if (this.running === undefined) break;
      if (this.running.key === key) return this.running.done;
      // A report for a registry since reloaded: the next computation waits for it to end.
      await this.running.done.catch(() => undefined);
    }
    const running = { key, done: this.run(key, shape) };
    this.running = running;
    // Registered first, so it runs before any waiter resumes.
    const settled = () => {
      if (this.running === running) this.running = undefined;
    };
    running.done.then(settled, settled);
    return running.done;
  }

  private async run(key: string, shape: ReportShape): Promise<StatisticsReport> {
    this.count++;
    const started = this.options.now();
    const facts = await readAll(this.options.facts);
    const computed = await this.compute(facts, { ...shape, generatedAt: started.toISOString() });
    this.last = { threadId: computed.threadId, buildMs: computed.buildMs };
    this.kept = { key, expiresAt: started.getTime() + this.refreshMs, report: computed.report };
    return computed.report;
  }
}

/** Every fact, page by page, with a turn of the event loop between two reads. */
async function readAll(read: ReadFacts): Promise<StoredFact[]> {
  const facts: StoredFact[] = [];
  for (;;) {
    const page = await read({ limit: FACTS_PER_PAGE, ...(facts.length === 0 ? {} : { afterSeq: facts[facts.length - 1]!.seq }) });
    for (const fact of page) facts.push(fact);
    if (page.length < FACTS_PER_PAGE) return facts;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Facts handed to the worker per message: each costs this thread a few milliseconds of copying. */
export const FACTS_PER_CHUNK = 2_000;

/**
 * Computes the report on a new worker thread, which ends with it. The facts go over in chunks with a
 * turn of the event loop between two, so that copying them (a structured clone: tens of milliseconds
 * for 40,000 facts in one piece) never holds this thread for long either. A thread per computation: at most one runs at a time and at
 * most one per REFRESH_SECONDS, so its start (off this thread) costs nothing that matters, and nothing
 * stays open between computations. The thread does not keep the process alive: a gateway that stops
 * does not wait for a report nobody will read.
 */
export const computeOnWorker: ComputeReport = async (facts, options) => {
  const worker = startModuleWorker(siblingModule('report-worker', import.meta.url), undefined, { name: 'passerelle-statistics' });
  worker.unref();
  let outcome: { computed: Computed } | { error: Error } | undefined;
  const ended = new Promise<Computed>((resolve, reject) => {
    const timer = setTimeout(() => {
      outcome ??= { error: new GatewayError('unavailable', `The statistics took more than ${COMPUTE_TIMEOUT_MS / 1000} s to compute and were stopped. Retry later; if it happens again, tell the gateway operator.`) };
      void worker.terminate();
    }, COMPUTE_TIMEOUT_MS);
    timer.unref();
    worker.once('message', (reply: ReportReply) => {
      outcome ??= reply.ok
        ? { computed: { report: reply.report, threadId: reply.threadId, buildMs: reply.buildMs } }
        : { error: new GatewayError('internal', `Computing the statistics failed (${reply.name}: ${reply.message}). This is a defect: report it.`) };
    });
    worker.once('error', (err) => {
      outcome ??= { error: new GatewayError('internal', `The statistics worker failed (${err.name}: ${err.message}). This is a defect: report it.`, { cause: err }) };
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      outcome ??= { error: new GatewayError('internal', `The statistics worker ended (exit code ${code}) without a report. This is a defect: report it.`) };
      if ('computed' in outcome) resolve(outcome.computed);
      else reject(outcome.error);
    });
  });
  for (let start = 0; start < facts.length && outcome === undefined; start += FACTS_PER_CHUNK) {
    worker.postMessage({ facts: facts.slice(start, start + FACTS_PER_CHUNK) } satisfies ReportTask);
    await new Promise((resolve) => setImmediate(resolve));
  }
  worker.postMessage({ options } satisfies ReportTask);
  return ended;
};
