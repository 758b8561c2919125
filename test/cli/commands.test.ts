/**
 * The partner-facing commands as a person runs them: `send`, `status`, `consume`, `stats`, `audit`,
 * `demo`, `help`, their --json output and the examples of docs/cli.md.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { expect } from 'chai';
import { deadLetterQueueName, queueName } from '../../src/broker/topology.js';
import { runCli } from '../fixtures/cli.js';
import { AMQP_URL, deleteTopology, EXAMPLE_CERTS, eventually, PROJECT_ROOT, RECIPIENTS, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { example } from '../fixtures/partner.js';

const run = promisify(execFile);

describe('@integration cli: partner commands', function () {
  this.timeout(90_000);
  let gw: TestGateway;
  let work: string;
  let env: Record<string, string>;

  before(async () => {
    gw = await startTestGateway();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-cli-'));
    env = {
      PASSERELLE_CERTS_DIR: EXAMPLE_CERTS,
      PASSERELLE_DATA_DIR: path.join(work, 'data'),
      PASSERELLE_PORT: String(gw.port),
      PASSERELLE_AMQP_PREFIX: gw.settings.amqpPrefix,
    };
  });
  after(async () => {
    await gw?.dispose();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('send fills messageId and sentAt, posts, and prints a verified receipt; consume writes the document once', async () => {
    const document = example('orientation');
    delete document['header']['messageId'];
    delete document['header']['sentAt'];
    const file = path.join(work, 'orientation.json');
    fs.writeFileSync(file, JSON.stringify(document));
    const sent = await runCli(['send', '--as', 'ofii-paris', file], env);
    expect(sent.code, sent.stderr).to.equal(0);
    expect(sent.stderr).to.include('receipt verified');
    const receipt = JSON.parse(sent.stdout) as { messageId: string; status: string };
    expect(receipt.status).to.equal('accepted');

    await eventually(async () => ((await gw.store.findMessage(receipt.messageId))?.status === 'queued' ? true : undefined));
    const status = await runCli(['status', '--as', 'mission-locale-paris', receipt.messageId], env);
    expect(status.code, status.stderr).to.equal(0);
    expect(JSON.parse(status.stdout)).to.include({ status: 'queued' });

    const out = path.join(work, 'inbox');
    const consumed = await runCli(['consume', '--as', 'mission-locale-paris', '--out', out, '--idle-exit', '1'], env);
    expect(consumed.code, consumed.stderr).to.equal(0);
    expect(consumed.stderr).to.include('1 written, 0 duplicates skipped, 0 refused');
    const written = JSON.parse(fs.readFileSync(path.join(out, `${receipt.messageId}.json`), 'utf8')) as { header: { sentAt: string } };
    expect(written.header.sentAt).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('send explains a refusal with its code and the fields at fault, and exits 1', async () => {
    const document = example('orientation');
    delete document['body']['identity']['birthDate'];
    const file = path.join(work, 'invalid.json');
    fs.writeFileSync(file, JSON.stringify(document));
    const sent = await runCli(['send', '--as', 'ofii-paris', file], env);
    expect(sent.code).to.equal(1);
    expect(sent.stderr).to.include('422 schema_invalid').and.include('/body/identity/birthDate');
  });

  it('says what to do when the gateway is not running, or a command is unknown', async () => {
    const file = path.join(work, 'x.json');
    fs.writeFileSync(file, JSON.stringify(example('orientation')));
    const down = await runCli(['send', '--as', 'ofii-paris', file], { ...env, PASSERELLE_PORT: '1' });
    expect(down.code).to.equal(1);
    expect(down.stderr.trim().split('\n')).to.have.length(1);
    expect(down.stderr).to.include('Cannot reach the gateway').and.include('npm start');
    const unknown = await runCli(['sned'], env);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include('passerelle help');
    const help = await runCli(['help'], env);
    expect(help.stdout).to.include('PASSERELLE_AMQP_URL').and.include('consume --as PARTNER');
  });

  it('the first send of the documentation works as written: the example\'s old sentAt is renewed, and said so', async () => {
    const exampleFile = path.join(PROJECT_ROOT, 'schemas', 'examples', 'orientation.v1.json');
    const example = JSON.parse(fs.readFileSync(exampleFile, 'utf8')) as { header: { messageId: string; sentAt: string } };
    const sent = await runCli(['send', '--as', 'ofii-paris', exampleFile], env);
    expect(sent.code, sent.stderr).to.equal(0);
    expect(sent.stderr).to.include(`its sentAt ${example.header.sentAt} is outside the gateway's window`).and.include('receipt verified');
    const receipt = JSON.parse(sent.stdout) as { messageId: string; status: string };
    expect(receipt.status).to.equal('accepted');
    expect(receipt.messageId).not.to.equal(example.header.messageId);

    const kept = await runCli(['send', '--as', 'ofii-paris', '--keep-header', exampleFile], env);
    expect(kept.code).to.equal(1);
    expect(kept.stderr).to.include('stale_message');
  });

  it('send of several files sends each one; --json prints one document with every result', async () => {
    const files = [1, 2, 3].map((i) => {
      const document = example('orientation');
      delete document['header']['messageId'];
      delete document['header']['sentAt'];
      const file = path.join(work, `bulk-${i}.json`);
      fs.writeFileSync(file, JSON.stringify(document));
      return file;
    });
    const invalid = example('orientation');
    delete invalid['body']['identity']['birthDate'];
    const bad = path.join(work, 'bulk-bad.json');
    fs.writeFileSync(bad, JSON.stringify(invalid));
    const sent = await runCli(['send', '--as', 'ofii-paris', '--json', ...files, bad], env);
    expect(sent.code, sent.stderr).to.equal(1);
    const { results } = JSON.parse(sent.stdout) as { results: Array<{ file: string; messageId: string; outcome: string; receipt?: { auditIndex: number } }> };
    expect(results.map((r) => [r.file, r.outcome])).to.deep.equal([...files.map((f) => [f, 'accepted']), [bad, 'refused']]);
    expect(results[0]!.receipt!.auditIndex).to.be.a('number');
    // Piped, not a terminal: no progress bar.
    expect(sent.stderr).not.to.match(/\u2588|\u2591|\r/);

    const status = await runCli(['status', '--as', 'ofii-paris', '--json', results[0]!.messageId], env);
    expect(status.code, status.stderr).to.equal(0);
    expect(JSON.parse(status.stdout)).to.have.property('messageId', results[0]!.messageId);
  });

  it('send of several files shows a progress bar on a terminal', async () => {
    const files = [1, 2, 3].map((i) => {
      const document = example('orientation');
      delete document['header']['messageId'];
      delete document['header']['sentAt'];
      const file = path.join(work, `tty-${i}.json`);
      fs.writeFileSync(file, JSON.stringify(document));
      return file;
    });
    // script(1) gives the command a terminal, as a person at a prompt has; it merges stdout and stderr.
    const cli = path.join(PROJECT_ROOT, 'bin', 'passerelle.js');
    const command = [process.execPath, cli, 'send', '--as', 'ofii-paris', ...files].map((a) => JSON.stringify(a)).join(' ');
    const { stdout } = await run('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env['PATH'] ?? '', TERM: 'xterm', ...env }, timeout: 60_000 });
    expect(stdout).to.include('sending').and.include('3/3').and.include('3 of 3 accepted');
  });

  it('stats --json prints the report as JSON', async () => {
    const stats = await runCli(['stats', '--as', 'prefecture-paris', '--json'], env);
    expect(stats.code, stats.stderr).to.equal(0);
    expect(JSON.parse(stats.stdout)).to.be.an('object');
  });

  it('audit prove: index 0 works on a newcomer\'s log; an index beyond the log says how many entries it holds', async () => {
    const proved = await runCli(['audit', 'prove', '--index', '0', '--json'], env);
    expect(proved.code, proved.stderr).to.equal(0);
    const proof = JSON.parse(proved.stdout) as { entry: { index: number }; checkpoint: { treeSize: number }; inclusion: string };
    expect(proof.entry.index).to.equal(0);
    expect(proof.inclusion).to.equal('verified');

    const text = await runCli(['audit', 'prove', '--index', '0'], env);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.include('inclusion proof verified');

    const beyond = await runCli(['audit', 'prove', '--index', '100000'], env);
    expect(beyond.code).to.equal(1);
    expect(beyond.stderr).to.match(/There is no entry 100000: the log holds (\d+) entries \(0\.\.(\d+)\)/);
    const [, size, last] = /the log holds (\d+) entries \(0\.\.(\d+)\)/.exec(beyond.stderr)!;
    expect(Number(last)).to.equal(Number(size) - 1);
    expect(Number(size)).to.be.at.least(proof.checkpoint.treeSize);

    const agency = await runCli(['audit', 'prove', '--as', 'mission-locale-paris', '--index', '100000'], env);
    expect(agency.code).to.equal(1);
    expect(agency.stderr).to.include('the log holds').and.include('passerelle audit checkpoint');
  });

  it('audit checkpoint, verify --live and export answer --json with one JSON document', async () => {
    const checkpoint = await runCli(['audit', 'checkpoint', '--json'], env);
    expect(checkpoint.code, checkpoint.stderr).to.equal(0);
    expect(JSON.parse(checkpoint.stdout)).to.have.property('treeSize').that.is.a('number');
    const state = path.join(work, 'state.json');
    const first = await runCli(['audit', 'verify', '--live', '--state', state, '--json'], env);
    expect(first.code, first.stderr).to.equal(0);
    expect(JSON.parse(first.stdout)).to.include({ verified: true, consistency: null });
    const second = await runCli(['audit', 'verify', '--live', '--state', state, '--json'], env);
    expect(second.code, second.stderr).to.equal(0);
    expect((JSON.parse(second.stdout) as { consistency: { from: number } }).consistency.from).to.be.a('number');
    const out = path.join(work, 'audit.json');
    const exported = await runCli(['audit', 'export', '--out', out, '--json'], env);
    expect(exported.code, exported.stderr).to.equal(0);
    expect(JSON.parse(exported.stdout)).to.include({ out });
    const verified = await runCli(['audit', 'verify', '--export', out, '--json'], env);
    expect(verified.code, verified.stderr).to.equal(0);
    expect(JSON.parse(verified.stdout)).to.include({ verified: true });
  });

  /** Whether RabbitMQ has this queue (a passive declaration answers 404 otherwise). */
  async function queueExists(name: string): Promise<boolean> {
    const connection = await connect(AMQP_URL);
    try {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      return await channel.checkQueue(name).then(
        () => true,
        () => false,
      );
    } finally {
      await connection.close();
    }
  }

  async function demoLeftovers(prefix: string, dataDir: string): Promise<string[]> {
    const left: string[] = fs.existsSync(dataDir) ? [dataDir] : [];
    for (const id of RECIPIENTS) {
      for (const queue of [queueName(prefix, id), deadLetterQueueName(prefix, id)]) if (await queueExists(queue)) left.push(queue);
    }
    return left;
  }

  it('demo runs the main job end to end, exits 0, and leaves neither its folder nor its queues', async () => {
    const prefix = `${gw.settings.amqpPrefix}-d`;
    try {
      const demo = await runCli(['demo'], { PASSERELLE_CERTS_DIR: EXAMPLE_CERTS, PASSERELLE_AMQP_PREFIX: prefix });
      expect(demo.code, demo.stderr + demo.stdout).to.equal(0);
      expect(demo.stdout).to.include('accepted (HTTP 202)').and.include("OFII's original signature verified").and.include('status for OFII: acknowledged');
      const dataDir = /SQLite store in (\S+),/.exec(demo.stdout)![1]!;
      expect(await demoLeftovers(`${prefix}-demo`, dataDir)).to.deep.equal([]);
    } finally {
      await deleteTopology(`${prefix}-demo`);
    }
  });

  it('demo interrupted by Ctrl-C (SIGINT) cleans up and exits 130', async () => {
    const prefix = `${gw.settings.amqpPrefix}-i`;
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'passerelle.js'), 'demo'], {
      env: { PATH: process.env['PATH'] ?? '', PASSERELLE_CERTS_DIR: EXAMPLE_CERTS, PASSERELLE_AMQP_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // Interrupted once its gateway is up and has declared the queues.
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
          if (stdout.includes('listening on')) resolve();
        });
        void exited.then(() => reject(new Error(`the demo ended before its gateway listened: ${stdout}${stderr}`)));
      });
      expect(await queueExists(queueName(`${prefix}-demo`, 'mission-locale-paris'))).to.equal(true);
      child.kill('SIGINT');
      expect(await exited, stderr).to.equal(130);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await deleteTopology(`${prefix}-demo`);
    }
    expect(stderr).to.include('demo interrupted');
    const dataDir = /SQLite store in (\S+),/.exec(stdout)![1]!;
    expect(await demoLeftovers(`${prefix}-demo`, dataDir)).to.deep.equal([]);
  });
});
