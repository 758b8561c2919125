/**
 * The statistics of the steering committee (COPIL), computed from the facts of accepted messages.
 * Pure: the store hands over the facts, the HTTP edge and the CLI render the result.
 *
 * Counts are two-way tables with their margins, every table sharing its margins with the others
 * (orientations by recipient are the margin of three tables, orientations by month a column of the
 * messages table), so that disclosure control runs once over all of them (disclosure-control.ts);
 * then once more with the efficacy tables (efficacy.ts), which withholds counts of theirs only.
 * Rates need a denominator of 30 or more and published numerator and denominator; medians need 30
 * observations or more (the disclosure-control thresholds of disclosure-control.ts).
 */
import { FINAL_STATUSES, FIRST_INTERVIEW, LANGUAGE_LEVELS, NO_ANSWER, OUTCOMES, PERMIT_FAMILIES, type StoredFact } from './facts.js';
import { suppressCounts, SMALL_COUNT, type AdditiveRelation } from './disclosure-control.js';
import { efficacyCounts, type EfficacySection } from './efficacy.js';

export const MIN_RATE_DENOMINATOR = 30;
export const MIN_MEDIAN_OBSERVATIONS = 30;
export const TOTAL = 'TOTAL';

export type Dimension = 'month' | 'type' | 'recipient' | 'permitFamily' | 'languageLevel' | 'outcome' | 'finalStatus' | 'levelReached' | 'execution';

/** How a withdrawal notice was answered: the execution receipt's status, or none yet. */
export const EXECUTIONS = ['EFFECTUE', 'REFUSE_MOTIF_LEGAL', 'EN_ATTENTE'] as const;
const NOT_ANSWERED = 'EN_ATTENTE';

export interface CountCell {
  row: string;
  column: string;
  /** null when withheld. */
  count: number | null;
  suppressed?: true;
}

export interface CountTable {
  name: string;
  description: string;
  /** What every count of the table is restricted to (e.g. orientations only). */
  filter: Partial<Record<Dimension, string>>;
  rows: Dimension;
  columns: Dimension;
  /** Row by row in category order, each ending with its TOTAL column; the TOTAL row last. */
  cells: CountCell[];
}

export type RateFlag = 'denominator-under-30' | 'count-suppressed';

export interface RateTable {
  name: string;
  description: string;
  rows: Dimension;
  cells: Array<{ row: string; rate: number | null; flag?: RateFlag }>;
}

export interface MedianTable {
  name: string;
  description: string;
  rows: Dimension;
  cells: Array<{ row: string; medianDays: number | null; flag?: 'fewer-than-30-observations' }>;
}

export interface StatisticsReport {
  generatedAt: string;
  disclosureControl: {
    suppressedCounts: { from: number; to: number };
    secondarySuppression: string;
    minimumRateDenominator: number;
    minimumMedianObservations: number;
  };
  tables: CountTable[];
  rates: RateTable[];
  medians: MedianTable[];
  /** Outcomes 6 and 12 months after the orientation, and delays to the first interview (efficacy.ts). */
  efficacy: EfficacySection;
}

export interface ReportOptions {
  generatedAt: string;
  /** Partners that receive orientations, in registry order. */
  recipients: readonly string[];
  /** Message types the gateway knows, in the order to show them. */
  messageTypes: readonly string[];
}

/** One message as the tables count it: its category in each dimension that applies to it. */
type Categories = Partial<Record<Dimension, string>>;

interface Orientation {
  record: Categories;
  delayDays: number | undefined;
}

function orientationsOf(facts: readonly StoredFact[]): Orientation[] {
  const ordered = [...facts].sort((a, b) => a.seq - b.seq);
  const latestStatus = new Map<string, string>();
  const firstInterview = new Map<string, number>();
  for (const fact of ordered) {
    if (fact.answers === undefined) continue;
    if (fact.type === 'acknowledgement' && fact.acknowledgementStatus !== undefined) latestStatus.set(fact.answers, fact.acknowledgementStatus);
    if (fact.type === 'status-update' && fact.eventType === FIRST_INTERVIEW && fact.daysFromOrientation !== undefined && fact.daysFromOrientation >= 0) {
      const earlier = firstInterview.get(fact.answers);
      if (earlier === undefined || fact.daysFromOrientation < earlier) firstInterview.set(fact.answers, fact.daysFromOrientation);
    }
  }
  return ordered
    .filter((fact) => fact.type === 'orientation')
    .map((fact) => ({
      record: {
        month: fact.month,
        type: fact.type,
        recipient: fact.recipient,
        permitFamily: fact.permitFamily ?? 'AUTRE',
        languageLevel: fact.languageLevel ?? 'AUTRE',
        outcome: latestStatus.get(fact.messageId) ?? NO_ANSWER,
      },
      delayDays: firstInterview.get(fact.messageId),
    }));
}

/** The id of the count of records matching these categories: one id per quantity, whatever the table. */
function countId(dimensions: Categories): string {
  return Object.entries(dimensions)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

function union(preferred: readonly string[], seen: Iterable<string | undefined>): string[] {
  const values = [...preferred];
  const extra = new Set<string>();
  for (const value of seen) if (value !== undefined && !values.includes(value)) extra.add(value);
  return [...values, ...[...extra].sort()];
}

interface TableSpec {
  name: string;
  description: string;
  filter: Categories;
  rows: Dimension;
  columns: Dimension;
}

const ORIENTATIONS: Categories = { type: 'orientation' };
const CIR_REVIEWS: Categories = { type: 'cir-review' };
const WITHDRAWALS: Categories = { type: 'withdrawal' };

/**
 * The withdrawal notices the gateway sent (reminders aside), each with how its recipient answered:
 * the status of the execution receipt that names it (a receipt's fact points at the original notice),
 * EN_ATTENTE while none came.
 */
function withdrawalsOf(facts: readonly StoredFact[]): Categories[] {
  const executed = new Map<string, string>();
  for (const fact of facts) {
    if (fact.type === 'execution-receipt' && fact.answers !== undefined && fact.acknowledgementStatus !== undefined) executed.set(fact.answers, fact.acknowledgementStatus);
  }
  return facts
    .filter((fact) => fact.type === 'withdrawal')
    .map((fact) => ({ month: fact.month, type: fact.type, recipient: fact.recipient, execution: executed.get(fact.messageId) ?? NOT_ANSWERED }));
}

const TABLES: TableSpec[] = [
  { name: 'messages-by-month-and-type', description: 'Messages accepted, by month of acceptance and message type; with the withdrawal notices the gateway sent, by month sent.', filter: {}, rows: 'month', columns: 'type' },
  { name: 'orientations-by-month-and-recipient', description: 'Orientations accepted, by month of acceptance and recipient.', filter: ORIENTATIONS, rows: 'month', columns: 'recipient' },
  { name: 'orientations-by-recipient-and-permit-family', description: 'Orientations accepted, by recipient and residence-permit family (FAM_*, PRO_*, PI_*, APS).', filter: ORIENTATIONS, rows: 'recipient', columns: 'permitFamily' },
  { name: 'orientations-by-recipient-and-language-level', description: 'Orientations accepted, by recipient and initial French level (CECRL).', filter: ORIENTATIONS, rows: 'recipient', columns: 'languageLevel' },
  { name: 'orientations-by-recipient-and-outcome', description: "Orientations accepted, by recipient and the status of the recipient's latest acknowledgement (SANS_REPONSE: none yet).", filter: ORIENTATIONS, rows: 'recipient', columns: 'outcome' },
  // Two tables for month × final status × level reached: the counts stay two-way tables whose margins
  // the others share (a review's month is a column of the messages table), so one disclosure control
  // covers them all.
  { name: 'cir-reviews-by-month-and-final-status', description: 'End-of-CIR reviews accepted (to an agency or for the statistics only), by month of acceptance and final status of the contract (ACHEVE, ROMPU).', filter: CIR_REVIEWS, rows: 'month', columns: 'finalStatus' },
  { name: 'cir-reviews-by-final-status-and-level-reached', description: 'End-of-CIR reviews accepted, by final status of the contract and French level reached (CECRL).', filter: CIR_REVIEWS, rows: 'finalStatus', columns: 'levelReached' },
  { name: 'withdrawal-notices-by-recipient-and-execution', description: "Withdrawal notices the gateway sent (reminders aside), by recipient and the status of the recipient's execution receipt (EN_ATTENTE: none yet).", filter: WITHDRAWALS, rows: 'recipient', columns: 'execution' },
  { name: 'withdrawal-notices-by-month-and-execution', description: "Withdrawal notices the gateway sent (reminders aside), by month sent and the status of the recipient's execution receipt (EN_ATTENTE: none yet).", filter: WITHDRAWALS, rows: 'month', columns: 'execution' },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function buildStatistics(facts: readonly StoredFact[], options: ReportOptions): StatisticsReport {
  const orientations = orientationsOf(facts);
  const reviews: Categories[] = facts
    .filter((fact) => fact.type === 'cir-review')
    .map((fact) => ({ month: fact.month, type: fact.type, finalStatus: fact.finalStatus ?? 'AUTRE', levelReached: fact.levelReached ?? 'AUTRE' }));
  const withdrawals = withdrawalsOf(facts);
  const records: Categories[] = [
    ...facts.filter((fact) => fact.type !== 'orientation' && fact.type !== 'cir-review' && fact.type !== 'withdrawal').map((fact) => ({ month: fact.month, type: fact.type })),
    ...orientations.map((o) => o.record),
    ...reviews,
    ...withdrawals,
  ];
  const categories: Record<Dimension, string[]> = {
    month: union([], records.map((r) => r.month)),
    type: union(options.messageTypes, records.map((r) => r.type)),
    recipient: union(options.recipients, [...orientations.map((o) => o.record.recipient), ...withdrawals.map((w) => w.recipient)]),
    permitFamily: union(PERMIT_FAMILIES, orientations.map((o) => o.record.permitFamily)),
    languageLevel: union(LANGUAGE_LEVELS, orientations.map((o) => o.record.languageLevel)),
    outcome: union(OUTCOMES, orientations.map((o) => o.record.outcome)),
    finalStatus: union(FINAL_STATUSES, reviews.map((r) => r.finalStatus)),
    levelReached: union(LANGUAGE_LEVELS, reviews.map((r) => r.levelReached)),
    execution: union(EXECUTIONS, withdrawals.map((w) => w.execution)),
  };
  const ids = new Map<string, string>();
  const idOf = (spec: TableSpec, row: string, column: string): string => {
    const cacheKey = `${spec.name}\u0000${row}\u0000${column}`;
    let id = ids.get(cacheKey);
    if (id === undefined) {
      const dimensions: Categories = { ...spec.filter };
      if (row !== TOTAL) dimensions[spec.rows] = row;
      if (column !== TOTAL) dimensions[spec.columns] = column;
      id = countId(dimensions);
      ids.set(cacheKey, id);
    }
    return id;
  };
  const inTable = TABLES.map((spec) => {
    const filter = Object.entries(spec.filter);
    return (record: Categories) => filter.every(([key, value]) => record[key as Dimension] === value);
  });

  // Every count of every table, once (a margin shared by several tables is one count), and the
  // relations between them.
  const values = new Map<string, number>();
  for (const record of records) {
    const keys = new Set<string>();
    for (const [index, spec] of TABLES.entries()) {
      if (!inTable[index]!(record)) continue;
      for (const row of [record[spec.rows]!, TOTAL]) for (const column of [record[spec.columns]!, TOTAL]) keys.add(idOf(spec, row, column));
    }
    for (const key of keys) values.set(key, (values.get(key) ?? 0) + 1);
  }
  const relations = new Map<string, AdditiveRelation>();
  const layouts = TABLES.map((spec) => {
    const rows = categories[spec.rows];
    const columns = categories[spec.columns];
    const id = (row: string, column: string): string => {
      const key = idOf(spec, row, column);
      if (!values.has(key)) values.set(key, 0);
      return key;
    };
    const relate = (total: string, parts: string[]) => relations.set(`${total}=${[...parts].sort().join('+')}`, { total, parts });
    for (const row of rows) relate(id(row, TOTAL), columns.map((column) => id(row, column)));
    for (const column of columns) relate(id(TOTAL, column), rows.map((row) => id(row, column)));
    relate(id(TOTAL, TOTAL), rows.map((row) => id(row, TOTAL)));
    relate(id(TOTAL, TOTAL), columns.map((column) => id(TOTAL, column)));
    return { spec, rows: [...rows, TOTAL], columns: [...columns, TOTAL], id };
  });

  // These tables first, as they were before the efficacy tables: the committee's figures do not change
  // with them. Then the efficacy tables (efficacy.ts), which share counts and relations with these:
  // protected against everything published, withholding only counts of their own.
  const baseSuppressed = suppressCounts(values, [...relations.values()]);
  const efficacy = efficacyCounts(facts, {
    reportDay: options.generatedAt.slice(0, 10),
    recipients: categories.recipient,
    months: categories.month,
    permitFamilies: categories.permitFamily,
    languageLevels: categories.languageLevel,
    orientationsId: (dimensions) => {
      const id = countId({ ...ORIENTATIONS, ...dimensions });
      if (!values.has(id)) throw new Error(`The efficacy tables refer to the count ${id}, which no table of the report has: a defect of report.ts.`);
      return id;
    },
    minRateDenominator: MIN_RATE_DENOMINATOR,
  });
  const basePublished = new Set([...values.keys()].filter((id) => !baseSuppressed.has(id)));
  for (const [id, value] of efficacy.values) values.set(id, value);
  for (const relation of efficacy.relations) relations.set(`${relation.total}=${[...relation.parts].sort().join('+')}`, relation);
  const suppressed = suppressCounts(values, [...relations.values()], { unpublished: efficacy.unpublished, withheld: baseSuppressed, published: basePublished });
  const published = (key: string): number | null => (suppressed.has(key) ? null : values.get(key)!);

  const tables: CountTable[] = layouts.map(({ spec, rows, columns, id }) => ({
    name: spec.name,
    description: spec.description,
    filter: spec.filter,
    rows: spec.rows,
    columns: spec.columns,
    cells: rows.flatMap((row) =>
      columns.map((column) => {
        const key = id(row, column);
        return suppressed.has(key) ? { row, column, count: null, suppressed: true as const } : { row, column, count: values.get(key)! };
      }),
    ),
  }));

  const rateRows = [...categories.recipient, TOTAL];
  const acceptance: RateTable = {
    name: 'acceptance-rate-by-recipient',
    description: 'Share of the orientations whose latest acknowledgement is ACCEPTEE, by recipient.',
    rows: 'recipient',
    cells: rateRows.map((row) => {
      const base: Categories = row === TOTAL ? { ...ORIENTATIONS } : { ...ORIENTATIONS, recipient: row };
      const denominatorKey = countId(base);
      const numeratorKey = countId({ ...base, outcome: 'ACCEPTEE' });
      const denominator = values.get(denominatorKey) ?? 0;
      if (denominator < MIN_RATE_DENOMINATOR) return { row, rate: null, flag: 'denominator-under-30' as const };
      const numerator = published(numeratorKey);
      if (numerator === null || published(denominatorKey) === null) return { row, rate: null, flag: 'count-suppressed' as const };
      return { row, rate: Math.round((numerator / denominator) * 10_000) / 10_000 };
    }),
  };

  const delays = new Map<string, number[]>();
  for (const { record, delayDays } of orientations) {
    if (delayDays === undefined) continue;
    for (const row of [record.recipient!, TOTAL]) {
      const observed = delays.get(row) ?? [];
      observed.push(delayDays);
      delays.set(row, observed);
    }
  }
  const firstInterview: MedianTable = {
    name: 'days-to-first-interview-by-recipient',
    description: `Median days from the orientation's send date to the first interview (status update ${FIRST_INTERVIEW}, its effective date), by recipient.`,
    rows: 'recipient',
    cells: rateRows.map((row) => {
      const observed = delays.get(row) ?? [];
      return observed.length < MIN_MEDIAN_OBSERVATIONS
        ? { row, medianDays: null, flag: 'fewer-than-30-observations' as const }
        : { row, medianDays: median(observed) };
    }),
  };

  return {
    generatedAt: options.generatedAt,
    disclosureControl: {
      suppressedCounts: { from: SMALL_COUNT.min, to: SMALL_COUNT.max },
      secondarySuppression: 'more counts are withheld until no withheld count can be worked out from the published counts and totals of all tables',
      minimumRateDenominator: MIN_RATE_DENOMINATOR,
      minimumMedianObservations: MIN_MEDIAN_OBSERVATIONS,
    },
    tables,
    rates: [acceptance],
    medians: [firstInterview],
    efficacy: efficacy.publish(suppressed),
  };
}
