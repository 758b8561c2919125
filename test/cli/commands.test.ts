/**
 * The partner-facing commands as a person runs them: `send`, `status`, `consume`, `demo`, `help`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runCli } from '../fixtures/cli.js';
import { deleteTopology, EXAMPLE_CERTS, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { example } from '../fixtures/partner.js';

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
    expect(unknown.code).to.equal(64);
    expect(unknown.stderr).to.include('passerelle help');
    const help = await runCli(['help'], env);
    expect(help.stdout).to.include('PASSERELLE_AMQP_URL').and.include('consume --as PARTNER');
  });

  it('demo runs the main job end to end and exits 0', async () => {
    const prefix = `${gw.settings.amqpPrefix}-d`;
    const demo = await runCli(['demo'], { PASSERELLE_CERTS_DIR: EXAMPLE_CERTS, PASSERELLE_AMQP_PREFIX: prefix }).finally(() => deleteTopology(`${prefix}-demo`));
    expect(demo.code, demo.stderr + demo.stdout).to.equal(0);
    expect(demo.stdout).to.include('accepted (HTTP 202)').and.include("OFII's original signature verified").and.include('status for OFII: acknowledged');
  });
});
