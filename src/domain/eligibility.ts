/**
 * Step 8 of the acceptance checks: the recipient's eligibility rules, as configured in the partner
 * registry (src/trust/partner.ts). Pure. A failed rule is refused with `rule_violation` naming the rule,
 * and the detail never repeats the person's data (no age, no date, no permit ground).
 */
import { GatewayError } from './errors.js';
import type { EligibilityRule, Partner } from './partner.js';

/** Codes of body.disability that show a recognised disability (Code du travail L.5212-13). */
const RECOGNISED_RQTH = new Set(['OUI', 'EN_COURS']);

/** What the rules read of a document that passed its schema: the header's type and date, the body. */
export interface EligibilityInput {
  header: { type: string; sentAt: string };
  body: unknown;
}

function at(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Age in whole years on `on` (both calendar dates, YYYY-MM-DD); a birthday on the day counts. */
export function ageOn(birthDate: string, on: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [y, m, d] = on.split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

function holds(rule: EligibilityRule, document: EligibilityInput): boolean {
  const body = document.body;
  switch (rule.kind) {
    case 'age-between': {
      const birthDate = at(body, 'identity', 'birthDate');
      if (typeof birthDate !== 'string') return false;
      // The send date, as the sender's clock states it: the rule is about the day of orientation.
      const age = ageOn(birthDate, document.header.sentAt.slice(0, 10));
      return age >= rule.min && age <= rule.max;
    }
    case 'recognised-disability-with-consent': {
      const rqth = at(body, 'disability', 'rqth');
      const other = at(body, 'disability', 'otherBeneficiaryStatus');
      const recognised = (typeof rqth === 'string' && RECOGNISED_RQTH.has(rqth)) || (Array.isArray(other) && other.length > 0);
      return recognised && at(body, 'consent', 'healthData') === true;
    }
    case 'residence-grounds-in': {
      const grounds = at(body, 'residencePermit', 'grounds');
      return typeof grounds === 'string' && rule.grounds.includes(grounds);
    }
  }
}

const EXPLANATION: Record<EligibilityRule['kind'], (rule: EligibilityRule) => string> = {
  'age-between': (rule) => `the beneficiary's age on the send date must be from ${(rule as { min: number }).min} to ${(rule as { max: number }).max}`,
  'recognised-disability-with-consent': () => 'the beneficiary must have a recognised disability and have consented to sharing health data',
  'residence-grounds-in': () => "the beneficiary's residence permit grounds must be among those the programme covers",
};

/** One rule of the recipient, evaluated: whether it holds and, for a person, what it asks. */
export interface EligibilityResult {
  rule: string;
  holds: boolean;
  /** What the rule asks, from the registry's parameters only (never the person's data). */
  explanation: string;
}

/** Every eligibility rule of the recipient that applies to the document's type, in registry order. */
export function evaluateEligibility(document: EligibilityInput, recipient: Partner): EligibilityResult[] {
  return recipient.eligibility
    .filter((rule) => rule.messageTypes.includes(document.header.type))
    .map((rule) => ({ rule: rule.rule, holds: holds(rule, document), explanation: EXPLANATION[rule.kind](rule) }));
}

export function assertEligible(document: EligibilityInput, recipient: Partner): void {
  const failed = evaluateEligibility(document, recipient).find((result) => !result.holds);
  if (failed) {
    throw new GatewayError(
      'rule_violation',
      `Rule ${failed.rule}: ${recipient.id} cannot take this ${document.header.type}: ${failed.explanation}. Orient the person to another agency.`,
      { rule: failed.rule },
    );
  }
}
