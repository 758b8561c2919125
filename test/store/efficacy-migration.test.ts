/**
 * Migration 0010-efficacy-facts on a store written before it, on both engines: the facts already there
 * get what can be known without the documents (an orientation is its own cohort, an answer to an
 * orientation joins it), and nothing else.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrations } from '../../src/store/migrations.js';
import { openSqliteStore } from '../../src/store/open.js';
import type { GatewayStore } from '../../src/store/gateway-store.js';
import { createSchema, dropSchema, ENGINES, openTestPgStore, PG_TEST_URL, SQLITE_FILE } from '../fixtures/store.js';

for (const engine of ENGINES) {
  describe(`store migration 0010-efficacy-facts (${engine})`, () => {
    it('fills the cohort of the facts written before it from what they say, and leaves the new categories empty', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efficacy-migration-'));
      const schema = engine === 'postgresql' ? await createSchema() : undefined;
      const pool = schema === undefined ? undefined : new pg.Pool({ connectionString: PG_TEST_URL, options: `-c search_path=${schema}` });
      try {
        const all = migrations(engine === 'sqlite' ? { dialect: 'sqlite', schema: undefined } : { dialect: 'postgres', schema });
        const before = Object.fromEntries(Object.entries(all).filter(([name]) => name < '0010-efficacy-facts'));
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const db = new Kysely<any>({ dialect: pool === undefined ? new SqliteDialect({ database: new Database(path.join(dir, SQLITE_FILE)) }) : new PostgresDialect({ pool }) });
        const migrator = new Migrator({ db, provider: { getMigrations: async () => before }, ...(schema === undefined ? {} : { migrationTableSchema: schema }) });
        expect((await migrator.migrateToLatest()).error).to.equal(undefined);
        const fact = (messageId: string, type: string, answers: string | null, days: number | null = null) => ({ message_id: messageId, month: '2026-11', type, sender: 'x', recipient: 'y', answers, days_from_orientation: days });
        await db.insertInto('stats_facts').values([fact('o-1', 'orientation', null), fact('a-1', 'acknowledgement', 'o-1'), fact('s-1', 'status-update', 'o-1', 12), fact('r-1', 'referral', null), fact('s-2', 'status-update', 'r-1')]).execute();
        if (pool === undefined) await db.destroy();

        const store: GatewayStore = schema === undefined ? await openSqliteStore({ dataDir: dir }) : await openTestPgStore(dir, schema);
        try {
          const facts = new Map((await store.statisticsFacts()).map((f) => [f.messageId, f]));
          expect(facts.get('o-1')).to.include({ cohort: 'o-1' });
          expect(facts.get('a-1')).to.include({ cohort: 'o-1' });
          expect(facts.get('s-1')).to.include({ cohort: 'o-1', daysFromOrientation: 12 });
          // A referral and an answer to it name no orientation: no cohort can be known without the person.
          expect(facts.get('r-1')).not.to.have.property('cohort');
          expect(facts.get('s-2')).not.to.have.property('cohort');
          for (const f of facts.values()) for (const key of ['sex', 'ageBand', 'pathway', 'contractKind']) expect(f, `${f.messageId} ${key}`).not.to.have.property(key);
        } finally {
          await store.close();
        }
      } finally {
        await pool?.end();
        if (schema !== undefined) await dropSchema(schema);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
