/**
 * ProConnect sign-in against a real OpenID Provider (oidc-provider over HTTPS, its login form filled
 * in Chromium): a mapped person acts in the mapped partner's role, read-only; an unmapped one gets no
 * session; a tampered, expired or idle session, a mismatched state or nonce are refused; sign-out ends
 * the session. The tokens are checked by openid-client in the gateway, never stubbed.
 */
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadSessionKey, SessionSealer, SESSION_COOKIE } from '../../src/console/session.js';
import { anonymousContext, cspViolations, expectAccessible, launchBrowser, openConsolePage, screenshot, sessionContext } from '../fixtures/browser.js';
import type { TestGateway } from '../fixtures/gateway.js';
import { startGatewayWithProConnect } from '../fixtures/oidc-provider.js';

const AUDITOR_EMAIL = 'A.Martin@cnil.example.fr';
const CNIL_SIRET = '11000000000000';

/** Clicks through the provider: ProConnect button, the provider's login form, its consent page. */
async function signInAs(page: Page, baseUrl: string, login: string): Promise<void> {
  await page.goto(`${baseUrl}/console/connexion`);
  await page.click('#proconnect');
  await page.waitForSelector('input[name="login"]');
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'any password: development interactions');
  await page.click('button[type="submit"]');
  // The provider asks for consent the first time (its development interactions).
  await page.waitForURL((url) => url.port === new URL(baseUrl).port || url.pathname.includes('/interaction/'));
  if (page.url().includes('/interaction/')) {
    const consent = page.locator('button[type="submit"]', { hasText: 'Continue' });
    if ((await consent.count()) > 0) await consent.click();
  }
  // The callback answers a page of the gateway that moves on to the home page, or says why not.
  await page.waitForURL((url) => url.port === new URL(baseUrl).port && url.pathname !== '/console/oidc/retour', { timeout: 5_000 }).catch(() => undefined);
  await page.waitForLoadState('load');
}

/** An in-page fetch (same origin, the session cookie as the console's pages send it). */
async function fetchInPage(page: Page, url: string, method = 'GET'): Promise<{ status: number; body: Record<string, unknown> }> {
  return (await page.evaluate(
    `fetch(${JSON.stringify(url)}, { method: ${JSON.stringify(method)}, headers: { 'content-type': 'application/pgp-encrypted' }, body: ${method === 'GET' ? 'undefined' : "'x'"} }).then(async (r) => ({ status: r.status, body: await r.json().catch(() => ({})) }))`,
  )) as { status: number; body: Record<string, unknown> };
}

async function sessionCookie(context: BrowserContext) {
  return (await context.cookies()).find((cookie) => cookie.name === SESSION_COOKIE);
}

describe('console: sign-in with OpenID Connect against a real provider @integration', function () {
  this.timeout(180_000);
  let gateway: TestGateway;
  let browser: Browser;

  let bed: Awaited<ReturnType<typeof startGatewayWithProConnect>>;

  before(async () => {
    bed = await startGatewayWithProConnect({
      people: {
        'a.martin': { email: AUDITOR_EMAIL, siret: CNIL_SIRET },
        'a.martin-ailleurs': { email: AUDITOR_EMAIL, siret: '22222222222222' },
        'b.inconnu': { email: 'b.inconnu@example.fr' },
      },
      mapping: [{ email: 'a.martin@cnil.example.fr', siret: CNIL_SIRET, partner: 'auditor' }],
    });
    ({ gateway } = bed);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await bed?.dispose();
  });

  it('signs the mapped auditor in: journal in the navigation, the audit API with the session, read-only, no email logged', async () => {
    const context = await anonymousContext(browser);
    try {
      const page = await context.newPage();
      await signInAs(page, gateway.baseUrl, 'a.martin');
      expect(new URL(page.url()).pathname).to.equal('/console/accueil');
      await page.waitForSelector('[data-who]');
      expect(await page.locator('[data-who]').textContent()).to.contain('Auditeur (délégué à la protection des données)');
      expect(await page.locator('#navigation .fr-nav__link').allTextContents()).to.include('Journal d’audit');
      expect(await page.textContent('main')).to.contain('Connexion par ProConnect');

      const cookie = await sessionCookie(context);
      expect(cookie, 'session cookie').to.not.equal(undefined);
      expect(cookie).to.include({ path: '/', secure: true, httpOnly: true, sameSite: 'Strict' });
      expect(cookie!.value).to.not.contain('auditor').and.not.contain('martin');

      const checkpoint = await fetchInPage(page, '/v1/audit/checkpoint');
      expect(checkpoint.status).to.equal(200);
      expect(checkpoint.body).to.have.property('treeSize');
      const send = await fetchInPage(page, '/v1/messages', 'POST');
      expect(send.status).to.equal(401);
      expect(send.body['code']).to.equal('unauthenticated');
      expect(String(send.body['detail'])).to.contain('certificate');
      // What the auditor's role may not use stays refused through the session too.
      expect((await fetchInPage(page, '/v1/operator/status')).status).to.equal(403);

      await expectAccessible(page);
      expect(await cspViolations(page)).to.deep.equal([]);
      await screenshot(page, 'accueil-auditor-proconnect');

      const logged = JSON.stringify(gateway.logLines);
      expect(gateway.logLines.some((line) => line['message'] === 'console sign-in' && line['partner'] === 'auditor')).to.equal(true);
      expect(logged.toLowerCase()).to.not.contain('cnil.example.fr');
      expect(logged).to.not.contain('a.martin');

      await page.click('form[action="/console/deconnexion"] button');
      await page.waitForURL((url) => url.pathname === '/console/connexion');
      expect(await page.textContent('main')).to.contain('Vous êtes déconnecté.');
      expect(await sessionCookie(context)).to.equal(undefined);
      expect((await fetchInPage(page, '/v1/audit/checkpoint')).status).to.equal(401);
    } finally {
      await context.close();
    }
  });

  it('gives a session of the statistics role its pages, not the audit log (harness sessionContext)', async () => {
    const context = await sessionContext(browser, gateway, 'prefecture-paris');
    try {
      const page = await context.newPage();
      await openConsolePage(page, `${gateway.baseUrl}/console/accueil`);
      const nav = await page.locator('#navigation .fr-nav__link').allTextContents();
      expect(nav).to.include('Statistiques du comité de pilotage').and.not.include('Journal d’audit');
      // DSFR copies the header's tools into the mobile menu: the form is there twice.
      expect(await page.locator('form[action="/console/deconnexion"]').count()).to.be.greaterThan(0);
      expect((await fetchInPage(page, '/v1/audit/checkpoint')).status).to.equal(403);
    } finally {
      await context.close();
    }
  });

  it('refuses a person who is not in the role mapping, or from another organisation (SIRET): no session, whom to ask', async () => {
    for (const login of ['b.inconnu', 'a.martin-ailleurs']) {
      const context = await anonymousContext(browser);
      try {
        const page = await context.newPage();
        await signInAs(page, gateway.baseUrl, login);
        await page.waitForSelector('[data-sign-in="unknown"]');
        expect(await page.textContent('[data-sign-in="unknown"]')).to.contain('Demandez à l’exploitant');
        expect(await sessionCookie(context)).to.equal(undefined);
        expect((await fetchInPage(page, '/v1/audit/checkpoint')).status).to.equal(401);
        if (login === 'b.inconnu') {
          await expectAccessible(page);
          await screenshot(page, 'connexion-inconnu');
        }
      } finally {
        await context.close();
      }
    }
    const refusals = gateway.logLines.filter((line) => line['message'] === 'console sign-in refused');
    expect(refusals).to.have.length(2);
    expect(JSON.stringify(refusals)).to.not.contain('example.fr');
  });

  it('refuses a tampered, an expired and an idle session cookie, on the API and the pages', async () => {
    const context = await anonymousContext(browser);
    try {
      const page = await context.newPage();
      await signInAs(page, gateway.baseUrl, 'a.martin');
      const cookie = (await sessionCookie(context))!;
      expect((await fetchInPage(page, '/v1/audit/checkpoint')).status).to.equal(200);

      const key = loadSessionKey(gateway.settings.consoleSessionKeyFile);
      const limits = { idleSeconds: gateway.settings.consoleSessionIdleMinutes * 60, maxSeconds: gateway.settings.consoleSessionMaxHours * 3600 };
      const at = (secondsAgo: number) => new SessionSealer(key, limits, () => new Date(Date.now() - secondsAgo * 1000));
      const middle = Math.floor(cookie.value.length / 2);
      const flipped = cookie.value.slice(0, middle) + (cookie.value[middle] === 'A' ? 'B' : 'A') + cookie.value.slice(middle + 1);
      // Signed in 9 hours ago and seen a minute ago: past the absolute limit (8 hours).
      const old = at(9 * 3600);
      const expired = old.seal({ ...old.fresh('auditor'), seenAt: Math.floor(Date.now() / 1000) - 60 });
      const idle = at(31 * 60).seal(at(31 * 60).fresh('auditor'));
      const valid = at(60).seal(at(60).fresh('auditor'));
      for (const [name, value, status] of [['tampered', flipped, 401], ['expired', expired, 401], ['idle', idle, 401], ['control: valid', valid, 200]] as const) {
        await context.addCookies([{ ...cookie, value }]);
        expect((await fetchInPage(page, '/v1/audit/checkpoint')).status, name).to.equal(status);
        const response = await page.goto(`${gateway.baseUrl}/console/accueil`);
        expect(response!.status(), name).to.equal(status === 200 ? 200 : 401);
      }
    } finally {
      await context.close();
    }
  });

  it('renews the idle limit when a page is opened, up to the absolute limit', async () => {
    const context = await anonymousContext(browser);
    try {
      const key = loadSessionKey(gateway.settings.consoleSessionKeyFile);
      const limits = { idleSeconds: gateway.settings.consoleSessionIdleMinutes * 60, maxSeconds: gateway.settings.consoleSessionMaxHours * 3600 };
      const sealer = new SessionSealer(key, limits, () => new Date());
      const now = Math.floor(Date.now() / 1000);
      // Signed in two hours ago, last page twenty minutes ago: still valid, and worth renewing.
      const value = sealer.seal({ partnerId: 'auditor', signedInAt: now - 7200, seenAt: now - 1200 });
      await context.addCookies([{ name: SESSION_COOKIE, value, url: gateway.baseUrl, secure: true, httpOnly: true, sameSite: 'Strict' }]);
      const page = await context.newPage();
      const response = await page.goto(`${gateway.baseUrl}/console/accueil`);
      expect(response!.status()).to.equal(200);
      const renewed = (await sessionCookie(context))!;
      expect(renewed.value).to.not.equal(value);
      const claims = sealer.open(renewed.value)!;
      expect(claims.signedInAt).to.equal(now - 7200);
      expect(claims.seenAt).to.be.at.least(now);
      // The cookie ends with the absolute limit: 8 hours after sign-in, 6 from now.
      expect(renewed.expires - now).to.be.within(6 * 3600 - 120, 6 * 3600 + 120);
    } finally {
      await context.close();
    }
  });

  it('refuses an answer whose state does not match the sign-in this browser started last', async () => {
    const context = await anonymousContext(browser);
    try {
      // Two tabs start a sign-in; the second one's transaction replaces the first's. The provider's
      // answer to the first tab then carries a state the gateway no longer expects.
      const first = await context.newPage();
      await first.goto(`${gateway.baseUrl}/console/connexion`);
      await first.click('#proconnect');
      await first.waitForSelector('input[name="login"]');
      const second = await context.newPage();
      await second.goto(`${gateway.baseUrl}/console/connexion`);
      await second.click('#proconnect');
      await second.waitForSelector('input[name="login"]');
      await first.fill('input[name="login"]', 'a.martin');
      await first.fill('input[name="password"]', 'x');
      await first.click('button[type="submit"]');
      await first.waitForURL((url) => url.port === new URL(gateway.baseUrl).port || url.pathname.includes('/interaction/'));
      if (first.url().includes('/interaction/')) {
        const consent = first.locator('button[type="submit"]', { hasText: 'Continue' });
        if ((await consent.count()) > 0) await consent.click();
      }
      await first.waitForSelector('[data-sign-in="failed"]');
      expect(await sessionCookie(context)).to.equal(undefined);
      const failure = gateway.logLines.filter((line) => line['message'] === 'console sign-in failed').map((line) => String(line['reason']));
      expect(failure.join('\n')).to.match(/state/i);
      await expectAccessible(first);
      await screenshot(first, 'connexion-echec');
    } finally {
      await context.close();
    }
  });

  it('refuses an ID token whose nonce is not the one this browser sent', async () => {
    const context = await anonymousContext(browser);
    try {
      const page = await context.newPage();
      const key = loadSessionKey(gateway.settings.consoleSessionKeyFile);
      const sealer = new SessionSealer(key, { idleSeconds: 60, maxSeconds: 60 }, () => new Date());
      // Once the provider's login form is shown, the browser's transaction keeps its state and
      // verifier but gets another nonce, as if the ID token were replayed from another sign-in.
      await page.goto(`${gateway.baseUrl}/console/connexion`);
      await page.click('#proconnect');
      await page.waitForSelector('input[name="login"]');
      const transaction = (await context.cookies()).find((c) => c.name === '__Host-passerelle-oidc')!;
      const opened = sealer.openValue('__Host-passerelle-oidc', transaction.value) as { n: string };
      expect(opened.n).to.be.a('string');
      await context.addCookies([{ ...transaction, value: sealer.sealValue('__Host-passerelle-oidc', { ...opened, n: 'another-nonce' }) }]);
      await page.fill('input[name="login"]', 'a.martin');
      await page.fill('input[name="password"]', 'x');
      await page.click('button[type="submit"]');
      await page.waitForURL((url) => url.port === new URL(gateway.baseUrl).port || url.pathname.includes('/interaction/'));
      if (page.url().includes('/interaction/')) {
        const consent = page.locator('button[type="submit"]', { hasText: 'Continue' });
        if ((await consent.count()) > 0) await consent.click();
      }
      await page.waitForSelector('[data-sign-in="failed"]');
      expect(await sessionCookie(context)).to.equal(undefined);
      const failure = gateway.logLines.filter((line) => line['message'] === 'console sign-in failed').map((line) => String(line['reason']));
      expect(failure.join("\n")).to.match(/nonce/i);
    } finally {
      await context.close();
    }
  });
});
