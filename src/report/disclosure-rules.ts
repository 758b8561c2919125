/**
 * What each audit event and each message type means for the person's access report (RGPD art. 15):
 * a disclosure to an organisation, a lookup by an agency, or nothing to report, with the French words
 * a person reads and the rule it rests on (docs/domain.md, sections 1, 4 and 7.1). One table, so that
 * a new event or message type is one entry here; test/report/disclosure-rules.test.ts fails when an
 * event of src/audit/entry.ts or a schema of schemas/ has none.
 */

/** The agreement the whole exchange rests on (docs/domain.md, section 1). */
export const AGREEMENT = "Convention départementale de Paris pour l'intégration professionnelle des étrangers primo-arrivants, article 4";

export interface Wording {
  /** What was sent, for a person: "Orientation vers un organisme d'accompagnement". */
  label: string;
  /** The rule it rests on, as cited in docs/domain.md. */
  basis: string;
}

/** The French wording of each message type, whoever sends it (schemas/<type>.v1.schema.json). */
export const MESSAGE_TYPES: Readonly<Record<string, Wording>> = {
  orientation: { label: "Orientation vers un organisme d'accompagnement", basis: `${AGREEMENT} ; CESEDA L.413-3 et R.413-14` },
  acknowledgement: { label: 'Réponse à une orientation (reçue, acceptée, refusée ou redirigée)', basis: `${AGREEMENT} (suivi des orientations)` },
  'status-update': { label: 'Suivi de parcours (rendez-vous, entretien, formation, emploi, fin d\'accompagnement)', basis: `${AGREEMENT} ; Code du travail L.5411-5-1` },
  referral: { label: 'Transfert vers un autre organisme', basis: `${AGREEMENT} ; CASF L.263-4-1 ; votre accord au transfert (champ personAgreed)` },
  dossier: { label: 'Dossier transmis avec ses documents', basis: 'Votre accord au transfert (champ personAgreed) ; CASF L.263-4-1 (ne pas vous faire répéter vos informations)' },
  withdrawal: { label: 'Avis de retrait ou d\'effacement de vos données', basis: 'RGPD art. 17 / art. 21' },
  expiry: { label: 'Avis de fin d\'une orientation restée sans réponse', basis: `${AGREEMENT} (suivi des orientations)` },
  'opt-out': { label: 'Dispense ou retrait de l\'accompagnement', basis: 'CESEDA L.413-3 et R.413-14 ; RGPD art. 21' },
  'cir-review': { label: 'Bilan de fin de contrat d\'intégration républicaine (CIR)', basis: `${AGREEMENT} ; CESEDA R.413-14` },
  rectification: { label: 'Rectification de données vous concernant', basis: 'RGPD art. 16' },
  correction: { label: 'Avis de correction de données déjà transmises', basis: 'RGPD art. 16 et art. 19' },
  'execution-receipt': { label: 'Confirmation qu\'un retrait ou un effacement a été exécuté', basis: 'RGPD art. 17 et art. 19' },
  'dossier-request': { label: 'Demande de partage de votre dossier', basis: `${AGREEMENT} (mieux identifier les bénéficiaires) ; votre accord` },
};

/** Which field of the entry names the organisation concerned. */
export type Party = 'recipient' | 'sender';

export type EventRule =
  /** A message accepted for an organisation: worded by its type (MESSAGE_TYPES). */
  | { section: 'disclosure'; party: Party; wording: 'by-type' }
  /** A message the gateway sent, worded by this type of MESSAGE_TYPES; `documents`: one line per document it carried. */
  | { section: 'disclosure'; party: Party; wording: string; documents?: true }
  /** An agency looked the person up and found them (only the outcome `known` is a lookup that found someone). */
  | { section: 'lookup'; party: Party; outcome: string }
  /** Not something that reached an organisation; `why` says it for the reviewer. */
  | { section: 'none'; why: string };

/** Every audit event of src/audit/entry.ts, and what it is for the report. */
export const EVENT_RULES: Readonly<Record<string, EventRule>> = {
  accepted: { section: 'disclosure', party: 'recipient', wording: 'by-type' },
  'dossier-disclosed': { section: 'disclosure', party: 'recipient', wording: 'dossier', documents: true },
  'withdrawal-notified': { section: 'disclosure', party: 'recipient', wording: 'withdrawal' },
  'withdrawal-reminded': { section: 'disclosure', party: 'recipient', wording: 'withdrawal' },
  'correction-notified': { section: 'disclosure', party: 'recipient', wording: 'correction' },
  'dossier-requested': { section: 'disclosure', party: 'recipient', wording: 'dossier-request' },
  // The expiry notice goes to the orientation's sender (src/app/retention.ts).
  expired: { section: 'disclosure', party: 'sender', wording: 'expiry' },
  'looked-up': { section: 'lookup', party: 'sender', outcome: 'known' },
  rejected: { section: 'none', why: 'a refused message reached nobody' },
  queued: { section: 'none', why: 'the delivery of a message already listed by its acceptance' },
  acknowledged: { section: 'none', why: 'the answer is listed by its own acceptance' },
  'dead-lettered': { section: 'none', why: 'a message already listed, that its recipient could not take' },
  referred: { section: 'none', why: 'the referral is listed by its acceptance' },
  'opted-out': { section: 'none', why: "the person's own request, kept by the gateway" },
  erased: { section: 'none', why: 'a destruction, not a disclosure' },
  'correction-withheld': { section: 'none', why: 'a correction the gateway did not send: nothing reached the partner' },
  'health-consent-withdrawn': { section: 'none', why: "the person's own request, kept by the gateway; the withdrawal notices it sends are listed by their own entries" },
  'tombstone-lifted': { section: 'none', why: "the operator's decision about the gateway's own record; it names nobody" },
};

/** The organisation the rule names in the entry, or undefined when the entry names none. */
export function partyOf(rule: { party: Party }, entry: Readonly<Record<string, unknown>>): string | undefined {
  const value = entry[rule.party];
  return typeof value === 'string' ? value : undefined;
}
