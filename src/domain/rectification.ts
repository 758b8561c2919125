/**
 * Rectification (RGPD art. 16): the author of a document corrects fields of its body, and everyone who
 * received the document is told. Pure: the patch, the rules on it, and which recipient may be told.
 *
 * The patch is a subset of JSON Patch (RFC 6902): `replace`, `remove` and `add` (section 4.1 to 4.3),
 * applied in order to a copy of the document; paths are JSON Pointers (RFC 6901) under `/body` only,
 * never the header (the header is what the exchange acted on: sender, recipient, person, answer). A
 * change that names no field (replace and remove need an existing field, add an existing parent) is
 * refused with `schema_invalid` naming the change's pointer in the rectification (`/body/changes/<i>/path`),
 * never its value. `move`, `copy` and `test` are not offered: a correction says what the field is now.
 *
 * The gateway cannot re-sign the author's document, so the corrected version is never a new signed
 * document: it is the original followed by its rectifications, each signed by its author, applied in
 * acceptance order by whoever reads them (the gateway, src/app/rectifications.ts; a recipient,
 * src/client/dossier.ts).
 */
import { GatewayError } from './errors.js';
import { followEffects } from './follow.js';
import { RECIPIENT_TYPE_FIELDS } from './routing.js';

/** Changes in one rectification: a correction names a few fields; a new document is a new message. */
export const RECTIFICATION_MAX_CHANGES = 20;

/** The kept documents a rectification may correct (a rectification itself is not corrected: send another). */
export const RECTIFIABLE_TYPES: readonly string[] = Object.freeze(['orientation', 'acknowledgement', 'status-update', 'referral', 'cir-review']);

export const AUTHOR_RULE = 'rectification-by-author';
export const KEEPS_EFFECTS_RULE = 'rectification-keeps-effects';

export type ChangeOp = 'replace' | 'remove' | 'add';

export interface Change {
  op: ChangeOp;
  path: string;
  value?: unknown;
}

/** A document as the patch sees it: a header it never touches, a body it corrects. */
export interface PatchableDocument {
  header: object;
  body: unknown;
}

const OPS: ReadonlySet<string> = new Set(['replace', 'remove', 'add']);
const ARRAY_INDEX = /^(0|[1-9][0-9]{0,8})$/;
/** RFC 6901 section 3: `~` only as `~0` or `~1`. */
const POINTER = /^(\/([^/~]|~[01])*)*$/;

function refuse(index: number, message: string): never {
  throw new GatewayError('schema_invalid', `Change ${index} of the rectification cannot be applied to the document it corrects: ${message}. Correct the change and send the rectification again.`, {
    errors: [{ pointer: `/body/changes/${index}/path`, message }],
  });
}

function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The tokens of a change's path, checked: a pointer under /body naming at least one field of it. */
export function pathTokens(path: unknown, index: number): string[] {
  if (typeof path !== 'string' || !POINTER.test(path)) refuse(index, 'the path is not a JSON Pointer (RFC 6901)');
  const tokens = path.split('/').slice(1).map(unescapeToken);
  if (tokens[0] !== 'body' || tokens.length < 2) refuse(index, 'the path must name a field under /body (the header cannot be corrected)');
  return tokens;
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return value !== null && typeof value === 'object';
}

function child(container: unknown, token: string): { found: true; value: unknown } | { found: false } {
  if (Array.isArray(container)) {
    return ARRAY_INDEX.test(token) && Number(token) < container.length ? { found: true, value: container[Number(token)] } : { found: false };
  }
  if (isContainer(container) && Object.hasOwn(container, token)) return { found: true, value: (container as Record<string, unknown>)[token] };
  return { found: false };
}

/** Sets an own data property: `__proto__` and its kind are names like any other, never the prototype. */
function setMember(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

function applyOne(root: { body: unknown }, change: Change, index: number): void {
  if (!OPS.has(change.op)) refuse(index, 'the operation must be replace, remove or add');
  const tokens = pathTokens(change.path, index);
  if (change.op !== 'remove' && !Object.hasOwn(change, 'value')) refuse(index, `${change.op} needs a value`);
  let parent: unknown = root;
  for (const token of tokens.slice(0, -1)) {
    const next = child(parent, token);
    if (!next.found) refuse(index, 'the path names no field of the document (a field on the way is missing)');
    parent = next.value;
  }
  const last = tokens.at(-1)!;
  if (!isContainer(parent)) refuse(index, 'the path goes through a value that is neither an object nor a list');
  const value = change.op === 'remove' ? undefined : structuredClone(change.value);
  if (Array.isArray(parent)) {
    if (change.op === 'add') {
      // RFC 6902 section 4.1: "-" appends; an index up to the length inserts before it.
      if (last === '-') return void parent.push(value);
      if (!ARRAY_INDEX.test(last) || Number(last) > parent.length) refuse(index, 'add in a list needs an index from 0 to its length, or "-"');
      return void parent.splice(Number(last), 0, value);
    }
    if (!ARRAY_INDEX.test(last) || Number(last) >= parent.length) refuse(index, `${change.op} needs an existing element of the list`);
    if (change.op === 'remove') return void parent.splice(Number(last), 1);
    parent[Number(last)] = value;
    return;
  }
  if (change.op !== 'add' && !Object.hasOwn(parent, last)) refuse(index, `${change.op} needs an existing field`);
  if (change.op === 'remove') return void delete (parent as Record<string, unknown>)[last];
  setMember(parent as Record<string, unknown>, last, value);
}

/**
 * The document with the changes applied in order, as a new document (the argument is not changed).
 * @throws GatewayError schema_invalid naming `/body/changes/<i>/path` for the first change that cannot be applied.
 */
export function applyChanges<T extends PatchableDocument>(document: T, changes: readonly Change[]): T {
  if (!Array.isArray(changes) || changes.length === 0 || changes.length > RECTIFICATION_MAX_CHANGES) {
    throw new GatewayError('schema_invalid', `A rectification holds from 1 to ${RECTIFICATION_MAX_CHANGES} changes; send several rectifications for more.`, {
      errors: [{ pointer: '/body/changes', message: `must hold from 1 to ${RECTIFICATION_MAX_CHANGES} changes` }],
    });
  }
  const corrected = { header: document.header, body: structuredClone(document.body) };
  changes.forEach((change, index) => applyOne(corrected, change, index));
  return { ...document, body: corrected.body };
}

/** Whether two pointers name the same field, or one is inside the other. */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/**
 * The fields a recipient's rules forbid that the changes touch: the minimisation findings (pointers in
 * the corrected document) that a changed path names, contains or lies inside. A recipient with one of
 * these does not get the correction: it may not hold that field at all, so it must not learn its new
 * value, nor that it was added.
 */
export function changedFindings<F extends { field: string }>(findings: readonly F[], changes: readonly Change[]): F[] {
  return findings.filter((finding) => changes.some((change) => overlaps(finding.field, change.path)));
}

function at(body: unknown, path: readonly string[]): unknown {
  let current = body;
  for (const key of path) {
    if (!isContainer(current) || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * What the gateway did when it accepted the document must still follow from the corrected version:
 * who follows the person (an acknowledgement's status, a status update's event), and the recipient type
 * an orientation names (step 7). A correction does not replay acceptance; a different decision is a
 * new message (an acknowledgement, a status update, a new orientation).
 */
export function assertKeepsEffects(opts: { header: { type: string; sender: string; recipient: string }; original: unknown; corrected: unknown }): void {
  const { header } = opts;
  const before = followEffects({ header, body: opts.original });
  const after = followEffects({ header, body: opts.corrected });
  const recipientType = RECIPIENT_TYPE_FIELDS[header.type];
  const sameType = recipientType === undefined || at(opts.original, recipientType) === at(opts.corrected, recipientType);
  if (JSON.stringify(before) !== JSON.stringify(after) || !sameType) {
    const what = sameType ? 'who follows the person (the status or the event that decided it)' : `the recipient type (/body/${recipientType!.join('/')})`;
    throw new GatewayError(
      'rule_violation',
      `Rule ${KEEPS_EFFECTS_RULE}: the correction changes ${what}, which the gateway acted on when it accepted the ${header.type}. Send a new message for a new decision (an acknowledgement, a status update or a new orientation) and correct only what it did not decide.`,
      { rule: KEEPS_EFFECTS_RULE },
    );
  }
}

/** The one answer to every rectification whose link with the document is not proven: it says nothing about the document. */
export function authorRuleViolation(): GatewayError {
  return new GatewayError(
    'rule_violation',
    `Rule ${AUTHOR_RULE}: body.corrects must name a document (${RECTIFIABLE_TYPES.join(', ')}) that you sent about this same person (header.beneficiaryRef) and that the gateway still keeps in the person's dossier (an opt-out, an erasure or the end of retention destroys it); only a document's author may correct it. Check the message id and the person, or ask the document's author to correct it.`,
    { rule: AUTHOR_RULE },
  );
}
