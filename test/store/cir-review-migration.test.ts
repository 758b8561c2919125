/**
 * Migration 0006-cir-review-facts on a store written before it, on both engines: the facts already
 * there read back unchanged, and an end-of-CIR review accepted after it keeps its categories.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { factOf } from '../../src/stats/facts.js';
import { migrations } from '../../src/store/migrations.js';
import { openSqliteStore } from '../../src/store/open.js';
import type { GatewayStore } from '../../src/store/gateway-store.js';
import { createSchema, dropSchema, ENGINES, newMessage, openTestPgStore, PG_TEST_URL, SQLITE_FILE } from '../fixtures/store.js';

const REVIEW = '5e0c7a21-9b4d-4f3e-8a16-c2d9e7b1f034';
const review = newMessage({
  messageId: REVIEW,
  type: 'cir-review',
  recipient: 'france-travail-paris',
  facts: factOf(
    {
      header: { type: 'cir-review', sender: 'ofii-paris', recipient: 'france-travail-paris', sentAt: '2026-11-30T15:10:00Z' },
      body: {
        cir: { finalStatus: 'ACHEVE', endInterviewOn: '2026-11-30' },
        civicTraining: { status: 'TERMINEE', sessionsAttended: 4 },
        language: { prescribedCourse: 'A1_400H', levelReached: 'A2', certification: 'DELF_A2' },
        declaredSituation: 'EN_RECHERCHE',
        postCirOrientation: { decision: 'ORIENTATION', recipientType: 'FRANCE_TRAVAIL', pathway: 'EMPLOI' },
      },
    },
    '2026-12-01T09:00:00.000Z',
  ),
});

for (const engine of ENGINES) {
  describe(`store migration 0006-cir-review-facts (${engine})`, () => {
    it('upgrades a store written before it: its facts read back unchanged, and reviews are recorded after', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cir-review-migration-'));
      const schema = engine === 'postgresql' ? await createSchema() : undefined;
      const pool = schema === undefined ? undefined : new pg.Pool({ connectionString: PG_TEST_URL, options: `-c search_path=${schema}` });
      try {
        const all = migrations(engine === 'sqlite' ? { dialect: 'sqlite', schema: undefined } : { dialect: 'postgres', schema });
        const before = Object.fromEntries(Object.entries(all).filter(([name]) => name < '0006-cir-review-facts'));
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const db = new Kysely<any>({ dialect: pool === undefined ? new SqliteDialect({ database: new Database(path.join(dir, SQLITE_FILE)) }) : new PostgresDialect({ pool }) });
        const migrator = new Migrator({ db, provider: { getMigrations: async () => before }, ...(schema === undefined ? {} : { migrationTableSchema: schema }) });
        expect((await migrator.migrateToLatest()).error).to.equal(undefined);
        await db
          .insertInto('stats_facts')
          .values({ message_id: 'o-1', month: '2026-11', type: 'orientation', sender: 'ofii-paris', recipient: 'mission-locale-paris', permit_family: 'PROTECTION_INTERNATIONALE', language_level: 'A1', sent_on: '2026-11-02' })
          .execute();
        if (pool === undefined) await db.destroy();

        const store: GatewayStore = schema === undefined ? await openSqliteStore({ dataDir: dir }) : await openTestPgStore(dir, schema);
        try {
          await store.accept(review);
          const facts = await store.statisticsFacts();
          expect(facts[0]).to.deep.include({ messageId: 'o-1', month: '2026-11', type: 'orientation', sender: 'ofii-paris', recipient: 'mission-locale-paris', permitFamily: 'PROTECTION_INTERNATIONALE', languageLevel: 'A1', sentOn: '2026-11-02' });
          for (const key of ['finalStatus', 'levelReached', 'certified', 'declaredSituation', 'postCirOrientation']) expect(facts[0]).not.to.have.property(key);
          expect(facts[1]).to.deep.include({ messageId: REVIEW, finalStatus: 'ACHEVE', levelReached: 'A2', certified: true, declaredSituation: 'EN_RECHERCHE', postCirOrientation: 'FRANCE_TRAVAIL' });
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
