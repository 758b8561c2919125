/**
 * The one migration list, on both engines: the same tables and columns on SQLite and PostgreSQL, and a
 * store written by Passerelle 0.1 (per-component migrations) adopted with its data, or refused with a
 * message saying what to do when it is not at 0.1's last schema.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { expect } from 'chai';
import { entryBytes, leafHash, toEntry, type AuditEvent } from '../../src/audit/entry.js';
import { hashChildren, rootOf, treeRoot } from '../../src/audit/merkle.js';
import { GatewayError } from '../../src/domain/errors.js';
import { subtreesCompletedBy } from '../../src/store/audit-log.js';
import { migrations } from '../../src/store/migrations.js';
import { openSqliteStore } from '../../src/store/open.js';
import { LEGACY_MIGRATIONS } from '../fixtures/legacy-store.js';
import {
  columnsOf,
  createSchema,
  disposeTempStore,
  dropSchema,
  ENGINES,
  newMessage,
  openTempStore,
  openTestPgStore,
  PG_TEST_URL,
  rawQuery,
  SQLITE_FILE,
  tablesOf,
  thrownBy,
  type Engine,
  type TempStore,
} from '../fixtures/store.js';

type Place = Pick<TempStore, 'engine' | 'dir' | 'schema'>;

async function schemaOf(place: Place): Promise<Record<string, string[]>> {
  const schema: Record<string, string[]> = {};
  for (const table of await tablesOf(place)) schema[table] = await columnsOf(place, table);
  return schema;
}

/** Runs statements on the store's database as Passerelle 0.1 did, outside any store of this version. */
async function legacyExec(place: Place, statements: string[], values: unknown[][] = []): Promise<void> {
  if (place.engine === 'sqlite') {
    const db = new Database(path.join(place.dir, SQLITE_FILE));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      statements.forEach((sql, i) => (values[i] === undefined ? db.exec(sql) : db.prepare(sql).run(...values[i]!)));
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: PG_TEST_URL, options: `-c search_path=${place.schema}` });
  await client.connect();
  try {
    for (const [i, sql] of statements.entries()) {
      let n = 0;
      await client.query(values[i] === undefined ? sql : sql.replace(/\?/g, () => `$${++n}`), values[i] ?? []);
    }
  } finally {
    await client.end();
  }
}

/** A 0.1 store at its last schema, holding one accepted message (in the outbox), three audit entries and a checkpoint. */
async function writeLegacyStore(place: Place): Promise<{ leaves: string[]; messageId: string }> {
  const strict = place.engine === 'sqlite' ? ' STRICT' : '';
  const statements = [`CREATE TABLE schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (component, version))${strict}`];
  const values: unknown[][] = [];
  for (const [component, steps] of Object.entries(LEGACY_MIGRATIONS[place.engine])) {
    steps.forEach((step, i) => {
      statements.push(step);
      values[statements.length] = [component, i + 1, '2026-11-01T00:00:00.000Z'];
      statements.push('INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)');
    });
  }
  // 0.1 built the tree of entries written before it at its next open; this store has none left to build.
  if (place.engine === 'sqlite') statements.push('DELETE FROM audit_tree_backfill');

  const message = newMessage();
  const events: AuditEvent[] = [
    { event: 'accepted', timestamp: message.acceptedAt, messageId: message.messageId, type: 'orientation', sender: 'ofii-paris', recipient: 'mission-locale-paris', beneficiary: message.beneficiary, payloadSha256: message.payloadSha256 },
    { event: 'rejected', timestamp: message.acceptedAt, sender: 'ofii-paris', code: 'schema_invalid' },
    { event: 'rejected', timestamp: message.acceptedAt, sender: 'france-travail-paris', code: 'stale_message' },
  ];
  const leaves: string[] = [];
  for (const [index, event] of events.entries()) {
    const bytes = entryBytes(toEntry(index, event));
    const leaf = leafHash(bytes);
    leaves.push(leaf);
    statements.push('INSERT INTO audit_log (idx, entry, leaf_hash) VALUES (?, ?, ?)');
    values[statements.length - 1] = [index, bytes.toString('utf8'), leaf];
    let hash = leaf;
    for (const node of subtreesCompletedBy(index)) {
      hash = hashChildren(leaves[2 * node.index]!, hash);
      statements.push('INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)');
      values[statements.length - 1] = [node.level, node.index, hash];
    }
    for (const partner of new Set([event.sender, event.recipient].filter((p): p is string => p !== undefined))) {
      statements.push('INSERT INTO audit_parties (partner, idx) VALUES (?, ?)');
      values[statements.length - 1] = [partner, index];
    }
  }
  statements.push(
    `INSERT INTO messages (message_id, type, version, sender, recipient, beneficiary, payload_sha256, status, audit_index, accepted_at) VALUES (?, 'orientation', 1, 'ofii-paris', 'mission-locale-paris', ?, ?, 'accepted', 0, ?)`,
  );
  values[statements.length - 1] = [message.messageId, message.beneficiary, message.payloadSha256, message.acceptedAt];
  statements.push('INSERT INTO outbox (message_id, body) VALUES (?, ?)');
  values[statements.length - 1] = [message.messageId, message.outboxBody];
  statements.push('INSERT INTO checkpoints (tree_size, root_hash, timestamp, signature) VALUES (?, ?, ?, ?)');
  values[statements.length - 1] = [3, rootOf(leaves), '2026-11-01T00:00:00.000Z', 'signed by 0.1'];
  await legacyExec(place, statements, values);
  return { leaves, messageId: message.messageId };
}

async function emptyPlace(engine: Engine): Promise<Place> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-legacy-'));
  return engine === 'sqlite' ? { engine, dir } : { engine, dir, schema: await createSchema() };
}

function openAt(place: Place) {
  return place.engine === 'sqlite' ? openSqliteStore({ dataDir: place.dir }) : openTestPgStore(place.dir, place.schema!);
}

async function removePlace(place: Place): Promise<void> {
  if (place.schema !== undefined) await dropSchema(place.schema);
  fs.rmSync(place.dir, { recursive: true, force: true });
}

describe('store migrations: one list for both engines', () => {
  it('creates the same tables with the same columns on SQLite and PostgreSQL', async () => {
    const [sqlite, postgres] = [await openTempStore('passerelle-schema-', 'sqlite'), await openTempStore('passerelle-schema-', 'postgresql')];
    try {
      const [a, b] = [await schemaOf(sqlite), await schemaOf(postgres)];
      expect(Object.keys(a)).to.include.members(['messages', 'outbox', 'audit_log', 'audit_nodes', 'subjects', 'dossier_documents', 'held_notices', 'stats_facts']);
      expect(a).to.deep.equal(b);
    } finally {
      await disposeTempStore(sqlite);
      await disposeTempStore(postgres);
    }
  });
});

for (const engine of ENGINES) {
  describe(`store migrations: a store written by Passerelle 0.1 (${engine})`, () => {
    let place: Place;
    beforeEach(async () => {
      place = await emptyPlace(engine);
    });
    afterEach(() => removePlace(place));

    it('is adopted with its messages, outbox, audit tree and checkpoints, and ends with the schema of a new store', async () => {
      const { leaves, messageId } = await writeLegacyStore(place);
      const store = await openAt(place);
      try {
        expect(await store.auditSize()).to.equal(3);
        expect(await treeRoot({ node: (level, index) => store.auditNode(level, index) }, 3)).to.equal(rootOf(leaves));
        expect(await store.latestCheckpoint()).to.include({ treeSize: 3, signature: 'signed by 0.1' });
        expect((await store.findMessage(messageId))?.status).to.equal('accepted');
        expect((await store.pendingOutbox(10)).map((e) => e.messageId)).to.deep.equal([messageId]);
        expect(await store.readAuditEntriesNaming('france-travail-paris', 0, 3, 10)).to.have.length(1);
        // The facets of the adopted entries were filled in from the entries: the filters see them.
        const aboutMessage = (await store.readAuditEntries(0, 3, 10)).filter((e) => (JSON.parse(e.entry) as { messageId?: string }).messageId === messageId);
        expect(aboutMessage).to.not.be.empty;
        expect(await store.findAuditEntries({ start: 0, end: 3, messageId }, 10)).to.deep.equal(aboutMessage);
        expect(await store.accept(newMessage({ messageId: '11111111-2222-4333-8444-555555555555' }))).to.deep.equal({ kind: 'accepted', auditIndex: 3 });
        await store.markQueued(messageId, new Date().toISOString());
        expect(await treeRoot({ node: (level, index) => store.auditNode(level, index) }, 5)).to.equal(rootOf((await store.readAuditEntries(0, 5, 5)).map((e) => e.leafHash)));
      } finally {
        await store.close();
      }
      const fresh = await openTempStore('passerelle-schema-', engine);
      try {
        expect(await schemaOf(place)).to.deep.equal(await schemaOf(fresh));
      } finally {
        await disposeTempStore(fresh);
      }
      expect((await rawQuery<{ name: string }>(place, 'SELECT name FROM kysely_migration ORDER BY name')).map((r) => r.name)).to.deep.equal(Object.keys(migrations({ dialect: 'sqlite', schema: undefined })).sort());
    });

    it('is refused, with what to do, when one of its components is not at 0.1\'s last schema', async () => {
      await writeLegacyStore(place);
      await legacyExec(place, ["DELETE FROM schema_migrations WHERE component = 'stats'"]);
      const thrown = await thrownBy(() => openAt(place));
      expect(thrown).to.be.instanceOf(GatewayError).with.property('code', 'store_unavailable');
      expect((thrown as GatewayError).message).to.include('Passerelle 0.1').and.include('stats').and.include('Open it once with Passerelle 0.1.0');
      // Nothing was changed: the refusal rolled the migration back.
      expect(await tablesOf(place)).to.include('schema_migrations');
    });
  });
}
