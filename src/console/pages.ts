/**
 * The console's pages. A page is listed in a person's navigation when their role has the capability
 * its data needs (`mayUse`, the API's own policy); the data itself is fetched from the API, which
 * decides again, so a page shown by mistake would still show nothing it should not.
 */
import { mayUse, type Capability } from '../http/authorization.js';
import type { Partner } from '../domain/partner.js';
import type { MessageKey } from './catalogue/index.js';

export interface ConsolePage {
  /** The path under /console and the name of the browser entry (src/console/browser/<slug>.ts). */
  slug: string;
  /** Catalogue key of the page's title. */
  title: MessageKey;
  /** Catalogue key of the one sentence the home page says of it. */
  summary?: MessageKey;
  /**
   * The browser module when it is not `<slug>.ts` (the `api` page: browser/api.ts is the shared API
   * client); the bundle is still served as /console/assets/<slug>.js.
   */
  entry?: string;
  /** What the page's data needs; undefined for a page every signed-in person may open. */
  capability?: Capability;
  /** Left out of the navigation (the home page links to it itself, or it needs a parameter). */
  hidden?: boolean;
}

/** One line per page; the order is the navigation's. */
export const CONSOLE_PAGES: readonly ConsolePage[] = Object.freeze([
  { slug: 'accueil', title: 'nav.home' },
  { slug: 'journal', title: 'page.journal', summary: 'summary.journal', capability: 'audit.read' },
  { slug: 'message', title: 'page.message', summary: 'summary.message', capability: 'message.read' },
  { slug: 'statistiques', title: 'page.statistiques', summary: 'summary.statistiques', capability: 'stats.read' },
  { slug: 'exploitation', title: 'page.exploitation', summary: 'summary.exploitation', capability: 'operator.status' },
  { slug: 'api', title: 'page.api', summary: 'summary.api', entry: 'api-reference' },
] satisfies ConsolePage[]);

/** The page that signs people in: outside the registry, since it is for people not signed in. */
export const SIGN_IN_SLUG = 'connexion';

export function findPage(slug: string): ConsolePage | undefined {
  return CONSOLE_PAGES.find((page) => page.slug === slug);
}

/** The pages whose data the partner's role may read, in navigation order. */
export function pagesFor(partner: Partner): ConsolePage[] {
  return CONSOLE_PAGES.filter((page) => page.capability === undefined || mayUse(partner, page.capability));
}
