/**
 * Who follows a beneficiary (tell us once: only the agency that follows a person may refer them, and
 * only the agency they are referred to gets their dossier). Pure.
 *
 * An agency FOLLOWS a person from the moment the gateway accepted an orientation or a referral of that
 * person addressed to it, until it refuses or redirects it (acknowledgement REFUSEE or REDIRIGEE), ends
 * the support (status update FIN_ACCOMPAGNEMENT), refers the person to another agency, the orientation
 * expires unanswered, or the person opts out or is erased. The person is TAKEN IN CHARGE once an agency
 * accepted them (acknowledgement ACCEPTEE) or reported support (a status update other than an attempt
 * to reach them): until then, a dossier with nobody following is destroyed at once (CASF R.263-8),
 * afterwards it is kept for the retention period after the last event.
 *
 * OFII's end-of-CIR review goes only to an agency that follows the person (or to the gateway, for the
 * statistics only); it changes no follow and takes nobody in charge.
 */
import { GatewayError } from './errors.js';
import { forStatisticsOnly } from './gateway-partner.js';

export const REFERRER_RULE = 'referrer-follows-beneficiary';
export const OPTED_OUT_RULE = 'beneficiary-opted-out';
export const REVIEW_RULE = 'review-to-follower';

/** The message types whose acceptance keeps the sender's signed document in the dossier. */
export const DOSSIER_TYPES: readonly string[] = Object.freeze(['orientation', 'acknowledgement', 'status-update', 'referral', 'cir-review', 'rectification']);

/**
 * Whether the accepted document joins the person's dossier: one of DOSSIER_TYPES, unless it was
 * addressed to the gateway for the statistics only, of which nothing about the person is kept.
 */
export function keptInDossier(header: { type: string; recipient: string }): boolean {
  return DOSSIER_TYPES.includes(header.type) && !forStatisticsOnly(header);
}

/** Status update events that report attempts to reach the person, not support. */
const CONTACT_ATTEMPTS = new Set(['RDV_PLANIFIE', 'ABSENT_RDV', 'NON_JOIGNABLE']);

export interface FollowEffects {
  /** The agency that starts following the person. */
  starts?: string;
  /** The agency that stops following the person. */
  stops?: string;
  /** An agency accepted the person or reported support. */
  takenInCharge: boolean;
}

/** What the rules read of a document that passed its schema (so the body has its type's shape). */
export interface FollowInput {
  header: { type: string; sender: string; recipient: string };
  body: unknown;
}

export function followEffects(document: FollowInput): FollowEffects {
  const { type, sender, recipient } = document.header;
  switch (type) {
    case 'orientation':
      return { starts: recipient, takenInCharge: false };
    case 'referral':
      return { starts: recipient, stops: sender, takenInCharge: false };
    case 'acknowledgement': {
      const { status } = document.body as { status?: unknown };
      if (status === 'REFUSEE' || status === 'REDIRIGEE') return { stops: sender, takenInCharge: false };
      return { takenInCharge: status === 'ACCEPTEE' };
    }
    case 'status-update': {
      // The schema requires body.event in a status update.
      const event = (document.body as { event?: { type?: unknown } }).event?.type;
      const takenInCharge = typeof event === 'string' && !CONTACT_ATTEMPTS.has(event);
      return event === 'FIN_ACCOMPAGNEMENT' ? { stops: sender, takenInCharge } : { takenInCharge };
    }
    case 'cir-review':
      // OFII's review of the contract: the agency that follows the person still does, and nobody starts.
      return { takenInCharge: false };
    default:
      return { takenInCharge: false };
  }
}

export function assertNotOptedOut(optedOut: boolean): void {
  if (optedOut) {
    throw new GatewayError(
      'rule_violation',
      `Rule ${OPTED_OUT_RULE}: the beneficiary was exempted from support or withdrew (opt-out); the gateway accepts no more messages about this person.`,
      { rule: OPTED_OUT_RULE },
    );
  }
}

/**
 * An end-of-CIR review addressed to an agency: the agency must follow the person now. OFII learns from
 * the refusal that this agency does not follow the person; OFII is where the person's file starts (it
 * sent the orientation), so that tells it nothing it may not know.
 */
export function assertReviewToFollower(opts: { follows: boolean; recipient: string }): void {
  if (!opts.follows) {
    throw new GatewayError(
      'rule_violation',
      `Rule ${REVIEW_RULE}: ${opts.recipient} does not follow this beneficiary (no accepted orientation or referral, or it refused, redirected, ended the support or referred the person since). Send the end-of-CIR review to the agency that follows the person, or to "passerelle" for the statistics only.`,
      { rule: REVIEW_RULE },
    );
  }
}

export function assertFollows(opts: { follows: boolean; sender: string }): void {
  if (!opts.follows) {
    throw new GatewayError(
      'rule_violation',
      `Rule ${REFERRER_RULE}: ${opts.sender} does not follow this beneficiary (no accepted orientation or referral, or it refused, redirected, ended the support or referred the person since; an opt-out or an erasure ends every follow); only the agency that follows a person may refer them.`,
      { rule: REFERRER_RULE },
    );
  }
}
