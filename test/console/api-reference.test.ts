/**
 * The API reference page (`/console/api`) in Chromium, against the gateway's own `/openapi.json`:
 * every operation of the document is on the page with its summary, its parameters, its responses and
 * the problem codes each answers, each schema by name; accordions open under the strict CSP; axe-core
 * finds nothing. Any signed-in role may read it (the document itself needs no certificate).
 */
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import path from 'node:path';
import { ARTIFACTS, cspViolations, expectAccessible, launchBrowser, partnerContext, screenshot } from '../fixtures/browser.js';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

describe('console: the API reference page, in Chromium @integration', function () {
  this.timeout(180_000);
  let gateway: TestGateway;
  let browser: Browser;
  let document: Json;

  before(async () => {
    gateway = await startTestGateway();
    browser = await launchBrowser();
    // Read through a browser context: it accepts the example CA's server certificate, as the page does.
    const context = await partnerContext(browser, gateway.baseUrl, 'auditor');
    try {
      const answer = await context.request.get(`${gateway.baseUrl}/openapi.json`);
      expect(answer.status()).to.equal(200);
      document = (await answer.json()) as Json;
    } finally {
      await context.close();
    }
    expect(document['openapi']).to.match(/^3\.1\./);
  });
  after(async () => {
    await browser?.close();
    await gateway?.dispose();
  });

  async function open(page: Page): Promise<void> {
    // Not openConsolePage: its waitForFunction on a string polls with eval, which the page's CSP refuses.
    const response = await page.goto(`${gateway.baseUrl}/console/api`);
    expect(response?.status()).to.equal(200);
    await page.waitForSelector('main [data-ready]');
  }

  it('lists every operation of /openapi.json with its summary, parameters, responses and problem codes', async () => {
    const context = await partnerContext(browser, gateway.baseUrl, 'ofii-paris');
    try {
      const page = await context.newPage();
      await open(page);
      expect(await page.locator('h1').textContent()).to.equal('Référence de l’API');
      expect(await page.locator('#navigation .fr-nav__link[href="/console/api"]').getAttribute('aria-current')).to.equal('page');

      const operations: Array<{ path: string; method: string; op: Json }> = [];
      for (const [path, item] of Object.entries(document['paths'] as Record<string, Json>)) for (const method of METHODS) if (item[method]) operations.push({ path, method, op: item[method] });
      expect(operations.length).to.be.greaterThan(10);
      const shown = await page.locator('section.fr-accordion').evaluateAll((sections) => sections.map((section) => `${section.getAttribute('data-method')} ${section.getAttribute('data-path')}`));
      expect([...shown].sort()).to.deep.equal(operations.map(({ path, method }) => `${method} ${path}`).sort());

      for (const { path, method, op } of operations) {
        const section = page.locator(`section.fr-accordion[data-path="${path}"][data-method="${method}"]`);
        const title = await section.locator('.fr-accordion__btn').innerText();
        expect(title).to.contain(method.toUpperCase()).and.contain(path);
        if (op['summary']) expect(title).to.contain(op['summary']);
        const statuses = await section.locator('table').last().locator('tbody th').allTextContents();
        expect(statuses, `${method} ${path}`).to.deep.equal(Object.keys(op['responses']));
        const parameters = await section.locator('table').evaluateAll((tables) => (tables.length > 1 ? [...tables[0]!.querySelectorAll('tbody th')].map((th) => th.textContent) : []));
        expect(parameters, `${method} ${path}`).to.deep.equal(((op['parameters'] ?? []) as Json[]).map((p) => p['name']));
      }

      // GET /v1/stats: its format parameter, its JSON schema by name, and the codes of its refusals.
      const stats = page.locator('section.fr-accordion[data-path="/v1/stats"][data-method="get"]');
      await stats.locator('.fr-accordion__btn').click();
      await stats.locator('table').last().waitFor({ state: 'visible' });
      expect(await stats.locator('.fr-accordion__btn').getAttribute('aria-expanded')).to.equal('true');
      const responses = stats.locator('table').last();
      const forbidden = responses.locator('tbody tr', { has: page.locator('th', { hasText: /^403$/ }) });
      expect(await forbidden.innerText()).to.contain('forbidden');
      const ok = responses.locator('tbody tr', { has: page.locator('th', { hasText: /^200$/ }) });
      expect(await ok.locator('a[href="#schema-StatisticsReport"]').innerText()).to.equal('StatisticsReport');
      expect(await ok.innerText()).to.contain('text/csv');
      expect(await stats.locator('table').first().innerText()).to.contain('format').and.contain('"json" | "csv"');
      await stats.scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(ARTIFACTS, 'api-statistiques-ouverte.png') });

      const schemas = await page.locator('[data-schema]').evaluateAll((blocks) => blocks.map((block) => block.getAttribute('data-schema')));
      expect(schemas).to.deep.equal(Object.keys(document['components']['schemas']));
      expect(await page.locator('#probleme-forbidden').innerText()).to.contain('403');

      await expectAccessible(page);
      expect(await cspViolations(page)).to.deep.equal([]);
      await screenshot(page, 'api-ofii');
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: path.join(ARTIFACTS, 'api-haut.png') });
    } finally {
      await context.close();
    }
  });

  it('is open to every role, the statistics role included', async () => {
    const context = await partnerContext(browser, gateway.baseUrl, 'prefecture-paris');
    try {
      const page = await context.newPage();
      await open(page);
      expect(await page.locator('section.fr-accordion').count()).to.be.greaterThan(10);
      expect(await page.locator('#erreur').count()).to.equal(0);
    } finally {
      await context.close();
    }
  });
});
