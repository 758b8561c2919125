import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { BufferedSink, HAND_OVER_DELAY_MS, LIMIT_CHARS } from '../../src/log/buffered-sink.js';
import { eventually, PROJECT_ROOT } from '../fixtures/gateway.js';

const LOGGING_PROCESS = path.join(PROJECT_ROOT, 'test', 'fixtures', 'logging-process.ts');

/** Runs test/fixtures/logging-process.ts with its stdout on `stdout` (a descriptor). */
function runLoggingProcess(how: 'exit' | 'crash' | 'end', lines: number, stdout: number): { status: number | null; stderr: string } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', LOGGING_PROCESS, how, String(lines)], { cwd: PROJECT_ROOT, stdio: ['ignore', stdout, 'pipe'], timeout: 60_000 });
  return { status: child.status, stderr: child.stderr.toString() };
}

const numbered = (i: number) => `${String(i).padStart(8, '0')} ${'x'.repeat(90)}\n`;

describe('log: buffered sink', () => {
  let dir: string;
  let file: string;
  let fd: number;
  let sink: BufferedSink | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-log-'));
    file = path.join(dir, 'out.log');
    fd = fs.openSync(file, 'w');
  });
  afterEach(async () => {
    await sink?.close();
    sink = undefined;
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('does not write within the log call: the descriptor is untouched until the turn ends, then gets the line', async () => {
    sink = new BufferedSink(fd);
    sink.write('first\n');
    sink.write('second\n');
    expect(fs.readFileSync(file, 'utf8')).to.equal('');
    expect(await eventually(async () => fs.readFileSync(file, 'utf8') || undefined)).to.equal('first\nsecond\n');
  });

  it('hands the lines of the turns within HAND_OVER_DELAY_MS to the writer thread in one batch, not one per turn', async () => {
    const posted: unknown[] = [];
    const original = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (this: Worker, value: unknown, ...rest: unknown[]) {
      if (typeof value === 'string') posted.push(value);
      return original.call(this, value, ...(rest as []));
    };
    try {
      sink = new BufferedSink(fd);
      for (let turn = 0; turn < 5; turn++) {
        sink.write(numbered(turn));
        await nextTurn();
      }
      expect(await eventually(async () => (fs.readFileSync(file, 'utf8').split('\n').length === 6 ? true : undefined))).to.equal(true);
      expect(posted, 'one hand-over for five turns').to.have.length(1);
    } finally {
      Worker.prototype.postMessage = original;
    }
    expect(HAND_OVER_DELAY_MS).to.be.above(0);
  });

  it('writes the lines in the order they were logged, across many turns, and flushSync returns once all are written', async () => {
    sink = new BufferedSink(fd);
    for (let turn = 0; turn < 200; turn++) {
      for (let i = 0; i < 100; i++) sink.write(numbered(turn * 100 + i));
      await nextTurn();
    }
    sink.flushSync();
    const written = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(written).to.have.length(20_000);
    written.forEach((line, i) => expect(line.slice(0, 8), `line ${i}`).to.equal(String(i).padStart(8, '0')));
  });

  it('past its bound, a burst blocks the log call until written: nothing is lost, nothing reordered', async () => {
    sink = new BufferedSink(fd, 10_000);
    for (let i = 0; i < 5_000; i++) sink.write(numbered(i));
    // Still in the same turn: the bound made the calls write, ~500 KB against a bound of 10,000 characters.
    expect(fs.statSync(file).size).to.be.greaterThan(400_000);
    await sink.close();
    const written = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(written).to.have.length(5_000);
    written.forEach((line, i) => expect(line.slice(0, 8), `line ${i}`).to.equal(String(i).padStart(8, '0')));
  });

  it('holds up to a mebibyte by default without writing in the call', () => {
    expect(LIMIT_CHARS).to.equal(1 << 20);
    sink = new BufferedSink(fd);
    for (let i = 0; i < 5_000; i++) sink.write(numbered(i));
    expect(fs.statSync(file).size).to.equal(0);
  });

  it('a writer thread that fails: the next lines are written from the main thread', async () => {
    sink = new BufferedSink(fd, LIMIT_CHARS, new URL('data:text/javascript,throw new Error("no writer")'));
    const written = await eventually(async () => {
      sink!.write('later\n');
      await nextTurn();
      return fs.readFileSync(file, 'utf8') || undefined;
    });
    expect(written).to.match(/^(later\n)+$/);
  });

  describe('in a process of its own, stdout to a file', function () {
    this.timeout(60_000);

    it('process.exit in the same turn as the last lines: all are written, in order', () => {
      const run = runLoggingProcess('exit', 3_000, fd);
      expect(run.status, run.stderr).to.equal(3);
      const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => l['attempt'])).to.deep.equal([...Array(3_000).keys()]);
    });

    it('an uncaught exception: the lines before it and the crash line with its reason are written, last', () => {
      const run = runLoggingProcess('crash', 3_000, fd);
      expect(run.status).to.equal(1);
      expect(run.stderr).to.include('boom');
      const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).to.have.length(3_001);
      expect(lines.slice(0, 3_000).map((l) => l['attempt'])).to.deep.equal([...Array(3_000).keys()]);
      expect(lines[3_000]).to.include({ level: 'error', message: 'process crashed', component: 'uncaughtException', reason: 'boom' });
    });

    it('the event loop empties: the process ends by itself, its lines written', () => {
      const run = runLoggingProcess('end', 10, fd);
      expect(run.status, run.stderr).to.equal(0);
      expect(run.stderr).to.equal('');
      expect(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)).to.have.length(10);
    });

    it('a stdout that refuses the lines: stderr says how much was not written and why', () => {
      const readOnly = fs.openSync(file, 'r');
      try {
        const run = runLoggingProcess('end', 10, readOnly);
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stderr).to.match(/^passerelle: \d+ characters of log lines could not be written to file descriptor 1 \(EBADF\)$/m);
      } finally {
        fs.closeSync(readOnly);
      }
    });
  });
});
