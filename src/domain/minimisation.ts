/**
 * Step 8 of the acceptance checks, after eligibility: the recipient's minimisation rules, as configured
 * in the partner registry (src/trust/partner.ts). Pure.
 *
 * The document is signed end to end by its sender, so the gateway cannot project it per recipient as
 * a field whitelist per recipient type would: it refuses instead, with
 * `rule_violation` naming the rule and the field's JSON Pointer, and the sender removes the field.
 * The detail never carries the field's value.
 */
import { GatewayError } from './errors.js';
import type { FieldValue, MinimisationRule, Partner } from './partner.js';

/** What the rules read of a document that passed its schema: the header's type, the body. */
export interface MinimisationInput {
  header: { type: string };
  body: unknown;
}

/** A field of the document that a rule of the recipient forbids. */
export interface MinimisationFinding {
  rule: string;
  /** RFC 6901 JSON Pointer of the field in this document (array indexes written out). */
  field: string;
}

const WILDCARD = '*';

function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Every field the pointer names in the document, with its value. A `*` token stands for every element
 * of an array; on anything else it names nothing.
 */
export function resolvePointer(document: unknown, pointer: string): Array<{ pointer: string; value: unknown }> {
  let found: Array<{ pointer: string; value: unknown }> = [{ pointer: '', value: document }];
  for (const token of pointer.split('/').slice(1).map(unescapeToken)) {
    const next: Array<{ pointer: string; value: unknown }> = [];
    for (const { pointer: at, value } of found) {
      if (Array.isArray(value)) {
        if (token === WILDCARD) {
          value.forEach((item, index) => next.push({ pointer: `${at}/${index}`, value: item }));
        } else if (/^(0|[1-9][0-9]*)$/.test(token) && Number(token) < value.length) {
          next.push({ pointer: `${at}/${token}`, value: value[Number(token)] });
        }
      } else if (value !== null && typeof value === 'object' && Object.hasOwn(value, token)) {
        next.push({ pointer: `${at}/${escapeToken(token)}`, value: (value as Record<string, unknown>)[token] });
      }
    }
    found = next;
  }
  return found;
}

function conditionHolds(document: MinimisationInput, condition: { field: string; equals: FieldValue }): boolean {
  return resolvePointer(document, condition.field).some(({ value }) => value === condition.equals);
}

function findingsOf(rule: MinimisationRule, document: MinimisationInput): MinimisationFinding[] {
  if (!rule.messageTypes.includes(document.header.type)) return [];
  if (rule.unless !== undefined && conditionHolds(document, rule.unless)) return [];
  const findings: MinimisationFinding[] = [];
  for (const pattern of rule.forbiddenFields) {
    for (const { pointer, value } of resolvePointer(document, pattern)) {
      const forbidden = rule.forbiddenValues === undefined || rule.forbiddenValues.some((v) => v === value);
      if (forbidden) findings.push({ rule: rule.rule, field: pointer });
    }
  }
  return findings;
}

/** Every field of the document that the recipient may not receive, rule by rule in registry order. */
export function findForbiddenFields(document: MinimisationInput, recipient: Partner): MinimisationFinding[] {
  return recipient.minimisation.flatMap((rule) => findingsOf(rule, document));
}

/** What a rule asks, for the problem detail: built from the registry only, never from the document. */
function explain(rule: MinimisationRule, recipient: Partner, finding: MinimisationFinding, type: string): string {
  const what = rule.forbiddenValues === undefined ? finding.field : `${finding.field} with the value it holds`;
  const unless = rule.unless === undefined ? '' : ` unless ${rule.unless.field} is ${JSON.stringify(rule.unless.equals)}`;
  return `Rule ${rule.rule}: ${recipient.id} may not receive ${what} in this ${type}${unless}. Remove the field and send the message again, or orient the person to an agency that may receive it.`;
}

export function assertMinimised(document: MinimisationInput, recipient: Partner): void {
  const [first] = findForbiddenFields(document, recipient);
  if (first === undefined) return;
  const rule = recipient.minimisation.find((r) => r.rule === first.rule)!;
  throw new GatewayError('rule_violation', explain(rule, recipient, first, document.header.type), { rule: first.rule });
}
