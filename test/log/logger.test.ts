import { expect } from 'chai';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger, silentLogger, type LogFields } from '../../src/log/logger.js';

/** A stream that keeps each write, as the tests' capturing logger does. */
function capture(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      writes.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, writes };
}

const withoutTimestamp = (line: string) => {
  const parsed = JSON.parse(line) as Record<string, unknown>;
  expect(parsed['timestamp']).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  return line.replace(/"timestamp":"[^"]+"/, '"timestamp":"T"');
};

describe('log: logger', () => {
  it("writes the line winston's logger writes (same formats, levels, service, key order), one write per line", async () => {
    const ours = capture();
    const theirs = capture();
    const reference = winston.createLogger({
      level: 'debug',
      format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
      defaultMeta: { service: 'passerelle' },
      transports: [new winston.transports.Stream({ stream: theirs.stream })],
    });
    const logger = createLogger({ level: 'debug', stream: ours.stream });
    const records: Array<[keyof typeof logger, string, LogFields]> = [
      ['info', 'request', { requestId: 'r-1', method: 'POST', path: '/v1/messages', status: 202, durationMs: 12.5, partner: 'ofii-paris', messageId: 'm-1', auditIndex: 7, outcome: 'accepted' }],
      ['error', 'relay.mark_queued_failed', { messageId: 'm-2', outcome: 'retry', reason: 'line "one"\nline two' }],
      ['warn', 'gateway stopped during start-up', {}],
      ['debug', 'relay.queued', { messageId: 'm-3', attempt: 2 }],
    ];
    for (const [level, event, fields] of records) {
      logger[level](event, fields);
      reference.log(level, event, fields);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(ours.writes).to.have.length(records.length);
    expect(ours.writes.every((w) => w.endsWith('}\n'))).to.equal(true);
    expect(ours.writes.map(withoutTimestamp)).to.deep.equal(theirs.writes.map(withoutTimestamp));
  });

  it('writes to a given stream within the call, as the tests that read log lines expect', () => {
    const { stream, writes } = capture();
    createLogger({ level: 'info', stream }).info('gateway started', { port: 8443 });
    expect(writes).to.have.length(1);
    expect(JSON.parse(writes[0]!)).to.include({ level: 'info', message: 'gateway started', port: 8443, service: 'passerelle' });
  });

  it('leaves out the levels below its own, and a silent logger writes nothing', () => {
    const { stream, writes } = capture();
    const logger = createLogger({ level: 'warn', stream });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(writes.map((w) => (JSON.parse(w) as { message: string }).message)).to.deep.equal(['w', 'e']);
    const silent = capture();
    const quiet = createLogger({ level: 'debug', stream: silent.stream, silent: true });
    quiet.error('e');
    silentLogger.error('e');
    expect(silent.writes).to.deep.equal([]);
  });

  it('does not keep a reference to the fields: a caller may reuse its object', () => {
    const { stream, writes } = capture();
    const logger = createLogger({ level: 'info', stream });
    const fields: LogFields = { messageId: 'm-1' };
    logger.info('one', fields);
    fields.messageId = 'm-2';
    logger.info('two', fields);
    expect(writes.map((w) => (JSON.parse(w) as { messageId: string }).messageId)).to.deep.equal(['m-1', 'm-2']);
    expect(fields).to.deep.equal({ messageId: 'm-2' });
  });
});
