/**
 * The statistics as one CSV table (RFC 4180: CRLF line ends, fields quoted when they hold a comma, a
 * quote or a line end), one line per published figure, so that a spreadsheet or a script reads every
 * table of the report with the same six columns: the efficacy tables (efficacy.ts) after the others,
 * each under its own name.
 */
import type { StatisticsReport } from './report.js';

export const CSV_COLUMNS = ['table', 'row', 'column', 'measure', 'value', 'flag'] as const;

function field(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

type Line = Array<string | number | null | undefined>;

/** The lines of one group of tables (the report's own, or its efficacy section): counts, rates, medians. */
function linesOf(group: Pick<StatisticsReport, 'tables' | 'rates' | 'medians'> | StatisticsReport['efficacy']): Line[] {
  const lines: Line[] = [];
  for (const table of group.tables) {
    for (const cell of table.cells) lines.push([table.name, cell.row, cell.column, 'count', cell.count, cell.suppressed ? 'suppressed' : '']);
  }
  for (const table of group.rates) {
    for (const cell of table.cells) lines.push([table.name, cell.row, '', 'rate', cell.rate, cell.flag]);
  }
  for (const table of group.medians) {
    for (const cell of table.cells) lines.push([table.name, cell.row, '', 'median-days', cell.medianDays, cell.flag]);
  }
  return lines;
}

export function statisticsCsv(report: StatisticsReport): string {
  const lines: Line[] = [[...CSV_COLUMNS], ...linesOf(report), ...linesOf(report.efficacy)];
  return lines.map((line) => `${line.map(field).join(',')}\r\n`).join('');
}
