/**
 * The bench's own arithmetic (scripts/bench): the spool a million-message run streams from, the
 * throughput of the first and last tenth, the RSS of a window, the CPU lists of --pin-*. The figures
 * the closing notes quote come from these functions.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Refusals } from '../../../scripts/bench/load.js';
import { brokerPids } from '../../../scripts/bench/measure.js';
import { cpuCount, readOptions } from '../../../scripts/bench/options.js';
import { maxRssBetween, tenths } from '../../../scripts/bench/report.js';
import { SpoolReader } from '../../../scripts/bench/seal.js';

describe('scripts/bench: the figures of the bench', () => {
  it('reads back every spooled message in order, across its one-megabyte reads', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-spool-'));
    try {
      const messages = Array.from({ length: 400 }, (_, i) => Buffer.alloc(3000 + (i % 7) * 1000, i % 251));
      const parts = messages.flatMap((m) => {
        const prefix = Buffer.alloc(4);
        prefix.writeUInt32BE(m.length);
        return [prefix, m];
      });
      fs.writeFileSync(path.join(dir, 'sealed.bin'), Buffer.concat(parts));
      const reader = new SpoolReader(path.join(dir, 'sealed.bin'));
      const read: Uint8Array[] = [];
      for (let m = reader.next(); m !== undefined; m = reader.next()) read.push(m);
      reader.close();
      expect(read.length).to.equal(messages.length);
      read.forEach((m, i) => expect(Buffer.from(m).equals(messages[i]!), `message ${i}`).to.equal(true));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('compares the rate of the first tenth of the answers with the last', () => {
    // 100 answers from t=0: the first 10 at 10 per second, the last 10 at 5 per second.
    const doneAt = Float64Array.from({ length: 100 }, (_, i) => (i < 10 ? (i + 1) * 100 : i < 90 ? 1000 + (i - 9) * 10 : 1800 + (i - 89) * 200));
    const soak = tenths(doneAt, 0);
    expect(soak.firstTenthPerSecond).to.equal(10);
    expect(soak.lastTenthPerSecond).to.equal(5);
    expect(soak.changePercent).to.equal(-50);
  });

  it('takes the highest RSS sampled inside a fraction of a window', () => {
    const samples: Array<[number, number]> = [[1, 100], [2, 150], [3, 120], [4, 300], [5, 110]];
    // Sampling started at 0 ms; the window runs from 1,000 to 5,000 ms: its middle fifth is 2,600-3,400 ms.
    expect(maxRssBetween(samples, 0, 0.4, 0.6, 1000, 5000)).to.equal(120);
    expect(maxRssBetween(samples, 0, 0.9, 1, 1000, 5000)).to.equal(110);
    expect(maxRssBetween(samples, 0, 0, 0.01, 10_000, 20_000)).to.equal(null);
  });

  it('counts the CPUs of a taskset list', () => {
    expect(cpuCount('0')).to.equal(1);
    expect(cpuCount('2-7')).to.equal(6);
    expect(cpuCount('0,2-3,5')).to.equal(4);
  });

  it('finds the Erlang VM of the RabbitMQ node the tests use, and none for a node that does not run', function () {
    this.timeout(60_000);
    const pids = brokerPids([]);
    expect(pids).to.have.length(1);
    expect(fs.readFileSync(`/proc/${pids[0]}/comm`, 'utf8').trim()).to.equal('beam.smp');
    expect(brokerPids(['no-such-node@localhost'])).to.deep.equal([]);
  });

  it('reads the broker and its nodes from the command line (a cluster for the scale-out runs)', () => {
    expect(readOptions([])).to.deep.include({ amqpUrl: 'amqp://guest:guest@127.0.0.1:5672', brokerNodes: [] });
    expect(readOptions(['--amqp-url', 'amqp://guest:guest@127.0.0.1:5681', '--broker-nodes', 'bench1@localhost,bench2@localhost,bench3@localhost'])).to.deep.include({
      amqpUrl: 'amqp://guest:guest@127.0.0.1:5681',
      brokerNodes: ['bench1@localhost', 'bench2@localhost', 'bench3@localhost'],
    });
  });

  it('runs the store on the main thread unless --store-thread is given', () => {
    expect(readOptions([]).storeThread).to.equal(false);
    expect(readOptions(['--store-thread']).storeThread).to.equal(true);
  });

  it('counts refusals by status and code, and keeps the first five distinct details of each to say why', () => {
    const refusals = new Refusals();
    refusals.tally({ status: 202, latencyMs: 1, doneAt: 1 });
    for (let i = 0; i < 8; i++) refusals.tally({ status: 503, code: 'unavailable', detail: `why ${i % 6}`, latencyMs: 1, doneAt: 1 });
    refusals.tally({ status: 503, code: 'unavailable', detail: 'why 0', latencyMs: 1, doneAt: 1 });
    refusals.tally({ status: 400, latencyMs: 1, doneAt: 1 });
    expect(Object.fromEntries(refusals.counts)).to.deep.equal({ '503 unavailable': 9, '400': 1 });
    expect(Object.fromEntries(refusals.details)).to.deep.equal({ '503 unavailable': ['why 0', 'why 1', 'why 2', 'why 3', 'why 4'], '400': [] });
  });
});
