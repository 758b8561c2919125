/**
 * What the statistics keep of an accepted message: a handful of categories, taken from the document
 * once it passed its schema, in the same transaction as its acceptance. Never an identifier of the
 * person (no beneficiaryRef, no pseudonym) and no date of the person's life: an answer is linked to the
 * orientation it answers by message id only, and a status update keeps its delay from the orientation
 * in days, not its date (the store computes it, src/store/sqlite-stats.ts). Pure.
 */
import { resolvePointer } from '../domain/minimisation.js';

/** Residence-permit families of the agreement from the grounds code prefix. */
export const PERMIT_FAMILIES = ['FAMILLE', 'PROFESSIONNEL', 'PROTECTION_INTERNATIONALE', 'APS'] as const;

/** Initial French level (CECRL) as the orientation schema lists it. */
export const LANGUAGE_LEVELS = ['INFRA_A1', 'A1', 'A2', 'B1', 'B2', 'C1', 'C2'] as const;

/** Acknowledgement statuses, then the outcome of an orientation nobody answered yet. */
export const OUTCOMES = ['RECUE', 'ACCEPTEE', 'REFUSEE', 'REDIRIGEE', 'SANS_REPONSE'] as const;
export const NO_ANSWER = 'SANS_REPONSE';

/** The status-update event whose delay from the orientation the steering committee follows. */
export const FIRST_INTERVIEW = 'PREMIER_ENTRETIEN_REALISE';

export interface StatisticsFact {
  /** YYYY-MM of the acceptance, on the gateway's clock (UTC). */
  month: string;
  type: string;
  sender: string;
  recipient: string;
  /** Orientations: family of the residence-permit grounds. */
  permitFamily?: string;
  /** Orientations: initial CECRL level. */
  languageLevel?: string;
  /** Orientations: the calendar day of header.sentAt, as the sender wrote it. */
  sentOn?: string;
  /** Answers: the message id they answer (header.inReplyTo). */
  answers?: string;
  /** Acknowledgements: body.status. */
  acknowledgementStatus?: string;
  /** Status updates: body.event.type. */
  eventType?: string;
  /** Status updates: body.event.effectiveOn, only to compute the delay; the store does not keep it. */
  effectiveOn?: string;
}

/** A fact as the store gives it back: its order of acceptance, and the delay instead of the date. */
/** A page of stored facts, in order of acceptance: up to `limit` facts after the one numbered `afterSeq` (from the first without it). */
export interface FactsPage {
  afterSeq?: number;
  limit: number;
}

export interface StoredFact extends Omit<StatisticsFact, 'effectiveOn'> {
  seq: number;
  messageId: string;
  /** Status updates answering an orientation: effectiveOn minus the orientation's sentOn, in days. */
  daysFromOrientation?: number;
}

/** The grounds code's prefix names its family: FAM_*, PRO_*, PI_*, and APS itself. */
export function permitFamily(grounds: string): string {
  if (grounds.startsWith('FAM_')) return 'FAMILLE';
  if (grounds.startsWith('PRO_')) return 'PROFESSIONNEL';
  if (grounds.startsWith('PI_')) return 'PROTECTION_INTERNATIONALE';
  if (grounds === 'APS') return 'APS';
  return 'AUTRE';
}

/** Whole days from `from` to `to`, two calendar dates (YYYY-MM-DD). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The string at an RFC 6901 pointer into the body, if there is one. */
function text(body: unknown, pointer: string): string | undefined {
  const value = resolvePointer(body, pointer)[0]?.value;
  return typeof value === 'string' ? value : undefined;
}

/** What a document that passed its schema gives the statistics. */
export interface FactSource {
  header: { type: string; sender: string; recipient: string; sentAt: string; inReplyTo?: string | undefined };
  body: unknown;
}

export function factOf(document: FactSource, acceptedAt: string): StatisticsFact {
  const { header, body } = document;
  const fact: StatisticsFact = { month: acceptedAt.slice(0, 7), type: header.type, sender: header.sender, recipient: header.recipient };
  if (header.inReplyTo !== undefined) fact.answers = header.inReplyTo;
  switch (header.type) {
    case 'orientation': {
      const grounds = text(body, '/residencePermit/grounds');
      if (grounds !== undefined) fact.permitFamily = permitFamily(grounds);
      const level = text(body, '/language/initialLevel');
      if (level !== undefined) fact.languageLevel = level;
      fact.sentOn = header.sentAt.slice(0, 10);
      break;
    }
    case 'acknowledgement':
    case 'execution-receipt': {
      // An execution receipt's status (EFFECTUE, REFUSE_MOTIF_LEGAL) in the same column: the status of an answer.
      const status = text(body, '/status');
      if (status !== undefined) fact.acknowledgementStatus = status;
      break;
    }
    case 'status-update': {
      const type = text(body, '/event/type');
      if (type !== undefined) fact.eventType = type;
      const effectiveOn = text(body, '/event/effectiveOn');
      if (effectiveOn !== undefined) fact.effectiveOn = effectiveOn;
      break;
    }
  }
  return fact;
}
