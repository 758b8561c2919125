/**
 * `passerelle audit verify --export` offline, as the auditor runs it on a machine without the gateway:
 * an export signed with the example gateway key, verified, then tampered with.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { signCheckpoint } from '../../src/audit/checkpoint.js';
import { entryBytes, leafHash, toEntry } from '../../src/audit/entry.js';
import { rootOf } from '../../src/audit/merkle.js';
import { EXPORT_FORMAT, type AuditExport, type ExportedEntry } from '../../src/audit/verify.js';
import { readPrivateKey } from '../../src/crypto/keys.js';
import { runCli } from '../fixtures/cli.js';
import { EXAMPLE_CERTS, PROJECT_ROOT } from '../fixtures/gateway.js';

const run = promisify(execFile);

describe('cli: passerelle audit (offline)', function () {
  this.timeout(60_000);
  let work: string;
  let env: Record<string, string>;
  let good: AuditExport;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-cli-audit-'));
    env = { PASSERELLE_CERTS_DIR: EXAMPLE_CERTS, PASSERELLE_DATA_DIR: path.join(work, 'data') };
    const entries: ExportedEntry[] = Array.from({ length: 5 }, (_, i) => {
      const entry = toEntry(i, { event: 'rejected', timestamp: `2026-11-27T09:00:0${i}.000Z`, sender: 'ofii-paris', code: 'stale_message' });
      return { ...entry, leafHash: leafHash(entryBytes(entry)) } as ExportedEntry;
    });
    const key = await readPrivateKey({ armored: fs.readFileSync(path.join(EXAMPLE_CERTS, 'gateway', 'openpgp.key.asc'), 'utf8'), source: 'gateway key' });
    const checkpoint = await signCheckpoint({ treeSize: 5, rootHash: rootOf(entries.map((e) => e.leafHash)), timestamp: '2026-11-27T09:01:00.000Z' }, key);
    good = { format: EXPORT_FORMAT, exportedAt: '2026-11-27T09:02:00.000Z', checkpoint: { ...checkpoint, cosignatures: [] }, entries };
  });
  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  function write(name: string, data: unknown): string {
    const file = path.join(work, name);
    fs.writeFileSync(file, JSON.stringify(data));
    return file;
  }

  it('verifies an untouched export with the gateway key of the trust directory and prints a summary', async () => {
    const result = await runCli(['audit', 'verify', '--export', write('good.json', good)], env);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.include('checkpoint of 5 entries').and.include('5 entries verified (rejected 5)');
  });

  it('exits 1 naming the first bad index of a tampered export', async () => {
    const tampered = { ...good, entries: good.entries.map((e) => (e.index === 2 ? { ...e, code: 'schema_invalid' } : e)) };
    const result = await runCli(['audit', 'verify', '--export', write('tampered.json', tampered)], env);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/^passerelle: Entry 2 was modified/);
  });

  it('exits 1 when the checkpoint is not signed by the key given with --gateway-key', async () => {
    const result = await runCli(['audit', 'verify', '--export', write('good.json', good), '--gateway-key', path.join(EXAMPLE_CERTS, 'partners', 'ofii-paris', 'openpgp.asc')], env);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('signature of the checkpoint');
  });

  it('--json prints the summary as one JSON document', async () => {
    const result = await runCli(['audit', 'verify', '--export', write('good.json', good), '--json'], env);
    expect(result.code, result.stderr).to.equal(0);
    expect(JSON.parse(result.stdout)).to.include({ treeSize: 5, verified: true });
  });

  it('shows a progress bar while verifying a large export on a terminal, and never when piped', async () => {
    const size = 3000;
    const entries: ExportedEntry[] = Array.from({ length: size }, (_, i) => {
      const entry = toEntry(i, { event: 'rejected', timestamp: '2026-11-27T09:00:00.000Z', sender: 'ofii-paris', code: 'stale_message' });
      return { ...entry, leafHash: leafHash(entryBytes(entry)) } as ExportedEntry;
    });
    const key = await readPrivateKey({ armored: fs.readFileSync(path.join(EXAMPLE_CERTS, 'gateway', 'openpgp.key.asc'), 'utf8'), source: 'gateway key' });
    const checkpoint = await signCheckpoint({ treeSize: size, rootHash: rootOf(entries.map((e) => e.leafHash)), timestamp: '2026-11-27T09:01:00.000Z' }, key);
    const file = write('large.json', { format: EXPORT_FORMAT, exportedAt: '2026-11-27T09:02:00.000Z', checkpoint: { ...checkpoint, cosignatures: [] }, entries });

    // script(1) gives the command a terminal, as a person at a prompt has.
    const cli = path.join(PROJECT_ROOT, 'bin', 'passerelle.js');
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} audit verify --export ${JSON.stringify(file)}`;
    const onTerminal = await run('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env['PATH'] ?? '', TERM: 'xterm', ...env }, timeout: 60_000 });
    expect(onTerminal.stdout).to.include('verifying entries').and.include(`${size}/${size}`).and.include(`${size} entries verified`);

    const piped = await runCli(['audit', 'verify', '--export', file], env);
    expect(piped.code, piped.stderr).to.equal(0);
    expect(piped.stdout + piped.stderr).not.to.include('verifying entries');
  });

  it('exits 2 with what was wrong and the usage on a wrong command line', async () => {
    const result = await runCli(['audit', 'verify'], env);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include('passerelle audit verify --export FILE');
  });
});
