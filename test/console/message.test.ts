/**
 * The message timeline in Chromium, on a real gateway: a partner (Mission Locale, client certificate)
 * sees its own message's steps as the API gives them, each proven in the browser against the signed
 * log; it cannot see another's message (the page says not found, the API answers 404); the auditor
 * sees every message; a step whose entry was changed in the store turns red. axe-core on each state;
 * screenshots in test-artifacts/console/.
 */
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { requestGateway } from '../../src/client/gateway-client.js';
import { cspViolations, expectAccessible, launchBrowser, openConsolePage, partnerContext, screenshot } from '../fixtures/browser.js';
import { acknowledgement, orientationTo, randomRef } from '../fixtures/dossier.js';
import { eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { get, partner, send, type Json } from '../fixtures/partner.js';
import { rawWrite } from '../fixtures/store.js';

type Step = Record<string, unknown> & { index: number; leafHash: string; event: string };

describe('console: the message timeline, in Chromium @integration', function () {
  this.timeout(180_000);
  let gw: TestGateway;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let toMissionLocale: Json;
  let toFranceTravail: Json;

  const idOf = (document: Json) => document['header']['messageId'] as string;
  async function accepted(as: string, document: Json): Promise<void> {
    const answer = await send(gw.baseUrl, as, document);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    // Published, so that the log holds its `queued` entry (a loaded machine may take seconds).
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined), 60_000);
  }
  async function pageAs(partnerId: string): Promise<Page> {
    const context = await partnerContext(browser, gw.baseUrl, partnerId);
    contexts.push(context);
    return context.newPage();
  }
  async function verifyAll(page: Page): Promise<string[][]> {
    await page.getByRole('button', { name: 'Vérifier toutes les étapes' }).click();
    const steps = page.locator('[data-steps] > li');
    const count = await steps.count();
    for (let i = 0; i < count; i++) await steps.nth(i).locator('[data-verdicts][data-done]').waitFor();
    return steps.evaluateAll((items) => items.map((item) => [...item.querySelectorAll('[data-verdict]')].map((a) => `${a.getAttribute('data-verdict')}: ${a.textContent ?? ''}`)));
  }

  before(async () => {
    gw = await startTestGateway();
    toMissionLocale = orientationTo('mission-locale-paris', randomRef());
    toFranceTravail = orientationTo('france-travail-paris', randomRef());
    await accepted('ofii-paris', toMissionLocale);
    await accepted('ofii-paris', toFranceTravail);
    await accepted('mission-locale-paris', acknowledgement('mission-locale-paris', toMissionLocale, 'ACCEPTEE'));
    const checkpoint = await requestGateway({ baseUrl: gw.baseUrl, tls: (await partner('auditor')).tls, method: 'POST', path: '/v1/audit/checkpoint' });
    expect(checkpoint.status).to.be.oneOf([200, 201]);
    browser = await launchBrowser();
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await gw?.dispose();
  });

  it("shows Mission Locale its own message's steps as the API gives them, each proven against the signed log", async () => {
    const page = await pageAs('mission-locale-paris');
    await openConsolePage(page, `${gw.baseUrl}/console/message`);
    await page.getByLabel('Identifiant du message').fill(idOf(toMissionLocale));
    await page.getByRole('button', { name: 'Afficher la chronologie' }).click();
    await page.locator('[data-steps]').waitFor();
    const api = (await get(gw.baseUrl, 'mission-locale-paris', `/v1/messages/${idOf(toMissionLocale)}/timeline`)).body as { steps: Step[]; related: Json[] };
    expect(await page.locator('[data-steps] > li').evaluateAll((items) => items.map((li) => [li.getAttribute('data-step'), Number(li.getAttribute('data-index'))]))).to.deep.equal(api.steps.map((s) => [s.event, s.index]));
    expect(api.steps.map((s) => s.event)).to.deep.equal(['accepted', 'queued', 'acknowledged']);
    expect(await page.locator('[data-steps] code').allTextContents()).to.deep.equal(api.steps.map((s) => s.leafHash));
    expect(await page.locator('[data-summary] [data-field="status"] td').textContent()).to.equal('acquitté');
    expect(await page.locator('[data-related] [data-related-id]').evaluateAll((items) => items.map((li) => li.getAttribute('data-related-id')))).to.deep.equal(api.related.map((r) => r['messageId']));
    expect(new URL(page.url()).searchParams.get('id')).to.equal(idOf(toMissionLocale));

    const verdicts = await verifyAll(page);
    expect(verdicts.map((step) => step.map((v) => v.split(':')[0]))).to.deep.equal([['success', 'success'], ['success', 'success'], ['success', 'success']]);
    expect(verdicts[2]![1]).to.contain(`L’entrée ${api.steps[2]!.index} figure bien dans le journal signé`);
    await expectAccessible(page);
    expect(await cspViolations(page)).to.deep.equal([]);
    await screenshot(page, 'message-partner-proven');
  });

  it("does not show Mission Locale another's message: the page says not found, as the API's 404", async () => {
    const page = await pageAs('mission-locale-paris');
    await openConsolePage(page, `${gw.baseUrl}/console/message?id=${idOf(toFranceTravail)}`);
    await page.locator('[data-not-found]').waitFor();
    expect(await page.locator('[data-not-found]').textContent()).to.equal('Aucun message avec cet identifiant n’est visible pour votre organisation : il n’existe pas, ou il ne concerne pas votre organisation.');
    expect(await page.locator('[data-steps]').count()).to.equal(0);
    expect(await page.locator('main').textContent()).to.not.contain('france-travail-paris');
    const api = await get(gw.baseUrl, 'mission-locale-paris', `/v1/messages/${idOf(toFranceTravail)}/timeline`);
    expect(api.status).to.equal(404);
    await expectAccessible(page);
    expect(await cspViolations(page)).to.deep.equal([]);
    await screenshot(page, 'message-partner-not-found');
  });

  it("shows the auditor any message's timeline, and a step whose entry was changed in the store turns red", async () => {
    const page = await pageAs('auditor');
    await openConsolePage(page, `${gw.baseUrl}/console/message?id=${idOf(toFranceTravail)}`);
    await page.locator('[data-steps]').waitFor();
    const api = (await get(gw.baseUrl, 'auditor', `/v1/messages/${idOf(toFranceTravail)}/timeline`)).body as { steps: Step[] };
    expect(await page.locator('[data-steps] > li').evaluateAll((items) => items.map((li) => li.getAttribute('data-step')))).to.deep.equal(api.steps.map((s) => s.event));
    expect(await page.locator('[data-summary] [data-field="recipient"] td').textContent()).to.equal('france-travail-paris');

    const queued = api.steps.find((s) => s.event === 'queued')!;
    const { leafHash: _leaf, ...fields } = queued;
    await rawWrite({ engine: 'sqlite', dir: gw.settings.dataDir }, 'UPDATE audit_log SET entry = ? WHERE idx = ?', [JSON.stringify({ ...fields, recipient: 'mission-locale-paris' }), queued.index]);
    await openConsolePage(page, `${gw.baseUrl}/console/message?id=${idOf(toFranceTravail)}`);
    await page.locator('[data-steps]').waitFor();
    const verdicts = await verifyAll(page);
    const byEvent = Object.fromEntries(api.steps.map((s, i) => [s.event, verdicts[i]!]));
    expect(byEvent['accepted']!.map((v) => v.split(':')[0])).to.deep.equal(['success', 'success']);
    expect(byEvent['queued']!.map((v) => v.split(':')[0])).to.deep.equal(['success', 'error']);
    expect(byEvent['queued']![1]).to.contain(`L’entrée ${queued.index} a été modifiée`);
    await expectAccessible(page);
    expect(await cspViolations(page)).to.deep.equal([]);
    await screenshot(page, 'message-auditor-tampered');
  });
});
