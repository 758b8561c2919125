/**
 * The page shell: DSFR's header (the "République française" block and the service's name), skip links,
 * the main navigation (the pages of the person's role), the footer, and the page's bundle. The page's
 * content is built in the browser by `/console/assets/<slug>.js` inside `<main id="contenu">`; pages
 * that need no data (sign-in, not found) come with their content here. No inline script or style.
 */
import { t, type MessageKey } from './catalogue/index.js';
import type { ConsolePage } from './pages.js';
import { html, type Html } from './html.js';
import type { Person } from './person.js';

export interface ShellOptions {
  slug: string;
  title: MessageKey;
  person: Person | undefined;
  navigation: ConsolePage[];
  /** Content rendered by the server (pages without a bundle); else the bundle renders into #contenu. */
  content?: Html;
  /** Whether /console/assets/<slug>.js and .css exist. */
  script: boolean;
  stylesheet: boolean;
  /** Whether /console/assets/console.css (browser/console.css) exists. */
  consoleStylesheet: boolean;
  /** A same-origin page the browser moves on to at once (after a sign-in; no script needed). */
  refreshTo?: string;
}

const DSFR = '/console/dsfr';

export function renderShell(options: ShellOptions): string {
  const { slug } = options;
  const title = t(options.title);
  const page = html`<!doctype html>
<html lang="fr" data-fr-scheme="light">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no">
<meta name="format-detection" content="telephone=no">
${options.refreshTo ? html`<meta http-equiv="refresh" content="0; url=${options.refreshTo}">` : ''}
<title>${title} — ${t('title.suffix')}</title>
<link rel="stylesheet" href="${DSFR}/dsfr.min.css">
<link rel="stylesheet" href="${DSFR}/utility/icons/icons.min.css">
${options.consoleStylesheet ? html`<link rel="stylesheet" href="/console/assets/console.css">` : ''}
${options.stylesheet ? html`<link rel="stylesheet" href="/console/assets/${slug}.css">` : ''}
<link rel="icon" href="${DSFR}/favicon/favicon.svg" type="image/svg+xml">
<script type="module" src="${DSFR}/dsfr.module.min.js"></script>
${options.script ? html`<script type="module" src="/console/assets/${slug}.js"></script>` : ''}
</head>
<body>
<div class="fr-skiplinks">
  <nav class="fr-container" role="navigation" aria-label="${t('skip.label')}">
    <ul class="fr-skiplinks__list">
      <li><a class="fr-link" href="#contenu">${t('skip.content')}</a></li>
      ${options.navigation.length > 0 ? html`<li><a class="fr-link" href="#navigation">${t('skip.nav')}</a></li>` : ''}
    </ul>
  </nav>
</div>
${header(options)}
<main id="contenu" class="fr-container fr-py-6w" data-page="${slug}" tabindex="-1">
${options.content ?? html`<p class="fr-text--lead" data-loading="">${t('loading')}</p>`}
</main>
${footer()}
</body>
</html>
`;
  return page.markup;
}

function header(options: ShellOptions): Html {
  const { person, navigation, slug } = options;
  const home = '/console/accueil';
  return html`<header role="banner" class="fr-header">
  <div class="fr-header__body">
    <div class="fr-container">
      <div class="fr-header__body-row">
        <div class="fr-header__brand fr-enlarge-link">
          <div class="fr-header__brand-top">
            <div class="fr-header__logo">
              ${marianne()}
            </div>
            ${navigation.length > 0 || person ? html`<div class="fr-header__navbar">
              <button class="fr-btn--menu fr-btn" data-fr-opened="false" aria-controls="modal-menu" aria-haspopup="menu" id="button-menu" title="${t('nav.menu')}">${t('nav.menu')}</button>
            </div>` : ''}
          </div>
          <div class="fr-header__service">
            <a href="${home}" title="${t('nav.home')} — ${t('service.name')}">
              <p class="fr-header__service-title">${t('service.name')}</p>
            </a>
            <p class="fr-header__service-tagline">${t('service.tagline')}</p>
          </div>
        </div>
        ${person ? html`<div class="fr-header__tools">
          <div class="fr-header__tools-links">${tools(person)}</div>
        </div>` : ''}
      </div>
    </div>
  </div>
  ${navigation.length > 0 || person ? html`<div class="fr-header__menu fr-modal" id="modal-menu" aria-labelledby="button-menu">
    <div class="fr-container">
      <button class="fr-btn--close fr-btn" aria-controls="modal-menu" title="${t('nav.close')}">${t('nav.close')}</button>
      <div class="fr-header__menu-links"></div>
      ${navigation.length > 0 ? html`<nav class="fr-nav" id="navigation" role="navigation" aria-label="${t('nav.label')}">
        <ul class="fr-nav__list">
          ${navigation.map((entry) => html`<li class="fr-nav__item"><a class="fr-nav__link" href="/console/${entry.slug}" target="_self"${entry.slug === slug ? html` aria-current="page"` : ''}>${t(entry.title)}</a></li>`)}
        </ul>
      </nav>` : ''}
    </div>
  </div>` : ''}
</header>`;
}

function tools(person: Person): Html {
  return html`<ul class="fr-btns-group">
              <li><p class="fr-btn fr-icon-account-circle-line" data-signed-in="">${t('signed-in.as', { name: person.partner.name })}</p></li>
              ${person.via === 'oidc' ? html`<li><form method="post" action="/console/deconnexion"><button type="submit" class="fr-btn fr-icon-logout-box-r-line">${t('sign-out')}</button></form></li>` : ''}
            </ul>`;
}

function footer(): Html {
  return html`<footer class="fr-footer" role="contentinfo" id="footer">
  <div class="fr-container">
    <div class="fr-footer__body">
      <div class="fr-footer__brand fr-enlarge-link">
        <a href="/console/accueil" title="${t('nav.home')} — ${t('service.name')}">
          ${marianne()}
        </a>
      </div>
      <div class="fr-footer__content">
        <p class="fr-footer__content-desc">${t('footer.description')}</p>
      </div>
    </div>
    <div class="fr-footer__bottom">
      <ul class="fr-footer__bottom-list">
        <li class="fr-footer__bottom-item"><span class="fr-footer__bottom-link">${t('footer.accessibility')}</span></li>
      </ul>
    </div>
  </div>
</footer>`;
}

/** The State's block: "République" and "française" on two lines, as DSFR draws it. */
function marianne(): Html {
  const [first, ...rest] = t('ministry').split(' ');
  return html`<p class="fr-logo">${first}<br>${rest.join(' ')}</p>`;
}
