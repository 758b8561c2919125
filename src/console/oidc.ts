/**
 * Sign-in to the console with OpenID Connect (ProConnect, the French public agents' identity
 * federation): the authorization code flow with PKCE (RFC 7636), state and nonce (OpenID Connect Core
 * 1.0, sections 3.1.2.1 and 15.5.2), as a relying party built on openid-client. The person's email
 * (and organisation SIRET) is looked up in the role-mapping file; a person found gets a session for
 * the mapped partner, anyone else a page saying whom to ask, and no session.
 *
 * state, nonce and the PKCE verifier travel in a short-lived sealed cookie, SameSite=Lax because the
 * provider sends the person back with a cross-site navigation.
 */
import https from 'node:https';
import express, { type Request, type Response as ExpressResponse } from 'express';
import * as client from 'openid-client';
import type { OidcSettings } from '../config/settings.js';
import type { Partner } from '../domain/partner.js';
import type { Logger } from '../log/logger.js';
import { t } from './catalogue/index.js';
import { html, type Html } from './html.js';
import type { RoleMapping } from './role-mapping.js';
import { cookieOf, type SessionSealer } from './session.js';

export interface OidcSignIn {
  router: express.Router;
}

export interface OidcDependencies {
  settings: OidcSettings;
  clientSecret: string;
  /** PEM of the CAs that verify the provider (PASSERELLE_OIDC_CA_FILE); the system CAs otherwise. */
  caPem: string | undefined;
  mapping: RoleMapping;
  sessions: SessionSealer;
  findPartner: (id: string) => Partner | undefined;
  logger: Logger;
  /** Renders a console page (routes.ts): status, title, content, and a same-site page to go on to. */
  sendPage: (res: ExpressResponse, status: number, page: { title: 'page.connexion'; content: Html; refreshTo?: string }) => Promise<void>;
}

const TRANSACTION_COOKIE = '__Host-passerelle-oidc';
/** The time a person has at the provider to sign in. */
const TRANSACTION_SECONDS = 600;
/** ProConnect's scopes for the claims used here (email; siret: the organisation). */
const SCOPE = 'openid email siret';

interface Transaction {
  v: string;
  s: string;
  n: string;
  t: number;
}

export function createOidcSignIn(deps: OidcDependencies): OidcSignIn {
  const { settings, sessions, logger } = deps;
  const fetchFn = deps.caPem === undefined ? undefined : fetchTrusting(deps.caPem);
  let configuration: Promise<client.Configuration> | undefined;
  // Discovered on first use, not at start: the gateway serves partners even when the provider is away.
  const configured = (): Promise<client.Configuration> => {
    configuration ??= client
      .discovery(new URL(settings.issuer), settings.clientId, undefined, client.ClientSecretPost(deps.clientSecret), fetchFn ? { [client.customFetch]: fetchFn } : {})
      .then((config) => {
        if (fetchFn) config[client.customFetch] = fetchFn;
        return config;
      });
    configuration.catch(() => {
      configuration = undefined;
    });
    return configuration;
  };

  const transactionCookie = (value: string, maxAge: number) => `${TRANSACTION_COOKIE}=${value}; Max-Age=${maxAge}; Path=/; Secure; HttpOnly; SameSite=Lax`;

  const failed = async (res: ExpressResponse, status: number, reason: string) => {
    logger.warn('console sign-in failed', { component: 'console', reason });
    await deps.sendPage(res, status, {
      title: 'page.connexion',
      content: html`<h1>${t('connexion.failed.heading')}</h1>
<div class="fr-alert fr-alert--error fr-mb-4w" data-sign-in="failed"><p>${t('connexion.failed.text', { requestId: String(res.locals['requestId'] ?? '—') })}</p></div>
<p><a class="fr-btn" href="/console/oidc/connexion">${t('connexion.retry')}</a></p>`,
    });
  };

  const router = express.Router();

  router.get('/oidc/connexion', async (_req: Request, res: ExpressResponse) => {
    let config: client.Configuration;
    try {
      config = await configured();
    } catch (err) {
      await failed(res, 502, `provider discovery: ${(err as Error).name}: ${(err as Error).message}`);
      return;
    }
    const transaction: Transaction = { v: client.randomPKCECodeVerifier(), s: client.randomState(), n: client.randomNonce(), t: sessions.seconds() };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: settings.redirectUrl,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(transaction.v),
      code_challenge_method: 'S256',
      state: transaction.s,
      nonce: transaction.n,
    });
    res.append('Set-Cookie', transactionCookie(sessions.sealValue(TRANSACTION_COOKIE, transaction), TRANSACTION_SECONDS));
    res.redirect(303, url.href);
  });

  router.get('/oidc/retour', async (req: Request, res: ExpressResponse) => {
    res.append('Set-Cookie', transactionCookie('', 0));
    const transaction = sessions.openValue(TRANSACTION_COOKIE, cookieOf(req.headers.cookie, TRANSACTION_COOKIE)) as Transaction | undefined;
    if (!transaction || typeof transaction.v !== 'string' || sessions.seconds() - transaction.t > TRANSACTION_SECONDS) {
      await failed(res, 400, 'no valid sign-in transaction (cookie missing, tampered or expired)');
      return;
    }
    let claims: { email?: unknown; siret?: unknown };
    try {
      const config = await configured();
      const tokens = await client.authorizationCodeGrant(config, new URL(req.originalUrl, settings.redirectUrl), {
        pkceCodeVerifier: transaction.v,
        expectedState: transaction.s,
        expectedNonce: transaction.n,
        idTokenExpected: true,
      });
      const idToken = tokens.claims()!;
      claims = idToken as { email?: unknown; siret?: unknown };
      // ProConnect gives the claims at the userinfo endpoint; some providers put them in the ID token.
      if (typeof idToken['email'] !== 'string') claims = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
    } catch (err) {
      await failed(res, 400, reasonOf(err));
      return;
    }
    const partnerId = deps.mapping.partnerFor(claims);
    const partner = partnerId === undefined ? undefined : deps.findPartner(partnerId);
    if (!partner) {
      // Never the email in the logs: a keyed hash lets the operator match repeated attempts.
      const person = typeof claims.email === 'string' ? `person ${sessions.hashForLogs(claims.email.toLowerCase())}` : 'a person without an email claim';
      logger.warn('console sign-in refused', { component: 'console', outcome: 'refused', reason: `${person} is not in the role mapping` });
      await deps.sendPage(res, 403, {
        title: 'page.connexion',
        content: html`<h1>${t('connexion.unknown.heading')}</h1><div class="fr-alert fr-alert--warning" data-sign-in="unknown"><p>${t('connexion.unknown.text')}</p></div>`,
      });
      return;
    }
    logger.info('console sign-in', { component: 'console', outcome: 'signed-in', partner: partner.id });
    res.append('Set-Cookie', sessions.cookie(sessions.fresh(partner.id)));
    // A page of this site moves on to the home page: the session cookie is SameSite=Strict, and a
    // redirect at the end of the provider's cross-site chain would not carry it.
    await deps.sendPage(res, 200, {
      title: 'page.connexion',
      refreshTo: '/console/accueil',
      content: html`<h1>${t('connexion.heading')}</h1><p data-sign-in="ok"><a class="fr-link" href="/console/accueil">${t('connexion.continue')}</a></p>`,
    });
  });

  return { router };
}

/**
 * Why a callback failed, for the operator's log: the codes and messages of openid-client's error and
 * its causes, and the claim or parameter they name (never their values: an ID token's claims are
 * personal data).
 */
function reasonOf(err: unknown): string {
  const parts: string[] = [];
  for (let cause = err, depth = 0; cause && typeof cause === 'object' && depth < 4; cause = (cause as { cause?: unknown }).cause, depth++) {
    const { name, code, message, claim, parameter } = cause as { name?: unknown; code?: unknown; message?: unknown; claim?: unknown; parameter?: unknown };
    const said = [name, code].filter((v) => typeof v === 'string').join(' ');
    if (typeof message === 'string') parts.push(`${said}: ${message}`);
    if (typeof claim === 'string') parts.push(`claim ${claim}`);
    if (typeof parameter === 'string') parts.push(`parameter ${parameter}`);
  }
  return parts.join('; ') || 'unknown error';
}

/** fetch for openid-client over node:https, trusting `caPem` for the provider's certificate. */
function fetchTrusting(caPem: string): client.CustomFetch {
  return (url, options) =>
    new Promise<Response>((resolve, reject) => {
      const request = https.request(url, { method: options.method, headers: options.headers as Record<string, string>, ca: caPem, ...(options.signal ? { signal: options.signal } : {}) }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
          const status = response.statusCode ?? 502;
          resolve(new globalThis.Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers }));
        });
      });
      request.on('error', reject);
      request.end(options.body === undefined || options.body === null ? undefined : typeof options.body === 'string' ? options.body : String(options.body));
    });
}
