/** The home page: who is signed in (the partner and its role), and the pages of that role. */
import { t } from '../catalogue/index.js';
import { ApiProblem } from './api.js';
import { h, replace } from './dom.js';
import { currentSession, pageRoot } from './session.js';

async function main(): Promise<void> {
  const root = pageRoot();
  try {
    const session = await currentSession();
    const pages = session.pages.filter((page) => page.slug !== 'accueil');
    replace(
      root,
      h('h1', {}, t('accueil.heading')),
      h('p', { class: 'fr-text--lead', 'data-who': '' }, t('accueil.who', { name: session.partner.name, role: t(`role.${session.partner.role}`) })),
      h('p', {}, t(session.via === 'oidc' ? 'accueil.via.oidc' : 'accueil.via.certificate')),
      h('h2', {}, t('accueil.pages')),
      pages.length === 0
        ? h('p', {}, t('accueil.none'))
        : h(
            'div',
            { class: 'fr-grid-row fr-grid-row--gutters', 'data-pages': '' },
            ...pages.map((page) =>
              h(
                'div',
                { class: 'fr-col-12 fr-col-md-6' },
                h(
                  'div',
                  { class: 'fr-tile fr-enlarge-link', 'data-slug': page.slug },
                  h('div', { class: 'fr-tile__body' }, h('div', { class: 'fr-tile__content' }, h('h3', { class: 'fr-tile__title' }, h('a', { href: `/console/${page.slug}` }, t(page.title))), page.summary ? h('p', { class: 'fr-tile__desc' }, t(page.summary)) : null)),
                ),
              ),
            ),
          ),
    );
  } catch (err) {
    replace(root, h('h1', {}, t('accueil.heading')), h('div', { class: 'fr-alert fr-alert--error', role: 'alert' }, h('p', {}, err instanceof ApiProblem ? err.message : t('error.generic', { requestId: '—' }))));
  }
}

void main();
