/**
 * The statistics component of the PostgreSQL store (see src/store/sqlite-stats.ts for what a row holds
 * and why no column identifies a person): one row per accepted message, inside its acceptance
 * transaction.
 */
import type pg from 'pg';
import type { StatisticsFact, StoredFact } from '../stats/facts.js';
import { run, type Queryable } from './pg-pool.js';
import { FACT_COLUMNS, factValues, toFact, type FactRow } from './stats-rows.js';

export const PG_STATS_MIGRATIONS: readonly string[] = [
  `CREATE TABLE stats_facts (
     seq                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     message_id             TEXT NOT NULL UNIQUE,
     month                  TEXT NOT NULL,
     type                   TEXT NOT NULL,
     sender                 TEXT NOT NULL,
     recipient              TEXT NOT NULL,
     permit_family          TEXT,
     language_level         TEXT,
     sent_on                TEXT,
     answers                TEXT,
     acknowledgement_status TEXT,
     event_type             TEXT,
     days_from_orientation  INTEGER
   );
   CREATE INDEX stats_facts_answers ON stats_facts (answers);`,
];

const PLACEHOLDERS = Array.from({ length: FACT_COLUMNS.split(',').length }, (_, i) => `$${i + 1}`).join(', ');

export class PgStatistics {
  constructor(private readonly pool: pg.Pool) {}

  /** Called inside the acceptance transaction of the message (or on its own, by tests). */
  async record(messageId: string, fact: StatisticsFact, db: Queryable = this.pool): Promise<void> {
    const answered = fact.effectiveOn !== undefined && fact.answers !== undefined
      ? (await db.query<{ sent_on: string | null }>("SELECT sent_on FROM stats_facts WHERE message_id = $1 AND type = 'orientation'", [fact.answers])).rows[0]
      : undefined;
    await db.query(`INSERT INTO stats_facts (${FACT_COLUMNS}) VALUES (${PLACEHOLDERS})`, factValues(messageId, fact, answered?.sent_on));
  }

  /** Every fact, in order of acceptance. */
  async facts(): Promise<StoredFact[]> {
    return (await run<FactRow>(this.pool, 'SELECT * FROM stats_facts ORDER BY seq')).map(toFact);
  }
}
