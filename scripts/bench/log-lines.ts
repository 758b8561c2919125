/**
 * The main thread's time per log line: 100,000 'request' lines (the gateway's commonest) through the
 * logger of `passerelle serve`, in bursts of 100 per turn of the event loop as under load. Run with
 * stdout sent to a file or a pipe (`npx tsx scripts/bench/log-lines.ts > /tmp/lines.log`); the figures
 * go to stderr. The main thread's CPU is read from /proc (Linux): waiting on a full buffer is not
 * counted in it, and shows in the wall time; the process's CPU counts every thread, a writer thread's
 * included.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createLogger } from '../../src/log/logger.js';

/** CPU milliseconds of the main thread (utime + stime of /proc/self/task/<pid>/stat, in 10 ms ticks). */
function mainThreadCpuMs(): number {
  const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const LINES = Number(process.argv[2] ?? 100_000);
const BURST = 100;

const logger = createLogger({ level: 'info' });
const fields = { requestId: randomUUID(), method: 'POST', path: '/v1/messages', status: 202, durationMs: 12.345, partner: 'ofii-paris', messageId: randomUUID(), auditIndex: 123456, outcome: 'accepted' };
for (let i = 0; i < 2_000; i++) logger.info('request', fields);
await nextTurn();

const main = mainThreadCpuMs();
const cpu = process.cpuUsage();
const started = performance.now();
for (let i = 0; i < LINES / BURST; i++) {
  for (let j = 0; j < BURST; j++) logger.info('request', fields);
  await nextTurn();
}
await new Promise((resolve) => setTimeout(resolve, 50));
const mainMs = mainThreadCpuMs() - main;
const used = process.cpuUsage(cpu);
const perLine = (ms: number) => `${((ms * 1000) / LINES).toFixed(2)} µs/line`;
process.stderr.write(
  `${LINES} lines in ${(performance.now() - started).toFixed(0)} ms: main thread ${perLine(mainMs)}, process CPU ${perLine((used.user + used.system) / 1000)}\n`,
);
