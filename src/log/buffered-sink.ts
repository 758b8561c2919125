/**
 * Where the log's lines go in production: a file descriptor (stdout), written by a thread of its own
 * (writer-thread.mjs) so that a log call costs the main thread no write. Lines wait in memory until
 * the end of the event loop's turn and leave in one batch per turn.
 *
 * Bounded: past LIMIT_CHARS characters waiting or being written, the log call blocks until the
 * writer has written them all. Blocking rather than dropping: a log line is the operator's record of
 * what happened to a message, and reaching the bound means the reader of stdout (journald, a pipe)
 * has stalled for thousands of lines; then the gateway slows to its pace, as with synchronous writes,
 * instead of losing lines without a trace.
 *
 * Flushed synchronously on the process's 'exit' (process.exit, the end of `passerelle serve`, an
 * uncaught exception), so the last lines, a crash's included, are written before the process ends.
 * What a SIGKILL, or a signal with its default action, interrupts is lost: at most one turn's lines.
 */
import fs from 'node:fs';
import { getSystemErrorName } from 'node:util';
import { Worker } from 'node:worker_threads';

/** About a thousand lines of the gateway's longest. */
export const LIMIT_CHARS = 1 << 20;

const IN_FLIGHT = 0;
const LOST = 1;
const ERRNO = 2;
const WRITER = new URL('./writer-thread.mjs', import.meta.url);

export class BufferedSink {
  private waiting: string[] = [];
  private waitingChars = 0;
  private scheduled = false;
  private writer: Worker | undefined;
  private readonly state = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  private reportedLost = 0;
  private readonly onExit = () => this.flushSync();

  constructor(
    private readonly fd: number,
    private readonly limitChars = LIMIT_CHARS,
  ) {
    process.on('exit', this.onExit);
  }

  write(line: string): void {
    this.waiting.push(line);
    this.waitingChars += line.length;
    if (this.waitingChars + Atomics.load(this.state, IN_FLIGHT) > this.limitChars) return this.flushSync();
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.handOver();
    });
  }

  /** Returns once every line written so far is written to the descriptor. */
  flushSync(): void {
    this.handOver();
    for (let busy = Atomics.load(this.state, IN_FLIGHT); busy > 0; busy = Atomics.load(this.state, IN_FLIGHT)) {
      Atomics.wait(this.state, IN_FLIGHT, busy);
    }
    this.reportLost();
  }

  /** Flushes, then ends the writer thread (tests; the process's sink lives as long as the process). */
  async close(): Promise<void> {
    this.flushSync();
    process.off('exit', this.onExit);
    await this.writer?.terminate();
    this.writer = undefined;
  }

  private handOver(): void {
    if (this.waitingChars === 0) return;
    const text = this.waiting.join('');
    this.waiting = [];
    this.waitingChars = 0;
    Atomics.add(this.state, IN_FLIGHT, text.length);
    this.writerThread().postMessage(text);
    this.reportLost();
  }

  private writerThread(): Worker {
    if (!this.writer) {
      this.writer = new Worker(WRITER, { name: 'log writer', workerData: { fd: this.fd, state: this.state.buffer } });
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
    try {
      fs.writeSync(2, `passerelle: ${lost} characters of log lines could not be written to file descriptor ${this.fd} (${errno < 0 ? getSystemErrorName(errno) : 'unknown error'})\n`);
    } catch {
      // stderr is gone too: nowhere left to say it.
    }
  }
}
