/**
 * The gateway as a party to the exchange. It receives opt-outs (OFII addresses them to the gateway,
 * which acts on them), the agencies' execution receipts for its withdrawal notices, end-of-CIR reviews meant for the statistics only (no agency follows the
 * person, or OFII tells nobody: counted, neither delivered nor kept) and rectifications (their author
 * addresses them to the gateway, which tells every partner that received the corrected document), and
 * sends its own messages, signed with its own OpenPGP key: the dossier that goes with a referral,
 * withdrawal notices, expiry notices, requests to share a dossier, correction notices. Its id is reserved: the registry refuses a
 * partner named like it, and no partner may list the gateway's message types in `sends`.
 */
import type { Partner } from './partner.js';

export const GATEWAY_ID = 'passerelle';

/** Message types only the gateway sends. */
export const GATEWAY_SENDS: readonly string[] = Object.freeze(['dossier', 'withdrawal', 'expiry', 'dossier-request', 'correction']);

/** Message types addressed to the gateway itself only (header.recipient = GATEWAY_ID); no partner may receive them. */
export const GATEWAY_RECEIVES: readonly string[] = Object.freeze(['opt-out', 'rectification', 'execution-receipt']);

/**
 * Message types addressed to an agency or, for the statistics only, to the gateway: accepted and
 * counted, then neither delivered nor kept in the dossier (docs/interface.md, section 3).
 */
export const STATISTICS_ONLY_TYPES: readonly string[] = Object.freeze(['cir-review']);

/** Whether the message is addressed to the gateway for the statistics only. */
export function forStatisticsOnly(header: { type: string; recipient: string }): boolean {
  return header.recipient === GATEWAY_ID && STATISTICS_ONLY_TYPES.includes(header.type);
}

/** The gateway as a recipient, for the routing step (step 7 of the acceptance checks). */
export const GATEWAY_PARTNER: Partner = Object.freeze({
  id: GATEWAY_ID,
  name: 'Passerelle',
  role: 'agency',
  sends: [...GATEWAY_SENDS],
  receives: [...GATEWAY_RECEIVES, ...STATISTICS_ONLY_TYPES],
  eligibility: [],
  minimisation: [],
}) as Partner;
