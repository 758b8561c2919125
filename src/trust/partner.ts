/**
 * A partner of the registry (partners.json), as the rest of the gateway sees it once the registry was
 * validated against schemas/partners.schema.json.
 */

export type PartnerRole = 'agency' | 'statistics' | 'auditor';

/**
 * An eligibility rule of a recipient, checked at step 8 of the acceptance checks. Rules are data, so a
 * new agreement clause is a registry change, not a code change. Each kind is implemented in
 * src/domain/eligibility.ts.
 */
export type EligibilityRule =
  /** The beneficiary's age on the send date, in whole years, is within [min, max] (bounds included). */
  | { rule: string; kind: 'age-between'; min: number; max: number; messageTypes: string[] }
  /** body.disability shows a recognised disability and body.consent.healthData is true. */
  | { rule: string; kind: 'recognised-disability-with-consent'; messageTypes: string[] }
  /** body.residencePermit.grounds is one of the listed codes. */
  | { rule: string; kind: 'residence-grounds-in'; grounds: string[]; messageTypes: string[] };

export interface Partner {
  id: string;
  name: string;
  role: PartnerRole;
  /** Message types this partner may send. */
  sends: string[];
  /** Message types this partner may receive. */
  receives: string[];
  eligibility: EligibilityRule[];
}
