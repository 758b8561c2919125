/**
 * Where the log's lines go in production: a file descriptor (stdout), written by a thread of its own
 * (writer-thread.mjs) so that a log call costs the main thread no write. Lines wait in memory until
 * HAND_OVER_DELAY_MS, or the end of the turn once a batch's worth waits, and leave in one batch.
 *
 * Bounded: past LIMIT_CHARS characters waiting or being written, the log call blocks until the
 * writer has written them all. Blocking rather than dropping: a log line is the operator's record of
 * what happened to a message, and reaching the bound means the reader of stdout (journald, a pipe)
 * has stalled for thousands of lines; then the gateway slows to its pace, as with synchronous writes,
 * instead of losing lines without a trace.
 *
 * Flushed synchronously on the process's 'exit' (process.exit, the end of `passerelle serve`, an
 * uncaught exception), so the last lines, a crash's included, are written before the process ends.
 * What a SIGKILL, or a signal with its default action, interrupts is lost: at most HAND_OVER_DELAY_MS of lines.
 *
 * A writer thread that fails (it could not start: a module missing from a build) leaves the sink
 * writing synchronously from the main thread, as before, after a line on stderr saying what was lost.
 */
import fs from 'node:fs';
import { getSystemErrorName } from 'node:util';
import { Worker } from 'node:worker_threads';

/** About 3,000 of the gateway's 'request' lines (some 330 characters each). */
export const LIMIT_CHARS = 1 << 20;

/**
 * Lines wait up to this long to leave together. Handing each turn's lines over cost one postMessage
 * per turn, which wakes the writer thread: at the gateway's one or two lines per turn, 1.1 % of the
 * main thread's samples in a bench profile, more than the writes it saved. A SIGKILL loses at most
 * this long's lines (and a batch being written); an exit or a crash flushes them (flushSync).
 */
export const HAND_OVER_DELAY_MS = 20;
/** Characters that leave at the end of the turn without waiting for the delay (about 50 'request' lines). */
const BATCH_CHARS = 16 * 1024;

const IN_FLIGHT = 0;
const LOST = 1;
const ERRNO = 2;
const READY = 3;
const WRITER = new URL('./writer-thread.mjs', import.meta.url);
/** How long a flush waits for a writer thread that has not started before it counts it as failed. */
const START_TIMEOUT_MS = 10_000;

export class BufferedSink {
  private waiting: string[] = [];
  private waitingChars = 0;
  private scheduled = false;
  private batchDue = false;
  private writer: Worker | undefined;
  private failed = false;
  private closing = false;
  private readonly state = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT));
  private reportedLost = 0;
  private readonly onExit = () => this.flushSync();

  constructor(
    private readonly fd: number,
    private readonly limitChars = LIMIT_CHARS,
    /** Tests: another module for the writer thread. */
    private readonly writerModule = WRITER,
  ) {
    process.on('exit', this.onExit);
  }

  write(line: string): void {
    this.waiting.push(line);
    this.waitingChars += line.length;
    if (this.waitingChars + Atomics.load(this.state, IN_FLIGHT) > this.limitChars) return this.flushSync();
    if (this.waitingChars >= BATCH_CHARS) {
      // A batch's worth: at the end of this turn, whatever timer is set.
      if (this.batchDue) return;
      this.batchDue = true;
      setImmediate(() => {
        this.batchDue = false;
        this.handOver();
      });
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      this.handOver();
    }, HAND_OVER_DELAY_MS).unref();
  }

  /** Returns once every line written so far is written to the descriptor. */
  flushSync(): void {
    this.handOver();
    const started = Date.now();
    for (let busy = Atomics.load(this.state, IN_FLIGHT); busy > 0; busy = Atomics.load(this.state, IN_FLIGHT)) {
      // Once started, the writer counts out every batch (writer-thread.mjs): wait as long as it takes.
      // Before, its 'error' cannot reach this blocked thread, so the wait is bounded.
      if (Atomics.load(this.state, READY) === 0) {
        if (Date.now() - started > START_TIMEOUT_MS) return this.writerFailed(new Error(`not started within ${START_TIMEOUT_MS} ms`));
        Atomics.wait(this.state, IN_FLIGHT, busy, 50);
      } else {
        Atomics.wait(this.state, IN_FLIGHT, busy);
      }
    }
    this.reportLost();
  }

  /** Flushes, then ends the writer thread (tests; the process's sink lives as long as the process). */
  async close(): Promise<void> {
    this.flushSync();
    process.off('exit', this.onExit);
    this.closing = true;
    await this.writer?.terminate();
    this.writer = undefined;
  }

  private handOver(): void {
    if (this.waitingChars === 0) return;
    const text = this.waiting.join('');
    this.waiting = [];
    this.waitingChars = 0;
    if (this.failed) return this.writeHere(text);
    Atomics.add(this.state, IN_FLIGHT, text.length);
    this.writerThread().postMessage(text);
    this.reportLost();
  }

  private writeHere(text: string): void {
    try {
      fs.writeSync(this.fd, text);
    } catch (err) {
      Atomics.add(this.state, LOST, text.length);
      Atomics.store(this.state, ERRNO, typeof (err as NodeJS.ErrnoException).errno === 'number' ? (err as NodeJS.ErrnoException).errno! : 0);
    }
    this.reportLost();
  }

  private writerFailed(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    const unwritten = Atomics.exchange(this.state, IN_FLIGHT, 0);
    say(`passerelle: the log's writer thread failed (${err.message}); ${unwritten} characters of log lines handed to it may be lost; the next lines are written by the main thread\n`);
    this.writer?.terminate().catch(() => undefined);
    this.handOver();
  }

  private writerThread(): Worker {
    if (!this.writer) {
      this.writer = new Worker(this.writerModule, { name: 'log writer', workerData: { fd: this.fd, state: this.state.buffer } });
      this.writer.on('error', (err) => this.writerFailed(err));
      this.writer.on('exit', () => this.closing || this.writerFailed(new Error('exited')));
      // The writer never holds the process up: what it still has to write, the 'exit' flush waits for.
      this.writer.unref();
    }
    return this.writer;
  }

  /** Lines the descriptor refused (stdout closed, disk full) are said on stderr, not lost without a word. */
  private reportLost(): void {
    const lost = Atomics.load(this.state, LOST);
    if (lost === this.reportedLost) return;
    const errno = Atomics.load(this.state, ERRNO);
    this.reportedLost = lost;
    say(`passerelle: ${lost} characters of log lines could not be written to file descriptor ${this.fd} (${errno < 0 ? getSystemErrorName(errno) : 'unknown error'})\n`);
  }
}

function say(text: string): void {
  try {
    fs.writeSync(2, text);
  } catch {
    // stderr is gone too: nowhere left to say it.
  }
}
