/**
 * What every console answer carries, read over HTTPS without a browser: the Content-Security-Policy
 * and the other security headers, pages without inline script or style attribute, the redirect of
 * /console, the 404 page, and the design system's files (only those a page needs, cacheable).
 */
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { expect } from 'chai';
import { CONTENT_SECURITY_POLICY } from '../../src/console/headers.js';
import { EXAMPLE_CERTS, startTestGateway, type TestGateway } from '../fixtures/gateway.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function fetchAs(baseUrl: string, pathname: string, partnerId?: string): Promise<Answer> {
  const tls = partnerId ? { cert: fs.readFileSync(path.join(EXAMPLE_CERTS, 'partners', partnerId, 'tls.crt')), key: fs.readFileSync(path.join(EXAMPLE_CERTS, 'partners', partnerId, 'tls.key')) } : {};
  return new Promise((resolve, reject) => {
    const request = https.request(new URL(pathname, baseUrl), { ...tls, ca: fs.readFileSync(path.join(EXAMPLE_CERTS, 'ca.crt')), agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

function expectSecurityHeaders(answer: Answer, where: string): void {
  expect(answer.headers['content-security-policy'], where).to.equal(CONTENT_SECURITY_POLICY);
  expect(answer.headers['x-content-type-options'], where).to.equal('nosniff');
  expect(answer.headers['referrer-policy'], where).to.equal('same-origin');
}

function expectNoInlineCode(html: string, where: string): void {
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  expect(scripts.length, where).to.be.greaterThan(0);
  for (const [, attributes, content] of scripts) {
    expect(attributes, `${where}: every script is a file`).to.match(/\bsrc="\/console\//);
    expect(content!.trim(), `${where}: no inline script`).to.equal('');
  }
  expect(html, `${where}: no style attribute`).to.not.match(/<[^>]+\sstyle\s*=/i);
  expect(html, `${where}: no style element`).to.not.match(/<style\b/i);
  expect(html, `${where}: no event handler attribute`).to.not.match(/<[^>]+\son[a-z]+\s*=/i);
  expect(html, `${where}: no javascript: URL`).to.not.match(/javascript:/i);
}

describe('console: security headers, inline code and assets @integration', function () {
  this.timeout(60_000);
  let gateway: TestGateway;

  before(async () => {
    gateway = await startTestGateway();
  });
  after(async () => {
    await gateway?.dispose();
  });

  it('sends the CSP, nosniff, same-origin referrer and no-store with every page, and pages hold no inline code', async () => {
    for (const [pathname, partnerId, status] of [
      ['/console/accueil', 'auditor', 200],
      ['/console/exploitation', 'operator', 200],
      ['/console/journal', 'ofii-paris', 200],
      ['/console/accueil', undefined, 401],
      ['/console/connexion', undefined, 200],
      ['/console/nulle-part', 'auditor', 404],
    ] as const) {
      const answer = await fetchAs(gateway.baseUrl, pathname, partnerId);
      const where = `${pathname} as ${partnerId ?? 'nobody'}`;
      expect(answer.status, where).to.equal(status);
      expect(answer.headers['content-type'], where).to.match(/^text\/html/);
      expectSecurityHeaders(answer, where);
      expect(answer.headers['cache-control'], where).to.equal('no-store');
      expect(answer.body, where).to.match(/^<!doctype html>\n<html lang="fr"/);
      expectNoInlineCode(answer.body, where);
    }
  });

  it('redirects /console to the home page and answers an unknown page with the 404 page', async () => {
    const root = await fetchAs(gateway.baseUrl, '/console', 'auditor');
    expect(root.status).to.equal(302);
    expect(root.headers['location']).to.equal('/console/accueil');
    const unknown = await fetchAs(gateway.baseUrl, '/console/nulle-part', 'auditor');
    expect(unknown.body).to.contain('Page introuvable');
  });

  it('serves DSFR, DSFR Chart and the bundles from the gateway, cacheable, and nothing else of node_modules', async () => {
    for (const [pathname, type] of [
      ['/console/dsfr/dsfr.min.css', /^text\/css/],
      ['/console/dsfr/dsfr.module.min.js', /javascript/],
      ['/console/dsfr/utility/icons/icons.min.css', /^text\/css/],
      ['/console/dsfr/fonts/Marianne-Regular.woff2', /font\/woff2/],
      ['/console/dsfr/favicon/favicon.svg', /svg/],
    ] as const) {
      const answer = await fetchAs(gateway.baseUrl, pathname);
      expect(answer.status, pathname).to.equal(200);
      expect(answer.headers['content-type'], pathname).to.match(type);
      expect(answer.headers['cache-control'], pathname).to.equal('public, max-age=86400');
      expectSecurityHeaders(answer, pathname);
    }
    const bundle = await fetchAs(gateway.baseUrl, '/console/assets/accueil.js', 'auditor');
    expect(bundle.status).to.equal(200);
    expect(bundle.headers['content-type']).to.match(/^text\/javascript/);
    for (const pathname of ['/console/dsfr/dsfr.min.css.map', '/console/dsfr/../package.json', '/console/dsfr/%2e%2e/package.json', '/console/dsfr/dsfr.nomodule.js', '/console/dsfr-chart/../package.json', '/console/assets/nothing.js']) {
      const answer = await fetchAs(gateway.baseUrl, pathname);
      expect(answer.status, pathname).to.equal(404);
    }
  });
});
