/**
 * The annual execution report as a PDF (A4, the standard Helvetica fonts: WinAnsi encoding prints
 * French accents without embedding a font), with the same sections, paragraphs and tables as the
 * HTML. The charts are not drawn in the PDF: their data tables are printed in their place, with their
 * title, so that every figure is there.
 */
import PDFDocument from 'pdfkit';
import type { AnnualReport, ReportTable } from './annual-content.js';

const MARGIN = 40;
const FONT = 'Helvetica';
const BOLD = 'Helvetica-Bold';
const ITALIC = 'Helvetica-Oblique';

/** Characters outside WinAnsi that the texts use, as their nearest WinAnsi form. */
function winAnsi(text: string): string {
  return text.replace(/[\u00a0\u202f]/g, ' ').replace(/[\u2018\u2019]/g, "'").replace(/≥/g, '>=');
}

function drawTable(doc: PDFKit.PDFDocument, table: ReportTable): void {
  const width = doc.page.width - 2 * MARGIN;
  const columns = table.header.length;
  const first = columns > 4 ? 120 : 200;
  const other = (width - first) / Math.max(1, columns - 1);
  const widths = table.header.map((_, i) => (i === 0 ? first : other));
  const bottom = doc.page.height - MARGIN;
  const rowOf = (cells: string[], font: string[]) => {
    doc.fontSize(7.5);
    const height = Math.max(...cells.map((text, i) => doc.font(font[i]!).heightOfString(winAnsi(text), { width: widths[i]! - 4 }))) + 4;
    if (doc.y + height > bottom) doc.addPage();
    const y = doc.y;
    let x = MARGIN;
    cells.forEach((text, i) => {
      doc.font(font[i]!).text(winAnsi(text), x + 2, y + 2, { width: widths[i]! - 4, align: i === 0 ? 'left' : 'right' });
      x += widths[i]!;
    });
    doc.moveTo(MARGIN, y + height).lineTo(MARGIN + width, y + height).lineWidth(0.3).strokeColor('#999999').stroke();
    doc.x = MARGIN;
    doc.y = y + height;
  };
  doc.fontSize(9).font(BOLD);
  if (doc.y + 40 > bottom) doc.addPage();
  doc.text(winAnsi(table.caption), MARGIN, doc.y, { width });
  doc.moveDown(0.3);
  rowOf(table.header, table.header.map(() => BOLD));
  for (const row of table.rows) rowOf([row.label, ...row.figures.map((f) => f.text)], [BOLD, ...row.figures.map((f) => (f.value === null ? ITALIC : FONT))]);
  doc.moveDown(1);
}

export function annualReportPdf(report: AnnualReport): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: MARGIN, info: { Title: winAnsi(report.title), Author: 'Passerelle OFII - SPE Paris', Subject: 'Rapport annuel d\'exécution pour le comité de pilotage' } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const width = doc.page.width - 2 * MARGIN;
  doc.font(BOLD).fontSize(18).text(winAnsi(report.title), { width });
  doc.moveDown(0.3);
  doc.font(FONT).fontSize(9).text(winAnsi(`Passerelle d'échange entre l'OFII et le service public de l'emploi de Paris : rapport d'exécution pour le comité de pilotage, produit le ${report.generatedAt.slice(0, 10)}. Les graphiques de la version HTML sont remplacés ici par leurs tableaux de données.`), { width });
  for (const section of report.sections) {
    doc.moveDown(1);
    if (doc.y + 60 > doc.page.height - MARGIN) doc.addPage();
    doc.font(BOLD).fontSize(13).text(winAnsi(section.heading), MARGIN, doc.y, { width });
    doc.moveDown(0.5);
    for (const block of section.blocks) {
      if ('paragraph' in block) {
        doc.font(FONT).fontSize(9).text(winAnsi(block.paragraph), MARGIN, doc.y, { width, align: 'justify' });
        doc.moveDown(0.6);
      } else if ('table' in block) drawTable(doc, block.table);
      else drawTable(doc, { ...block.chart.table, caption: `${block.chart.title} (graphique dans la version HTML)` });
    }
  }
  doc.end();
  return done;
}
