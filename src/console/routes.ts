/**
 * The console under /console: the pages (the DSFR shell, filled in the browser by each page's bundle),
 * the design system's assets, sign-in and sign-out. Who the person is comes from the browser's client
 * certificate (as for the API) or from a ProConnect session; what they may see is decided by the API's
 * one authorization point, called by the pages' bundles.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Partner } from '../domain/partner.js';
import { authenticatePartner, presentsCertificate } from '../http/client-identity.js';
import type { Logger } from '../log/logger.js';
import { designSystemAssets } from './assets.js';
import { consoleBundles } from './bundles.js';
import { t, type MessageKey } from './catalogue/index.js';
import { securityHeaders } from './headers.js';
import { html, type Html } from './html.js';
import { findPage, pagesFor, SIGN_IN_SLUG } from './pages.js';
import { renderShell } from './shell.js';
import type { Person } from './person.js';
import { clearedSessionCookie, sessionCookieOf, type SessionSealer } from './session.js';
import { createOidcSignIn, type OidcDependencies } from './oidc.js';

export interface ConsoleDependencies {
  findPartner: (id: string) => Partner | undefined;
  logger: Logger;
  /** Sessions and ProConnect sign-in; both undefined when OpenID Connect is not configured. */
  sessions?: SessionSealer;
  oidc?: Pick<OidcDependencies, 'settings' | 'clientSecret' | 'caPem' | 'mapping'>;
}

export interface WebConsole {
  /** Mounted at /console. */
  router: express.Router;
  /**
   * The partner a valid console session acts for on this request, for the API's GET and HEAD
   * (src/http/app.ts); undefined without a valid session.
   */
  sessionPartner(req: Request): Partner | undefined;
}

export function createConsole(deps: ConsoleDependencies): WebConsole {
  const { findPartner, sessions } = deps;

  const sessionPartner = (req: Request): Partner | undefined => {
    const claims = sessions?.open(sessionCookieOf(req.headers.cookie));
    return claims ? findPartner(claims.partnerId) : undefined;
  };

  /** The person on this request, renewing the session's idle limit when a page is opened. */
  const identify = (req: Request, res: Response): Person | undefined => {
    if (presentsCertificate(req)) {
      try {
        return { partner: authenticatePartner(req, findPartner), via: 'certificate' };
      } catch {
        return undefined;
      }
    }
    if (!sessions) return undefined;
    const claims = sessions.open(sessionCookieOf(req.headers.cookie));
    const partner = claims ? findPartner(claims.partnerId) : undefined;
    if (!claims || !partner) return undefined;
    const renewed = sessions.renewed(claims);
    if (renewed) res.append('Set-Cookie', sessions.cookie(renewed));
    return { partner, via: 'oidc' };
  };

  const router = express.Router();
  router.use(securityHeaders);
  router.use(designSystemAssets());

  router.get('/', (_req, res) => res.redirect(302, '/console/accueil'));

  // Who is signed in, for the pages' bundles: the partner's name and role, never the person.
  router.get('/session', (req, res) => {
    const person = identify(req, res);
    if (!person) {
      res.status(401).json({ signedIn: false });
      return;
    }
    res.locals['partner'] = person.partner;
    res.json({
      signedIn: true,
      via: person.via,
      partner: { id: person.partner.id, name: person.partner.name, role: person.partner.role },
      pages: pagesFor(person.partner).map((page) => ({ slug: page.slug, title: page.title, ...(page.summary ? { summary: page.summary } : {}) })),
    });
  });

  const signIn = sessions && deps.oidc ? createOidcSignIn({ ...deps.oidc, sessions, findPartner, logger: deps.logger, sendPage: (res, status, page) => sendPage(res, status, { slug: SIGN_IN_SLUG, person: undefined, ...page }) }) : undefined;
  if (signIn) router.use(signIn.router);

  router.post('/deconnexion', (_req, res) => {
    res.append('Set-Cookie', clearedSessionCookie());
    res.redirect(303, `/console/${SIGN_IN_SLUG}?etat=deconnecte`);
  });

  router.get(`/${SIGN_IN_SLUG}`, async (req, res, next) => {
    try {
      const person = identify(req, res);
      const notice = req.query['etat'] === 'deconnecte' ? html`<div class="fr-alert fr-alert--info fr-alert--sm fr-mb-4w"><p>${t('connexion.signed-out')}</p></div>` : '';
      await sendPage(res, 200, { slug: SIGN_IN_SLUG, title: 'page.connexion', person, content: html`${notice}${signInContent(signIn !== undefined)}` });
    } catch (err) {
      next(err);
    }
  });

  router.get('/:slug', async (req, res, next) => {
    try {
      const page = findPage(String(req.params['slug']));
      if (!page) return next();
      const person = identify(req, res);
      if (!person) {
        await sendPage(res, 401, { slug: SIGN_IN_SLUG, title: 'page.connexion', person, content: signInContent(signIn !== undefined) });
        return;
      }
      res.locals['partner'] = person.partner;
      await sendPage(res, 200, { slug: page.slug, title: page.title, person });
    } catch (err) {
      next(err);
    }
  });

  router.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      const person = identify(req, res);
      await sendPage(res, 404, {
        slug: 'introuvable',
        title: 'page.not-found',
        person,
        content: html`<h1>${t('page.not-found')}</h1><p class="fr-text--lead">${t('not-found.lead')}</p><p><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="/console/accueil">${t('not-found.back')}</a></p>`,
      });
    } catch (err) {
      next(err);
    }
  });

  return { router, sessionPartner };
}

interface PageAnswer {
  slug: string;
  title: MessageKey;
  person: Person | undefined;
  content?: Html;
  refreshTo?: string;
}

async function sendPage(res: Response, status: number, answer: PageAnswer): Promise<void> {
  const bundles = await consoleBundles();
  res.status(status).type('html').send(
    renderShell({
      slug: answer.slug,
      title: answer.title,
      person: answer.person,
      navigation: answer.person ? pagesFor(answer.person.partner) : [],
      ...(answer.content ? { content: answer.content } : {}),
      ...(answer.refreshTo ? { refreshTo: answer.refreshTo } : {}),
      script: bundles.has(`${answer.slug}.js`),
      stylesheet: bundles.has(`${answer.slug}.css`),
      consoleStylesheet: bundles.has('console.css'),
    }),
  );
}

function signInContent(oidc: boolean): Html {
  return html`<h1>${t('connexion.heading')}</h1>
<p class="fr-text--lead">${t('connexion.lead')}</p>
<div class="fr-grid-row fr-grid-row--gutters">
  <div class="fr-col-12 fr-col-md-6">
    <h2 class="fr-h4">${t('connexion.certificate.heading')}</h2>
    <p>${t('connexion.certificate.text')}</p>
  </div>
  <div class="fr-col-12 fr-col-md-6">
    <h2 class="fr-h4">${t('connexion.oidc.heading')}</h2>
    <p>${t('connexion.oidc.text')}</p>
    ${oidc
      ? html`<div class="fr-connect-group">
      <a class="fr-connect" href="/console/oidc/connexion" id="proconnect"><span class="fr-connect__login">${t('connexion.oidc.login')}</span> <span class="fr-connect__brand">${t('connexion.oidc.brand')}</span></a>
      <p><a href="https://www.proconnect.gouv.fr/" target="_blank" rel="noopener" title="${t('connexion.oidc.what')} — ${t('new-window')}">${t('connexion.oidc.what')}</a></p>
    </div>
    <p class="fr-text--sm">${t('connexion.readonly')}</p>`
      : html`<p class="fr-text--sm">${t('connexion.oidc.unavailable')}</p>`}
  </div>
</div>`;
}
