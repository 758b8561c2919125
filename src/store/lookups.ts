/**
 * Beneficiary lookups in the store, for both engines (the LookupsPort of src/store/port.ts): who the
 * keyed pseudonyms of a lookup name, the per-agency limits counted from the lookups recorded here (so
 * that every gateway instance on one PostgreSQL database counts the same lookups: the count and the
 * record are one serialised transaction, behind the audit sequencer), and the auditor's summary.
 *
 * A lookup row holds the agency, the time and the outcome, never whom it was about; its audit entry
 * names the person's pseudonym only when the person was found (as a message entry does).
 */
import { sql as raw } from 'kysely';
import type { AuditEvent } from '../audit/entry.js';
import { appendAudit } from './audit-log.js';
import type { DossierKeys } from './dossier-keys.js';
import { sendNotice } from './dossiers.js';
import type { LookupBy, LookupDay, LookupFinding, LookupOutcome, LookupTarget, NewLookup } from './port.js';
import { execute, row, rows, type Sql, type Tx } from './transaction.js';

/** The problem code a refused lookup's audit entry carries (src/domain/errors.ts). */
export const LOOKUP_REFUSAL_CODE = 'lookup_rate_limited';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

function* subjectsBy(sql: Sql, by: LookupBy): Tx<string[]> {
  if ('lookups' in by) {
    if (by.lookups.length === 0) return [];
    // An opt-out's tombstone outlives the subject; a tombstoned person is not known.
    if ((yield* rows(sql.selectFrom('opt_outs').select('lookup').where('lookup', 'in', [...by.lookups]).limit(1))).length > 0) return [];
    return (yield* rows(sql.selectFrom('subjects').select('pseudonym').where('lookup', 'in', [...by.lookups]))).map((r) => r.pseudonym);
  }
  if (by.identityKeys.length === 0) return [];
  return (yield* rows(sql.selectFrom('beneficiary_index').select('beneficiary').distinct().where('identity_key', 'in', [...by.identityKeys]).orderBy('beneficiary'))).map((r) => r.beneficiary);
}

/** The person's latest accepted orientation, if the gateway holds the person and one. */
function* latestOrientation(sql: Sql, beneficiary: string): Tx<LookupTarget | undefined> {
  const found = yield* row(
    sql
      .selectFrom('messages as m')
      .innerJoin('subjects as s', 's.pseudonym', 'm.beneficiary')
      .select(['m.message_id', 'm.sender'])
      .where('m.beneficiary', '=', beneficiary)
      .where('m.type', '=', 'orientation')
      .orderBy('m.accepted_at', 'desc')
      .orderBy('m.message_id', 'desc')
      .limit(1),
  );
  return found === undefined ? undefined : { beneficiary, orientation: { messageId: found.message_id, sender: found.sender } };
}

export function* findLookupTarget(sql: Sql, by: LookupBy): Tx<LookupFinding> {
  const targets: LookupTarget[] = [];
  for (const beneficiary of new Set(yield* subjectsBy(sql, by))) {
    const target = yield* latestOrientation(sql, beneficiary);
    if (target !== undefined) targets.push(target);
  }
  if (targets.length === 0) return { kind: 'unknown' };
  // Two people with one normalised identity (same names, birth date and country): the gateway cannot
  // tell which one the agency supports, and asks nobody to share anything.
  if (targets.length > 1) return { kind: 'ambiguous' };
  return { kind: 'known', target: targets[0]! };
}

function sameFinding(a: LookupFinding, b: LookupFinding): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind !== 'known' || b.kind !== 'known') return true;
  return a.target.beneficiary === b.target.beneficiary && a.target.orientation.messageId === b.target.orientation.messageId;
}

export function* lookupsSince(sql: Sql, agency: string, since: string): Tx<number> {
  const found = yield* row(
    sql
      .selectFrom('beneficiary_lookups')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('agency', '=', agency)
      .where('at', '>=', since)
      .where('outcome', '<>', 'refused'),
  );
  return Number(found?.n ?? 0);
}

/** Answered lookups of the agency since `since`, oldest first, at most `limit`: when the window frees a place. */
function* answeredTimes(sql: Sql, agency: string, since: string, limit: number): Tx<string[]> {
  const found = yield* rows(
    sql.selectFrom('beneficiary_lookups').select('at').where('agency', '=', agency).where('at', '>=', since).where('outcome', '<>', 'refused').orderBy('at').limit(limit),
  );
  return found.map((r) => r.at);
}

/**
 * Seconds until the agency may look up again, or undefined while it is within both limits. A sliding
 * window: the place of the oldest counted lookup frees when it leaves the window.
 */
function* waitFor(sql: Sql, lookup: NewLookup): Tx<number | undefined> {
  const now = Date.parse(lookup.at);
  let wait: number | undefined;
  for (const [limit, windowMs] of [[lookup.limits.perHour, HOUR_MS], [lookup.limits.perDay, DAY_MS]] as const) {
    const since = new Date(now - windowMs).toISOString();
    const count = yield* lookupsSince(sql, lookup.agency, since);
    if (count < limit) continue;
    // The lookup that must leave the window for one more to fit.
    const times = yield* answeredTimes(sql, lookup.agency, since, count - limit + 1);
    const freesAt = Date.parse(times[times.length - 1] ?? lookup.at) + windowMs;
    const seconds = Math.max(1, Math.ceil((freesAt - now) / 1000));
    wait = Math.max(wait ?? 0, seconds);
  }
  return wait;
}

function lookedUp(lookup: NewLookup, code: string, beneficiary?: string): AuditEvent {
  return {
    event: 'looked-up',
    timestamp: lookup.at,
    messageId: lookup.lookupId,
    sender: lookup.agency,
    code,
    ...(beneficiary === undefined ? {} : { beneficiary }),
  };
}

export function* recordLookup(sql: Sql, keys: DossierKeys, lookup: NewLookup): Tx<LookupOutcome> {
  const wait = yield* waitFor(sql, lookup);
  if (wait !== undefined) {
    yield* execute(sql.insertInto('beneficiary_lookups').values({ lookup_id: lookup.lookupId, agency: lookup.agency, at: lookup.at, outcome: 'refused' }));
    const auditIndex = yield* appendAudit(sql, lookedUp(lookup, LOOKUP_REFUSAL_CODE));
    return { kind: 'rate-limited', retryAfterSeconds: wait, auditIndex };
  }
  const finding = yield* findLookupTarget(sql, lookup.by);
  if (!sameFinding(finding, lookup.expected)) return { kind: 'stale' };
  const known = finding.kind === 'known';
  yield* execute(sql.insertInto('beneficiary_lookups').values({ lookup_id: lookup.lookupId, agency: lookup.agency, at: lookup.at, outcome: known ? 'known' : 'unknown' }));
  const auditIndex = yield* appendAudit(sql, lookedUp(lookup, finding.kind, known ? finding.target.beneficiary : undefined));
  if (known && lookup.notice !== undefined) yield* sendNotice(sql, keys, lookup.notice, finding.target.beneficiary, lookup.at);
  return { kind: 'answered', known, auditIndex };
}

export function* lookupSummary(sql: Sql, since: string): Tx<LookupDay[]> {
  const day = raw<string>`substr(at, 1, 10)`;
  const found = yield* rows(
    sql
      .selectFrom('beneficiary_lookups')
      .select((eb) => [day.as('day'), 'agency', 'outcome', eb.fn.countAll<number>().as('n')])
      .where('at', '>=', since)
      .groupBy([day, 'agency', 'outcome']),
  );
  const days = new Map<string, LookupDay>();
  for (const r of found) {
    const key = `${r.day} ${r.agency}`;
    const entry = days.get(key) ?? { agency: r.agency, day: r.day, known: 0, unknown: 0, refused: 0 };
    entry[r.outcome] += Number(r.n);
    days.set(key, entry);
  }
  return [...days.values()].sort((a, b) => a.day.localeCompare(b.day) || a.agency.localeCompare(b.agency));
}
