/**
 * The console's shell and home page, in Chromium: a partner's client certificate signs it in, the
 * navigation lists the pages of its role (the API's own policy), the page passes axe-core, and nothing
 * breaks the Content-Security-Policy.
 */
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { anonymousContext, cspViolations, expectAccessible, launchBrowser, openConsolePage, partnerContext, screenshot } from '../fixtures/browser.js';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.js';

describe('console: the shell and the home page, in Chromium @integration', function () {
  this.timeout(120_000);
  let gateway: TestGateway;
  let browser: Browser;

  before(async () => {
    gateway = await startTestGateway();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await gateway?.dispose();
  });

  it('signs the auditor in with its client certificate, lists its pages and passes axe-core', async () => {
    const context = await partnerContext(browser, gateway.baseUrl, 'auditor');
    try {
      const page = await context.newPage();
      const response = await openConsolePage(page, `${gateway.baseUrl}/console`);
      expect(response.status()).to.equal(200);
      expect(new URL(page.url()).pathname).to.equal('/console/accueil');
      expect(await page.locator('html').getAttribute('lang')).to.equal('fr');
      expect(await page.title()).to.equal('Accueil — Passerelle');
      expect(await page.locator('[data-who]').textContent()).to.contain('Auditeur (délégué à la protection des données)').and.contain('auditeur');
      const nav = await page.locator('#navigation .fr-nav__link').allTextContents();
      expect(nav).to.deep.equal(['Accueil', 'Journal d’audit', 'Suivi d’un message', 'Statistiques du comité de pilotage', 'Documentation de l’API']);
      expect(await page.locator('[data-pages] [data-slug]').evaluateAll((tiles) => tiles.map((tile) => tile.getAttribute('data-slug')))).to.deep.equal(['journal', 'message', 'statistiques', 'api']);
      await expectAccessible(page);
      expect(await cspViolations(page)).to.deep.equal([]);
      await screenshot(page, 'accueil-auditor');
    } finally {
      await context.close();
    }
  });

  it('lists, for each role, the pages whose data the API gives that role', async () => {
    const expected: Record<string, string[]> = {
      // The message timeline is for the parties of a message and the auditor (message.timeline).
      operator: ['accueil', 'exploitation', 'api'],
      'prefecture-paris': ['accueil', 'statistiques', 'api'],
      'ofii-paris': ['accueil', 'journal', 'message', 'api'],
    };
    for (const [partnerId, slugs] of Object.entries(expected)) {
      const context = await partnerContext(browser, gateway.baseUrl, partnerId);
      try {
        const page = await context.newPage();
        await openConsolePage(page, `${gateway.baseUrl}/console/accueil`);
        const nav = await page.locator('#navigation .fr-nav__link').evaluateAll((links) => links.map((link) => link.getAttribute('href')));
        expect(nav, partnerId).to.deep.equal(slugs.map((slug) => `/console/${slug}`));
        expect(await page.locator('[data-pages] [data-slug]').evaluateAll((tiles) => tiles.map((tile) => tile.getAttribute('data-slug'))), partnerId).to.deep.equal(slugs.slice(1));
        // The partner's name and role, as the registry has them; no sign-out for a certificate.
        expect(await page.locator('[data-who]').textContent(), partnerId).to.contain(gateway.trust.registry.get(partnerId)!.name);
        expect(await page.locator('form[action="/console/deconnexion"]').count(), partnerId).to.equal(0);
        await expectAccessible(page);
        await screenshot(page, `accueil-${partnerId}`);
      } finally {
        await context.close();
      }
    }
  });

  it('opens DSFR\'s menu on a phone-sized screen, the organisation\'s name wrapped within the screen', async () => {
    const context = await partnerContext(browser, gateway.baseUrl, 'auditor');
    try {
      const page = await context.newPage();
      await page.setViewportSize({ width: 390, height: 800 });
      await openConsolePage(page, `${gateway.baseUrl}/console/accueil`);
      await page.click('#button-menu');
      await page.waitForSelector('#modal-menu.fr-modal--opened');
      expect(await page.locator('#modal-menu .fr-nav__link').filter({ hasText: 'Journal d’audit' }).isVisible()).to.equal(true);
      const name = page.locator('.fr-header__menu-links [data-signed-in]');
      const box = (await name.boundingBox())!;
      expect(box.x + box.width, 'the name stays within the screen').to.be.at.most(390);
      const overflow = await name.evaluate((element) => element.scrollWidth - element.clientWidth);
      expect(overflow, 'no text runs out of the name\'s box').to.be.at.most(1);
      await expectAccessible(page);
      expect(await cspViolations(page)).to.deep.equal([]);
      await screenshot(page, 'accueil-auditor-mobile-menu');
    } finally {
      await context.close();
    }
  });

  it('shows the sign-in page to a browser without a certificate or session', async () => {
    const context = await anonymousContext(browser);
    try {
      const page = await context.newPage();
      const response = await openConsolePage(page, `${gateway.baseUrl}/console/accueil`);
      expect(response.status()).to.equal(401);
      expect(await page.locator('h1').textContent()).to.equal('Se connecter à la console');
      expect(await page.locator('#navigation').count()).to.equal(0);
      await expectAccessible(page);
      expect(await cspViolations(page)).to.deep.equal([]);
      await screenshot(page, 'connexion');
    } finally {
      await context.close();
    }
  });
});
