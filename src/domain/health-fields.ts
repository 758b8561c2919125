/**
 * The health fields of the exchange (RGPD article 9: data concerning health), listed once: what a
 * withdrawal of the person's consent to share health data (opt-out RETRAIT_ACCORD_SANTE, RGPD
 * articles 9(2)(a) and 7(3)) keeps out of every later message and every later disclosure. Pure.
 *
 * - orientation: the disability block (RQTH and other BOE titles), the consent block that reveals it,
 *   a constraint whose theme is SANTE;
 * - referral: the reason HANDICAP, a constraint whose theme is SANTE.
 * The rules name a field by its JSON Pointer (RFC 6901), never by its value.
 */
import { GatewayError } from './errors.js';
import { resolvePointer } from './minimisation.js';

export const HEALTH_CONSENT_RULE = 'health-consent-withdrawn';

interface HealthField {
  messageTypes: readonly string[];
  /** A pointer as the minimisation rules write them (`*` for every element of an array). */
  field: string;
  /** The field is health data only with one of these values; any value when absent. */
  values?: readonly string[];
}

export const HEALTH_FIELDS: readonly HealthField[] = Object.freeze([
  { messageTypes: ['orientation'], field: '/body/disability' },
  { messageTypes: ['orientation', 'referral'], field: '/body/constraints/*', values: ['SANTE'] },
  // Last: the consent block goes with the health data it covers, and a refusal names that data first.
  { messageTypes: ['orientation'], field: '/body/consent' },
  { messageTypes: ['referral'], field: '/body/reason', values: ['HANDICAP'] },
]);

/** What the rules read of a document that passed its schema. */
export interface HealthFieldsInput {
  header: { type: string };
  body: unknown;
}

function healthValue(field: HealthField, value: unknown): boolean {
  if (field.values === undefined) return true;
  // A constraint is an object whose theme carries the code; a reason is the code itself.
  const code = value !== null && typeof value === 'object' ? (value as { theme?: unknown }).theme : value;
  return typeof code === 'string' && field.values.includes(code);
}

/** The pointers of every health field the document holds, in list order (array indexes written out). */
export function findHealthFields(document: HealthFieldsInput): string[] {
  return HEALTH_FIELDS.filter((field) => field.messageTypes.includes(document.header.type)).flatMap((field) =>
    resolvePointer(document, field.field)
      .filter(({ value }) => healthValue(field, value))
      .map(({ pointer }) => pointer),
  );
}

/**
 * The first health field of `after` that `before` does not hold with the same value: what a correction
 * would put back or change after the person withdrew their consent (a removal changes nothing here).
 */
export function changedHealthField(before: HealthFieldsInput, after: HealthFieldsInput): string | undefined {
  const valueAt = (document: HealthFieldsInput, pointer: string) => JSON.stringify(resolvePointer(document, pointer)[0]?.value);
  return findHealthFields(after).find((pointer) => valueAt(after, pointer) !== valueAt(before, pointer));
}

/** The refusal of a message that carries the health field `pointer` after the person withdrew their consent. */
export function healthFieldRefusal(type: string, pointer: string): GatewayError {
  return new GatewayError(
    'rule_violation',
    `Rule ${HEALTH_CONSENT_RULE}: the person withdrew their consent to share health data (RGPD art. 9(2)(a), 7(3)); this ${type} holds ${pointer}. Remove every health field and send the message again.`,
    { rule: HEALTH_CONSENT_RULE },
  );
}

/** After the person withdrew their consent to share health data, a message carrying one is refused. */
export function assertNoHealthFields(opts: { withdrawn: boolean; document: HealthFieldsInput }): void {
  if (!opts.withdrawn) return;
  const [first] = findHealthFields(opts.document);
  if (first !== undefined) throw healthFieldRefusal(opts.document.header.type, first);
}

/**
 * A copy of the body without its health fields, and their pointers, for a disclosure the gateway
 * attests (the dossier of a referral): array elements go from the last, so each pointer stays true of
 * the original.
 */
export function withoutHealthFields<T extends HealthFieldsInput>(document: T): { body: T['body']; removed: string[] } {
  const removed = findHealthFields(document);
  const copy = structuredClone(document);
  for (const pointer of [...removed].sort(comparePointersDescending)) {
    const tokens = pointer.split('/').slice(1);
    const last = tokens.pop()!;
    let parent: unknown = copy;
    for (const token of tokens) parent = (parent as Record<string, unknown>)[token];
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete (parent as Record<string, unknown>)[last];
  }
  return { body: copy.body, removed };
}

/** Later array indexes first, so removing one does not move the next. */
function comparePointersDescending(a: string, b: string): number {
  const index = (p: string) => Number(p.split('/').pop());
  const [pa, pb] = [a.slice(0, a.lastIndexOf('/')), b.slice(0, b.lastIndexOf('/'))];
  if (pa === pb && Number.isInteger(index(a)) && Number.isInteger(index(b))) return index(b) - index(a);
  return a < b ? 1 : a > b ? -1 : 0;
}
