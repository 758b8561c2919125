/**
 * The verifiable exchange log through a real gateway (SQLite, RabbitMQ, mutual TLS): checkpoints
 * checked with GnuPG and jq as docs/auditor.md tells auditors, proofs checked with the pure verifier, the
 * role scoping of every endpoint, cosignatures, and tampering with the SQLite file caught by the real
 * `passerelle audit` command.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { SQLITE_FILE } from '../fixtures/store.js';
import canonicalize from 'canonicalize';
import { expect } from 'chai';
import { checkpointBytes, type PublishedCheckpoint } from '../../src/audit/checkpoint.js';
import { verifyConsistency } from '../../src/audit/merkle.js';
import { verifyEntries, verifyEntryInclusion, type ExportedEntry } from '../../src/audit/verify.js';
import { requestGateway, type HttpAnswer } from '../../src/client/gateway-client.js';
import { GatewayError } from '../../src/domain/errors.js';
import { GnupgHome, validSignatures } from '../fixtures/gpg.js';
import { runCli as cli } from '../fixtures/cli.js';
import { EXAMPLE_CERTS, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { example, get, partner, send, type Json } from '../fixtures/partner.js';

const run = promisify(execFile);
const read = (...parts: string[]) => fs.readFileSync(path.join(EXAMPLE_CERTS, ...parts), 'utf8');

async function post(baseUrl: string, as: string, pathname: string, body?: string, contentType?: string): Promise<HttpAnswer> {
  const view = await partner(as);
  return requestGateway({ baseUrl, tls: view.tls, method: 'POST', path: pathname, ...(body === undefined ? {} : { body, contentType: contentType ?? 'application/json' }) });
}

function expectProblem(answer: HttpAnswer, status: number, code: string): void {
  expect(answer.status, JSON.stringify(answer.body)).to.equal(status);
  expect(answer.contentType).to.match(/^application\/problem\+json/);
  expect((answer.body as Json)['code']).to.equal(code);
}

function names(entry: Json, id: string): boolean {
  return entry['sender'] === id || entry['recipient'] === id;
}

describe('@integration audit log: checkpoints, proofs, roles, cosignatures, tampering', function () {
  this.timeout(180_000);
  let gw: TestGateway;
  let work: string;
  let gpg: GnupgHome;
  let env: Record<string, string>;
  let gatewayFingerprint: string;

  async function sendAndSettle(documents: Json[]): Promise<void> {
    for (const document of documents) expect((await send(gw.baseUrl, 'ofii-paris', document)).status).to.equal(202);
    // The relay appends a `queued` entry per message: wait until the log stops growing for these.
    await eventually(async () => {
      const statuses = await Promise.all(documents.map((d) => gw.store.findMessage(d['header']['messageId'] as string)));
      return statuses.every((m) => m?.status === 'queued') ? true : undefined;
    });
  }

  async function checkpointAs(as: string): Promise<PublishedCheckpoint> {
    const answer = await get(gw.baseUrl, as, '/v1/audit/checkpoint');
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    return answer.body as PublishedCheckpoint;
  }

  async function entriesAs(as: string, query = ''): Promise<ExportedEntry[]> {
    const answer = await get(gw.baseUrl, as, `/v1/audit/entries${query}`);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    return (answer.body as { entries: ExportedEntry[] }).entries;
  }

  before(async () => {
    gw = await startTestGateway();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-audit-'));
    gpg = await GnupgHome.create();
    await gpg.importKeys(read('gateway', 'openpgp.asc'), read('partners', 'auditor', 'openpgp.key.asc'), read('partners', 'ofii-paris', 'openpgp.key.asc'));
    gatewayFingerprint = gw.trust.gateway.fingerprint.toUpperCase();
    env = {
      PASSERELLE_CERTS_DIR: EXAMPLE_CERTS,
      PASSERELLE_DATA_DIR: path.join(work, 'auditor-state'),
      PASSERELLE_PORT: String(gw.port),
    };
    await sendAndSettle([
      example('orientation'),
      example('orientation', { recipient: 'france-travail-paris' }),
      example('orientation'),
      example('orientation', { recipient: 'france-travail-paris' }),
    ]);
    // A refusal is an entry too: OFII's key signing as another partner's certificate.
    const forged = await send(gw.baseUrl, 'ofii-paris', example('orientation', { sender: 'france-travail-paris' }));
    expect(forged.status).to.equal(403);
  });

  after(async () => {
    await gw?.dispose();
    await gpg?.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('signs a checkpoint that GnuPG verifies over the bytes jq makes, and that covers every entry', async () => {
    const checkpoint = await checkpointAs('auditor');
    expect(checkpoint.treeSize).to.equal(await gw.store.auditSize());
    expect(checkpoint.rootHash).to.match(/^[0-9a-f]{64}$/);
    expect(checkpoint.cosignatures).to.deep.equal([]);

    fs.writeFileSync(path.join(work, 'checkpoint.json'), JSON.stringify(checkpoint));
    const { stdout: bytes } = await run('jq', ['-cj', '{rootHash, timestamp, treeSize}', path.join(work, 'checkpoint.json')]);
    expect(bytes).to.equal(canonicalize({ treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, timestamp: checkpoint.timestamp }));
    expect(Buffer.from(bytes)).to.deep.equal(Buffer.from(checkpointBytes(checkpoint)));
    fs.writeFileSync(path.join(work, 'checkpoint.bytes'), bytes);
    fs.writeFileSync(path.join(work, 'checkpoint.asc'), checkpoint.signature);
    const verified = await gpg.run(['--verify', path.join(work, 'checkpoint.asc'), path.join(work, 'checkpoint.bytes')]);
    expect(validSignatures(verified.status).map((s) => s.primaryFingerprint)).to.deep.equal([gatewayFingerprint]);

    fs.writeFileSync(path.join(work, 'altered.bytes'), bytes.replace(`"treeSize":${checkpoint.treeSize}`, `"treeSize":${checkpoint.treeSize + 1}`));
    const refused = await gpg.run(['--verify', path.join(work, 'checkpoint.asc'), path.join(work, 'altered.bytes')], { allowFailure: true });
    expect(refused.code).to.not.equal(0);
    expect(validSignatures(refused.status)).to.deep.equal([]);

    // The same checkpoint again while the log did not grow: a checkpoint is a commitment, not a clock.
    expect(await checkpointAs('france-travail-paris')).to.deep.equal(checkpoint);
  });

  it('gives the auditor every entry, each with a verifying inclusion proof, and the entries recompute the root', async () => {
    const checkpoint = await checkpointAs('auditor');
    const entries = await entriesAs('auditor');
    expect(entries.map((e) => e.index)).to.deep.equal([...Array(checkpoint.treeSize).keys()]);
    expect(entries.map((e) => e['event'])).to.include.members(['accepted', 'queued', 'rejected']);
    verifyEntries(entries, checkpoint);
    for (const entry of entries) {
      const proof = await get(gw.baseUrl, 'auditor', `/v1/audit/proofs/inclusion?index=${entry.index}&treeSize=${checkpoint.treeSize}`);
      expect(proof.status).to.equal(200);
      expect(proof.body).to.include({ index: entry.index, treeSize: checkpoint.treeSize, leafHash: entry.leafHash });
      verifyEntryInclusion({ entry, proof: proof.body, checkpoint });
    }
    expect(await entriesAs('auditor', '?start=2&end=4')).to.deep.equal(entries.slice(2, 4));
  });

  it('proves that the log only grew between two checkpoints, and only the auditor asks for one', async () => {
    const first = await checkpointAs('auditor');
    await sendAndSettle([example('orientation'), example('orientation', { recipient: 'france-travail-paris' })]);
    expectProblem(await post(gw.baseUrl, 'france-travail-paris', '/v1/audit/checkpoint'), 403, 'forbidden');
    const made = await post(gw.baseUrl, 'auditor', '/v1/audit/checkpoint');
    expect(made.status).to.equal(201);
    const second = made.body as PublishedCheckpoint;
    expect(second.treeSize).to.equal(first.treeSize + 4);
    expect((await post(gw.baseUrl, 'auditor', '/v1/audit/checkpoint')).status, 'nothing new to sign').to.equal(200);
    expect(await checkpointAs('ofii-paris')).to.deep.equal(second);

    for (const as of ['auditor', 'mission-locale-paris']) {
      const answer = await get(gw.baseUrl, as, `/v1/audit/proofs/consistency?first=${first.treeSize}&second=${second.treeSize}`);
      expect(answer.status).to.equal(200);
      const { proof } = answer.body as { proof: string[] };
      expect(answer.body).to.include({ first: first.treeSize, second: second.treeSize });
      verifyConsistency({ first: first.treeSize, second: second.treeSize, firstHash: first.rootHash, secondHash: second.rootHash, proof });
      expect(() => verifyConsistency({ first: first.treeSize, second: second.treeSize, firstHash: second.rootHash, secondHash: first.rootHash, proof })).to.throw(GatewayError);
    }
  });

  it('shows an agency only the entries that name it, with proofs, and nothing of the others', async () => {
    const checkpoint = await checkpointAs('auditor');
    const all = await entriesAs('auditor');
    const own = await entriesAs('france-travail-paris');
    expect(own.length).to.be.greaterThan(0);
    expect(own).to.deep.equal(all.filter((e) => names(e, 'france-travail-paris')));
    for (const entry of own) {
      const proof = await get(gw.baseUrl, 'france-travail-paris', `/v1/audit/proofs/inclusion?index=${entry.index}&treeSize=${checkpoint.treeSize}`);
      verifyEntryInclusion({ entry, proof: proof.body, checkpoint });
    }
    const other = all.find((e) => !names(e, 'france-travail-paris'))!;
    expectProblem(await get(gw.baseUrl, 'france-travail-paris', `/v1/audit/proofs/inclusion?index=${other.index}&treeSize=${checkpoint.treeSize}`), 404, 'not_found');
    expect(await entriesAs('france-travail-paris', `?start=${other.index}&end=${other.index + 1}`)).to.deep.equal([]);
  });

  it('refuses the statistics role everything, and bad parameters with 400', async () => {
    for (const pathname of ['/v1/audit/entries', '/v1/audit/checkpoint', '/v1/audit/proofs/inclusion?index=0&treeSize=1', '/v1/audit/proofs/consistency?first=1&second=2']) {
      expectProblem(await get(gw.baseUrl, 'prefecture-paris', pathname), 403, 'forbidden');
    }
    expectProblem(await post(gw.baseUrl, 'prefecture-paris', '/v1/audit/checkpoint'), 403, 'forbidden');
    const size = await gw.store.auditSize();
    for (const pathname of [
      '/v1/audit/entries?start=abc',
      '/v1/audit/entries?start=5&end=2',
      '/v1/audit/entries?start=1&start=2',
      '/v1/audit/proofs/inclusion?index=0',
      `/v1/audit/proofs/inclusion?index=0&treeSize=${size + 1}`,
      '/v1/audit/proofs/inclusion?index=3&treeSize=3',
      '/v1/audit/proofs/consistency?first=3&second=2',
      '/v1/audit/proofs/consistency?first=-1&second=2',
    ]) {
      expectProblem(await get(gw.baseUrl, 'auditor', pathname), 400, 'bad_request');
    }
    expectProblem(await post(gw.baseUrl, 'auditor', '/v1/audit/entries'), 405, 'method_not_allowed');
  });

  it('keeps a cosignature by the auditor, returns it with the checkpoint, and refuses one by another key', async () => {
    const checkpoint = await checkpointAs('auditor');
    fs.writeFileSync(path.join(work, 'cosign.bytes'), checkpointBytes(checkpoint));
    const sign = async (user: string) =>
      (await gpg.run(['--armor', '--detach-sign', '--local-user', user, '--output', '-', path.join(work, 'cosign.bytes')])).stdout.toString('utf8');

    const byOfii = await sign('ofii-paris@passerelle.example');
    expectProblem(await post(gw.baseUrl, 'auditor', '/v1/audit/checkpoint/cosignatures', JSON.stringify({ treeSize: checkpoint.treeSize, signature: byOfii })), 400, 'signature_invalid');
    const byAuditor = await sign('auditor@passerelle.example');
    expectProblem(await post(gw.baseUrl, 'auditor', `/v1/audit/checkpoint/cosignatures?treeSize=${checkpoint.treeSize + 1}`, byAuditor, 'application/pgp-signature'), 404, 'not_found');

    const stored = await post(gw.baseUrl, 'auditor', `/v1/audit/checkpoint/cosignatures?treeSize=${checkpoint.treeSize}`, byAuditor, 'application/pgp-signature');
    expect(stored.status, JSON.stringify(stored.body)).to.equal(201);
    expect(stored.body).to.include({ treeSize: checkpoint.treeSize, partner: 'auditor', signature: byAuditor });
    const published = await checkpointAs('mission-locale-paris');
    expect(published.cosignatures.map((c) => ({ partner: c.partner, signature: c.signature }))).to.deep.equal([{ partner: 'auditor', signature: byAuditor }]);
    expectProblem(await post(gw.baseUrl, 'prefecture-paris', `/v1/audit/checkpoint/cosignatures?treeSize=${checkpoint.treeSize}`, byAuditor, 'application/pgp-signature'), 403, 'forbidden');
    expectProblem(await post(gw.baseUrl, 'ofii-paris', `/v1/audit/checkpoint/cosignatures?treeSize=${checkpoint.treeSize}`, 'x'.repeat(65 * 1024), 'application/pgp-signature'), 413, 'payload_too_large');
  });

  it('passerelle audit: export and verify, verify --live twice, prove; then a changed SQLite row is named by its index', async () => {
    const exportFile = path.join(work, 'export.json');
    const exported = await cli(['audit', 'export', '--out', exportFile], env);
    expect(exported.code, exported.stderr).to.equal(0);
    const verified = await cli(['audit', 'verify', '--export', exportFile], env);
    expect(verified.code, verified.stderr).to.equal(0);
    expect(verified.stdout).to.match(/entries verified/);

    const firstLive = await cli(['audit', 'verify', '--live'], env);
    expect(firstLive.code, firstLive.stderr).to.equal(0);
    expect(firstLive.stdout).to.include('no earlier checkpoint');
    await sendAndSettle([example('orientation')]);
    const requested = await cli(['audit', 'checkpoint'], env);
    expect(requested.code, requested.stderr).to.equal(0);
    const secondLive = await cli(['audit', 'verify', '--live'], env);
    expect(secondLive.code, secondLive.stderr).to.equal(0);
    expect(secondLive.stdout).to.include('consistency proof verified');

    const [ownEntry] = await gw.store.readAuditEntriesNaming('mission-locale-paris', 0, Number.MAX_SAFE_INTEGER, 1);
    const proved = await cli(['audit', 'prove', '--index', String(ownEntry!.index), '--as', 'mission-locale-paris'], env);
    expect(proved.code, proved.stderr).to.equal(0);
    expect(proved.stdout).to.include('inclusion proof verified');

    // The operator (or an intruder) changes one stored entry in the SQLite file.
    const target = 3;
    const db = new Database(path.join(gw.settings.dataDir, SQLITE_FILE));
    try {
      const changed = db.prepare("UPDATE audit_log SET entry = json_set(entry, '$.recipient', 'cap-emploi-75') WHERE idx = ?").run(target);
      expect(changed.changes).to.equal(1);
    } finally {
      db.close();
    }

    const tamperedExport = path.join(work, 'tampered.json');
    expect((await cli(['audit', 'export', '--out', tamperedExport], env)).code).to.equal(0);
    const offline = await cli(['audit', 'verify', '--export', tamperedExport], env);
    expect(offline.code).to.equal(1);
    expect(offline.stderr).to.include(`Entry ${target} was modified`);
    const live = await cli(['audit', 'verify', '--live'], env);
    expect(live.code).to.equal(1);
    expect(live.stderr).to.include(`Entry ${target} was modified`);
    const prove = await cli(['audit', 'prove', '--index', String(target)], env);
    expect(prove.code).to.equal(1);
    expect(prove.stderr).to.include(`Entry ${target} was modified`);
    // The export made before the change still verifies: the checkpoint it holds commits to the original.
    expect((await cli(['audit', 'verify', '--export', exportFile], env)).code).to.equal(0);
  });
});

describe('@integration audit log: periodic checkpoints', function () {
  this.timeout(60_000);
  let gw: TestGateway;

  before(async () => {
    gw = await startTestGateway({ PASSERELLE_CHECKPOINT_INTERVAL_SECONDS: '1' });
  });
  after(async () => {
    await gw?.dispose();
  });

  it('signs a new checkpoint by itself once the log grew', async () => {
    const first = (await get(gw.baseUrl, 'auditor', '/v1/audit/checkpoint')).body as PublishedCheckpoint;
    expect((await send(gw.baseUrl, 'ofii-paris', example('orientation'))).status).to.equal(202);
    const later = await eventually(async () => {
      const latest = await gw.store.latestCheckpoint();
      return latest && latest.treeSize > first.treeSize ? latest : undefined;
    }, 10_000);
    const answer = await get(gw.baseUrl, 'auditor', `/v1/audit/proofs/consistency?first=${first.treeSize}&second=${later.treeSize}`);
    verifyConsistency({ first: first.treeSize, second: later.treeSize, firstHash: first.rootHash, secondHash: later.rootHash, proof: (answer.body as { proof: string[] }).proof });
  });
});
