/**
 * The statistics component of the SQLite store: one row of categories per accepted message
 * (src/stats/facts.ts), written inside the acceptance transaction, so that the statistics count
 * exactly the accepted messages.
 *
 * No column identifies a person: no beneficiary reference, no pseudonym, no date of the person's
 * life. An answer points at the orientation it answers by message id; a status update keeps its delay
 * from that orientation in days, computed here, and not its effective date.
 */
import type Database from 'better-sqlite3';
import type { StatisticsFact, StoredFact } from '../stats/facts.js';
import { FACT_COLUMNS, factValues, toFact, type FactRow } from './stats-rows.js';

export const STATS_MIGRATIONS: readonly string[] = [
  `CREATE TABLE stats_facts (
     seq                    INTEGER PRIMARY KEY AUTOINCREMENT,
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
   ) STRICT;
   CREATE INDEX stats_facts_answers ON stats_facts (answers);`,
];

export class SqliteStatistics {
  constructor(private readonly db: Database.Database) {}

  /** Called inside the acceptance transaction of the message. */
  record(messageId: string, fact: StatisticsFact): void {
    const answered = fact.effectiveOn !== undefined && fact.answers !== undefined
      ? (this.db.prepare("SELECT sent_on FROM stats_facts WHERE message_id = ? AND type = 'orientation'").get(fact.answers) as { sent_on: string | null } | undefined)
      : undefined;
    this.db.prepare(`INSERT INTO stats_facts (${FACT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...factValues(messageId, fact, answered?.sent_on));
  }

  /** Every fact, in order of acceptance. */
  facts(): StoredFact[] {
    return (this.db.prepare('SELECT * FROM stats_facts ORDER BY seq').all() as FactRow[]).map(toFact);
  }
}
