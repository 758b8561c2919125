/**
 * The committee's annual execution report (src/report): the HTML holds the year's volumes and the
 * efficacy tables, charts with <title>, <desc> and their data table, no external resource, no count
 * from 1 to 10 and no bar for a withheld figure; the PDF, read back with poppler's pdftotext, has the
 * French headings and the same figures; `passerelle stats annual-report` writes both from a real store.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { annualReportContent, type AnnualReport, type ReportTable } from '../../src/report/annual-content.js';
import { annualReportHtml } from '../../src/report/annual-html.js';
import { annualReportPdf } from '../../src/report/annual-pdf.js';
import { factOf } from '../../src/stats/facts.js';
import { buildStatistics, type StatisticsReport } from '../../src/stats/report.js';
import { runCli } from '../fixtures/cli.js';
import { Paths } from '../fixtures/efficacy-paths.js';
import { EXAMPLE_CERTS } from '../fixtures/gateway.js';
import { newMessage } from '../fixtures/store.js';
import { openSqliteStore } from '../../src/store/open.js';

const run = promisify(execFile);
const RECIPIENTS = ['france-travail-paris', 'mission-locale-paris', 'cap-emploi-75'];
const NAMES = new Map([
  ['france-travail-paris', 'France Travail, direction territoriale de Paris'],
  ['mission-locale-paris', 'Mission Locale de Paris'],
  ['cap-emploi-75', 'Cap emploi 75'],
]);

/** People oriented in 2025 and 2026, read on 31 December 2026. */
function statistics(): StatisticsReport {
  const paths = new Paths();
  const ft = { month: '2025-11', sentOn: '2025-11-04', recipient: 'france-travail-paris', sex: 'F', ageBand: '26-44' };
  paths.add(14, { ...ft, events: [[12, 'PREMIER_ENTRETIEN_REALISE'], [90, 'ENTREE_EMPLOI', 'CDI']] });
  paths.add(12, { ...ft, events: [[20, 'PREMIER_ENTRETIEN_REALISE'], [40, 'ENTREE_FORMATION']] });
  paths.add(11, { ...ft, events: [[25, 'PREMIER_ENTRETIEN_REALISE'], [100, 'FIN_ACCOMPAGNEMENT']] });
  const ml = { month: '2026-03', sentOn: '2026-03-02', recipient: 'mission-locale-paris', sex: 'M', ageBand: '16-25', permitFamily: 'FAMILLE', pathway: 'SOCIO_PRO' };
  paths.add(13, { ...ml, events: [[8, 'PREMIER_ENTRETIEN_REALISE'], [30, 'ENTREE_IAE']] });
  paths.add(11, { ...ml, events: [[15, 'RDV_PLANIFIE']] });
  paths.add(3, { ...ml, events: [[15, 'NON_JOIGNABLE'], [60, 'FIN_ACCOMPAGNEMENT']] });
  paths.add(12, { month: '2026-10', sentOn: '2026-10-05', recipient: 'france-travail-paris' });
  paths.add(2, { month: '2026-10', sentOn: '2026-10-05', recipient: 'cap-emploi-75' });
  return buildStatistics(paths.list, { generatedAt: '2026-12-31T23:59:59.999Z', recipients: RECIPIENTS, messageTypes: ['orientation', 'opt-out', 'acknowledgement', 'status-update', 'referral'] });
}

/** Every table of the report, a chart's data table under the chart's title as the PDF prints it. */
function tablesOf(report: AnnualReport): ReportTable[] {
  return report.sections.flatMap((s) => s.blocks.flatMap((b) => ('table' in b ? [b.table] : 'chart' in b ? [{ ...b.chart.table, caption: b.chart.title }] : [])));
}

/** The text of every cell of one class, as the HTML prints it. */
function cells(html: string, kind: string): string[] {
  return [...html.matchAll(new RegExp(`<td class="${kind}( secret)?">([^<]*)</td>`, 'g'))].map((m) => m[2]!);
}

describe('report/annual', () => {
  const stats = statistics();
  const content = annualReportContent(stats, { year: 2026, partnerNames: NAMES });
  const html = annualReportHtml(content);

  it('is one self-contained French HTML document with a print style sheet', () => {
    expect(html).to.match(/^<!DOCTYPE html>\n<html lang="fr">/);
    expect(html).to.include('<meta charset="utf-8">').and.include('@media print').and.include('<title>Rapport annuel d&#39;exécution 2026</title>');
    for (const external of ['<script', '<link', '<img', 'src=', 'href=', 'url(', '@import']) expect(html, external).not.to.include(external);
    // The one URL is the SVG namespace, which is a name, not a resource.
    expect([...html.matchAll(/https?:\/\/[^"\s<]+/g)].map((m) => m[0])).to.satisfy((urls: string[]) => urls.every((u) => u === 'http://www.w3.org/2000/svg'));
  });

  it("holds the year's volumes, every efficacy table, the rates and the medians, under French headings", () => {
    for (const heading of ['Règles de publication', "Volumes de l&#39;année 2026", 'Efficacité : situation 6 et 12 mois après l’orientation', "Délai entre l&#39;orientation et le premier entretien"]) {
      expect(html, heading).to.include(`<h2>${heading}</h2>`);
    }
    for (const caption of ['Situation à 6 mois, par acteur', 'Situation à 12 mois, par trimestre d&#39;orientation', 'Situation à 6 mois, par sexe', 'Situation à 12 mois, par tranche d&#39;âge', 'Situation à 6 mois, par motif de séjour', 'Situation à 6 mois, par niveau de français initial', 'Situation à 12 mois, par parcours proposé', 'Taux d&#39;emploi à 6 mois', 'Délai médian jusqu&#39;au premier entretien, par acteur']) {
      expect(html, caption).to.include(`<caption>${caption}`);
    }
    // Every efficacy table, row by row, with the figures the statistics publish.
    for (const table of stats.efficacy.tables) {
      for (const row of [...new Set(table.cells.map((c) => c.row))]) {
        const figures = table.cells.filter((c) => c.row === row).map((c) => `<td class="count${c.count === null ? ' secret' : ''}">${c.count === null ? 'secret statistique' : c.count}</td>`);
        const label = row === 'TOTAL' ? 'Total' : (NAMES.get(row) ?? '');
        if (table.rows === 'recipient') expect(html, `${table.name} ${row}`).to.include(`<tr><th scope="row">${label}</th>${figures.join('')}</tr>`);
        else expect(html, `${table.name} ${row}`).to.include(`</th>${figures.join('')}</tr>`);
      }
    }
    expect(stats.efficacy.tables.flatMap((t) => t.cells).filter((c) => c.count !== null && c.count >= 11).length, 'published figures to find').to.be.greaterThan(20);
    // The year's months only: November 2025 is not a row of the volumes.
    expect(html).to.include('<th scope="row">octobre 2026</th>').and.include('<th scope="row">Total 2026</th>');
    expect(html).not.to.include('<th scope="row">novembre 2025</th>');
  });

  it('shows no count from 1 to 10: a withheld count reads "secret statistique", and is never drawn', () => {
    const counts = cells(html, 'count');
    expect(counts.length).to.be.greaterThan(100);
    expect(counts).to.include('secret statistique');
    for (const text of counts) {
      if (text === 'secret statistique') continue;
      const n = Number(text.replace(/ /g, ''));
      expect(Number.isInteger(n), text).to.equal(true);
      expect(n === 0 || n >= 11, `count ${text}`).to.equal(true);
    }
    // The 3 Mission Locale people who left and the 2 Cap emploi orientations are withheld everywhere.
    const published = tablesOf(content).flatMap((t) => t.rows.flatMap((r) => r.figures.filter((f) => f.kind === 'count' && f.value !== null).map((f) => f.value!)));
    expect(published.filter((v) => v >= 1 && v <= 10)).to.deep.equal([]);
  });

  it('draws at least three charts, each an SVG image named by its <title>, described by its <desc>, with its data table beside it and no bar for a withheld figure', () => {
    const figures = [...html.matchAll(/<figure id="([^"]+)">([\s\S]*?)<\/figure>/g)];
    expect(figures.length).to.be.at.least(3);
    const charts = content.sections.flatMap((s) => s.blocks.flatMap((b) => ('chart' in b ? [b.chart] : [])));
    for (const [, id, body] of figures) {
      const chart = charts.find((c) => c.id === id)!;
      expect(body).to.match(new RegExp(`<svg [^>]*role="img" aria-labelledby="${id}-titre ${id}-desc"`));
      expect(body).to.include(`<title id="${id}-titre">`).and.match(new RegExp(`<desc id="${id}-desc">[^<]{40,}</desc>`));
      expect(body).to.match(/<\/svg>\n<table>/);
      const bars = [...body!.matchAll(/<rect [^>]*data-value="([\d.]+)"/g)].map((m) => Number(m[1]));
      expect(bars).to.deep.equal(chart.bars.filter((b) => b.value !== null).map((b) => b.value));
      expect(body!.match(/<g class="withheld">/g)?.length ?? 0).to.equal(chart.bars.filter((b) => b.value === null).length);
      if (chart.table.rows[0]!.figures[0]!.kind === 'count') for (const bar of bars) expect(bar === 0 || bar >= 11, `${id}: bar ${bar}`).to.equal(true);
    }
    // Cap emploi has no first interview: its median is written "non publié", not drawn.
    expect(charts.find((c) => c.id === 'delai-premier-entretien')!.bars.find((b) => b.label === 'Cap emploi 75')).to.deep.equal({ label: 'Cap emploi 75', value: null, text: 'non publié (moins de 11 personnes)' });
  });

  it('prints the same tables in a PDF that pdftotext reads back with the French headings and the same figures', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'annual-pdf-'));
    try {
      const file = path.join(dir, 'rapport.pdf');
      const pdf = await annualReportPdf(content);
      expect(pdf.subarray(0, 5).toString()).to.equal('%PDF-');
      fs.writeFileSync(file, pdf);
      const { stdout } = await run('pdftotext', ['-raw', '-enc', 'UTF-8', file, '-']);
      const text = stdout.replace(/\s+/g, ' ');
      for (const heading of ["Rapport annuel d'exécution 2026", 'Règles de publication', "Volumes de l'année 2026", "Efficacité : situation 6 et 12 mois après l'orientation", "Délai entre l'orientation et le premier entretien"]) {
        expect(text, heading).to.include(heading);
      }
      // Each table's caption, then its figures in order, row by row, as in the HTML.
      let from = 0;
      for (const table of tablesOf(content)) {
        const caption = table.caption.replace(/’/g, "'");
        const at = text.indexOf(caption.slice(0, 40), from);
        expect(at, `caption ${caption}`).to.be.at.least(0);
        from = at;
        for (const row of table.rows) {
          for (const figure of row.figures) {
            const printed = figure.value === null ? figure.text.split(' ')[0]! : figure.text;
            const found = text.slice(from).search(new RegExp(`(^|\\s)${printed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`));
            expect(found, `${table.caption}: ${row.label} ${figure.text}`).to.be.at.least(0);
            from += found + 1;
          }
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`passerelle stats annual-report` writes the HTML and the PDF from the store, and refuses a command line without a year', async function () {
    this.timeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'annual-cli-'));
    try {
      const store = await openSqliteStore({ dataDir: dir });
      const header = { type: 'orientation', sender: 'ofii-paris', recipient: 'france-travail-paris', sentAt: '2026-03-02T09:00:00Z' };
      const body = { identity: { sex: 'F', birthDate: '1990-05-01' }, residencePermit: { grounds: 'PI_REFUGIE' }, language: { initialLevel: 'A2' }, orientation: { pathway: 'EMPLOI' } };
      for (let i = 0; i < 12; i++) {
        const id = `0b7e6a52-2222-4aaa-8bbb-${String(i).padStart(12, '0')}`;
        await store.accept(newMessage({ messageId: id, recipient: 'france-travail-paris', beneficiary: String(i).repeat(64).slice(0, 64), acceptedAt: '2026-03-02T09:00:01.000Z', facts: factOf({ header, body }, '2026-03-02T09:00:01.000Z') }));
      }
      await store.close();
      const env = { PASSERELLE_DATA_DIR: dir, PASSERELLE_CERTS_DIR: EXAMPLE_CERTS };
      const out = path.join(dir, 'rapport.html');
      const pdf = path.join(dir, 'rapport.pdf');
      const done = await runCli(['stats', 'annual-report', '--year', '2026', '--out', out, '--pdf', pdf], env);
      expect(done.code, done.stderr).to.equal(0);
      expect(done.stdout).to.include(`annual report 2026 written to ${out}`);
      const written = fs.readFileSync(out, 'utf8');
      expect(written).to.include('<h1>Rapport annuel d&#39;exécution 2026</h1>');
      expect(written).to.include('<tr><th scope="row">mars 2026</th><td class="count">12</td>');
      const { stdout } = await run('pdftotext', ['-raw', '-enc', 'UTF-8', pdf, '-']);
      expect(stdout).to.include("Volumes de l'année 2026").and.include('mars 2026 12');

      const usage = await runCli(['stats', 'annual-report', '--out', out], env);
      expect(usage.code).to.equal(2);
      expect(usage.stderr).to.include('--year');
      const help = await runCli(['stats', 'annual-report', '--help'], env);
      expect(help.code).to.equal(0);
      expect(help.stdout).to.include('passerelle stats annual-report --year 2026');
      // The statistics command itself still answers.
      const stats = await runCli(['stats', '--help'], env);
      expect(stats.code).to.equal(0);
      expect(stats.stdout).to.include('--format');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
