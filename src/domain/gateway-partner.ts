/**
 * The gateway as a party to the exchange. It receives opt-outs (OFII addresses them to the gateway,
 * which acts on them) and the agencies' execution receipts for its withdrawal notices, and sends its
 * own messages, signed with its own OpenPGP key: the dossier that goes with a referral, withdrawal
 * notices, expiry notices. Its id is reserved: the registry refuses a
 * partner named like it, and no partner may list the gateway's message types in `sends`.
 */
import type { Partner } from './partner.js';

export const GATEWAY_ID = 'passerelle';

/** Message types only the gateway sends. */
export const GATEWAY_SENDS: readonly string[] = Object.freeze(['dossier', 'withdrawal', 'expiry']);

/** Message types addressed to the gateway itself (header.recipient = GATEWAY_ID). */
export const GATEWAY_RECEIVES: readonly string[] = Object.freeze(['opt-out', 'execution-receipt']);

/** The gateway as a recipient, for the routing step (step 7 of the acceptance checks). */
export const GATEWAY_PARTNER: Partner = Object.freeze({
  id: GATEWAY_ID,
  name: 'Passerelle',
  role: 'agency',
  sends: [...GATEWAY_SENDS],
  receives: [...GATEWAY_RECEIVES],
  eligibility: [],
  minimisation: [],
}) as Partner;
