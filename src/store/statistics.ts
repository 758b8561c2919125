/**
 * The statistics rows (src/stats/facts.ts): one row of categories per accepted message, written in its
 * acceptance transaction so that the figures count exactly the accepted messages.
 *
 * No column identifies a person: no reference, no pseudonym, no date of the person's life. An answer
 * points at the orientation it answers by message id; every fact about a person points at the
 * orientation that started the person's path (its cohort), found here by the person's pseudonym in the
 * messages table, inside the acceptance transaction, so that the pseudonym never reaches the facts; a
 * status update keeps its delay from that orientation in days, computed here, never its effective date.
 */
import { daysBetween, type FactsPage, type StatisticsFact, type StoredFact } from '../stats/facts.js';
import type { StatsFactsTable } from './tables.js';
import { execute, row, rows, template, type Sql, type Tx } from './transaction.js';

const SENT_ON = template((sql, p: { orientation: string }) => sql.selectFrom('stats_facts').select('sent_on').where('message_id', '=', p.orientation).where('type', '=', 'orientation'));
/** The person's latest accepted orientation: the audit index orders acceptances on both engines. */
const LATEST_ORIENTATION = template((sql, p: { beneficiary: string }) =>
  sql.selectFrom('messages').select('message_id').where('beneficiary', '=', p.beneficiary).where('type', '=', 'orientation').orderBy('audit_index', 'desc').limit(1),
);
const INSERT_FACT = template((sql, p: Omit<StatisticsFact, 'certified'> & { messageId: string; days: number | null; cohort: string | null; certified: number | null }) =>
  sql.insertInto('stats_facts').values({
    message_id: p.messageId,
    month: p.month,
    type: p.type,
    sender: p.sender,
    recipient: p.recipient,
    permit_family: p.permitFamily ?? null,
    language_level: p.languageLevel ?? null,
    sent_on: p.sentOn ?? null,
    answers: p.answers ?? null,
    acknowledgement_status: p.acknowledgementStatus ?? null,
    event_type: p.eventType ?? null,
    days_from_orientation: p.days,
    final_status: p.finalStatus ?? null,
    level_reached: p.levelReached ?? null,
    certified: p.certified,
    declared_situation: p.declaredSituation ?? null,
    post_cir_orientation: p.postCirOrientation ?? null,
    cohort: p.cohort,
    sex: p.sex ?? null,
    age_band: p.ageBand ?? null,
    pathway: p.pathway ?? null,
    contract_kind: p.contractKind ?? null,
  }),
);

/**
 * The fact of an accepted message, `beneficiary` being its person's pseudonym (used for the lookup of
 * the cohort only, never written; undefined for a gateway notice, which starts or joins no path). Called after the message's row is inserted.
 */
export function* recordFact(sql: Sql, messageId: string, fact: StatisticsFact, beneficiary: string | undefined): Tx<void> {
  // An orientation is its own cohort: the person's latest is looked for only for the other facts.
  const latest = fact.type === 'orientation' || beneficiary === undefined ? undefined : yield* row(LATEST_ORIENTATION(sql, { beneficiary }));
  const cohort = fact.type === 'orientation' ? messageId : (latest?.message_id ?? null);
  let days: number | null = null;
  if (fact.effectiveOn !== undefined && cohort !== null) {
    const started = yield* row(SENT_ON(sql, { orientation: cohort }));
    if (started?.sent_on) days = daysBetween(started.sent_on, fact.effectiveOn);
  }
  // A template's parameters are values only (src/store/transaction.ts): the boolean becomes 1 or 0 here.
  const certified = fact.certified === undefined ? null : fact.certified ? 1 : 0;
  yield* execute(INSERT_FACT(sql, { ...fact, messageId, days, cohort, certified }));
}

type FactRow = Omit<StatsFactsTable, 'seq'> & { seq: number };

function toFact(r: FactRow): StoredFact {
  const fact: StoredFact = { seq: Number(r.seq), messageId: r.message_id, month: r.month, type: r.type, sender: r.sender, recipient: r.recipient };
  if (r.permit_family !== null) fact.permitFamily = r.permit_family;
  if (r.language_level !== null) fact.languageLevel = r.language_level;
  if (r.sent_on !== null) fact.sentOn = r.sent_on;
  if (r.answers !== null) fact.answers = r.answers;
  if (r.acknowledgement_status !== null) fact.acknowledgementStatus = r.acknowledgement_status;
  if (r.event_type !== null) fact.eventType = r.event_type;
  if (r.days_from_orientation !== null) fact.daysFromOrientation = r.days_from_orientation;
  if (r.final_status !== null) fact.finalStatus = r.final_status;
  if (r.level_reached !== null) fact.levelReached = r.level_reached;
  if (r.certified !== null) fact.certified = Number(r.certified) === 1;
  if (r.declared_situation !== null) fact.declaredSituation = r.declared_situation;
  if (r.post_cir_orientation !== null) fact.postCirOrientation = r.post_cir_orientation;
  if (r.cohort !== null) fact.cohort = r.cohort;
  if (r.sex !== null) fact.sex = r.sex;
  if (r.age_band !== null) fact.ageBand = r.age_band;
  if (r.pathway !== null) fact.pathway = r.pathway;
  if (r.contract_kind !== null) fact.contractKind = r.contract_kind;
  return fact;
}

export function* statisticsFacts(sql: Sql, page?: FactsPage): Tx<StoredFact[]> {
  let query = sql.selectFrom('stats_facts').selectAll().orderBy('seq');
  if (page !== undefined) {
    if (page.afterSeq !== undefined) query = query.where('seq', '>', page.afterSeq);
    query = query.limit(page.limit);
  }
  return (yield* rows(query)).map(toFact);
}
