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

export function statisticsCsv(report: StatisticsReport): string {
  const lines: Array<Array<string | number | null | undefined>> = [[...CSV_COLUMNS]];
  for (const table of report.tables) {
    for (const cell of table.cells) lines.push([table.name, cell.row, cell.column, 'count', cell.count, cell.suppressed ? 'suppressed' : '']);
  }
  for (const table of report.rates) {
    for (const cell of table.cells) lines.push([table.name, cell.row, '', 'rate', cell.rate, cell.flag]);
  }
  for (const table of report.medians) {
    for (const cell of table.cells) lines.push([table.name, cell.row, '', 'median-days', cell.medianDays, cell.flag]);
  }
  const { efficacy } = report;
  for (const table of efficacy.tables) {
    for (const cell of table.cells) lines.push([table.name, cell.row, cell.column, 'count', cell.count, cell.suppressed ? 'suppressed' : '']);
  }
  for (const table of efficacy.rates) {
    for (const cell of table.cells) lines.push([table.name, cell.row, '', 'rate', cell.rate, cell.flag]);
  }
  for (const table of efficacy.medians) {
    for (const cell of table.cells) lines.push([table.name, cell.row, '', 'median-days', cell.medianDays, cell.flag]);
  }
  return lines.map((line) => `${line.map(field).join(',')}\r\n`).join('');
}
