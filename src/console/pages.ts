/**
 * The console's pages. A page is listed in a person's navigation when their role has the capability
 * its data needs (`mayUse`, the API's own policy); the data itself is fetched from the API, which
 * decides again, so a page shown by mistake would still show nothing it should not.
 */
import type { Capability } from '../http/authorization.js';

export interface ConsolePage {
  /** The path under /console and the name of the browser entry (src/console/browser/<slug>.ts). */
  slug: string;
  /** Catalogue key of the page's title. */
  title: string;
  /** What the page's data needs; undefined for a page every signed-in person may open. */
  capability?: Capability;
}
