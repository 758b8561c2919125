/**
 * The access report as a PDF (pdfkit), with the same words as the HTML page (access-report-text.ts):
 * the standard Helvetica fonts print French accents (WinAnsi), so nothing is embedded or fetched. The
 * tables are printed as rows of labelled text, one block per line, so that they wrap on a page of any
 * width and read in order when the text is extracted (tagged tables are a limit of pdfkit: the HTML
 * page is the accessible version). Pure: returns the bytes; pdfkit reads only its bundled font metrics.
 */
import PDFDocument from 'pdfkit';
import type { AccessReport, ReportLine } from './access-report.js';
import {
  controllerText, DISCLOSURE_COLUMNS, disclosureCells, disclosuresIntro, HEADINGS, introduction, LOOKUP_COLUMNS, lookupCells, lookupsIntro, proofsText, purposeText, rightsText, TABLE_CAPTIONS,
} from './access-report-text.js';

const MARGIN = 56;

export function accessReportPdf(report: AccessReport): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: MARGIN, lang: 'fr-FR', info: { Title: HEADINGS.title, Subject: 'RGPD article 15' } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const heading = (text: string, size = 15) => {
    doc.moveDown(0.8).font('Helvetica-Bold').fontSize(size).text(text).moveDown(0.3);
  };
  const paragraphs = (texts: readonly string[]) => {
    for (const text of texts) doc.font('Helvetica').fontSize(10.5).text(text, { align: 'left' }).moveDown(0.4);
  };
  const rows = (caption: string, columns: readonly string[], lines: ReportLine[], cells: (line: ReportLine) => string[]) => {
    if (lines.length === 0) return;
    doc.font('Helvetica-Bold').fontSize(10.5).text(caption).moveDown(0.3);
    for (const line of lines) {
      const values = cells(line);
      // Keep a line's block on one page when it fits.
      if (doc.y > doc.page.height - MARGIN - 110) doc.addPage();
      doc.font('Helvetica-Bold').fontSize(10).text(`${columns[0]} ${values[0]} - ${values[1]}`);
      for (let i = 2; i < columns.length; i++) {
        doc.font('Helvetica-Bold').fontSize(9.5).text(`${columns[i]} : `, { continued: true }).font('Helvetica').text(values[i]!);
      }
      doc.moveDown(0.5);
    }
  };

  const disclosures = report.lines.filter((line) => line.section === 'disclosure');
  const lookups = report.lines.filter((line) => line.section === 'lookup');
  doc.font('Helvetica-Bold').fontSize(20).text(HEADINGS.title).moveDown(0.5);
  paragraphs(introduction(report));
  heading(HEADINGS.controller);
  paragraphs(controllerText(report));
  heading(HEADINGS.purpose);
  paragraphs(purposeText());
  heading(HEADINGS.disclosures);
  paragraphs(disclosuresIntro(report));
  rows(TABLE_CAPTIONS.disclosures, DISCLOSURE_COLUMNS, disclosures, disclosureCells);
  if (report.held) {
    heading(HEADINGS.lookups);
    paragraphs(lookupsIntro(report));
    rows(TABLE_CAPTIONS.lookups, LOOKUP_COLUMNS, lookups, lookupCells);
  }
  if (report.lines.length > 0) {
    heading(HEADINGS.proofs);
    paragraphs(proofsText(report));
  }
  heading(HEADINGS.rights);
  paragraphs(rightsText());
  doc.end();
  return done;
}
