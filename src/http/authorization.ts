/**
 * Who may ask what of the gateway, and which rows each caller sees: the one authorisation point of the
 * HTTP API, for every route and for the web console. Authentication (client certificate to registered
 * partner) is client-identity.ts; this module decides for an authenticated partner.
 *
 * One code per refusal:
 * - `unauthenticated` (401): no partner was authenticated for the request;
 * - `forbidden` (403): the partner's role or registry entry does not give the capability;
 * - `not_found` (404): a row the partner may not see, answered as a row that does not exist, so that
 *   a refusal says no more than an unknown id.
 *
 * `/healthz` and `/readyz` need no capability: they answer anyone, and say only alive, ready or not
 * ready (docs/interface.md, section 4); the details are behind `operator.status`.
 */
import type { NextFunction, Request, Response } from 'express';
import { GatewayError } from '../domain/errors.js';
import type { Partner } from '../domain/partner.js';

export type Capability =
  /** POST /v1/messages. The message's type is checked later, against the sender's `sends` (type_not_allowed). */
  | 'message.send'
  /** GET /v1/messages/{id}, for the messages the partner sent or received (`visibleMessage`). */
  | 'message.read'
  /** GET /v1/messages/{id}/timeline: the sender and the recipient (`visibleMessage`) and the auditor (every message). */
  | 'message.timeline'
  /** GET /v1/audit/entries, /v1/audit/gateway-keys, /v1/audit/checkpoint, /v1/audit/proofs/*, within the partner's `auditScope`. */
  | 'audit.read'
  /** POST /v1/audit/checkpoint: sign a checkpoint now. */
  | 'audit.checkpoint'
  /** POST /v1/audit/checkpoint/cosignatures. */
  | 'audit.cosign'
  /** POST /v1/orientation/suggestions: the request carries a person's data, so only its future sender may ask. */
  | 'suggestions.ask'
  /** GET /v1/stats. */
  | 'stats.read'
  /** GET /v1/partners/{id}/openpgp-key: the public key a sender also encrypts to (src/http/partner-key-routes.ts). */
  | 'partner.key.read'
  /** GET /v1/operator/status: the gateway's own state (store, broker, outbox), for its operators. */
  | 'operator.status'
  /** POST /v1/beneficiary-lookups: the SPE agencies (partners of the agency role that receive orientations), for the people they support. */
  | 'beneficiary.lookup'
  /** GET /v1/beneficiary-lookups/summary: lookups per agency per day, for the auditor and the operator. */
  | 'beneficiary.lookup.summary'
  /** GET /v1/withdrawals: withdrawal notices and their execution receipts, for the operator and the auditor. */
  | 'withdrawals.read';

interface Grant {
  allows(partner: Partner): boolean;
  /** Why not, for the partner, and what it may do instead. */
  refusal(partner: Partner): string;
}

const readsAuditLog = (partner: Partner) => partner.role === 'agency' || partner.role === 'auditor';
const noAuditLog = (partner: Partner) => `The ${partner.role} role has no access to the audit log; use the statistics endpoint.`;

const POLICY: Readonly<Record<Capability, Grant>> = Object.freeze({
  'message.send': {
    allows: (partner) => partner.sends.length > 0,
    refusal: (partner) => `Partner ${partner.id} may not send messages (role ${partner.role}).`,
  },
  'message.read': {
    allows: () => true,
    refusal: (partner) => `Partner ${partner.id} may not read messages.`,
  },
  'message.timeline': {
    allows: readsAuditLog,
    refusal: (partner) => `A message's timeline is for its sender, its recipient and the auditor; the ${partner.role} role reads no message.`,
  },
  'audit.read': { allows: readsAuditLog, refusal: noAuditLog },
  'audit.cosign': { allows: readsAuditLog, refusal: noAuditLog },
  'audit.checkpoint': {
    allows: (partner) => partner.role === 'auditor',
    refusal: () => 'Only the auditor may ask for a new checkpoint; GET /v1/audit/checkpoint returns the latest one.',
  },
  'suggestions.ask': {
    allows: (partner) => partner.sends.includes('orientation'),
    refusal: (partner) => `Suggestions are for the partners that send orientations; ${partner.id} does not.`,
  },
  'stats.read': {
    allows: (partner) => partner.role === 'statistics' || partner.role === 'auditor',
    refusal: (partner) => `The statistics are for the steering committee and the auditor; ${partner.id} has the ${partner.role} role.`,
  },
  'partner.key.read': {
    allows: (partner) => partner.sends.length > 0,
    refusal: (partner) => `The partners' encryption keys are for the partners that send messages; ${partner.id} sends none.`,
  },
  'beneficiary.lookup': {
    // OFII holds the files it would look up; only the agencies it orients people to need to ask.
    allows: (partner) => partner.role === 'agency' && partner.receives.includes('orientation'),
    refusal: (partner) => `Beneficiary lookups are for the employment agencies that OFII orients people to; ${partner.id} is not one of them.`,
  },
  'beneficiary.lookup.summary': {
    allows: (partner) => partner.role === 'auditor' || partner.role === 'operator',
    refusal: (partner) => `The summary of beneficiary lookups is for the auditor and the operator; ${partner.id} has the ${partner.role} role. An agency sees its own lookups in GET /v1/audit/entries?event=looked-up.`,
  },
  'withdrawals.read': {
    allows: (partner) => partner.role === 'operator' || partner.role === 'auditor',
    refusal: (partner) => `Withdrawal notices and their execution receipts are for the gateway's operators and the auditor; ${partner.id} has the ${partner.role} role. An agency sees the notices it received in its own queue, and the committee the counts in GET /v1/stats.`,
  },
  'operator.status': {
    allows: (partner) => partner.role === 'operator',
    refusal: (partner) => `The gateway's status is for its operators; ${partner.id} has the ${partner.role} role. GET /readyz says whether the gateway is ready.`,
  },
});

export function mayUse(partner: Partner, capability: Capability): boolean {
  return POLICY[capability].allows(partner);
}

/** @throws GatewayError 'forbidden' unless the partner has the capability. */
export function authorize(partner: Partner, capability: Capability): void {
  const grant = POLICY[capability];
  if (!grant.allows(partner)) throw new GatewayError('forbidden', grant.refusal(partner));
}

/** The partner authenticated for this request (src/http/app.ts, under /v1). */
export function callerOf(res: Response): Partner {
  const partner = res.locals['partner'] as Partner | undefined;
  if (partner === undefined) {
    throw new GatewayError('unauthenticated', 'A client certificate is required: connect over TLS with the certificate issued to your organisation.');
  }
  return partner;
}

/**
 * The route guard: the first handler of every /v1 route. `onRefusal` turns a refusal into the error
 * answered (POST /v1/messages records it in the audit log first).
 */
export function permit(capability: Capability, onRefusal?: (refusal: GatewayError, partner: Partner) => Promise<GatewayError>) {
  return async (_req: Request, res: Response, next: NextFunction): Promise<void> => {
    await permitted(callerOf(res), capability, onRefusal);
    next();
  };
}

/** The guard of `permit`, for a route served without express (src/http/message-route.ts). */
export async function permitted(partner: Partner, capability: Capability, onRefusal?: (refusal: GatewayError, partner: Partner) => Promise<GatewayError>): Promise<void> {
  try {
    authorize(partner, capability);
  } catch (err) {
    if (onRefusal === undefined || !(err instanceof GatewayError)) throw err;
    throw await onRefusal(err, partner);
  }
}

/**
 * A message is visible to its sender and its recipient only.
 * @throws GatewayError 'not_found' for anyone else, as for an id that does not exist.
 */
export function visibleMessage<T extends { sender: string; recipient: string }>(partner: Partner, record: T | undefined): T {
  if (record === undefined || (record.sender !== partner.id && record.recipient !== partner.id)) {
    throw new GatewayError('not_found', 'No message with this id is visible to your organisation.');
  }
  return record;
}

/**
 * The auditor sees every message's timeline; anyone else only a message it sent or received, with
 * exactly the refusal of `visibleMessage`.
 * @throws GatewayError 'forbidden' for a partner without 'message.timeline', 'not_found' as above.
 */
export function visibleTimeline<T extends { sender: string; recipient: string }>(partner: Partner, record: T | undefined): T {
  authorize(partner, 'message.timeline');
  if (partner.role === 'auditor' && record !== undefined) return record;
  return visibleMessage(partner, record);
}

/** The audit entries a partner sees, with their leaf hashes and inclusion proofs. */
export type AuditScope = { kind: 'every-entry' } | { kind: 'entries-naming'; partnerId: string };

/**
 * The auditor sees every entry; an agency the entries that name it (as sender or recipient), so that
 * it can check its own exchanges without seeing anyone else's.
 * @throws GatewayError 'forbidden' for a partner without 'audit.read'.
 */
export function auditScope(partner: Partner): AuditScope {
  authorize(partner, 'audit.read');
  return partner.role === 'auditor' ? { kind: 'every-entry' } : { kind: 'entries-naming', partnerId: partner.id };
}

/** The refusal of an audit entry outside the caller's scope: as for an entry that does not exist. */
export function unseenAuditEntry(index: number): GatewayError {
  return new GatewayError('not_found', `No audit entry ${index} is visible to your organisation: an agency sees the entries that name it.`);
}
