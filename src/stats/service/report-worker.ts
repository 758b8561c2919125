/**
 * The body of a statistics worker thread (statistics-service.ts): receives the facts in chunks, then
 * the report's options, computes the report, posts it with its thread id, and ends.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, threadId } from 'node:worker_threads';
import type { StoredFact } from '../facts.js';
import { buildStatistics, type ReportOptions, type StatisticsReport } from '../report.js';

export type ReportTask = { facts: StoredFact[] } | { options: ReportOptions };

export type ReportReply = { ok: true; report: StatisticsReport; threadId: number; buildMs: number } | { ok: false; name: string; message: string };

const port = parentPort!;
const facts: StoredFact[] = [];
port.on('message', (task: ReportTask) => {
  if ('facts' in task) {
    for (const fact of task.facts) facts.push(fact);
    return;
  }
  let reply: ReportReply;
  try {
    const started = performance.now();
    const report = buildStatistics(facts, task.options);
    reply = { ok: true, report, threadId, buildMs: performance.now() - started };
  } catch (err) {
    reply = { ok: false, name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
  port.close();
});
