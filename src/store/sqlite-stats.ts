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
import { daysBetween, type StatisticsFact, type StoredFact } from '../stats/facts.js';

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

interface FactRow {
  seq: number;
  message_id: string;
  month: string;
  type: string;
  sender: string;
  recipient: string;
  permit_family: string | null;
  language_level: string | null;
  sent_on: string | null;
  answers: string | null;
  acknowledgement_status: string | null;
  event_type: string | null;
  days_from_orientation: number | null;
}

function toFact(row: FactRow): StoredFact {
  const fact: StoredFact = { seq: row.seq, messageId: row.message_id, month: row.month, type: row.type, sender: row.sender, recipient: row.recipient };
  if (row.permit_family !== null) fact.permitFamily = row.permit_family;
  if (row.language_level !== null) fact.languageLevel = row.language_level;
  if (row.sent_on !== null) fact.sentOn = row.sent_on;
  if (row.answers !== null) fact.answers = row.answers;
  if (row.acknowledgement_status !== null) fact.acknowledgementStatus = row.acknowledgement_status;
  if (row.event_type !== null) fact.eventType = row.event_type;
  if (row.days_from_orientation !== null) fact.daysFromOrientation = row.days_from_orientation;
  return fact;
}

export class SqliteStatistics {
  constructor(private readonly db: Database.Database) {}

  /** Called inside the acceptance transaction of the message. */
  record(messageId: string, fact: StatisticsFact): void {
    let days: number | null = null;
    if (fact.effectiveOn !== undefined && fact.answers !== undefined) {
      const answered = this.db.prepare("SELECT sent_on FROM stats_facts WHERE message_id = ? AND type = 'orientation'").get(fact.answers) as { sent_on: string | null } | undefined;
      if (answered?.sent_on) days = daysBetween(answered.sent_on, fact.effectiveOn);
    }
    this.db
      .prepare(
        `INSERT INTO stats_facts (message_id, month, type, sender, recipient, permit_family, language_level, sent_on, answers, acknowledgement_status, event_type, days_from_orientation)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        messageId,
        fact.month,
        fact.type,
        fact.sender,
        fact.recipient,
        fact.permitFamily ?? null,
        fact.languageLevel ?? null,
        fact.sentOn ?? null,
        fact.answers ?? null,
        fact.acknowledgementStatus ?? null,
        fact.eventType ?? null,
        days,
      );
  }

  /** Every fact, in order of acceptance. */
  facts(): StoredFact[] {
    return (this.db.prepare('SELECT * FROM stats_facts ORDER BY seq').all() as FactRow[]).map(toFact);
  }
}
