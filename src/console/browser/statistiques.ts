/**
 * The steering committee's statistics (`/console/statistiques`): GET /v1/stats as charts and tables,
 * each table downloadable as the API's own CSV, and a report to print for the committee's meetings
 * (the print stylesheet hides the navigation and the form).
 *
 * The page shows the API's figures and computes none: a sum or a difference made here could give away
 * what disclosure control withheld. A withheld count is shown as "secret statistique", never as a
 * number nor drawn as a bar (bar-chart.ts). The period chosen only hides rows of the tables by month:
 * the API publishes no figure for a chosen period, since two periods' difference would reveal counts.
 */
import { t, FR, type MessageKey } from '../catalogue/index.js';
import { ApiProblem, getJson } from './api.js';
import { barChart, type Bar } from './bar-chart.js';
import { h, replace, type Child } from './dom.js';
import './statistiques.css';
import { CSV_PATH, csvOfTable, fetchStatisticsCsv, saveFile } from './statistics-csv.js';

/** GET /v1/stats as src/stats/report.ts writes it (the browser bundle does not import src/stats). */
interface CountCell {
  row: string;
  column: string;
  count: number | null;
  suppressed?: true;
}
interface CountTable {
  name: string;
  rows: string;
  columns: string;
  cells: CountCell[];
}
interface RateTable {
  name: string;
  rows: string;
  cells: Array<{ row: string; rate: number | null; flag?: string }>;
}
interface MedianTable {
  name: string;
  rows: string;
  cells: Array<{ row: string; medianDays: number | null; flag?: string }>;
}
/** The efficacy section (src/stats/efficacy.ts): situations 6 and 12 months after the orientation. */
interface Efficacy {
  reportDate: string;
  minimumMedianPeople: number;
  observedThrough: { sixMonths: string; twelveMonths: string };
  tables: Array<CountTable & { horizonMonths: number }>;
  rates: Array<RateTable & { horizonMonths: number }>;
  medians: MedianTable[];
}
interface Report {
  generatedAt: string;
  efficacy?: Efficacy;
  disclosureControl: { suppressedCounts: { from: number; to: number }; minimumRateDenominator: number; minimumMedianObservations: number };
  tables: CountTable[];
  rates: RateTable[];
  medians: MedianTable[];
}

const TOTAL = 'TOTAL';
const BY_MONTH = 'orientations-by-month-and-recipient';
const MESSAGES = 'messages-by-month-and-type';
const OUTCOMES = 'orientations-by-recipient-and-outcome';
const PERMITS = 'orientations-by-recipient-and-permit-family';
const LEVELS = 'orientations-by-recipient-and-language-level';
const RATES = 'acceptance-rate-by-recipient';
const MEDIANS = 'days-to-first-interview-by-recipient';

const integer = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });
// Rates are published rounded to 4 decimals: 2 decimals of a percentage show them exactly.
const percent = new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 2 });
const dateTime = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Paris' });
const monthName = new Intl.DateTimeFormat('fr-FR', { month: 'long', year: 'numeric', timeZone: 'UTC' });

function key(name: string): MessageKey | undefined {
  return name in FR ? (name as MessageKey) : undefined;
}

function monthLabel(month: string): string {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  return match ? monthName.format(new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1))) : month;
}

/** A category as people read it: a month by its name, a code by its catalogue label, a partner id as is. */
function categoryLabel(dimension: string, value: string): string {
  if (value === TOTAL) return t(dimension === 'month' ? 'statistiques.category.TOTAL.month' : 'statistiques.category.TOTAL');
  if (dimension === 'month') return monthLabel(value);
  const quarter = /^(\d{4})-Q([1-4])$/.exec(value);
  if (quarter) return `${quarter[2]}${quarter[2] === '1' ? 'er' : 'e'} trimestre ${quarter[1]}`;
  const known = key(`statistiques.category.${value}`);
  return known ? t(known) : value;
}

function dimensionLabel(dimension: string): string {
  const known = key(`statistiques.dimension.${dimension}`);
  return known ? t(known) : dimension;
}

function tableTitle(name: string): string {
  const known = key(`statistiques.table.${name}`);
  return known ? t(known) : t('statistiques.table.unknown', { name });
}

function flagText(flag: string | undefined, report: Report): string {
  if (flag === 'denominator-under-30') return t('statistiques.flag.denominator-under-30', { min: report.disclosureControl.minimumRateDenominator });
  if (flag === 'fewer-than-30-observations') return t('statistiques.flag.fewer-than-30-observations', { min: report.disclosureControl.minimumMedianObservations });
  if (flag === 'fewer-than-11-people' && report.efficacy !== undefined) return t('statistiques.flag.fewer-than-11-people', { min: report.efficacy.minimumMedianPeople });
  return t('statistiques.flag.count-suppressed');
}

function suppressedMark(): HTMLElement {
  return h('span', { class: 'stats-suppressed' }, t('statistiques.suppressed'));
}

/** The months the report covers, and the part of them the person chose (?du=YYYY-MM&au=YYYY-MM). */
interface Period {
  months: string[];
  from: string | undefined;
  to: string | undefined;
  invalid: boolean;
}

function periodOf(report: Report): Period {
  const table = report.tables.find((candidate) => candidate.name === MESSAGES);
  const months = [...new Set((table?.cells ?? []).map((cell) => cell.row).filter((row) => row !== TOTAL))].sort();
  const query = new URLSearchParams(window.location.search);
  let from = query.get('du') ?? undefined;
  let to = query.get('au') ?? undefined;
  if (from === undefined || !months.includes(from)) from = months[0];
  if (to === undefined || !months.includes(to)) to = months[months.length - 1];
  const invalid = from !== undefined && to !== undefined && from > to;
  if (invalid) {
    from = months[0];
    to = months[months.length - 1];
  }
  return { months, from, to, invalid };
}

function inPeriod(period: Period, month: string): boolean {
  return month === TOTAL || (period.from !== undefined && period.to !== undefined && month >= period.from && month <= period.to);
}

function orderedValues(cells: Array<{ row: string }>): string[] {
  return [...new Set(cells.map((cell) => cell.row))];
}

/**
 * The API's CSV, asked once per page: each role may ask for the statistics 30 times a minute, and a
 * person downloading table after table should not use that up. Asked again after a failure.
 */
let csvOnce: Promise<string> | undefined;
function statisticsCsv(): Promise<string> {
  const asked = (csvOnce ??= fetchStatisticsCsv());
  asked.catch(() => {
    if (csvOnce === asked) csvOnce = undefined;
  });
  return asked;
}

function downloadButton(name: string, status: HTMLElement): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'fr-btn fr-btn--tertiary fr-btn--sm stats-download fr-no-print', 'data-csv': name }, t('statistiques.table.csv'));
  button.addEventListener('click', () => {
    replace(status);
    status.classList.remove('fr-error-text');
    statisticsCsv()
      .then((csv) => saveFile(`statistiques-${name}.csv`, csvOfTable(csv, name)))
      .catch((err: unknown) => {
        // The design system's error style (and its icon) only once there is an error to show.
        status.classList.add('fr-error-text');
        replace(status, t('statistiques.table.csv.failed', { reason: err instanceof Error ? err.message : String(err) }));
      });
  });
  return button;
}

function tableBlock(name: string, caption: string, table: HTMLTableElement): HTMLElement {
  const status = h('p', { class: 'stats-download fr-no-print', role: 'status' });
  table.prepend(h('caption', {}, caption));
  return h(
    'div',
    { class: 'stats-block' },
    h('div', { class: 'fr-table fr-table--bordered fr-table--no-scroll', id: `tableau-${name}`, 'data-table': name }, h('div', { class: 'fr-table__wrapper' }, h('div', { class: 'fr-table__container' }, h('div', { class: 'fr-table__content' }, table)))),
    downloadButton(name, status),
    status,
  );
}

function countTable(table: CountTable, period: Period, title = tableTitle(table.name)): HTMLElement {
  const rows = orderedValues(table.cells).filter((row) => table.rows !== 'month' || inPeriod(period, row));
  const columns = [...new Set(table.cells.map((cell) => cell.column))];
  const byKey = new Map(table.cells.map((cell) => [`${cell.row}\u0000${cell.column}`, cell]));
  const body = rows.map((row) =>
    h(
      'tr',
      { class: row === TOTAL ? 'stats-total' : undefined },
      h('th', { scope: 'row' }, categoryLabel(table.rows, row)),
      ...columns.map((column) => {
        const cell = byKey.get(`${row}\u0000${column}`);
        const attributes = { 'data-row': row, 'data-column': column, class: 'stats-number' };
        if (cell === undefined) return h('td', attributes);
        if (cell.count === null) return h('td', { ...attributes, 'data-suppressed': 'true' }, suppressedMark());
        return h('td', { ...attributes, 'data-value': String(cell.count) }, integer.format(cell.count));
      }),
    ),
  );
  const element = h(
    'table',
    {},
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, dimensionLabel(table.rows)), ...columns.map((column) => h('th', { scope: 'col', class: 'stats-number' }, categoryLabel(table.columns, column))))),
    h('tbody', {}, ...body),
  );
  return tableBlock(table.name, title, element);
}

function valueTable(name: string, dimension: string, heading: string, cells: Array<{ row: string; value: number | null; text: string }>, title = tableTitle(name)): HTMLElement {
  const element = h(
    'table',
    {},
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, dimensionLabel(dimension)), h('th', { scope: 'col', class: 'stats-number' }, heading))),
    h(
      'tbody',
      {},
      ...cells.map((cell) =>
        h(
          'tr',
          { class: cell.row === TOTAL ? 'stats-total' : undefined },
          h('th', { scope: 'row' }, categoryLabel(dimension, cell.row)),
          cell.value === null
            ? h('td', { 'data-row': cell.row, 'data-suppressed': 'true', class: 'stats-number' }, h('span', { class: 'stats-suppressed' }, cell.text))
            : h('td', { 'data-row': cell.row, 'data-value': String(cell.value), class: 'stats-number' }, cell.text),
        ),
      ),
    ),
  );
  return tableBlock(name, title, element);
}

/** A rate table's rows as the page shows them: the rate, or why it is not published. */
function rateCells(table: RateTable, report: Report): Array<{ row: string; value: number | null; text: string }> {
  return table.cells.map((cell) => ({ row: cell.row, value: cell.rate, text: cell.rate === null ? flagText(cell.flag, report) : percent.format(cell.rate) }));
}

/** A median table's rows as the page shows them: the days, or why they are not published. */
function medianCells(table: MedianTable, report: Report): Array<{ row: string; value: number | null; text: string }> {
  return table.cells.map((cell) => ({ row: cell.row, value: cell.medianDays, text: cell.medianDays === null ? flagText(cell.flag, report) : t('statistiques.days', { value: decimal.format(cell.medianDays) }) }));
}

function figure(id: string, title: string, bars: Bar[]): HTMLElement {
  const drawn = bars.length === 0 ? h('p', {}, t('statistiques.chart.none')) : barChart({ id, title, bars, alternative: t('statistiques.chart.alt', { title }) });
  return h('figure', { class: 'stats-figure', 'aria-labelledby': `${id}-legende` }, h('figcaption', { id: `${id}-legende`, class: 'fr-h6' }, title), drawn);
}

function countBars(cells: CountCell[], dimension: string, pick: (cell: CountCell) => string): Bar[] {
  return cells.map((cell) => ({
    label: categoryLabel(dimension, pick(cell)),
    value: cell.count,
    text: cell.count === null ? t('statistiques.suppressed') : integer.format(cell.count),
  }));
}

function section(id: string, title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'stats-section fr-mt-6w', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

function periodForm(period: Period): HTMLElement {
  const select = (name: string, label: string, chosen: string | undefined) =>
    h(
      'div',
      { class: 'fr-fieldset__element fr-fieldset__element--inline' },
      h(
        'div',
        { class: 'fr-select-group' },
        h('label', { class: 'fr-label', for: `periode-${name}` }, label),
        h('select', { class: 'fr-select', id: `periode-${name}`, name }, ...period.months.map((month) => h('option', { value: month, selected: month === chosen }, monthLabel(month)))),
      ),
    );
  return h(
    'form',
    { method: 'get', action: '/console/statistiques', class: 'stats-period fr-no-print fr-mt-4w' },
    h(
      'fieldset',
      { class: 'fr-fieldset', id: 'periode' },
      h('legend', { class: 'fr-fieldset__legend' }, t('statistiques.form.legend')),
      select('du', t('statistiques.form.from'), period.from),
      select('au', t('statistiques.form.to'), period.to),
      h('div', { class: 'fr-fieldset__element fr-fieldset__element--inline stats-period__submit' }, h('button', { type: 'submit', class: 'fr-btn fr-btn--secondary' }, t('statistiques.form.submit'))),
    ),
  );
}

function render(root: Element, report: Report): void {
  const period = periodOf(report);
  const tables = new Map(report.tables.map((table) => [table.name, table]));
  const first = period.months[0];
  const last = period.months[period.months.length - 1];
  const control = report.disclosureControl;

  const heading: Child[] = [
    h('h1', {}, t('statistiques.title')),
    h('p', { class: 'fr-text--lead' }, t('statistiques.lead')),
    h('p', { class: 'stats-meta', id: 'produits-le', 'data-generated-at': report.generatedAt }, t('statistiques.generatedAt', { date: dateTime.format(new Date(report.generatedAt)) })),
    h('p', { class: 'stats-meta stats-print-only' }, t('statistiques.printedAt', { date: dateTime.format(new Date()) })),
    h('p', { class: 'stats-meta', id: 'periode-affichee' }, period.from && period.to ? t('statistiques.period', { from: monthLabel(period.from), to: monthLabel(period.to) }) : t('statistiques.period.empty')),
    h(
      'div',
      { class: 'fr-callout stats-rule', id: 'secret-statistique' },
      h('h2', { class: 'fr-callout__title' }, t('statistiques.rule.title')),
      h('p', { class: 'fr-callout__text' }, t('statistiques.rule.counts', { from: control.suppressedCounts.from, to: control.suppressedCounts.to })),
      h('p', { class: 'fr-callout__text' }, t('statistiques.rule.rates', { rate: control.minimumRateDenominator, median: control.minimumMedianObservations })),
      h('p', { class: 'fr-callout__text' }, t('statistiques.rule.charts')),
    ),
  ];
  const controls: Child[] =
    period.months.length === 0
      ? []
      : [
          periodForm(period),
          period.invalid ? h('div', { class: 'fr-alert fr-alert--warning fr-alert--sm stats-period fr-no-print', role: 'alert' }, h('p', {}, t('statistiques.form.invalid'))) : null,
          h('p', { class: 'fr-text--sm stats-scope' }, t('statistiques.form.scope', { from: monthLabel(first!), to: monthLabel(last!) })),
        ];
  const print = h('button', { type: 'button', class: 'fr-btn', id: 'imprimer' }, t('statistiques.actions.print'));
  print.addEventListener('click', () => window.print());
  const actions = h(
    'ul',
    { class: 'fr-btns-group fr-btns-group--inline-md stats-actions fr-no-print' },
    h('li', {}, print),
    h('li', {}, h('a', { class: 'fr-btn fr-btn--secondary', href: CSV_PATH, download: 'statistiques-passerelle.csv', id: 'csv-complet' }, t('statistiques.actions.csv'))),
  );

  const byMonth = tables.get(BY_MONTH);
  const monthTotals = (byMonth?.cells ?? []).filter((cell) => cell.column === TOTAL && cell.row !== TOTAL && inPeriod(period, cell.row));
  const recipientTotals = (byMonth?.cells ?? []).filter((cell) => cell.row === TOTAL && cell.column !== TOTAL);
  const rates = report.rates.find((table) => table.name === RATES);
  const medians = report.medians.find((table) => table.name === MEDIANS);
  const rateRows = rates ? rateCells(rates, report) : [];
  const medianRows = medians ? medianCells(medians, report) : [];
  const asBars = (cells: Array<{ row: string; value: number | null; text: string }>) => cells.filter((cell) => cell.row !== TOTAL).map((cell) => ({ label: categoryLabel('recipient', cell.row), value: cell.value, text: cell.text }));

  const known = new Set([BY_MONTH, MESSAGES, OUTCOMES, PERMITS, LEVELS]);
  replace(
    root,
    h(
      'div',
      { class: 'stats-report', 'data-ready': 'true' },
      ...heading,
      ...controls,
      actions,
      section(
        'orientations',
        t('statistiques.section.orientations'),
        figure('graphique-orientations-par-mois', t('statistiques.chart.orientations-by-month'), countBars(monthTotals, 'month', (cell) => cell.row)),
        figure('graphique-orientations-par-structure', t('statistiques.chart.orientations-by-recipient'), countBars(recipientTotals, 'recipient', (cell) => cell.column)),
        byMonth ? countTable(byMonth, period) : null,
        ...[PERMITS, LEVELS].map((name) => tables.get(name)).map((table) => (table ? countTable(table, period) : null)),
      ),
      section(
        'delais',
        t('statistiques.section.delays'),
        figure('graphique-delais', t('statistiques.chart.days-to-first-interview'), asBars(medianRows)),
        medians ? valueTable(MEDIANS, medians.rows, t('statistiques.column.median'), medianRows) : null,
      ),
      section(
        'suites',
        t('statistiques.section.outcomes'),
        figure('graphique-taux-acceptation', t('statistiques.chart.acceptance-rate'), asBars(rateRows)),
        rates ? valueTable(RATES, rates.rows, t('statistiques.column.rate'), rateRows) : null,
        tables.get(OUTCOMES) ? countTable(tables.get(OUTCOMES)!, period) : null,
      ),
      section(
        'messages',
        t('statistiques.section.messages'),
        tables.get(MESSAGES) ? countTable(tables.get(MESSAGES)!, period) : null,
        // A table a later gateway adds is shown too, rather than silently left out.
        ...report.tables.filter((table) => !known.has(table.name)).map((table) => countTable(table, period)),
      ),
      efficacySection(report, period),
    ),
  );
}

/**
 * The efficacy tables as published: each titled from its horizon and dimension, a withheld count or
 * rate shown as such. Nothing is computed here (see the top of this file).
 */
function efficacySection(report: Report, period: Period): HTMLElement | null {
  const efficacy = report.efficacy;
  if (efficacy === undefined) return null;
  const dimension = (name: string) => dimensionLabel(name).toLowerCase();
  return section(
    'efficacite',
    t('statistiques.section.efficacy'),
    h('p', {}, t('statistiques.efficacy.lead', { date: dateTime.format(new Date(efficacy.reportDate)), six: monthLabel(efficacy.observedThrough.sixMonths), twelve: monthLabel(efficacy.observedThrough.twelveMonths) })),
    ...efficacy.tables.map((table) => countTable(table, period, t('statistiques.efficacy.outcomes', { horizon: table.horizonMonths, dimension: dimension(table.rows) }))),
    ...efficacy.rates.map((table) =>
      valueTable(table.name, table.rows, t('statistiques.column.rate'), rateCells(table, report), t('statistiques.efficacy.rates', { horizon: table.horizonMonths, dimension: dimension(table.rows) })),
    ),
    ...efficacy.medians.map((table) =>
      valueTable(table.name, table.rows, t('statistiques.column.median'), medianCells(table, report), t('statistiques.efficacy.medians', { dimension: dimension(table.rows) })),
    ),
  );
}

function failure(root: Element, err: unknown): void {
  const sentence = err instanceof ApiProblem && err.status === 403 ? t('statistiques.forbidden') : t('statistiques.failed', { reason: err instanceof Error ? err.message : String(err) });
  replace(root, h('div', { 'data-ready': 'true' }, h('h1', {}, t('statistiques.title')), h('div', { class: 'fr-alert fr-alert--error', id: 'erreur' }, h('p', {}, sentence))));
}

async function main(): Promise<void> {
  const root = document.getElementById('contenu');
  if (root === null) return;
  try {
    render(root, await getJson<Report>('/v1/stats?format=json'));
  } catch (err) {
    failure(root, err);
  }
}

void main();
