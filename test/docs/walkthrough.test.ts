/**
 * The partner walk-through of docs/partner-integration.md, run as written: every ```sh block of its
 * section, in order, in one bash session, from a fresh working directory where `certs.example` and
 * `schemas` are reachable as the text says, against a real gateway on the address the text uses
 * (https://127.0.0.1:8443) and the local RabbitMQ. A block marked `<!-- not run -->` just before its
 * fence is skipped (for output that is only illustrative). Then the outcomes the text promises are
 * checked: OFII's 202 with a receipt GnuPG verifies, Mission Locale reading OFII's own signature on the
 * delivery, its acknowledgement accepted, and the orientation `acknowledged`. Then the same guide's
 * Sequoia section (a signature naming its intended recipients, sealed to both keys), and the auditor's check
 * of the same log with GnuPG, curl and jq alone (docs/auditor.md), on what the walk-through left in it.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { PROJECT_ROOT, startTestGateway, type TestGateway } from '../fixtures/gateway.js';

const GUIDE = path.join(PROJECT_ROOT, 'docs', 'partner-integration.md');
const SECTION = "## A partner's walk-through with GnuPG and curl only";
const SEQUOIA_SECTION = "## Senders whose signature names its recipients (Sequoia)";
const AUDITOR_GUIDE = path.join(PROJECT_ROOT, 'docs', 'auditor.md');
const AUDITOR_SECTION = '## With GnuPG, curl and jq alone';
const PORT = 8443;

/** The ```sh blocks of one `## ` section, in order, without those marked `<!-- not run -->`. */
export function shellBlocks(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const rest = markdown.slice(start + heading.length + 2);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  const blocks: string[] = [];
  const fence = /(<!-- not run -->\s*\n)?```sh\n([\s\S]*?)\n```/g;
  for (let match = fence.exec(section); match; match = fence.exec(section)) {
    if (match[1] === undefined) blocks.push(match[2]!);
  }
  return blocks;
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

interface Run {
  code: number | null;
  /** Output of each block, by its position among the blocks run. */
  stdout: string[];
  stderr: string[];
}

const MARK = '::walkthrough-block::';

async function runBlocks(name: string, blocks: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  const script = ['set -eo pipefail', ...blocks.flatMap((block) => [`echo ${MARK}; echo ${MARK} >&2`, block])].join('\n');
  fs.writeFileSync(path.join(cwd, `${name}.sh`), script);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [`${name}.sh`], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    // A block that waits for ever (a consumer with nothing to read) must fail the test, not hang it.
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const split = (text: string) => text.split(`${MARK}\n`).slice(1);
      resolve({ code, stdout: split(stdout), stderr: split(stderr) });
    });
  });
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

describe('docs: the partner walk-through runs as written @integration', function () {
  this.timeout(180_000);

  let gateway: TestGateway | undefined;
  let workDir: string;
  let run: Run;
  let blocks: string[];
  let sequoiaBlocks: string[];
  let auditorRun: Run;
  let auditorBlocks: string[];

  before(async () => {
    blocks = shellBlocks(fs.readFileSync(GUIDE, 'utf8'), SECTION);
    sequoiaBlocks = shellBlocks(fs.readFileSync(GUIDE, 'utf8'), SEQUOIA_SECTION);
    auditorBlocks = shellBlocks(fs.readFileSync(AUDITOR_GUIDE, 'utf8'), AUDITOR_SECTION);
    if (!(await portIsFree(PORT))) {
      throw new Error(
        `Port ${PORT} on 127.0.0.1 is in use, and the walk-through in docs/partner-integration.md talks to https://127.0.0.1:${PORT}: ` +
          'stop what listens there (another gateway: npm start, npx passerelle serve) and run this test again.',
      );
    }
    gateway = await startTestGateway({ PASSERELLE_PORT: String(PORT), PASSERELLE_LOG_LEVEL: 'info' });
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-walkthrough-'));
    fs.symlinkSync(path.join(PROJECT_ROOT, 'certs.example'), path.join(workDir, 'certs.example'));
    fs.symlinkSync(path.join(PROJECT_ROOT, 'schemas'), path.join(workDir, 'schemas'));
    // mktemp -d (the keyrings) lands inside the working directory, so that everything goes with it.
    fs.mkdirSync(path.join(workDir, 'tmp'));
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: path.join(workDir, 'tmp'), PASSERELLE_AMQP_PREFIX: gateway.settings.amqpPrefix };
    delete env['GNUPGHOME'];
    // The Sequoia section goes on in the reader's shell after the walk-through ($C, the documents).
    run = await runBlocks('walkthrough', [...blocks, ...sequoiaBlocks], workDir, env);
    auditorRun = await runBlocks('auditor', auditorBlocks, workDir, env);
  });

  after(async () => {
    if (workDir !== undefined) {
      // Each keyring started a gpg-agent: stop them before their folders go.
      const tmp = path.join(workDir, 'tmp');
      for (const home of fs.existsSync(tmp) ? fs.readdirSync(tmp) : []) {
        await promisify(execFile)('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: path.join(tmp, home) } }).catch(() => undefined);
      }
      fs.rmSync(workDir, { recursive: true, force: true });
    }
    await gateway?.dispose();
  });

  function failure(result: Run, ran: string[]): string {
    const index = result.stdout.length - 1;
    return `block ${index + 1} of ${ran.length} exited ${result.code}:\n${ran[index]}\n--- stdout\n${result.stdout[index] ?? ''}\n--- stderr\n${result.stderr[index] ?? ''}`;
  }

  it('every block runs to the end without an error', () => {
    expect(blocks.length, 'sh blocks in the walk-through').to.be.greaterThan(4);
    expect(sequoiaBlocks.length, 'sh blocks of the Sequoia section').to.be.greaterThan(0);
    const ran = [...blocks, ...sequoiaBlocks];
    expect(run.code, run.code === 0 ? '' : failure(run, ran)).to.equal(0);
    expect(run.stdout.length).to.equal(ran.length);
  });

  it("OFII's orientation is answered 202 with a receipt that gpg --verify finds good", () => {
    const answer = readJson(path.join(workDir, 'answer.json'));
    expect(answer['status']).to.equal('accepted');
    expect(answer['receipt']).to.be.a('string').and.to.contain('BEGIN PGP SIGNATURE');
    const posts = gateway!.logLines.filter((line) => line['message'] === 'request' && line['method'] === 'POST' && line['path'] === '/v1/messages');
    expect(posts.slice(0, 2).map((line) => line['status'])).to.deep.equal([202, 202]);
    expect(run.stderr.join('')).to.contain('Good signature from "Passerelle gateway');
  });

  it("Mission Locale reads the delivery and verifies OFII's own signature over it", async () => {
    const { stdout } = await promisify(execFile)('gpg', ['--show-keys', '--with-colons', path.join(PROJECT_ROOT, 'certs.example', 'partners', 'ofii-paris', 'openpgp.asc')]);
    const ofii = /^fpr:+([0-9A-F]{40}):/m.exec(stdout)![1]!;
    expect(fs.readFileSync(path.join(workDir, 'status.txt'), 'utf8')).to.match(new RegExp(`^\\[GNUPG:\\] VALIDSIG ${ofii} `, 'm'));
    const received = readJson(path.join(workDir, 'received.json'));
    const answer = readJson(path.join(workDir, 'answer.json'));
    expect(received['header']).to.include({ messageId: answer['messageId'], sender: 'ofii-paris', recipient: 'mission-locale-paris' });
    expect(run.stderr.join('')).to.contain('Good signature from "OFII');
  });

  it('the acknowledgement is accepted and the orientation becomes acknowledged, as OFII reads it', () => {
    const acknowledgement = readJson(path.join(workDir, 'acknowledgement-answer.json'));
    expect(acknowledgement['status']).to.equal('accepted');
    expect(acknowledgement['receipt']).to.be.a('string');
    const last = JSON.parse(run.stdout[blocks.length - 1]!) as Record<string, unknown>;
    const answer = readJson(path.join(workDir, 'answer.json'));
    expect(last).to.include({ messageId: answer['messageId'], status: 'acknowledged' });
    expect(last['acknowledgedAt']).to.be.a('string');
  });

  it('a message sealed by Sequoia to the gateway and the recipient, as the guide shows it, is accepted', () => {
    const answer = readJson(path.join(workDir, 'answer-sq.json'));
    expect(answer, JSON.stringify(answer)).to.include({ status: 'accepted' });
    expect(answer['receipt']).to.be.a('string');
  });

  it("the auditor's check with GnuPG, curl and jq alone runs as written: checkpoint signature good, leaf hash recomputed, cosignature kept", () => {
    expect(auditorBlocks.length, 'sh blocks of the auditor section').to.be.greaterThan(0);
    expect(auditorRun.code, auditorRun.code === 0 ? '' : failure(auditorRun, auditorBlocks)).to.equal(0);
    const output = auditorRun.stdout.join('');
    const [recomputed, stored] = output.split('\n').filter((line) => /^[0-9a-f]{64}$/.test(line));
    expect(recomputed, output).to.be.a('string');
    expect(recomputed).to.equal(stored);
    expect(auditorRun.stderr.join('')).to.contain('Good signature from "Passerelle gateway');
    const cosignatures = gateway!.logLines.filter((line) => line['message'] === 'request' && line['method'] === 'POST' && String(line['path']).startsWith('/v1/audit/checkpoint/cosignatures'));
    expect(cosignatures.map((line) => line['status'])).to.deep.equal([201]);
  });
});
