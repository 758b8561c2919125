/**
 * A partner of the registry (partners.json), as the rest of the gateway sees it once the registry was
 * validated against schemas/partners.schema.json.
 */
import type { OrientationV1Orientation } from '../schema/generated/index.js';

/**
 * agency: sends and receives messages; statistics: reads the statistics; auditor: reads the audit log;
 * operator: reads the gateway's own state (GET /v1/operator/status), nothing of the exchange.
 */
export type PartnerRole = 'agency' | 'statistics' | 'auditor' | 'operator';

/**
 * The kind of organisation of the public employment service a partner is, in the codes the messages
 * use for it (schemas/header.v1.schema.json, `$defs/recipientType`).
 */
export type OrganisationType = OrientationV1Orientation['recipientType'];

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

/** An RFC 6901 JSON Pointer under /body; in forbiddenFields a `*` token stands for every element of an array. */
export type BodyPointer = string;

/** A value a field may hold: the scalars of the message schemas. */
export type FieldValue = string | number | boolean;

/**
 * A minimisation rule of a recipient (data protection by design, RGPD art. 25): fields of the body
 * that this recipient may not receive, checked at step 8 after eligibility. The gateway cannot strip
 * a field (the document is signed by its sender), so a message carrying one is refused and the
 * sender removes it. Implemented in src/domain/minimisation.ts.
 */
export interface MinimisationRule {
  rule: string;
  messageTypes: string[];
  /** Fields that may not be present. */
  forbiddenFields: BodyPointer[];
  /** When set, the fields may be present but may not hold one of these values. */
  forbiddenValues?: FieldValue[];
  /** The rule does not apply when this field of the body holds this value (e.g. the person's consent). */
  unless?: { field: BodyPointer; equals: FieldValue };
}

export interface Partner {
  id: string;
  name: string;
  role: PartnerRole;
  /**
   * Required of a partner that receives orientations (the registry refuses one without it): an
   * orientation's body.orientation.recipientType must be its recipient's type (src/domain/routing.ts).
   */
  organisationType?: OrganisationType;
  /** Message types this partner may send. */
  sends: string[];
  /** Message types this partner may receive. */
  receives: string[];
  eligibility: EligibilityRule[];
  /** Fields this partner may not receive. */
  minimisation: MinimisationRule[];
}
