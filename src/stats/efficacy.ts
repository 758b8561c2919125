/**
 * The efficacy statistics of the steering committee: what became of the people oriented 6 and 12 months
 * after their orientation, and how long they waited for their first interview. Pure.
 *
 * A person's path is a cohort: the orientation that started it and the status updates that the store
 * attached to it (src/store/statistics.ts), each with its delay from the orientation in days. The
 * situation at a horizon is read from the path's events effective on or before the orientation's send
 * date plus 6 (12) months, in the order of their effective dates (SITUATION_RULES below).
 *
 * Which cohorts are observed is decided by whole months of acceptance, so that a reader can tell from
 * the published month totals exactly which orientations a table covers: a month is observed at a
 * horizon when its last day plus the horizon is on or before the report date. The 12-month tables count
 * the same cohorts as the 6-month ones (those observed at 6 months), the ones not yet observed at 12
 * months in a column of their own (MOINS_DE_12_MOIS): the two horizons then share their margins, and
 * one disclosure control covers them, against everything the other tables publish (report.ts settles
 * those first), with the relations that tie them (a quarter's cohorts are the orientations of its
 * observed months; an actor's cohorts are its orientations less those of the months not observed yet).
 *
 * Sensitive dimensions are never crossed with each other: each table crosses one dimension with the
 * situation only.
 */
import type { AdditiveRelation } from './disclosure-control.js';
import { AGE_BANDS, daysBetween, FIRST_INTERVIEW, PATHWAYS, SEXES, type StoredFact } from './facts.js';

export const SITUATIONS = ['EMPLOI_DURABLE', 'EMPLOI_AUTRE', 'FORMATION', 'ACCOMPAGNE', 'SORTI', 'SANS_NOUVELLES'] as const;
export type Situation = (typeof SITUATIONS)[number];

/** The 12-month column of the cohorts observed at 6 months but not yet at 12. */
export const NOT_YET_12_MONTHS = 'MOINS_DE_12_MOIS';

export const HORIZONS = [6, 12] as const;
export type Horizon = (typeof HORIZONS)[number];

/** Contracts of six months or more (the DARES's "emploi durable"): CDI and CDD of six months or more. */
export const DURABLE_CONTRACTS: readonly string[] = ['CDI', 'CDD_6M_PLUS'];

/** A median is published over 11 people or more (the threshold of primary suppression, plus one). */
export const MIN_MEDIAN_PEOPLE = 11;

/** A category the fact does not give (facts written before migration 0010). */
export const NOT_GIVEN = 'NON_RENSEIGNE';

const TOTAL = 'TOTAL';

export type EfficacyDimension = 'period' | 'recipient' | 'permitFamily' | 'sex' | 'ageBand' | 'languageLevel' | 'pathway';

/** The dimensions in the order of the tables, with the name each table takes. */
export const EFFICACY_DIMENSIONS: ReadonlyArray<{ dimension: EfficacyDimension; slug: string; label: string }> = [
  { dimension: 'period', slug: 'period', label: 'quarter of the orientation (its month of acceptance)' },
  { dimension: 'recipient', slug: 'actor', label: 'actor the orientation was sent to' },
  { dimension: 'permitFamily', slug: 'permit-family', label: 'residence-permit family' },
  { dimension: 'sex', slug: 'sex', label: 'sex' },
  { dimension: 'ageBand', slug: 'age-band', label: 'age band on the day of the orientation' },
  { dimension: 'languageLevel', slug: 'language-level', label: 'initial French level (CECRL)' },
  { dimension: 'pathway', slug: 'pathway', label: 'CNE pathway proposed' },
];

/** The rules of SITUATIONS, as the report states them. */
export const SITUATION_RULES =
  'Events effective on or before the horizon, in order of effective date: ENTREE_EMPLOI with a CDI or a CDD of six months or more gives EMPLOI_DURABLE; any other ENTREE_EMPLOI, ENTREE_IAE and CREATION_ENTREPRISE give EMPLOI_AUTRE; ENTREE_FORMATION gives FORMATION; SORTIE_FORMATION gives ACCOMPAGNE unless the person is in employment; FIN_ACCOMPAGNEMENT gives SORTI unless the person is in employment or training; every other event gives ACCOMPAGNE unless the person is in employment or training; no event: SANS_NOUVELLES.';

export interface PathEvent {
  /** Days from the cohort's orientation to the event's effective date. */
  days: number;
  /** Order of acceptance, for events of the same day. */
  seq: number;
  eventType: string;
  contractKind?: string;
}

const HELD: ReadonlySet<Situation> = new Set(['EMPLOI_DURABLE', 'EMPLOI_AUTRE', 'FORMATION']);

function afterEvent(current: Situation, event: PathEvent): Situation {
  switch (event.eventType) {
    case 'ENTREE_EMPLOI':
      return event.contractKind !== undefined && DURABLE_CONTRACTS.includes(event.contractKind) ? 'EMPLOI_DURABLE' : 'EMPLOI_AUTRE';
    case 'ENTREE_IAE':
    case 'CREATION_ENTREPRISE':
      return 'EMPLOI_AUTRE';
    case 'ENTREE_FORMATION':
      return 'FORMATION';
    case 'SORTIE_FORMATION':
      return current === 'EMPLOI_DURABLE' || current === 'EMPLOI_AUTRE' ? current : 'ACCOMPAGNE';
    case 'FIN_ACCOMPAGNEMENT':
      return HELD.has(current) ? current : 'SORTI';
    default:
      return HELD.has(current) ? current : 'ACCOMPAGNE';
  }
}

/** The situation after the events effective on or before `horizonDays` days from the orientation. */
export function situationAt(events: readonly PathEvent[], horizonDays: number): Situation {
  return events
    .filter((event) => event.days <= horizonDays)
    .sort((a, b) => a.days - b.days || a.seq - b.seq)
    .reduce<Situation>(afterEvent, 'SANS_NOUVELLES');
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** The calendar day `months` months after `day` (YYYY-MM-DD), the 31st becoming the month's last day. */
export function addMonths(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${pad(month)}-${pad(Math.min(d, last))}`;
}

/** `month` (YYYY-MM) shifted by `months`. */
function shiftMonth(month: string, months: number): string {
  return addMonths(`${month}-01`, months).slice(0, 7);
}

/** The quarter of a month: 2026-11 is 2026-Q4. */
export function quarterOf(month: string): string {
  return `${month.slice(0, 4)}-Q${Math.floor((Number(month.slice(5, 7)) - 1) / 3) + 1}`;
}

/** The latest month of acceptance whose every day plus `months` months is on or before `reportDay`. */
export function observedThrough(reportDay: string, months: number): string {
  const candidate = shiftMonth(reportDay.slice(0, 7), -months);
  const lastOfReportMonth = addMonths(`${reportDay.slice(0, 7)}-31`, 0);
  return lastOfReportMonth <= reportDay ? candidate : shiftMonth(candidate, -1);
}

export interface Cohort {
  id: string;
  /** Month of acceptance of the orientation. */
  month: string;
  sentOn: string;
  categories: Record<EfficacyDimension, string>;
  events: PathEvent[];
}

/** Every orientation's path, from the facts. */
export function cohortsOf(facts: readonly StoredFact[]): Cohort[] {
  const ordered = [...facts].sort((a, b) => a.seq - b.seq);
  const cohorts = new Map<string, Cohort>();
  for (const fact of ordered) {
    if (fact.type !== 'orientation' || fact.sentOn === undefined) continue;
    cohorts.set(fact.cohort ?? fact.messageId, {
      id: fact.cohort ?? fact.messageId,
      month: fact.month,
      sentOn: fact.sentOn,
      categories: {
        period: quarterOf(fact.month),
        recipient: fact.recipient,
        // As the counts of report.ts name them, so that the relations between the tables hold.
        permitFamily: fact.permitFamily ?? 'AUTRE',
        languageLevel: fact.languageLevel ?? 'AUTRE',
        sex: fact.sex ?? NOT_GIVEN,
        ageBand: fact.ageBand ?? NOT_GIVEN,
        pathway: fact.pathway ?? NOT_GIVEN,
      },
      events: [],
    });
  }
  for (const fact of ordered) {
    if (fact.type !== 'status-update' || fact.cohort === undefined || fact.eventType === undefined || fact.daysFromOrientation === undefined) continue;
    cohorts.get(fact.cohort)?.events.push({ days: fact.daysFromOrientation, seq: fact.seq, eventType: fact.eventType, ...(fact.contractKind === undefined ? {} : { contractKind: fact.contractKind }) });
  }
  return [...cohorts.values()];
}

export interface EfficacyCell {
  row: string;
  column: string;
  /** null when withheld. */
  count: number | null;
  suppressed?: true;
}

export interface EfficacyTable {
  name: string;
  description: string;
  horizonMonths: Horizon;
  rows: EfficacyDimension;
  columns: 'situation';
  /** Row by row in category order, each ending with its TOTAL column; the TOTAL row last. */
  cells: EfficacyCell[];
}

export interface EfficacyRateTable {
  name: string;
  description: string;
  horizonMonths: Horizon;
  rows: EfficacyDimension;
  cells: Array<{ row: string; rate: number | null; flag?: 'denominator-under-30' | 'count-suppressed' }>;
}

export interface EfficacyMedianTable {
  name: string;
  description: string;
  rows: EfficacyDimension;
  cells: Array<{ row: string; medianDays: number | null; flag?: 'fewer-than-11-people' }>;
}

export interface EfficacySection {
  /** The day the situations are read on (the report's generatedAt, UTC). */
  reportDate: string;
  /** The latest month of acceptance whose orientations are observed, at each horizon. */
  observedThrough: { sixMonths: string; twelveMonths: string };
  situationRules: string;
  minimumMedianPeople: number;
  tables: EfficacyTable[];
  rates: EfficacyRateTable[];
  medians: EfficacyMedianTable[];
}

/** What report.ts gives: its categories, and how it names the counts of orientations of its own tables. */
export interface EfficacyOptions {
  reportDay: string;
  recipients: readonly string[];
  /** Months of acceptance of report.ts's tables. */
  months: readonly string[];
  permitFamilies: readonly string[];
  languageLevels: readonly string[];
  /** The id of report.ts's count of orientations with these categories (every one it names must exist). */
  orientationsId: (categories: { month?: string; recipient?: string; permitFamily?: string; languageLevel?: string }) => string;
  minRateDenominator: number;
}

/** The counts of the efficacy tables and their relations, for the disclosure control that follows the other tables'. */
export interface EfficacyCounts {
  values: Map<string, number>;
  relations: AdditiveRelation[];
  /** Counts a reader knows to exist in a relation but that no table shows. */
  unpublished: Set<string>;
  publish(suppressed: ReadonlySet<string>): EfficacySection;
}

function union(preferred: readonly string[], seen: Iterable<string>): string[] {
  const values = [...preferred];
  const extra = new Set<string>();
  for (const value of seen) if (!values.includes(value)) extra.add(value);
  return [...values, ...[...extra].sort()];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

type Key = Partial<Record<EfficacyDimension | 'situation6' | 'situation12', string>>;

/** One id per quantity: the cohorts observed at 6 months with these categories. */
function idOf(key: Key): string {
  return `efficacy|${Object.entries(key)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')}`;
}

const tableName = (horizon: Horizon, slug: string) => `outcomes-at-${horizon}-months-by-${slug}`;

export function efficacyCounts(facts: readonly StoredFact[], options: EfficacyOptions): EfficacyCounts {
  const through = { 6: observedThrough(options.reportDay, 6), 12: observedThrough(options.reportDay, 12) } as const;
  const cohorts = cohortsOf(facts);
  const observed = cohorts.filter((c) => c.month <= through[6]);
  const situations = observed.map((cohort) => {
    const at = (horizon: Horizon) => situationAt(cohort.events, daysBetween(cohort.sentOn, addMonths(cohort.sentOn, horizon)));
    return { cohort, 6: at(6), 12: cohort.month <= through[12] ? at(12) : NOT_YET_12_MONTHS } as const;
  });
  const observedMonths = options.months.filter((m) => m <= through[6]);
  const recentMonths = options.months.filter((m) => m > through[6]);
  const categories: Record<EfficacyDimension, string[]> = {
    period: union([], [...observedMonths.map(quarterOf), ...observed.map((c) => c.categories.period)].sort()),
    recipient: union(options.recipients, observed.map((c) => c.categories.recipient)),
    permitFamily: union(options.permitFamilies, observed.map((c) => c.categories.permitFamily)),
    sex: union(SEXES, observed.map((c) => c.categories.sex)),
    ageBand: union(AGE_BANDS, observed.map((c) => c.categories.ageBand)),
    languageLevel: union(options.languageLevels, observed.map((c) => c.categories.languageLevel)),
    pathway: union(PATHWAYS, observed.map((c) => c.categories.pathway)),
  };
  const columnsAt = (horizon: Horizon): string[] => (horizon === 6 ? [...SITUATIONS] : [...SITUATIONS, NOT_YET_12_MONTHS]);

  const values = new Map<string, number>();
  const cellId = (dimension: EfficacyDimension, horizon: Horizon, row: string, column: string): string => {
    const key: Key = {};
    if (row !== TOTAL) key[dimension] = row;
    if (column !== TOTAL) key[`situation${horizon}`] = column;
    return idOf(key);
  };
  for (const s of situations) {
    const keys = new Set<string>();
    for (const { dimension } of EFFICACY_DIMENSIONS) {
      for (const horizon of HORIZONS) {
        for (const row of [s.cohort.categories[dimension], TOTAL]) for (const column of [s[horizon], TOTAL]) keys.add(cellId(dimension, horizon, row, column));
      }
    }
    for (const key of keys) values.set(key, (values.get(key) ?? 0) + 1);
  }

  const relations = new Map<string, AdditiveRelation>();
  const relate = (total: string, parts: string[]) => relations.set(`${total}=${[...parts].sort().join('+')}`, { total, parts });
  const known = (id: string): string => {
    if (!values.has(id)) values.set(id, 0);
    return id;
  };
  const layouts = EFFICACY_DIMENSIONS.flatMap(({ dimension, slug, label }) =>
    HORIZONS.map((horizon) => {
      const rows = categories[dimension];
      const columns = columnsAt(horizon);
      const id = (row: string, column: string) => known(cellId(dimension, horizon, row, column));
      for (const row of rows) relate(id(row, TOTAL), columns.map((column) => id(row, column)));
      for (const column of columns) relate(id(TOTAL, column), rows.map((row) => id(row, column)));
      relate(id(TOTAL, TOTAL), rows.map((row) => id(row, TOTAL)));
      relate(id(TOTAL, TOTAL), columns.map((column) => id(TOTAL, column)));
      return { dimension, slug, label, horizon, rows: [...rows, TOTAL], columns: [...columns, TOTAL], id };
    }),
  );

  // What ties these counts to report.ts's counts of orientations (the month is the month of acceptance).
  const unpublished = new Set<string>();
  const base = (categories: Parameters<EfficacyOptions['orientationsId']>[0]): string => options.orientationsId(categories);
  for (const quarter of categories.period) relate(known(idOf({ period: quarter })), observedMonths.filter((m) => quarterOf(m) === quarter).map((month) => base({ month })));
  relate(base({}), [known(idOf({})), ...recentMonths.map((month) => base({ month }))]);
  for (const recipient of categories.recipient) relate(base({ recipient }), [known(idOf({ recipient })), ...recentMonths.map((month) => base({ month, recipient }))]);
  const recentAll = 'efficacy-unpublished|recent';
  unpublished.add(recentAll);
  values.set(recentAll, 0);
  relate(recentAll, recentMonths.map((month) => base({ month })));
  for (const dimension of ['permitFamily', 'languageLevel'] as const) {
    const recentIds: string[] = [];
    for (const category of categories[dimension]) {
      const recent = `efficacy-unpublished|recent&${dimension}=${category}`;
      unpublished.add(recent);
      recentIds.push(recent);
      values.set(recent, 0);
      relate(base({ [dimension]: category }), [known(idOf({ [dimension]: category })), recent]);
    }
    relate(recentAll, recentIds);
  }
  for (const cohort of cohorts) {
    if (cohort.month <= through[6]) continue;
    values.set(recentAll, values.get(recentAll)! + 1);
    for (const dimension of ['permitFamily', 'languageLevel'] as const) {
      const recent = `efficacy-unpublished|recent&${dimension}=${cohort.categories[dimension]}`;
      if (values.has(recent)) values.set(recent, values.get(recent)! + 1);
    }
  }

  const publish = (suppressed: ReadonlySet<string>): EfficacySection => {
    const published = (id: string): number | null => (suppressed.has(id) ? null : values.get(id)!);
    const tables: EfficacyTable[] = layouts.map(({ dimension, slug, label, horizon, rows, columns, id }) => ({
      name: tableName(horizon, slug),
      description: `People oriented, by ${label} and situation ${horizon} months after the orientation${horizon === 12 ? ` (${NOT_YET_12_MONTHS}: observed at 6 months, not yet at 12)` : ''}; orientations accepted through ${through[6]}.`,
      horizonMonths: horizon,
      rows: dimension,
      columns: 'situation',
      cells: rows.flatMap((row) =>
        columns.map((column) => {
          const key = id(row, column);
          return suppressed.has(key) ? { row, column, count: null, suppressed: true as const } : { row, column, count: values.get(key)! };
        }),
      ),
    }));

    const rates: EfficacyRateTable[] = HORIZONS.flatMap((horizon) =>
      EFFICACY_DIMENSIONS.filter(({ dimension }) => dimension === 'period' || dimension === 'recipient').map(({ dimension, slug, label }) => {
        const layout = layouts.find((l) => l.dimension === dimension && l.horizon === horizon)!;
        return {
          name: `employment-rate-at-${horizon}-months-by-${slug}`,
          description: `Share of the people observed at ${horizon} months who are in employment then (EMPLOI_DURABLE or EMPLOI_AUTRE), by ${label}.`,
          horizonMonths: horizon,
          rows: dimension,
          cells: layout.rows.map((row) => {
            const numerator = [layout.id(row, 'EMPLOI_DURABLE'), layout.id(row, 'EMPLOI_AUTRE')];
            const denominator = horizon === 12 ? [layout.id(row, TOTAL), layout.id(row, NOT_YET_12_MONTHS)] : [layout.id(row, TOTAL)];
            const trueDenominator = values.get(denominator[0]!)! - (denominator[1] === undefined ? 0 : values.get(denominator[1])!);
            if (trueDenominator < options.minRateDenominator) return { row, rate: null, flag: 'denominator-under-30' as const };
            if ([...numerator, ...denominator].some((key) => published(key) === null)) return { row, rate: null, flag: 'count-suppressed' as const };
            const employed = numerator.reduce((sum, key) => sum + values.get(key)!, 0);
            return { row, rate: Math.round((employed / trueDenominator) * 10_000) / 10_000 };
          }),
        };
      }),
    );

    const firstInterview = (cohort: Cohort): number | undefined => {
      const delays = cohort.events.filter((e) => e.eventType === FIRST_INTERVIEW && e.days >= 0).map((e) => e.days);
      return delays.length === 0 ? undefined : Math.min(...delays);
    };
    const medians: EfficacyMedianTable[] = EFFICACY_DIMENSIONS.filter(({ dimension }) => dimension === 'period' || dimension === 'recipient').map(({ dimension, slug, label }) => {
      const delays = new Map<string, number[]>();
      for (const cohort of cohorts) {
        const days = firstInterview(cohort);
        if (days === undefined) continue;
        for (const row of [cohort.categories[dimension], TOTAL]) delays.set(row, [...(delays.get(row) ?? []), days]);
      }
      const rows = dimension === 'period' ? union([], [...cohorts.map((c) => c.categories.period)].sort()) : union(options.recipients, cohorts.map((c) => c.categories.recipient));
      return {
        name: `median-days-to-first-interview-by-${slug}`,
        description: `Median days from the orientation's send date to the person's first interview (${FIRST_INTERVIEW}, its effective date, whoever reported it along the path), by ${label}, every orientation whatever its age.`,
        rows: dimension,
        cells: [...rows, TOTAL].map((row) => {
          const observedDelays = delays.get(row) ?? [];
          return observedDelays.length < MIN_MEDIAN_PEOPLE ? { row, medianDays: null, flag: 'fewer-than-11-people' as const } : { row, medianDays: median(observedDelays) };
        }),
      };
    });

    return {
      reportDate: options.reportDay,
      observedThrough: { sixMonths: through[6], twelveMonths: through[12] },
      situationRules: SITUATION_RULES,
      minimumMedianPeople: MIN_MEDIAN_PEOPLE,
      tables,
      rates,
      medians,
    };
  };

  return { values, relations: [...relations.values()], unpublished, publish };
}
