/**
 * The statistics table's rows as both engines store them (src/store/sqlite-stats.ts, pg-stats.ts):
 * one row of categories per accepted message, never an identifier of the person.
 */
import { daysBetween, type StatisticsFact, type StoredFact } from '../stats/facts.js';

export interface FactRow {
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

export function toFact(row: FactRow): StoredFact {
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

/** The columns inserted, after seq, in the order of FACT_COLUMNS. */
export const FACT_COLUMNS = 'message_id, month, type, sender, recipient, permit_family, language_level, sent_on, answers, acknowledgement_status, event_type, days_from_orientation';

/**
 * The values of FACT_COLUMNS. `answeredSentOn` is the sent date of the orientation a status update
 * answers: the row keeps the delay in days, never the person's effective date.
 */
export function factValues(messageId: string, fact: StatisticsFact, answeredSentOn: string | null | undefined): Array<string | number | null> {
  const days = fact.effectiveOn !== undefined && answeredSentOn ? daysBetween(answeredSentOn, fact.effectiveOn) : null;
  return [
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
  ];
}
