/**
 * The access report as one HTML page a person reads and prints: lang="fr", headings in order, real
 * tables with a caption and th scope (RGAA 4.1, criteria 5.4, 5.7, 8.3, 9.1), a print stylesheet,
 * and nothing outside the file (no font, image or script to fetch: it is handed over as a file, and
 * its reader must not be tracked). Pure: returns the text.
 */
import { escapeHtml, htmlDocument } from './html-document.js';
import type { AccessReport, ReportLine } from './access-report.js';
import {
  controllerText, DISCLOSURE_COLUMNS, disclosureCells, disclosuresIntro, HEADINGS, introduction, LOOKUP_COLUMNS, lookupCells, lookupsIntro, proofsText, purposeText, rightsText, TABLE_CAPTIONS,
} from './access-report-text.js';

function paragraphs(texts: readonly string[]): string {
  return texts.map((text) => `<p>${escapeHtml(text)}</p>`).join('\n');
}

function table(caption: string, columns: readonly string[], rows: readonly string[][]): string {
  const head = columns.map((column) => `<th scope="col">${escapeHtml(column)}</th>`).join('');
  // The first cell (the line's number) heads its row, so a screen reader says which line a cell is in.
  const body = rows.map((cells) => `<tr><th scope="row">${escapeHtml(cells[0]!)}</th>${cells.slice(1).map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<caption>${escapeHtml(caption)}</caption>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; line-height: 1.5; color: #161616; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.75rem; } h2 { font-size: 1.35rem; margin-top: 2rem; border-bottom: 1px solid #929292; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-size: 0.95rem; }
caption { text-align: left; font-weight: bold; padding: 0.5rem 0; }
th, td { border: 1px solid #929292; padding: 0.4rem; text-align: left; vertical-align: top; }
thead th { background: #eeeeee; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
}`;

export function accessReportHtml(report: AccessReport): string {
  const disclosures = report.lines.filter((line) => line.section === 'disclosure');
  const lookups = report.lines.filter((line) => line.section === 'lookup');
  const rows = (lines: ReportLine[], cells: (line: ReportLine) => string[]) => lines.map(cells);
  const sections = [
    `<h1>${escapeHtml(HEADINGS.title)}</h1>`,
    paragraphs(introduction(report)),
    `<h2>${escapeHtml(HEADINGS.controller)}</h2>`,
    paragraphs(controllerText(report)),
    `<h2>${escapeHtml(HEADINGS.purpose)}</h2>`,
    paragraphs(purposeText()),
    `<h2>${escapeHtml(HEADINGS.disclosures)}</h2>`,
    paragraphs(disclosuresIntro(report)),
    disclosures.length > 0 ? table(TABLE_CAPTIONS.disclosures, DISCLOSURE_COLUMNS, rows(disclosures, disclosureCells)) : '',
    ...(report.held ? [`<h2>${escapeHtml(HEADINGS.lookups)}</h2>`, paragraphs(lookupsIntro(report)), lookups.length > 0 ? table(TABLE_CAPTIONS.lookups, LOOKUP_COLUMNS, rows(lookups, lookupCells)) : ''] : []),
    ...(report.lines.length > 0 ? [`<h2>${escapeHtml(HEADINGS.proofs)}</h2>`, paragraphs(proofsText(report))] : []),
    `<h2>${escapeHtml(HEADINGS.rights)}</h2>`,
    paragraphs(rightsText()),
  ];
  return htmlDocument({ title: HEADINGS.title, style: STYLE, body: `<main>\n${sections.filter((s) => s !== '').join('\n')}\n</main>` });
}
