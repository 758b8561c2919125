/**
 * The annual execution report as one self-contained HTML document in French: no script, no external
 * style sheet, font or image (the charts are inline SVG), a print style sheet for A4, so that it can be
 * mailed, archived and printed as it is.
 */
import type { AnnualReport, Block, ReportTable } from './annual-content.js';
import { WITHHELD } from './french-labels.js';
import { escapeHtml, htmlDocument } from './html-document.js';
import { barChartSvg } from './svg-bar-chart.js';

const STYLE = `
body { font-family: Marianne, Arial, Helvetica, sans-serif; color: #161616; margin: 2rem auto; max-width: 60rem; line-height: 1.45; }
h1 { font-size: 1.8rem; } h2 { font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 2px solid #000091; }
table { border-collapse: collapse; margin: 0.8rem 0 1.6rem; font-size: 0.9rem; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.3rem; }
th, td { border: 1px solid #929292; padding: 0.2rem 0.45rem; }
th { background: #eeeeee; text-align: left; }
td.count, td.rate, td.median { text-align: right; font-variant-numeric: tabular-nums; }
td.secret { font-style: italic; color: #595959; }
figure { margin: 1rem 0 2rem; }
svg.chart { max-width: 100%; height: auto; font-size: 12px; }
svg.chart rect { fill: #000091; }
@media print {
  @page { size: A4; margin: 15mm; }
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; }
  table, figure { break-inside: avoid; }
  svg.chart rect { fill: #000000; }
}
`;

function tableHtml(table: ReportTable): string {
  const head = `<tr>${table.header.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = table.rows
    .map(
      (row) =>
        `<tr><th scope="row">${escapeHtml(row.label)}</th>${row.figures
          .map((f) => `<td class="${f.kind}${f.value === null ? ' secret' : ''}">${escapeHtml(f.text)}</td>`)
          .join('')}</tr>`,
    )
    .join('\n');
  return `<table>\n<caption>${escapeHtml(table.caption)}</caption>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function blockHtml(block: Block): string {
  if ('paragraph' in block) return `<p>${escapeHtml(block.paragraph)}</p>`;
  if ('table' in block) return tableHtml(block.table);
  const { chart } = block;
  return `<figure id="${chart.id}">\n<figcaption>${escapeHtml(chart.title)}</figcaption>\n${barChartSvg(chart)}\n${tableHtml(chart.table)}\n</figure>`;
}

export function annualReportHtml(report: AnnualReport): string {
  return htmlDocument({
    title: report.title,
    style: STYLE,
    body: `<header>
<h1>${escapeHtml(report.title)}</h1>
<p>Passerelle d'échange entre l'OFII et le service public de l'emploi de Paris : rapport d'exécution pour le comité de pilotage, produit le ${escapeHtml(report.generatedAt.slice(0, 10))}. « ${WITHHELD} » : effectif masqué.</p>
</header>
<main>
${report.sections.map((section) => `<section>\n<h2>${escapeHtml(section.heading)}</h2>\n${section.blocks.map(blockHtml).join('\n')}\n</section>`).join('\n')}
</main>`,
  });
}
