/**
 * The steering committee's statistics page in Chromium, against a real gateway whose store holds
 * facts of every kind (test/fixtures/committee-facts.ts): every figure the page shows is the API's
 * (JSON for the tables and charts, CSV byte for byte for the downloads), a withheld count is never a
 * number nor a bar, an agency gets no figure, the period hides rows only, and the printed report (a
 * PDF rendered by Chromium) holds the title, the period, the date and the suppression rule.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { requestGateway } from '../../src/client/gateway-client.js';
import type { StatisticsReport } from '../../src/stats/report.js';
import { anonymousContext, ARTIFACTS, cspViolations, expectAccessible, launchBrowser, partnerContext, screenshot } from '../fixtures/browser.js';
import { committeeFacts, seedStatisticsFacts } from '../fixtures/committee-facts.js';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { freePort, startOidcProvider, type TestProvider } from '../fixtures/oidc-provider.js';
import { partner } from '../fixtures/partner.js';
import { pdfPages } from '../fixtures/pdf-text.js';

const SUPPRESSED = 'secret statistique';
const integer = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 2 });
const decimal = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });
const squeeze = (text: string | null) => (text ?? '').replace(/\s+/g, '');

describe('console: the steering committee statistics page, in Chromium @integration', function () {
  this.timeout(180_000);
  let gateway: TestGateway;
  let browser: Browser;
  let report: StatisticsReport;
  let csv: string;

  async function api(as: string, format: 'json' | 'csv') {
    return requestGateway({ baseUrl: gateway.baseUrl, tls: (await partner(as)).tls, method: 'GET', path: `/v1/stats?format=${format}` });
  }

  before(async () => {
    gateway = await startTestGateway();
    seedStatisticsFacts(gateway.settings.dataDir, committeeFacts());
    const json = await api('prefecture-paris', 'json');
    expect(json.status).to.equal(200);
    report = json.body as StatisticsReport;
    const text = await api('prefecture-paris', 'csv');
    expect(text.status).to.equal(200);
    csv = String(text.body);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await gateway?.dispose();
  });

  async function withPage<T>(as: string, run: (page: Page, context: BrowserContext) => Promise<T>): Promise<T> {
    const context = await partnerContext(browser, gateway.baseUrl, as);
    try {
      return await run(await context.newPage(), context);
    } finally {
      await context.close();
    }
  }

  async function openStatistics(page: Page, query = ''): Promise<void> {
    // Not openConsolePage: its waitForFunction on a string polls with eval, which the page's CSP refuses.
    const response = await page.goto(`${gateway.baseUrl}/console/statistiques${query}`);
    expect(response?.status()).to.equal(200);
    await page.waitForSelector('main [data-ready]');
  }

  /** Every cell of every table of the API's report, as the page shows it: the number, or the mark and no digit. */
  async function expectTablesEqualApi(page: Page, months?: string[]): Promise<void> {
    let published = 0;
    let withheld = 0;
    // The efficacy tables too: situations 6 and 12 months after the orientation, in their own section.
    expect(report.efficacy.tables.length).to.be.greaterThan(0);
    for (const table of [...report.tables, ...report.efficacy.tables]) {
      const shown = await page.locator(`[data-table="${table.name}"] td[data-row]`).evaluateAll((cells) =>
        cells.map((cell) => ({ row: cell.getAttribute('data-row'), column: cell.getAttribute('data-column'), value: cell.getAttribute('data-value'), suppressed: cell.hasAttribute('data-suppressed'), text: cell.textContent })),
      );
      const expected = table.cells.filter((cell) => table.rows !== 'month' || months === undefined || cell.row === 'TOTAL' || months.includes(cell.row));
      expect(shown.map((cell) => `${cell.row}/${cell.column}`), table.name).to.deep.equal(expected.map((cell) => `${cell.row}/${cell.column}`));
      expected.forEach((cell, index) => {
        const on = shown[index]!;
        if (cell.count === null) {
          withheld++;
          expect(on.suppressed, `${table.name} ${cell.row}/${cell.column}`).to.equal(true);
          expect(on.value).to.equal(null);
          expect(on.text?.trim()).to.equal(SUPPRESSED);
        } else {
          published++;
          expect(on.suppressed, `${table.name} ${cell.row}/${cell.column}`).to.equal(false);
          expect(on.value).to.equal(String(cell.count));
          expect(squeeze(on.text)).to.equal(squeeze(integer.format(cell.count)));
        }
      });
    }
    expect(published, 'the seeded facts give published counts').to.be.greaterThan(20);
    expect(withheld, 'the seeded facts give withheld counts').to.be.greaterThan(20);

    const rates = await page.locator('[data-table="acceptance-rate-by-recipient"] td[data-row]').evaluateAll((cells) => cells.map((cell) => ({ value: cell.getAttribute('data-value'), text: cell.textContent })));
    expect(rates).to.have.length(report.rates[0]!.cells.length);
    report.rates[0]!.cells.forEach((cell, index) => {
      if (cell.rate === null) expect(rates[index]!.text).to.match(/^non publié \((moins de 30 orientations|secret statistique)\)$/);
      else expect([rates[index]!.value, squeeze(rates[index]!.text)]).to.deep.equal([String(cell.rate), squeeze(percent.format(cell.rate))]);
    });
    const medians = await page.locator('[data-table="days-to-first-interview-by-recipient"] td[data-row]').evaluateAll((cells) => cells.map((cell) => ({ value: cell.getAttribute('data-value'), text: cell.textContent })));
    expect(medians).to.have.length(report.medians[0]!.cells.length);
    report.medians[0]!.cells.forEach((cell, index) => {
      if (cell.medianDays === null) expect(medians[index]!.text).to.equal('non publié (moins de 30 observations)');
      else expect([medians[index]!.value, squeeze(medians[index]!.text)]).to.deep.equal([String(cell.medianDays), squeeze(`${decimal.format(cell.medianDays)} jours`)]);
    });
    // The efficacy section's delays are withheld under their own rule, and the page says which.
    for (const table of report.efficacy.medians) {
      const shown = await page.locator(`[data-table="${table.name}"] td[data-row]`).evaluateAll((cells) => cells.map((cell) => cell.textContent));
      expect(shown, table.name).to.have.length(table.cells.length);
      table.cells.forEach((cell, index) => {
        if (cell.medianDays === null) expect(shown[index], `${table.name} ${cell.row}`).to.equal(`non publié (moins de ${report.efficacy.minimumMedianPeople} personnes)`);
      });
    }
  }

  /** A chart's rows: a bar and the number for a published count, no bar and the mark for a withheld one. */
  async function chartRows(page: Page, id: string) {
    return page.locator(`#${id} g.stats-chart__row`).evaluateAll((rows) =>
      rows.map((row) => ({
        value: row.getAttribute('data-value'),
        suppressed: row.hasAttribute('data-suppressed'),
        bars: [...row.querySelectorAll('rect')].map((rect) => Number(rect.getAttribute('width'))),
        text: [...row.querySelectorAll('text')].slice(1).map((text) => text.textContent).join(''),
      })),
    );
  }

  function expectChart(rows: Awaited<ReturnType<typeof chartRows>>, counts: Array<number | null>): void {
    expect(rows.map((row) => (row.suppressed ? null : Number(row.value)))).to.deep.equal(counts);
    const largest = Math.max(...counts.map((count) => count ?? 0));
    const full = Math.max(...rows.flatMap((row) => row.bars));
    rows.forEach((row, index) => {
      const count = counts[index]!;
      if (count === null) {
        expect(row.bars, 'a withheld count has no bar').to.deep.equal([]);
        expect(row.text).to.equal(SUPPRESSED);
        expect(row.text).not.to.match(/\d/);
      } else {
        expect(row.bars).to.have.length(1);
        if (largest === 0) expect(row.bars[0]).to.equal(0);
        else expect(row.bars[0]! / full).to.be.closeTo(count / largest, 0.001);
        expect(squeeze(row.text)).to.equal(squeeze(integer.format(count)));
      }
    });
  }

  it('shows the statistics role every figure of the API, withheld counts as "secret statistique", in tables and charts', async () => {
    await withPage('prefecture-paris', async (page) => {
      await openStatistics(page);
      expect(await page.locator('h1').textContent()).to.equal('Statistiques du comité de pilotage');
      expect(await page.locator('#navigation .fr-nav__link[href="/console/statistiques"]').getAttribute('aria-current')).to.equal('page');
      await expectTablesEqualApi(page);

      const byMonth = report.tables.find((table) => table.name === 'orientations-by-month-and-recipient')!;
      const monthTotals = byMonth.cells.filter((cell) => cell.column === 'TOTAL' && cell.row !== 'TOTAL').map((cell) => cell.count);
      expect(monthTotals, 'the month chart has published and withheld bars').to.include(null).and.satisfy((counts: Array<number | null>) => counts.some((count) => count !== null && count > 0));
      expectChart(await chartRows(page, 'graphique-orientations-par-mois'), monthTotals);
      expectChart(await chartRows(page, 'graphique-orientations-par-structure'), byMonth.cells.filter((cell) => cell.row === 'TOTAL' && cell.column !== 'TOTAL').map((cell) => cell.count));
      const delays = await chartRows(page, 'graphique-delais');
      expect(delays.map((row) => (row.suppressed ? null : Number(row.value)))).to.deep.equal(report.medians[0]!.cells.filter((cell) => cell.row !== 'TOTAL').map((cell) => cell.medianDays));
      for (const row of delays.filter((r) => r.suppressed)) expect([row.bars, row.text]).to.deep.equal([[], 'non publié (moins de 30 observations)']);

      // Orientations to France Travail (180) and to EPEC (3) are withheld: neither is written anywhere.
      const text = await page.locator('main').innerText();
      expect(text).not.to.match(/\b180\b/);
      expect(await page.locator('svg [data-value="180"], svg [data-value="3"], td[data-value="180"], td[data-value="3"]').count()).to.equal(0);
      expect(await page.locator('#secret-statistique').innerText()).to.contain('Un effectif de 1 à 10 n’est jamais publié');

      await expectAccessible(page);
      expect(await cspViolations(page)).to.deep.equal([]);
      await screenshot(page, 'statistiques-prefecture');
    });
  });

  it('shows the auditor the same figures', async () => {
    await withPage('auditor', async (page) => {
      await openStatistics(page);
      await expectTablesEqualApi(page);
      await expectAccessible(page);
      expect(await cspViolations(page)).to.deep.equal([]);
    });
  });

  it('gives an agency no figure: the API answers 403, the page says so in French, the navigation has no link', async () => {
    await withPage('mission-locale-paris', async (page) => {
      const refused = page.waitForResponse((response) => new URL(response.url()).pathname === '/v1/stats');
      await openStatistics(page);
      expect((await refused).status()).to.equal(403);
      expect(await page.locator('#navigation .fr-nav__link').allTextContents()).not.to.include('Statistiques du comité de pilotage');
      expect(await page.locator('#erreur').innerText()).to.contain('réservées au rôle statistique').and.contain('aucun chiffre');
      expect(await page.locator('main td, main svg').count()).to.equal(0);
      await expectAccessible(page);
      await screenshot(page, 'statistiques-agence-refusee');
    });
  });

  async function downloaded(download: Download): Promise<string> {
    const file = await download.path();
    return fs.readFileSync(file, 'utf8');
  }

  it('downloads the API’s CSV byte for byte, whole and table by table', async () => {
    await withPage('prefecture-paris', async (page) => {
      await openStatistics(page);
      const csvFetches: string[] = [];
      page.on('request', (request) => {
        if (request.resourceType() === 'fetch' && request.url().includes('/v1/stats?format=csv')) csvFetches.push(request.url());
      });
      const [whole] = await Promise.all([page.waitForEvent('download'), page.locator('#csv-complet').click()]);
      expect(whole.suggestedFilename()).to.equal('statistiques-passerelle.csv');
      expect(await downloaded(whole)).to.equal(csv);

      const lines = csv.split('\r\n');
      for (const name of ['orientations-by-month-and-recipient', 'days-to-first-interview-by-recipient']) {
        const [one] = await Promise.all([page.waitForEvent('download'), page.locator(`button[data-csv="${name}"]`).click()]);
        expect(one.suggestedFilename()).to.equal(`statistiques-${name}.csv`);
        const expected = [lines[0], ...lines.filter((line) => line.startsWith(`${name},`))].map((line) => `${line}\r\n`).join('');
        expect(expected.split('\r\n').length).to.be.greaterThan(5);
        expect(await downloaded(one)).to.equal(expected);
      }
      expect(csvFetches, 'the page asks for the CSV once, whatever the number of tables downloaded').to.have.length(1);
    });
  });

  it('restricts the rows by month to the period chosen with the form, and says what the totals cover', async () => {
    await withPage('prefecture-paris', async (page) => {
      await openStatistics(page);
      await page.selectOption('#periode-du', '2026-03');
      await page.selectOption('#periode-au', '2026-05');
      await Promise.all([page.waitForURL(/du=2026-03&au=2026-05/), page.locator('.stats-period button[type="submit"]').click()]);
      await page.waitForSelector('main [data-ready]');
      expect(await page.locator('#periode-affichee').innerText()).to.equal('Période affichée : de mars 2026 à mai 2026.');
      await expectTablesEqualApi(page, ['2026-03', '2026-04', '2026-05']);
      const byMonth = report.tables.find((table) => table.name === 'orientations-by-month-and-recipient')!;
      expectChart(await chartRows(page, 'graphique-orientations-par-mois'), byMonth.cells.filter((cell) => ['2026-03', '2026-04', '2026-05'].includes(cell.row) && cell.column === 'TOTAL').map((cell) => cell.count));
      expect(await page.locator('.stats-scope').innerText()).to.contain('toute la durée du rapport (janvier 2026 à juin 2026)');
      await expectAccessible(page);
      await screenshot(page, 'statistiques-periode');
    });
  });

  it('prints the committee’s report: a PDF with the title, period, date, rule and figures, and no navigation', async () => {
    await withPage('prefecture-paris', async (page) => {
      await openStatistics(page);
      await page.emulateMedia({ media: 'print' });
      for (const hidden of ['#navigation', '.fr-footer', '.stats-period', '.stats-actions', 'button[data-csv]']) {
        expect(await page.locator(hidden).first().isVisible(), `${hidden} is not printed`).to.equal(false);
      }
      expect(await page.locator('.stats-print-only').isVisible()).to.equal(true);
      await screenshot(page, 'statistiques-impression');

      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      fs.writeFileSync(path.join(ARTIFACTS, 'statistiques-rapport.pdf'), pdf);
      expect(pdf.subarray(0, 5).toString('latin1')).to.equal('%PDF-');
      const pages = pdfPages(pdf);
      // With the efficacy section (about twenty tables of situations, rates and delays), about 20 pages.
      expect(pages.length).to.be.within(2, 30);
      const text = pages.join('\n').replace(/\s+/g, ' ');
      expect(text).to.contain('Statistiques du comité de pilotage');
      expect(text).to.contain('Période affichée : de janvier 2026 à juin 2026.');
      const generated = await page.locator('#produits-le').innerText();
      expect(generated).to.match(/^Chiffres produits le \d{1,2} \S+ \d{4} à \d{2}:\d{2}\.$/);
      expect(text).to.contain(generated);
      expect(text).to.contain('Rapport imprimé le');
      expect(text).to.contain('Un effectif de 1 à 10 n’est jamais publié');
      expect(text).to.contain(SUPPRESSED);
      for (const name of ['Orientations acceptées par mois et par structure destinataire', 'Messages acceptés par mois et par type de message', 'Délai médian entre l’orientation et le premier entretien, en jours']) expect(text).to.contain(name);
      const total = report.tables.find((table) => table.name === 'messages-by-month-and-type')!.cells.find((cell) => cell.row === 'TOTAL' && cell.column === 'TOTAL')!.count!;
      expect(text).to.contain(`Total, toute la durée du rapport`);
      expect(text).to.match(new RegExp(`\\b${total}\\b`));
      expect(text).not.to.contain('Imprimer le rapport');
      expect(text).not.to.contain('Télécharger');
      expect(text).not.to.contain('Menu principal');
    });
  });
});

describe('console: the statistics page for a committee member signed in with ProConnect @integration', function () {
  this.timeout(180_000);
  let provider: TestProvider;
  let gateway: TestGateway;
  let browser: Browser;

  before(async () => {
    const port = await freePort();
    const redirect = `https://127.0.0.1:${port}/console/oidc/retour`;
    provider = await startOidcProvider({ redirectUri: redirect, people: { 'c.durand': { email: 'c.durand@paris.pref.example.fr', siret: '17750000000000' } } });
    const mappingFile = path.join(provider.dir, 'roles.json');
    fs.writeFileSync(mappingFile, JSON.stringify({ version: 1, people: [{ email: 'c.durand@paris.pref.example.fr', siret: '17750000000000', partner: 'prefecture-paris' }] }));
    gateway = await startTestGateway({
      PASSERELLE_PORT: String(port),
      PASSERELLE_OIDC_ISSUER: provider.issuer,
      PASSERELLE_OIDC_CLIENT_ID: provider.clientId,
      PASSERELLE_OIDC_CLIENT_SECRET_FILE: provider.clientSecretFile,
      PASSERELLE_OIDC_REDIRECT_URL: redirect,
      PASSERELLE_OIDC_ROLE_MAPPING_FILE: mappingFile,
      PASSERELLE_OIDC_CA_FILE: provider.caFile,
    });
    seedStatisticsFacts(gateway.settings.dataDir, committeeFacts());
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await gateway?.dispose();
    await provider?.close();
  });

  it('shows the figures of the API and downloads its CSV with the session, no certificate needed', async () => {
    const context = await anonymousContext(browser);
    try {
      const page = await context.newPage();
      // The provider's pages: the ProConnect button, its login form, its consent the first time.
      await page.goto(`${gateway.baseUrl}/console/connexion`);
      await page.click('#proconnect');
      await page.fill('input[name="login"]', 'c.durand');
      await page.fill('input[name="password"]', 'any password: development interactions');
      await page.click('button[type="submit"]');
      await page.waitForURL((url) => url.port === new URL(gateway.baseUrl).port || url.pathname.includes('/interaction/'));
      if (page.url().includes('/interaction/')) await page.locator('button[type="submit"]', { hasText: 'Continue' }).click();
      await page.waitForURL((url) => url.port === new URL(gateway.baseUrl).port && url.pathname === '/console/accueil');

      await page.click('#navigation .fr-nav__link[href="/console/statistiques"]');
      await page.waitForSelector('main [data-ready]');
      const json = (await page.evaluate("fetch('/v1/stats?format=json').then((r) => r.json())")) as StatisticsReport;
      const shown = await page.locator('[data-table="orientations-by-month-and-recipient"] td[data-row]').evaluateAll((cells) => cells.map((cell) => (cell.hasAttribute('data-suppressed') ? null : Number(cell.getAttribute('data-value')))));
      expect(shown).to.deep.equal(json.tables.find((table) => table.name === 'orientations-by-month-and-recipient')!.cells.map((cell) => cell.count));
      expect(shown).to.include(null);

      const csv = (await page.evaluate("fetch('/v1/stats?format=csv').then((r) => r.text())")) as string;
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#csv-complet').click()]);
      expect(fs.readFileSync(await download.path(), 'utf8')).to.equal(csv);
      await expectAccessible(page);
      expect(await cspViolations(page)).to.deep.equal([]);
      await screenshot(page, 'statistiques-proconnect');
    } finally {
      await context.close();
    }
  });
});
