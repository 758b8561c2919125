/**
 * The efficacy statistics (src/stats/efficacy.ts) from hand-built paths: the situation rules, which
 * cohorts each horizon observes, the tables counted by hand, the disclosure control shared with the
 * other tables (attacked with the exhaustive checker over every relation a reader knows), the rates and
 * the median rule.
 */
import { expect } from 'chai';
import { addMonths, efficacyCounts, observedThrough, situationAt, type PathEvent } from '../../src/stats/efficacy.js';
import { buildStatistics, type StatisticsReport } from '../../src/stats/report.js';
import { statisticsCsv } from '../../src/stats/csv.js';
import { parseCsv } from '../fixtures/csv.js';
import { exactlyRecoverable, type Relation } from '../fixtures/disclosure-checker.js';
import { attackerView, trueCounts } from '../fixtures/stats-attacker.js';
import { Paths } from '../fixtures/efficacy-paths.js';

const RECIPIENTS = ['france-travail-paris', 'mission-locale-paris'];
const TYPES = ['orientation', 'acknowledgement', 'status-update', 'referral'];
/** Situations read on 31 December 2027: accepted through June 2027 at 6 months, December 2026 at 12. */
const OPTIONS = { generatedAt: '2027-12-31T12:00:00.000Z', recipients: RECIPIENTS, messageTypes: TYPES };

/** The 30 people of the tables below. */
function thirtyPaths(): Paths {
  const paths = new Paths();
  // 15 oriented to France Travail on 10 March 2026: horizons 10 September 2026 (day 184) and 10 March 2027 (day 365).
  const ft = { month: '2026-03', sentOn: '2026-03-10', recipient: 'france-travail-paris', sex: 'F', ageBand: '26-44', permitFamily: 'PROTECTION_INTERNATIONALE', languageLevel: 'A1', pathway: 'EMPLOI' };
  paths.add(5, { ...ft, events: [[20, 'PREMIER_ENTRETIEN_REALISE'], [100, 'ENTREE_EMPLOI', 'CDI']] });
  paths.add(3, { ...ft, events: [[30, 'PREMIER_ENTRETIEN_REALISE'], [50, 'ENTREE_FORMATION'], [200, 'SORTIE_FORMATION'], [250, 'ENTREE_EMPLOI', 'INTERIM']] });
  paths.add(2, { ...ft, events: [[20, 'PREMIER_ENTRETIEN_REALISE'], [150, 'FIN_ACCOMPAGNEMENT']] });
  // Hired on the horizon day itself, support ended after: still employed.
  paths.add(2, { ...ft, events: [[40, 'PREMIER_ENTRETIEN_REALISE'], [184, 'ENTREE_EMPLOI', 'CDD_6M_PLUS'], [200, 'FIN_ACCOMPAGNEMENT']] });
  // First news the day after the 6-month horizon.
  paths.add(1, { ...ft, events: [[185, 'PREMIER_ENTRETIEN_REALISE']] });
  paths.add(2, ft);
  // 15 oriented to the Mission Locale on 5 February 2027: horizon 5 August 2027 (day 181); not 12 months old at the report date.
  const ml = { month: '2027-02', sentOn: '2027-02-05', recipient: 'mission-locale-paris', sex: 'M', ageBand: '16-25', permitFamily: 'FAMILLE', languageLevel: 'A2', pathway: 'SOCIO_PRO' };
  paths.add(11, { ...ml, events: [[10, 'PREMIER_ENTRETIEN_REALISE'], [30, 'ENTREE_IAE']] });
  paths.add(2, { ...ml, events: [[10, 'RDV_PLANIFIE']] });
  paths.add(1, { ...ml, events: [[60, 'ENTREE_EMPLOI', 'CDD_MOINS_6M'], [90, 'REORIENTATION']] });
  paths.add(1, ml);
  // 5 oriented in September 2027: too recent for either horizon.
  paths.add(5, { month: '2027-09', sentOn: '2027-09-01', recipient: 'france-travail-paris', events: [[3, 'PREMIER_ENTRETIEN_REALISE']] });
  return paths;
}

const ev = (days: number, eventType: string, contractKind?: string, seq = days): PathEvent => ({ days, seq, eventType, ...(contractKind === undefined ? {} : { contractKind }) });

function table(report: StatisticsReport, name: string) {
  const found = report.efficacy.tables.find((t) => t.name === name);
  if (!found) throw new Error(`no table ${name}`);
  return found;
}

describe('stats/efficacy', () => {
  it('reads the situation from the events up to the horizon, employment and training lasting until another situation replaces them', () => {
    expect(situationAt([], 184)).to.equal('SANS_NOUVELLES');
    expect(situationAt([ev(10, 'RDV_PLANIFIE')], 184)).to.equal('ACCOMPAGNE');
    expect(situationAt([ev(10, 'ENTREE_EMPLOI', 'CDI')], 184)).to.equal('EMPLOI_DURABLE');
    expect(situationAt([ev(10, 'ENTREE_EMPLOI', 'CDD_6M_PLUS')], 184)).to.equal('EMPLOI_DURABLE');
    for (const kind of ['CDD_MOINS_6M', 'INTERIM', 'IAE', 'ALTERNANCE', 'INDEPENDANT']) expect(situationAt([ev(10, 'ENTREE_EMPLOI', kind)], 184), kind).to.equal('EMPLOI_AUTRE');
    expect(situationAt([ev(10, 'ENTREE_IAE')], 184)).to.equal('EMPLOI_AUTRE');
    expect(situationAt([ev(10, 'CREATION_ENTREPRISE')], 184)).to.equal('EMPLOI_AUTRE');
    expect(situationAt([ev(10, 'ENTREE_FORMATION'), ev(20, 'RDV_PLANIFIE')], 184)).to.equal('FORMATION');
    expect(situationAt([ev(10, 'ENTREE_FORMATION'), ev(20, 'SORTIE_FORMATION')], 184)).to.equal('ACCOMPAGNE');
    expect(situationAt([ev(10, 'RDV_PLANIFIE'), ev(20, 'FIN_ACCOMPAGNEMENT')], 184)).to.equal('SORTI');
    expect(situationAt([ev(10, 'ENTREE_EMPLOI', 'CDI'), ev(20, 'FIN_ACCOMPAGNEMENT')], 184)).to.equal('EMPLOI_DURABLE');
    expect(situationAt([ev(10, 'ENTREE_FORMATION'), ev(20, 'FIN_ACCOMPAGNEMENT')], 184)).to.equal('FORMATION');
    // Order of effective dates, not of arrival; an event after the horizon does not count.
    expect(situationAt([ev(30, 'FIN_ACCOMPAGNEMENT', undefined, 1), ev(10, 'RDV_PLANIFIE', undefined, 2)], 184)).to.equal('SORTI');
    expect(situationAt([ev(10, 'RDV_PLANIFIE'), ev(185, 'ENTREE_EMPLOI', 'CDI')], 184)).to.equal('ACCOMPAGNE');
    expect(situationAt([ev(184, 'ENTREE_EMPLOI', 'CDI')], 184)).to.equal('EMPLOI_DURABLE');
  });

  it('places the horizons by calendar months, and observes whole months of acceptance only', () => {
    expect(addMonths('2026-03-10', 6)).to.equal('2026-09-10');
    expect(addMonths('2026-08-31', 6)).to.equal('2027-02-28');
    expect(addMonths('2027-08-31', 6)).to.equal('2028-02-29');
    expect(addMonths('2026-11-15', 12)).to.equal('2027-11-15');
    // On the last day of a month, the month six months before is whole; the day before, it is not.
    expect(observedThrough('2027-12-31', 6)).to.equal('2027-06');
    expect(observedThrough('2027-12-30', 6)).to.equal('2027-05');
    expect(observedThrough('2027-12-31', 12)).to.equal('2026-12');
    expect(observedThrough('2027-03-01', 6)).to.equal('2026-08');
  });

  it('counts the 30 observed people by actor and situation at 6 and 12 months as worked out by hand, the 5 recent ones in neither', () => {
    const paths = thirtyPaths();
    const { values } = efficacyCounts(paths.list, {
      reportDay: '2027-12-31', recipients: RECIPIENTS, months: ['2026-03', '2027-02', '2027-09'], permitFamilies: [], languageLevels: [], orientationsId: () => 'x', minRateDenominator: 30,
    });
    const count = (key: string) => values.get(`efficacy|${key}`) ?? 0;
    const SIX = ['EMPLOI_DURABLE', 'EMPLOI_AUTRE', 'FORMATION', 'ACCOMPAGNE', 'SORTI', 'SANS_NOUVELLES'];
    const row = (dimension: string, category: string, horizon: 6 | 12, columns: string[]) => [...columns.map((c) => count(`${dimension}=${category}&situation${horizon}=${c}`)), count(`${dimension}=${category}`)];
    // By hand, France Travail at 6 months: 5 + 2 durable, 3 in training, 2 left, 1 + 2 without news.
    expect(row('recipient', 'france-travail-paris', 6, SIX)).to.deep.equal([7, 0, 3, 0, 2, 3, 15]);
    // At 12 months the trainees are temping, the late first interview is support.
    expect(row('recipient', 'france-travail-paris', 12, [...SIX, 'MOINS_DE_12_MOIS'])).to.deep.equal([7, 3, 0, 1, 2, 2, 0, 15]);
    // Mission Locale: 11 in IAE and 1 short contract (still employed after the reorientation), 2 followed, 1 without news.
    expect(row('recipient', 'mission-locale-paris', 6, SIX)).to.deep.equal([0, 12, 0, 2, 0, 1, 15]);
    expect(row('recipient', 'mission-locale-paris', 12, [...SIX, 'MOINS_DE_12_MOIS'])).to.deep.equal([0, 0, 0, 0, 0, 0, 15, 15]);
    // The other dimensions split the same people (sex F is France Travail here, M the Mission Locale).
    expect(row('sex', 'F', 6, SIX)).to.deep.equal([7, 0, 3, 0, 2, 3, 15]);
    expect(row('ageBand', '16-25', 6, SIX)).to.deep.equal([0, 12, 0, 2, 0, 1, 15]);
    expect(row('pathway', 'SOCIO_PRO', 12, [...SIX, 'MOINS_DE_12_MOIS'])).to.deep.equal([0, 0, 0, 0, 0, 0, 15, 15]);
    expect(row('period', '2026-Q1', 6, SIX)).to.deep.equal([7, 0, 3, 0, 2, 3, 15]);
    expect(row('period', '2027-Q1', 6, SIX)).to.deep.equal([0, 12, 0, 2, 0, 1, 15]);
    expect(count('period=2027-Q3')).to.equal(0);
    expect(values.get('efficacy|')).to.equal(30);
  });

  it('withholds every count from 1 to 10, publishes only true counts, and no withheld count can be worked out from every table and the relations between them', function () {
    this.timeout(120_000);
    const paths = thirtyPaths();
    const report = buildStatistics(paths.list, OPTIONS);
    const { values } = efficacyCounts(paths.list, {
      reportDay: '2027-12-31', recipients: RECIPIENTS, months: ['2026-03', '2027-02', '2027-09'], permitFamilies: [], languageLevels: [], orientationsId: () => 'x', minRateDenominator: 30,
    });
    // The reader's view: the other tables, the efficacy tables (row totals shared by both horizons),
    // and what ties them (the quarter is its months; an actor's cohorts are its orientations less the recent months').
    const base = attackerView(report);
    const published = new Map(base.published);
    const truth = trueCounts(base, paths.list);
    const relations: Relation[] = [...base.relations];
    const idOf = (dims: Record<string, string>) => `efficacy|${Object.keys(dims).sort().map((k) => `${k}=${dims[k]}`).join('&')}`;
    for (const t of report.efficacy.tables) {
      const cell = (row: string, column: string) => {
        const dims: Record<string, string> = {};
        if (row !== 'TOTAL') dims[t.rows] = row;
        if (column !== 'TOTAL') dims[`situation${t.horizonMonths}`] = column;
        return idOf(dims);
      };
      for (const c of t.cells) {
        const id = cell(c.row, c.column);
        if (published.has(id) && published.get(id) !== c.count) throw new Error(`${id} published twice differently`);
        published.set(id, c.count);
        truth.set(id, values.get(id) ?? 0);
        if (c.count !== null) expect(c.count === 0 || c.count >= 11, `${t.name} ${c.row} × ${c.column} = ${c.count}`).to.equal(true);
        else expect(c.suppressed).to.equal(true);
      }
      const rows = [...new Set(t.cells.map((c) => c.row))].filter((r) => r !== 'TOTAL');
      const columns = [...new Set(t.cells.map((c) => c.column))].filter((c) => c !== 'TOTAL');
      for (const r of [...rows, 'TOTAL']) relations.push({ total: cell(r, 'TOTAL'), parts: columns.map((c) => cell(r, c)) });
      for (const c of [...columns, 'TOTAL']) relations.push({ total: cell('TOTAL', c), parts: rows.map((r) => cell(r, c)) });
    }
    const orientations = (dims: Record<string, string>) => JSON.stringify(Object.keys({ ...dims, type: '' }).sort().map((k) => [k, k === 'type' ? 'orientation' : dims[k]]));
    relations.push({ total: idOf({ period: '2026-Q1' }), parts: [orientations({ month: '2026-03' })] });
    relations.push({ total: idOf({ period: '2027-Q1' }), parts: [orientations({ month: '2027-02' })] });
    relations.push({ total: orientations({}), parts: [idOf({}), orientations({ month: '2027-09' })] });
    for (const recipient of RECIPIENTS) relations.push({ total: orientations({ recipient }), parts: [idOf({ recipient }), orientations({ month: '2027-09', recipient })] });
    for (const [id, value] of published) if (value !== null) expect(value, id).to.equal(truth.get(id));
    for (const [id, value] of truth) if (value >= 1 && value <= 10) expect(published.get(id), id).to.equal(null);
    expect([...published.values()].filter((v) => v === null).length).to.be.greaterThan(0);
    expect(exactlyRecoverable(published, relations, truth)).to.deep.equal([]);
    // Primary suppression alone would give counts away through the shared margins: the check can fail.
    const primaryOnly = new Map([...truth].map(([id, v]) => [id, v >= 1 && v <= 10 ? null : v]));
    expect(exactlyRecoverable(primaryOnly, relations, truth)).to.not.deep.equal([]);
  });

  it("leaves the committee's other tables as they are without the efficacy tables: their counts are settled first", () => {
    const paths = thirtyPaths();
    const withOutcomes = buildStatistics(paths.list, OPTIONS);
    // Read on a day when no cohort is 6 months old, the efficacy tables have nothing to protect.
    const withoutOutcomes = buildStatistics(paths.list, { ...OPTIONS, generatedAt: '2026-01-15T12:00:00.000Z' });
    expect(withoutOutcomes.efficacy.tables.flatMap((t) => t.cells).every((c) => c.count === 0)).to.equal(true);
    expect(withOutcomes.efficacy.tables.flatMap((t) => t.cells).some((c) => c.suppressed)).to.equal(true);
    expect(withOutcomes.tables).to.deep.equal(withoutOutcomes.tables);
  });

  it('gives an employment rate over 30 people observed or more, by period and actor, at both horizons', () => {
    const paths = new Paths();
    const ft = { month: '2026-03', sentOn: '2026-03-10', recipient: 'france-travail-paris' };
    paths.add(12, { ...ft, events: [[10, 'PREMIER_ENTRETIEN_REALISE'], [60, 'ENTREE_EMPLOI', 'CDI']] });
    paths.add(11, { ...ft, events: [[30, 'PREMIER_ENTRETIEN_REALISE'], [60, 'ENTREE_IAE']] });
    paths.add(11, { ...ft, events: [[40, 'RDV_PLANIFIE']] });
    // 29 people: too few for a rate.
    paths.add(29, { month: '2026-03', sentOn: '2026-03-10', recipient: 'mission-locale-paris' });
    const report = buildStatistics(paths.list, OPTIONS);
    expect(report.efficacy.tables.flatMap((t) => t.cells).filter((c) => c.suppressed), 'nothing small here').to.deep.equal([]);
    const rate = (name: string, row: string) => report.efficacy.rates.find((t) => t.name === name)!.cells.find((c) => c.row === row);
    for (const horizon of [6, 12]) {
      expect(rate(`employment-rate-at-${horizon}-months-by-actor`, 'france-travail-paris')).to.deep.equal({ row: 'france-travail-paris', rate: Math.round((23 / 34) * 10_000) / 10_000 });
      expect(rate(`employment-rate-at-${horizon}-months-by-actor`, 'mission-locale-paris')).to.deep.equal({ row: 'mission-locale-paris', rate: null, flag: 'denominator-under-30' });
      expect(rate(`employment-rate-at-${horizon}-months-by-period`, '2026-Q1')).to.deep.equal({ row: '2026-Q1', rate: Math.round((23 / 63) * 10_000) / 10_000 });
      expect(rate(`employment-rate-at-${horizon}-months-by-period`, 'TOTAL')).to.deep.equal({ row: 'TOTAL', rate: Math.round((23 / 63) * 10_000) / 10_000 });
    }
  });

  it('gives the median days to the first interview by period and actor over 11 people or more, whatever the age of the orientation', () => {
    const paths = new Paths();
    const ft = { month: '2026-03', sentOn: '2026-03-10', recipient: 'france-travail-paris' };
    paths.add(12, { ...ft, events: [[10, 'PREMIER_ENTRETIEN_REALISE'], [12, 'PREMIER_ENTRETIEN_REALISE']] });
    paths.add(11, { ...ft, events: [[30, 'PREMIER_ENTRETIEN_REALISE']] });
    paths.add(3, { ...ft, events: [[-2, 'PREMIER_ENTRETIEN_REALISE']] }); // before the orientation: a data error, left out
    // 10 first interviews at the Mission Locale, in September 2027 (too recent for the outcome tables).
    const ml = { month: '2027-09', sentOn: '2027-09-01', recipient: 'mission-locale-paris' };
    paths.add(10, { ...ml, events: [[5, 'PREMIER_ENTRETIEN_REALISE']] });
    const median = (report: StatisticsReport, name: string, row: string) => report.efficacy.medians.find((t) => t.name === name)!.cells.find((c) => c.row === row);
    const report = buildStatistics(paths.list, OPTIONS);
    // France Travail: 12 × 10 days (the first of two) and 11 × 30 days: the 12th of 23 is 10.
    expect(median(report, 'median-days-to-first-interview-by-actor', 'france-travail-paris')).to.deep.equal({ row: 'france-travail-paris', medianDays: 10 });
    expect(median(report, 'median-days-to-first-interview-by-actor', 'mission-locale-paris')).to.deep.equal({ row: 'mission-locale-paris', medianDays: null, flag: 'fewer-than-11-people' });
    expect(median(report, 'median-days-to-first-interview-by-period', '2026-Q1')).to.deep.equal({ row: '2026-Q1', medianDays: 10 });
    expect(median(report, 'median-days-to-first-interview-by-period', '2027-Q3')).to.deep.equal({ row: '2027-Q3', medianDays: null, flag: 'fewer-than-11-people' });
    // All 33: 10 × 5, 12 × 10, 11 × 30; the 17th is 10.
    expect(median(report, 'median-days-to-first-interview-by-actor', 'TOTAL')).to.deep.equal({ row: 'TOTAL', medianDays: 10 });
    // An 11th person at the Mission Locale: 10 × 5 and 1 × 7, the 6th is 5.
    paths.add(1, { ...ml, events: [[7, 'PREMIER_ENTRETIEN_REALISE']] });
    expect(median(buildStatistics(paths.list, OPTIONS), 'median-days-to-first-interview-by-actor', 'mission-locale-paris')).to.deep.equal({ row: 'mission-locale-paris', medianDays: 5 });
    expect(median(buildStatistics(paths.list, OPTIONS), 'median-days-to-first-interview-by-period', '2027-Q3')).to.deep.equal({ row: '2027-Q3', medianDays: 5 });
  });

  it('keeps an employment rate back when one of its counts is withheld, even over 30 people', () => {
    const paths = new Paths();
    const ft = { month: '2026-03', sentOn: '2026-03-10', recipient: 'france-travail-paris' };
    paths.add(4, { ...ft, events: [[60, 'ENTREE_EMPLOI', 'CDI']] });
    paths.add(31, ft);
    const report = buildStatistics(paths.list, OPTIONS);
    const cells = report.efficacy.rates.find((t) => t.name === 'employment-rate-at-6-months-by-actor')!.cells;
    expect(cells.find((c) => c.row === 'france-travail-paris')).to.deep.equal({ row: 'france-travail-paris', rate: null, flag: 'count-suppressed' });
  });

  it('lists the efficacy figures in the CSV after the others, each table under its name', () => {
    const report = buildStatistics(thirtyPaths().list, OPTIONS);
    const rows = parseCsv(statisticsCsv(report)).slice(1);
    const expected = [
      ...report.efficacy.tables.flatMap((t) => t.cells.map((c) => [t.name, c.row, c.column, 'count', c.count === null ? '' : String(c.count), c.suppressed ? 'suppressed' : ''])),
      ...report.efficacy.rates.flatMap((t) => t.cells.map((c) => [t.name, c.row, '', 'rate', c.rate === null ? '' : String(c.rate), c.flag ?? ''])),
      ...report.efficacy.medians.flatMap((t) => t.cells.map((c) => [t.name, c.row, '', 'median-days', c.medianDays === null ? '' : String(c.medianDays), c.flag ?? ''])),
    ];
    expect(rows.slice(rows.length - expected.length)).to.deep.equal(expected);
    expect(report.efficacy.tables.map((t) => t.name)).to.include.members(['outcomes-at-6-months-by-period', 'outcomes-at-12-months-by-actor', 'outcomes-at-6-months-by-age-band', 'outcomes-at-12-months-by-pathway']);
    expect([...new Set(table(report, 'outcomes-at-12-months-by-sex').cells.map((c) => c.column))]).to.deep.equal(['EMPLOI_DURABLE', 'EMPLOI_AUTRE', 'FORMATION', 'ACCOMPAGNE', 'SORTI', 'SANS_NOUVELLES', 'MOINS_DE_12_MOIS', 'TOTAL']);
    expect([...new Set(table(report, 'outcomes-at-6-months-by-age-band').cells.map((c) => c.row))]).to.deep.equal(['16-25', '26-44', '45+', 'TOTAL']);
  });
});
