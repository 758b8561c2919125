/**
 * The first session of docs/cli.md, run as written (each `npx passerelle` line of its shell block) on a
 * fresh gateway with a fresh log, in a fresh folder that has the repository's schemas/: the example
 * document is sent although its sentAt is old, entry 0 of the log is proved, and the agency receives it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runCli } from '../fixtures/cli.js';
import { EXAMPLE_CERTS, PROJECT_ROOT, startTestGateway, type TestGateway } from '../fixtures/gateway.js';

const DOC = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'cli.md'), 'utf8');

/** The command lines of the shell block under "A first session". */
function firstSession(): string[][] {
  const section = DOC.slice(DOC.indexOf('## A first session'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/));
}

describe('@integration cli: the first session of docs/cli.md, as written', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  let folder: string;
  before(async () => {
    gw = await startTestGateway();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-first-session-'));
    fs.symlinkSync(path.join(PROJECT_ROOT, 'schemas'), path.join(folder, 'schemas'));
  });
  after(async () => {
    await gw?.dispose();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it('sends the example, proves entry 0 and receives the document', async () => {
    const lines = firstSession();
    expect(lines.map((l) => l.slice(0, 3).join(' '))).to.deep.equal(['npx passerelle send', 'npx passerelle audit', 'npx passerelle consume']);
    const env = {
      PASSERELLE_CERTS_DIR: EXAMPLE_CERTS,
      PASSERELLE_DATA_DIR: path.join(folder, 'data'),
      PASSERELLE_PORT: String(gw.port),
      PASSERELLE_AMQP_PREFIX: gw.settings.amqpPrefix,
    };
    const results = [];
    for (const line of lines) {
      const result = await runCli(line.slice(2), env, 60_000, folder);
      expect(result.code, `${line.join(' ')}: ${result.stderr}`).to.equal(0);
      results.push(result);
    }
    const [sent, proved, consumed] = results;
    const receipt = JSON.parse(sent!.stdout) as { messageId: string; auditIndex: number };
    expect(receipt.auditIndex).to.equal(0);
    expect(proved!.stdout).to.include('"index": 0').and.include('inclusion proof verified');
    expect(proved!.stdout).to.include(`"messageId": "${receipt.messageId}"`);
    expect(consumed!.stderr).to.include('1 written');
    expect(fs.existsSync(path.join(folder, 'inbox', `${receipt.messageId}.json`))).to.equal(true);
  });
});
