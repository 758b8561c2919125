/** Who is using the console: a registered partner, through its certificate or a person's session. */
import type { Partner } from '../domain/partner.js';

export interface Person {
  /** The registered partner whose role the person acts in. */
  partner: Partner;
  /** certificate: the browser presented the partner's TLS certificate; oidc: a ProConnect session. */
  via: 'certificate' | 'oidc';
}
