/**
 * Suggestions for OFII's advisers: given an orientation body, which agencies may take it and why,
 * with the same rules as step 8 of the acceptance checks (eligibility, then minimisation), evaluated
 * for every partner that receives orientations instead of the one named recipient. Pure.
 */
import { evaluateEligibility, type EligibilityInput, type EligibilityResult } from './eligibility.js';
import { findForbiddenFields, type MinimisationFinding } from './minimisation.js';
import type { Partner } from './partner.js';

export interface Suggestion {
  partner: string;
  name: string;
  /** Every eligibility rule of the partner holds. */
  eligible: boolean;
  reasons: EligibilityResult[];
  /** Fields to remove before sending to this partner (an orientation carrying them is refused). */
  minimisation: MinimisationFinding[];
}

/** Every partner that receives documents of this type, in registry order. */
export function suggestRecipients(document: EligibilityInput, partners: Iterable<Partner>): Suggestion[] {
  const suggestions: Suggestion[] = [];
  for (const partner of partners) {
    if (!partner.receives.includes(document.header.type)) continue;
    const reasons = evaluateEligibility(document, partner);
    suggestions.push({
      partner: partner.id,
      name: partner.name,
      eligible: reasons.every((reason) => reason.holds),
      reasons,
      minimisation: findForbiddenFields(document, partner),
    });
  }
  return suggestions;
}
