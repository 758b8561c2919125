/**
 * The statistics for a person at a terminal (`passerelle stats`): each table as a grid, withheld
 * counts shown as `*`, followed by the rates and medians.
 */
import type { StatisticsReport } from './report.js';

const WITHHELD = '*';

function grid(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function statisticsText(report: StatisticsReport): string {
  const parts: string[] = [
    `Statistics generated at ${report.generatedAt}. ${WITHHELD} = withheld: counts from ${report.disclosureControl.suppressedCounts.from} to ${report.disclosureControl.suppressedCounts.to}, and others that would reveal them through the totals.`,
  ];
  for (const table of report.tables) {
    const columns = [...new Set(table.cells.map((c) => c.column))];
    const rows = [...new Set(table.cells.map((c) => c.row))];
    const value = new Map(table.cells.map((c) => [`${c.row}\u0000${c.column}`, c.count === null ? WITHHELD : String(c.count)]));
    parts.push(`${table.name}: ${table.description}\n${grid([table.rows, ...columns], rows.map((row) => [row, ...columns.map((column) => value.get(`${row}\u0000${column}`) ?? '')]))}`);
  }
  for (const table of report.rates) {
    parts.push(`${table.name}: ${table.description} (denominators of ${report.disclosureControl.minimumRateDenominator} or more only)\n${grid([table.rows, 'rate'], table.cells.map((c) => [c.row, c.rate === null ? `- (${c.flag ?? ''})` : c.rate.toFixed(4)]))}`);
  }
  for (const table of report.medians) {
    parts.push(`${table.name}: ${table.description} (${report.disclosureControl.minimumMedianObservations} observations or more only)\n${grid([table.rows, 'median days'], table.cells.map((c) => [c.row, c.medianDays === null ? `- (${c.flag ?? ''})` : String(c.medianDays)]))}`);
  }
  const { efficacy } = report;
  parts.push(`Efficacy on ${efficacy.reportDate}: orientations accepted through ${efficacy.observedThrough.sixMonths} observed at 6 months, through ${efficacy.observedThrough.twelveMonths} at 12 months.`);
  for (const table of efficacy.tables) {
    const columns = [...new Set(table.cells.map((c) => c.column))];
    const rows = [...new Set(table.cells.map((c) => c.row))];
    const value = new Map(table.cells.map((c) => [`${c.row}\u0000${c.column}`, c.count === null ? WITHHELD : String(c.count)]));
    parts.push(`${table.name}: ${table.description}\n${grid([table.rows, ...columns], rows.map((row) => [row, ...columns.map((column) => value.get(`${row}\u0000${column}`) ?? '')]))}`);
  }
  for (const table of efficacy.rates) {
    parts.push(`${table.name}: ${table.description} (denominators of ${report.disclosureControl.minimumRateDenominator} or more only)\n${grid([table.rows, 'rate'], table.cells.map((c) => [c.row, c.rate === null ? `- (${c.flag ?? ''})` : c.rate.toFixed(4)]))}`);
  }
  for (const table of efficacy.medians) {
    parts.push(`${table.name}: ${table.description} (${efficacy.minimumMedianPeople} people or more only)\n${grid([table.rows, 'median days'], table.cells.map((c) => [c.row, c.medianDays === null ? `- (${c.flag ?? ''})` : String(c.medianDays)]))}`);
  }
  return `${parts.join('\n\n')}\n`;
}
