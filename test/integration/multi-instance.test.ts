/**
 * Two gateway processes on one PostgreSQL database and one RabbitMQ prefix, as behind a load balancer
 * (deploy/multi-node): partners' requests are spread over both, one is killed with SIGKILL in the
 * middle of the traffic and started again later. Afterwards: every message answered 202 or 200 reached
 * its recipient (AMQP-level duplicates counted, the consumer hands each to the application once), the
 * audit log is one tree (indexes 0..n-1, each once, each entry canonical and hashing to its leaf, the
 * stored nodes giving the root of the leaves, the latest signed checkpoint verifying against them), and
 * a message sent to one gateway and then to the other is accepted once with one receipt.
 *
 * Each gateway has its own data directory with a copy of the first one's secrets, as on two hosts. After
 * the restart, 40 more messages go over both gateways.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { verifyCheckpoint } from '../../src/audit/checkpoint.js';
import { entryBytes, leafHash, type AuditEntry } from '../../src/audit/entry.js';
import { rootOf, treeRoot } from '../../src/audit/merkle.js';
import { verifyEntries, type ExportedEntry } from '../../src/audit/verify.js';
import { openPgStore } from '../../src/store/open.js';
import { consumeRecipient, FaultRun, GatewayProcess, Ledger, sealMessages, SENDER, sleep, waitUntil, type SealedMessage } from '../fixtures/faults.js';
import { partner, post } from '../fixtures/partner.js';
import { PG_TEST_URL, pgQuery } from '../fixtures/store.js';

/** A database of its own for the run, on the PostgreSQL test server. */
async function createDatabase(): Promise<{ name: string; url: string }> {
  const name = `passerelle_mi_${randomBytes(4).toString('hex')}`;
  await pgQuery(`CREATE DATABASE ${name}`);
  const url = new URL(PG_TEST_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

/** Two gateways behind a round-robin balancer that skips an instance that does not answer. */
class Cluster {
  readonly instances: Array<GatewayProcess | undefined> = [undefined, undefined];
  readonly dataDirs: string[];
  readonly kills: number[] = [];
  private turn = 0;

  constructor(
    readonly run: FaultRun,
    readonly databaseUrl: string,
  ) {
    this.dataDirs = [run.dataDir, fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-mi-second-'))];
  }

  async start(i: number): Promise<GatewayProcess> {
    const gateway = await GatewayProcess.spawn({ ...this.run.env, PASSERELLE_DATA_DIR: this.dataDirs[i]!, PASSERELLE_DATABASE_URL: this.databaseUrl });
    this.instances[i] = gateway;
    return gateway;
  }

  /** Instance 0 creates the secrets at its first start; instance 1 gets a copy, as an operator would deploy them. */
  copySecrets(): void {
    fs.cpSync(path.join(this.dataDirs[0]!, 'secrets'), path.join(this.dataDirs[1]!, 'secrets'), { recursive: true });
  }

  async kill(i: number): Promise<void> {
    const gateway = this.instances[i]!;
    this.instances[i] = undefined;
    const exit = await gateway.kill('SIGKILL');
    expect(exit.signal).to.equal('SIGKILL');
    this.kills.push(i);
  }

  /** The next live instance, round robin, and its number. */
  pick(): { gateway: GatewayProcess; index: number } | undefined {
    for (let tries = 0; tries < this.instances.length; tries++) {
      const index = this.turn++ % this.instances.length;
      const gateway = this.instances[index];
      if (gateway) return { gateway, index };
    }
    return undefined;
  }

  async dispose(): Promise<void> {
    for (let i = 0; i < this.instances.length; i++) if (this.instances[i]) await this.instances[i]!.kill('SIGKILL').catch(() => undefined);
    fs.rmSync(this.dataDirs[1]!, { recursive: true, force: true });
    await this.run.dispose();
  }
}

/**
 * Concurrent partners: each posts its next message to the instance the balancer picks, and sends the
 * same bytes again (to whichever instance is picked next) until it gets an answer that is not 503.
 */
async function traffic(cluster: Cluster, ledger: Ledger, messages: SealedMessage[], opts: { concurrency: number; deadline: number; served: number[] }): Promise<void> {
  const queue = [...messages];
  const worker = async (): Promise<void> => {
    for (let message = queue.shift(); message !== undefined; message = queue.shift()) {
      while (Date.now() < opts.deadline) {
        const picked = cluster.pick();
        if (!picked) {
          await sleep(50);
          continue;
        }
        try {
          const answer = await post(picked.gateway.baseUrl, SENDER, message.sealed);
          ledger.record(message.messageId, answer.status, answer.status >= 300 ? String((answer.body as { code?: unknown })?.code) : undefined);
          opts.served[picked.index] = (opts.served[picked.index] ?? 0) + 1;
          if (answer.status !== 503) break;
          await sleep(100);
        } catch (err) {
          ledger.record(message.messageId, 'no-answer', (err as NodeJS.ErrnoException).code ?? (err as Error).message);
          await sleep(20);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
}

interface PgState {
  messages: Map<string, string>;
  outbox: number;
  events: Map<string, Record<string, number>>;
  auditSize: number;
}

/** Reads the shared database: messages, outbox, and every audit entry checked for index, canonical form and leaf hash. */
async function readDatabase(url: string): Promise<PgState> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const messages = new Map<string, string>();
    for (const row of (await client.query<{ message_id: string; status: string }>('SELECT message_id, status FROM messages')).rows) messages.set(row.message_id, row.status);
    const outbox = Number((await client.query<{ n: string }>('SELECT COUNT(*) AS n FROM outbox')).rows[0]!.n);
    const rows = (await client.query<{ idx: string; entry: string; leaf_hash: string }>('SELECT idx, entry, leaf_hash FROM audit_log ORDER BY idx')).rows;
    expect(rows.map((r) => Number(r.idx)), 'audit indexes: 0 to n-1, each once').to.deep.equal(rows.map((_, i) => i));
    const entries = rows.map((r) => JSON.parse(r.entry) as AuditEntry);
    expect(entries.map((e) => entryBytes(e).toString('utf8')), 'entries stored as their canonical bytes').to.deep.equal(rows.map((r) => r.entry));
    expect(entries.map((e) => leafHash(entryBytes(e))), 'leaf hashes recomputed from the entries').to.deep.equal(rows.map((r) => r.leaf_hash));
    const events = new Map<string, Record<string, number>>();
    for (const { messageId, event } of entries) {
      if (messageId === undefined) continue;
      events.set(messageId, { ...events.get(messageId), [event]: (events.get(messageId)?.[event] ?? 0) + 1 });
    }
    return { messages, outbox, events, auditSize: rows.length };
  } finally {
    await client.end();
  }
}

/** The log as an auditor verifies it, read through the store: tree from the stored nodes, latest signed checkpoint. */
async function verifyAuditLog(url: string, dataDir: string): Promise<{ treeSize: number; checkpointSize: number | undefined }> {
  const store = await openPgStore({ url, dataDir });
  try {
    const treeSize = await store.auditSize();
    const stored = await store.readAuditEntries(0, treeSize, treeSize);
    const entries: ExportedEntry[] = stored.map((e) => ({ ...(JSON.parse(e.entry) as Record<string, unknown>), index: e.index, leafHash: e.leafHash }));
    const rootHash = await treeRoot({ node: (level, index) => store.auditNode(level, index) }, treeSize);
    expect(rootHash, 'root from the stored nodes = root of the leaves').to.equal(rootOf(stored.map((e) => e.leafHash)));
    verifyEntries(entries, { treeSize, rootHash, timestamp: new Date().toISOString() });
    const latest = await store.latestCheckpoint();
    if (latest) verifyEntries(entries.slice(0, latest.treeSize), await verifyCheckpoint(latest, (await partner(SENDER)).gatewayKeys));
    return { treeSize, checkpointSize: latest?.treeSize };
  } finally {
    await store.close();
  }
}

describe('@integration two gateways on one PostgreSQL database and one broker, one killed under traffic', function () {
  this.timeout(300_000);
  let database: { name: string; url: string } | undefined;
  let cluster: Cluster | undefined;

  afterEach(async () => {
    await cluster?.dispose();
    if (database) await pgQuery(`DROP DATABASE IF EXISTS ${database.name} WITH (FORCE)`);
    cluster = undefined;
    database = undefined;
  });

  it('loses nothing, keeps one valid audit tree and one receipt per message across instances', async () => {
    database = await createDatabase();
    const run = new FaultRun({ name: 'two instances' });
    cluster = new Cluster(run, database.url);
    await cluster.start(0);
    cluster.copySecrets();
    await cluster.start(1);

    // Idempotency across instances: the same bytes to the first, then to the second.
    const [probeMessage, raced] = await sealMessages(2);
    const first = await post(cluster.instances[0]!.baseUrl, SENDER, probeMessage!.sealed);
    // The receipt is kept after the answer leaves (src/app/ingest.ts): a retry compares once it is.
    await waitUntil(
      'the first receipt is kept',
      async () => ((await pgQuery<{ receipt: string | null }>('SELECT receipt FROM messages WHERE message_id = $1', [probeMessage!.messageId], undefined, database!.url))[0]?.receipt ? true : undefined),
      10_000,
      20,
    );
    const again = await post(cluster.instances[1]!.baseUrl, SENDER, probeMessage!.sealed);
    expect([first.status, again.status]).to.deep.equal([202, 200]);
    expect(again.body, 'the second instance answers the first one\'s receipt').to.deep.equal(first.body);
    // And at the same moment to both: accepted once, the other answered as a retry of the same acceptance.
    const both = await Promise.all([post(cluster.instances[0]!.baseUrl, SENDER, raced!.sealed), post(cluster.instances[1]!.baseUrl, SENDER, raced!.sealed)]);
    expect(both.map((a) => a.status).sort()).to.deep.equal([200, 202]);
    const fields = (a: { body: unknown }) => {
      const { receipt: _receipt, ...rest } = a.body as Record<string, unknown>;
      return rest;
    };
    expect(fields(both[0]!)).to.deep.equal(fields(both[1]!));

    const count = 240;
    const messages = await sealMessages(count);
    const ledger = new Ledger();
    const served: number[] = [0, 0];
    const sending = traffic(cluster, ledger, messages, { concurrency: 8, deadline: Date.now() + 180_000, served });
    await waitUntil('answers before the kill', () => (ledger.answered() >= count * 0.3 ? true : undefined), 120_000, 5);
    await sleep(Math.random() * 30);
    await cluster.kill(1);
    const servedAtKill = [...served];
    // The survivor alone for a while, then the killed instance back (a start takes seconds: early enough to take traffic again).
    await waitUntil('answers before the restart', () => (ledger.answered() >= count * 0.45 ? true : undefined), 120_000, 5);
    const servedAtRestart = [...served];
    await cluster.start(1);
    await sending;
    // Then traffic again over both, the restarted one included (its start may outlast the first batch).
    const afterRestart = await sealMessages(40);
    await traffic(cluster, ledger, afterRestart, { concurrency: 8, deadline: Date.now() + 120_000, served });

    // Every row leaves the outbox: the survivors' relays take the killed one's leases once they expire.
    await waitUntil(
      'the shared outbox drains',
      async () => ((await readDatabase(database!.url)).outbox === 0 ? true : undefined),
      90_000,
      250,
    );
    const consumed = await consumeRecipient(run);
    for (const i of [0, 1]) {
      const exit = await cluster.instances[i]!.kill('SIGTERM');
      cluster.instances[i] = undefined;
      expect(exit, `instance ${i} stops cleanly`).to.deep.equal({ code: 0, signal: null });
    }

    const accepted: string[] = [];
    let answeredOnRetry = 0;
    let noAnswer = 0;
    for (const outcome of ledger.outcomes.values()) {
      const final = ledger.final(outcome.messageId);
      expect(outcome.answers, `answers to ${outcome.messageId}`).not.to.include(409);
      expect([200, 202], `final answer to ${outcome.messageId} (${outcome.codes.join(', ')})`).to.include(final);
      accepted.push(outcome.messageId);
      if (!outcome.answers.includes(202)) answeredOnRetry += 1;
      noAnswer += outcome.answers.filter((a) => a === 'no-answer').length;
    }
    const delivered = new Set(consumed.written.keys());
    const lost = accepted.filter((id) => !delivered.has(id));
    for (const [id, times] of consumed.written) expect(times, `message ${id} handed to the application`).to.equal(1);
    let duplicates = 0;
    for (const n of consumed.duplicates.values()) duplicates += n;

    const state = await readDatabase(database.url);
    for (const id of [...accepted, probeMessage!.messageId, raced!.messageId]) {
      expect(state.messages.get(id), `status of accepted message ${id}`).to.equal('queued');
      expect(state.events.get(id)?.['accepted'], `acceptances of ${id} in the audit log`).to.equal(1);
      expect(state.events.get(id)?.['queued'], `queued entries of ${id} in the audit log`).to.equal(1);
    }
    expect(state.outbox).to.equal(0);
    const audit = await verifyAuditLog(database.url, cluster.dataDirs[0]!);
    expect(audit.treeSize).to.equal(state.auditSize);

    console.log(
      `      two instances: sent ${ledger.outcomes.size}, accepted ${accepted.length}, delivered ${delivered.size}, AMQP-level duplicates ${duplicates}, lost ${lost.length} ` +
        `(answers by instance 0/1: ${servedAtKill.join('/')} before the kill, ${served.map((n, i) => n - servedAtRestart[i]!).join('/')} after the restart, ${served.join('/')} in all; accepted but answered only on retry ${answeredOnRetry}; attempts without answer ${noAnswer}; ` +
        `audit log verified: ${audit.treeSize} entries, one tree, signed checkpoint at ${audit.checkpointSize ?? 'none'})`,
    );
    expect(ledger.outcomes.size).to.equal(count + afterRestart.length);
    expect(accepted).to.have.length(count + afterRestart.length);
    expect(lost, 'messages answered 202 or 200 that never reached the recipient').to.deep.equal([]);
    expect(servedAtKill[1], 'the killed instance had taken traffic').to.be.greaterThan(0);
    expect(servedAtRestart[0]! - servedAtKill[0]!, 'the survivor took the traffic after the kill').to.be.greaterThan(0);
    expect(served[1]! - servedAtRestart[1]!, 'the restarted instance took traffic again').to.be.greaterThan(0);
  });
});
