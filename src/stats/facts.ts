/**
 * What the statistics keep of an accepted message: a handful of categories, taken from the document
 * once it passed its schema, in the same transaction as its acceptance. Never an identifier of the
 * person (no beneficiaryRef, no pseudonym) and no date of the person's life: an answer is linked to the
 * orientation it answers by message id only, a person's path by the message id of the orientation that
 * started it (the cohort, which the store finds in the acceptance transaction), a status update keeps
 * its delay from that orientation in days, not its date, and an orientation keeps an age band, not the
 * birth date (src/store/statistics.ts). Pure.
 */
import { resolvePointer } from '../domain/minimisation.js';

/** Residence-permit families of the agreement from the grounds code prefix. */
export const PERMIT_FAMILIES = ['FAMILLE', 'PROFESSIONNEL', 'PROTECTION_INTERNATIONALE', 'APS'] as const;

/** Initial French level (CECRL) as the orientation schema lists it. */
export const LANGUAGE_LEVELS = ['INFRA_A1', 'A1', 'A2', 'B1', 'B2', 'C1', 'C2'] as const;

/** Acknowledgement statuses, then the outcome of an orientation nobody answered yet. */
export const OUTCOMES = ['RECUE', 'ACCEPTEE', 'REFUSEE', 'REDIRIGEE', 'SANS_REPONSE'] as const;
export const NO_ANSWER = 'SANS_REPONSE';

/** End-of-CIR reviews: the contract's final status (schemas/cir-review.v1.schema.json). */
export const FINAL_STATUSES = ['ACHEVE', 'ROMPU'] as const;

/** End-of-CIR reviews: the post-CIR orientation's kind when it is no new orientation. */
export const DISPENSATION = 'DISPENSE';

/** The status-update event whose delay from the orientation the steering committee follows. */
export const FIRST_INTERVIEW = 'PREMIER_ENTRETIEN_REALISE';

/** Sex at the civil registry as the orientation schema lists it. */
export const SEXES = ['F', 'M'] as const;

/**
 * Age bands of the committee's dimensions (ages on the day the orientation was sent): the youth
 * guarantee's 16-25 (Mission Locale), 26-44, and 45 and over. A younger age is its own band, MOINS_16,
 * rather than hidden in 16-25.
 */
export const AGE_BANDS = ['16-25', '26-44', '45+'] as const;
export const UNDER_16 = 'MOINS_16';

/** CNE pathways (arrêté du 21 novembre 2024) as the orientation schema lists them. */
export const PATHWAYS = ['EMPLOI', 'SOCIO_PRO', 'SOCIAL'] as const;

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
  /** Orientations: identity.sex. */
  sex?: string;
  /** Orientations: the age band on sentOn (AGE_BANDS), from identity.birthDate, which is not kept. */
  ageBand?: string;
  /** Orientations: orientation.pathway (CNE pathway proposed). */
  pathway?: string;
  /** Status updates ENTREE_EMPLOI: body.employment.contractType (CDI, CDD_6M_PLUS, CDD_MOINS_6M, ...). */
  contractKind?: string;
  /** Answers: the message id they answer (header.inReplyTo). */
  answers?: string;
  /** Acknowledgements: body.status. */
  acknowledgementStatus?: string;
  /** Status updates: body.event.type. */
  eventType?: string;
  /** Status updates: body.event.effectiveOn, only to compute the delay; the store does not keep it. */
  effectiveOn?: string;
  /** End-of-CIR reviews: body.cir.finalStatus. */
  finalStatus?: string;
  /** End-of-CIR reviews: body.language.levelReached (CECRL). */
  levelReached?: string;
  /** End-of-CIR reviews: whether a certification was obtained (body.language.certification present), not which. */
  certified?: boolean;
  /** End-of-CIR reviews: body.declaredSituation. */
  declaredSituation?: string;
  /** End-of-CIR reviews: the new orientation's recipientType, or DISPENSE. */
  postCirOrientation?: string;
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
  /**
   * The message id of the orientation that started the person's path: an orientation's own id; for any
   * other message about the person, the person's latest orientation accepted before it (none: absent).
   */
  cohort?: string;
  /** Status updates with a cohort: effectiveOn minus the cohort orientation's sentOn, in days. */
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

/**
 * The age band of a person born on `birthDate` on the day `on` (both YYYY-MM-DD): whole years, the
 * birthday counting from its day (a 29 February birthday from 1 March in other years).
 */
export function ageBand(birthDate: string, on: string): string {
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [y, m, d] = on.split('-').map(Number) as [number, number, number];
  const age = y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
  if (age < 16) return UNDER_16;
  if (age <= 25) return '16-25';
  if (age <= 44) return '26-44';
  return '45+';
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
      const sex = text(body, '/identity/sex');
      if (sex !== undefined) fact.sex = sex;
      const birthDate = text(body, '/identity/birthDate');
      if (birthDate !== undefined) fact.ageBand = ageBand(birthDate, fact.sentOn);
      const pathway = text(body, '/orientation/pathway');
      if (pathway !== undefined) fact.pathway = pathway;
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
      const contractKind = text(body, '/employment/contractType');
      if (contractKind !== undefined) fact.contractKind = contractKind;
      break;
    }
    case 'cir-review': {
      const finalStatus = text(body, '/cir/finalStatus');
      if (finalStatus !== undefined) fact.finalStatus = finalStatus;
      const levelReached = text(body, '/language/levelReached');
      if (levelReached !== undefined) fact.levelReached = levelReached;
      fact.certified = text(body, '/language/certification') !== undefined;
      const situation = text(body, '/declaredSituation');
      if (situation !== undefined) fact.declaredSituation = situation;
      const decision = text(body, '/postCirOrientation/decision');
      const orientedTo = text(body, '/postCirOrientation/recipientType');
      if (decision === DISPENSATION) fact.postCirOrientation = DISPENSATION;
      else if (orientedTo !== undefined) fact.postCirOrientation = orientedTo;
      break;
    }
  }
  return fact;
}
