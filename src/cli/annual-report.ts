/**
 * `passerelle stats annual-report --year YEAR --out FILE.html [--pdf FILE.pdf]`: the committee's annual
 * execution report (src/report), from the statistics facts of the store, on the gateway host (its
 * PASSERELLE_DATA_DIR and store, like the other store commands). The facts are those of the messages
 * accepted through December of YEAR; the situations are read on 31 December of YEAR, or today while
 * the year is not over. Only figures that passed disclosure control are written.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/settings.js';
import { annualReportContent } from '../report/annual-content.js';
import { annualReportHtml } from '../report/annual-html.js';
import { annualReportPdf } from '../report/annual-pdf.js';
import { buildStatistics } from '../stats/report.js';
import { openStore } from '../store/open.js';
import { loadRegistry } from '../trust/registry.js';
import { EXIT } from './exit-codes.js';

/** Writes the whole file or nothing: a report is never left half written. */
function writeWhole(file: string, bytes: string | Buffer): void {
  const temporary = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, bytes);
  fs.renameSync(temporary, file);
}

export async function runAnnualReport(opts: { settings: Settings; year: number; out: string; pdf: string | undefined; now?: () => Date; print?: (line: string) => void }): Promise<number> {
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = (opts.now ?? (() => new Date()))();
  if (opts.year > now.getUTCFullYear()) {
    process.stderr.write(`passerelle: ${opts.year} has not begun: give a year up to ${now.getUTCFullYear()}.\n`);
    return EXIT.failure;
  }
  const registry = loadRegistry(path.join(opts.settings.certsDir, 'partners.json'));
  const partners = [...registry.partners.values()];
  const store = await openStore(opts.settings);
  let facts;
  try {
    facts = await store.statisticsFacts();
  } finally {
    await store.close();
  }
  const endOfYear = new Date(Date.UTC(opts.year, 11, 31, 23, 59, 59, 999));
  const statistics = buildStatistics(
    facts.filter((fact) => fact.month <= `${opts.year}-12`),
    {
      generatedAt: (endOfYear < now ? endOfYear : now).toISOString(),
      recipients: partners.filter((p) => p.receives.includes('orientation')).map((p) => p.id),
      messageTypes: [...new Set(partners.flatMap((p) => p.sends))],
    },
  );
  const content = annualReportContent(statistics, { year: opts.year, partnerNames: new Map(partners.map((p) => [p.id, p.name])) });
  writeWhole(opts.out, annualReportHtml(content));
  print(`passerelle: annual report ${opts.year} written to ${opts.out} (HTML, situations on ${statistics.efficacy.reportDate}).`);
  if (opts.pdf !== undefined) {
    writeWhole(opts.pdf, await annualReportPdf(content));
    print(`passerelle: the same report written to ${opts.pdf} (PDF; the charts are in the HTML, their data tables in both).`);
  }
  return EXIT.ok;
}
