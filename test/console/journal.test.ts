/**
 * The auditor's page in Chromium, on a real gateway: the auditor (client certificate) browses and
 * filters the log and sees what the API answers; the in-browser verification is green on an honest
 * log, and turns red, naming the entry, when an entry is changed in the gateway's store; inclusion
 * and consistency checks are green, then red after the tampering. axe-core on every state shown;
 * screenshots in test-artifacts/console/.
 */
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { requestGateway } from '../../src/client/gateway-client.js';
import { cspViolations, expectAccessible, launchBrowser, openConsolePage, partnerContext, screenshot } from '../fixtures/browser.js';
import { acknowledgement, orientationTo, randomRef } from '../fixtures/dossier.js';
import { eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { get, partner, send, type Json } from '../fixtures/partner.js';
import { rawQuery, rawWrite } from '../fixtures/store.js';

type Entry = Record<string, unknown> & { index: number; leafHash: string; event: string };

describe('console: the auditor\'s journal and its in-browser verification, in Chromium @integration', function () {
  this.timeout(180_000);
  let gw: TestGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const store = () => ({ engine: 'sqlite' as const, dir: gw.settings.dataDir });

  async function accepted(as: string, document: Json): Promise<void> {
    const answer = await send(gw.baseUrl, as, document);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    // Published, so that the log holds its `queued` entry (a loaded machine may take seconds).
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined), 60_000);
  }
  async function api<T>(pathname: string): Promise<T> {
    const answer = await get(gw.baseUrl, 'auditor', pathname);
    expect(answer.status, pathname).to.equal(200);
    return answer.body as T;
  }
  async function signCheckpoint(): Promise<number> {
    const answer = await requestGateway({ baseUrl: gw.baseUrl, tls: (await partner('auditor')).tls, method: 'POST', path: '/v1/audit/checkpoint' });
    expect(answer.status).to.be.oneOf([200, 201]);
    return (answer.body as { treeSize: number }).treeSize;
  }
  const shownIndexes = () => page.locator('[data-row-index]').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-row-index'))));
  async function runVerification(): Promise<Array<{ outcome: string; text: string; index: string | null }>> {
    await page.locator('[data-results]').evaluate((el) => el.removeAttribute('data-done'));
    await page.getByRole('button', { name: 'Vérifier le journal' }).click();
    await page.locator('[data-results][data-done]').waitFor();
    return page.locator('[data-results] [data-verdict]').evaluateAll((alerts) => alerts.map((a) => ({ outcome: a.getAttribute('data-verdict')!, text: a.textContent ?? '', index: a.getAttribute('data-index') })));
  }

  before(async () => {
    gw = await startTestGateway();
    const toMissionLocale = orientationTo('mission-locale-paris', randomRef());
    await accepted('ofii-paris', toMissionLocale);
    await accepted('ofii-paris', orientationTo('france-travail-paris', randomRef()));
    await accepted('mission-locale-paris', acknowledgement('mission-locale-paris', toMissionLocale, 'ACCEPTEE'));
    await signCheckpoint();
    browser = await launchBrowser();
    context = await partnerContext(browser, gw.baseUrl, 'auditor');
    page = await context.newPage();
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await gw?.dispose();
  });

  it('shows the auditor the log as the API answers it, filtered by agency and by event, and an entry with its leaf hash', async () => {
    const response = await openConsolePage(page, `${gw.baseUrl}/console/journal`);
    expect(response.status()).to.equal(200);
    await page.locator('[data-row-index]').first().waitFor();
    const all = (await api<{ entries: Entry[] }>('/v1/audit/entries?limit=50')).entries;
    expect(await shownIndexes()).to.deep.equal(all.map((e) => e.index));
    expect(await page.locator('[data-row-index] td:nth-child(3)').allTextContents()).to.deep.equal(
      all.map((e) => ({ accepted: 'Message accepté', queued: 'Message remis à la file du destinataire', acknowledged: 'Message acquitté par son destinataire' })[e.event as 'accepted']),
    );
    const checkpoint = await api<{ treeSize: number; rootHash: string }>('/v1/audit/checkpoint');
    expect(await page.locator('[data-tree-size] td').textContent()).to.equal(String(checkpoint.treeSize));
    expect(await page.locator('[data-root-hash] td').textContent()).to.equal(checkpoint.rootHash);
    await expectAccessible(page);

    await page.getByLabel('Partenaire (émetteur ou destinataire)').fill('france-travail-paris');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    const ofFranceTravail = (await api<{ entries: Entry[] }>('/v1/audit/entries?limit=50&agency=france-travail-paris')).entries;
    expect(ofFranceTravail.length).to.be.greaterThan(0).and.lessThan(all.length);
    await eventually(async () => (JSON.stringify(await shownIndexes()) === JSON.stringify(ofFranceTravail.map((e) => e.index)) ? true : undefined));

    await page.getByLabel('Partenaire (émetteur ou destinataire)').fill('');
    await page.getByLabel('Événement').selectOption('queued');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    const queued = (await api<{ entries: Entry[] }>('/v1/audit/entries?limit=50&event=queued')).entries;
    expect(queued).to.have.length(3);
    await eventually(async () => (JSON.stringify(await shownIndexes()) === JSON.stringify(queued.map((e) => e.index)) ? true : undefined));
    await screenshot(page, 'journal-filtered');

    const chosen = queued[1]!;
    await page.getByRole('button', { name: `Ouvrir l’entrée ${chosen.index}`, exact: true }).click();
    const fields = page.locator(`[data-entry-index="${chosen.index}"]`);
    expect(await fields.locator('[data-field="leafHash"] td').textContent()).to.equal(chosen.leafHash);
    expect(await fields.locator('[data-field="messageId"] td').textContent()).to.equal(chosen['messageId']);
    expect(await fields.locator('[data-field="event"] td').textContent()).to.contain('(queued)');
    await fields.getByRole('button', { name: 'Vérifier l’inclusion de cette entrée' }).click();
    await fields.locator('[data-inclusion][data-done]').waitFor();
    expect(await fields.locator('[data-verdict]').evaluateAll((a) => a.map((x) => x.getAttribute('data-verdict')))).to.deep.equal(['success', 'success']);
    expect(await fields.locator('[data-verdict="success"]').nth(1).textContent()).to.contain(`L’entrée ${chosen.index} figure bien dans le journal signé`);
    await expectAccessible(page);
    expect(await cspViolations(page)).to.deep.equal([]);
    await screenshot(page, 'journal-entry-included');
  });

  it('verifies an honest log in the browser (signature, root, consistency with the checkpoint kept from the last visit)', async () => {
    await openConsolePage(page, `${gw.baseUrl}/console/journal`);
    const first = await runVerification();
    expect(first.map((v) => v.outcome), JSON.stringify(first)).to.deep.equal(['success', 'success', 'info']);
    const treeSize = (await api<{ treeSize: number }>('/v1/audit/checkpoint')).treeSize;
    expect(first[1]!.text).to.contain(`La racine recalculée à partir des ${treeSize} entrées correspond à celle du point de contrôle signé.`);
    expect(first[2]!.text).to.contain('Aucun point de contrôle n’était gardé dans ce navigateur');

    // The log grows; the next visit proves that the new checkpoint extends the one kept.
    await accepted('ofii-paris', orientationTo('mission-locale-paris', randomRef()));
    const grown = await signCheckpoint();
    await openConsolePage(page, `${gw.baseUrl}/console/journal`);
    const second = await runVerification();
    expect(second.map((v) => v.outcome), JSON.stringify(second)).to.deep.equal(['success', 'success', 'success']);
    expect(second[2]!.text).to.match(new RegExp(`Le point de contrôle de ${treeSize} entrées vu le .* est bien le début du point de contrôle actuel de ${grown} entrées`));
    await expectAccessible(page);
    expect(await cspViolations(page)).to.deep.equal([]);
    await screenshot(page, 'journal-verified');
  });

  it('turns red, naming the entry, when an entry is changed in the store, and the consistency red when the stored tree is rewritten', async () => {
    // A newer checkpoint than the one kept, so that the consistency check has a proof to check.
    await accepted('ofii-paris', orientationTo('france-travail-paris', randomRef()));
    await signCheckpoint();
    const [target] = await rawQuery<{ idx: number; entry: string }>(store(), "SELECT idx, entry FROM audit_log WHERE entry LIKE '%\"event\":\"queued\"%' ORDER BY idx LIMIT 1");
    await rawWrite(store(), 'UPDATE audit_log SET entry = ? WHERE idx = ?', [target!.entry.replace('"event":"queued"', '"event":"dead-lettered"'), target!.idx]);

    await openConsolePage(page, `${gw.baseUrl}/console/journal`);
    const verdicts = await runVerification();
    expect(verdicts.map((v) => v.outcome), JSON.stringify(verdicts)).to.deep.equal(['success', 'error', 'success']);
    expect(verdicts[1]!.text).to.contain(`L’entrée ${target!.idx} a été modifiée : son contenu ne correspond plus à son empreinte`);
    expect(verdicts[1]!.index).to.equal(String(target!.idx));
    await expectAccessible(page);
    await screenshot(page, 'journal-tampered');

    // The tampered entry, opened from the table: its inclusion fails.
    await page.getByRole('button', { name: `Ouvrir l’entrée ${target!.idx}`, exact: true }).click();
    const fields = page.locator(`[data-entry-index="${target!.idx}"]`);
    await fields.getByRole('button', { name: 'Vérifier l’inclusion de cette entrée' }).click();
    await fields.locator('[data-inclusion][data-done]').waitFor();
    expect(await fields.locator('[data-verdict]').evaluateAll((a) => a.map((x) => x.getAttribute('data-verdict')))).to.deep.equal(['success', 'error']);
    expect(await fields.locator('[data-verdict="error"]').textContent()).to.contain(`L’entrée ${target!.idx} a été modifiée`);
    await screenshot(page, 'journal-tampered-inclusion');

    // The gateway rewrites the tree it stored: the current checkpoint no longer extends the kept one.
    await rawWrite(store(), 'UPDATE audit_nodes SET hash = ?', ['0'.repeat(64)]);
    await accepted('ofii-paris', orientationTo('mission-locale-paris', randomRef()));
    await signCheckpoint();
    await openConsolePage(page, `${gw.baseUrl}/console/journal`);
    const rewritten = await runVerification();
    expect(rewritten[0]!.outcome).to.equal('success');
    expect(rewritten[2]!.outcome, JSON.stringify(rewritten)).to.equal('error');
    expect(rewritten[2]!.text).to.match(/Le journal a été réécrit.*ne prolonge pas celui de \d+ entrées vu le/);
    await expectAccessible(page);
    expect(await cspViolations(page)).to.deep.equal([]);
    await screenshot(page, 'journal-rewritten');
  });

  it('shows an agency only the entries that name it, and tells it why it cannot recompute the root', async () => {
    const agency = await partnerContext(browser, gw.baseUrl, 'france-travail-paris');
    try {
      const own = await agency.newPage();
      await openConsolePage(own, `${gw.baseUrl}/console/journal`);
      await own.locator('[data-row-index]').first().waitFor();
      const answer = await get(gw.baseUrl, 'france-travail-paris', '/v1/audit/entries?limit=50');
      const entries = (answer.body as { entries: Entry[] }).entries;
      expect(entries.length).to.be.greaterThan(0);
      for (const entry of entries) expect([entry['sender'], entry['recipient']]).to.include('france-travail-paris');
      expect(await own.locator('[data-row-index]').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-row-index'))))).to.deep.equal(entries.map((e) => e.index));
      expect(await own.locator('main').textContent()).to.not.contain('mission-locale-paris');
      await own.getByRole('button', { name: 'Vérifier le journal' }).click();
      await own.locator('[data-results][data-done]').waitFor();
      const verdicts = await own.locator('[data-results] [data-verdict]').evaluateAll((alerts) => alerts.map((a) => a.getAttribute('data-verdict')));
      expect(verdicts[0]).to.equal('success');
      expect(verdicts[1]).to.equal('info');
      expect(await own.locator('[data-results] [data-verdict]').nth(1).textContent()).to.contain('réservé à l’auditeur');
      await expectAccessible(own);
      expect(await cspViolations(own)).to.deep.equal([]);
      await screenshot(own, 'journal-agency');
    } finally {
      await agency.close();
    }
  });
});
