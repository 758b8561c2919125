/**
 * What depends on each of the gateway's secrets, for their rotation without downtime: lookups under
 * each pseudonym secret, data keys under each key-encryption key (src/privacy/secret-ring.ts), and
 * the moves from a retired secret to the current one.
 */
import { sql as raw } from 'kysely';
import type { DossierKeys } from './dossier-keys.js';
import { execute, rows, type Sql, type Tx } from './transaction.js';

/** A lookup names its secret (`<id>:<hmac>`, 16 + 1 + 64 characters); one of 64 predates that. */
const UNNAMED_LOOKUP_LENGTH = 64;

/** Every table keyed by a person's lookup: subjects, opt-out and erasure tombstones, withdrawals of health consent. */
const LOOKUP_TABLES = ['subjects', 'opt_outs', 'erasure_tombstones', 'health_consent_withdrawals'] as const;

/** Whether a subject or a tombstone is under one of these lookups (a read, before any write). */
export function* underAny(sql: Sql, lookups: readonly string[]): Tx<boolean> {
  if (lookups.length === 0) return false;
  // Asked at every sight of a person: one statement for the four tables.
  const [first, ...others] = LOOKUP_TABLES.map((table) => sql.selectFrom(table).select('lookup').where('lookup', 'in', [...lookups]));
  return (yield* rows(others.reduce((union, query) => union.unionAll(query), first!).limit(1))).length > 0;
}

export function* rekeyLookups(sql: Sql, current: string, previous: readonly string[]): Tx<number> {
  if (previous.length === 0) return 0;
  let moved = 0;
  for (const table of LOOKUP_TABLES) {
    const already = yield* rows(sql.selectFrom(table).select('lookup').where('lookup', '=', current));
    if (already.length > 0) {
      // The row under the current lookup stands; an older duplicate could only be a leftover.
      yield* execute(sql.deleteFrom(table).where('lookup', 'in', [...previous]));
      continue;
    }
    moved += yield* execute(sql.updateTable(table).set({ lookup: current }).where('lookup', 'in', [...previous]));
  }
  return moved;
}

export function* lookupCounts(sql: Sql): Tx<Array<{ secret: string; rows: number }>> {
  const counts = new Map<string, number>();
  for (const table of LOOKUP_TABLES) {
    const secret = raw<string>`case when length(lookup) = ${raw.lit(UNNAMED_LOOKUP_LENGTH)} then '' else substr(lookup, 1, 16) end`;
    const found = yield* rows(sql.selectFrom(table).select((eb) => [secret.as('secret'), eb.fn.countAll<number>().as('rows')]).groupBy(secret));
    for (const entry of found) counts.set(entry.secret, (counts.get(entry.secret) ?? 0) + Number(entry.rows));
  }
  // Identity keys always name their secret; they move when OFII next orients the person.
  const identities = yield* rows(
    sql
      .selectFrom('beneficiary_index')
      .select((eb) => [raw<string>`substr(identity_key, 1, 16)`.as('secret'), eb.fn.countAll<number>().as('rows')])
      .groupBy(raw`substr(identity_key, 1, 16)`),
  );
  for (const entry of identities) counts.set(entry.secret, (counts.get(entry.secret) ?? 0) + Number(entry.rows));
  return [...counts].map(([secret, count]) => ({ secret, rows: count })).sort((a, b) => a.secret.localeCompare(b.secret));
}

export function* rewrapDataKeys(sql: Sql, keys: DossierKeys, limit: number): Tx<number> {
  const current = keys.ring.now().id;
  let done = 0;
  const subjects = yield* rows(sql.selectFrom('subjects').select(['pseudonym', 'wrapped_data_key', 'kek_id']).where('wrapped_data_key', 'is not', null).where('kek_id', '<>', current).limit(limit));
  for (const subject of subjects) {
    yield* execute(sql.updateTable('subjects').set(keys.rewrap(subject)).where('pseudonym', '=', subject.pseudonym));
    done++;
  }
  const held = yield* rows(sql.selectFrom('held_notices').select(['message_id', 'wrapped_key', 'kek_id']).where('kek_id', '<>', current).limit(Math.max(0, limit - done)));
  for (const notice of held) {
    const rewrapped = keys.rewrap({ wrapped_data_key: notice.wrapped_key, kek_id: notice.kek_id });
    yield* execute(sql.updateTable('held_notices').set({ wrapped_key: rewrapped.wrapped_data_key, kek_id: rewrapped.kek_id }).where('message_id', '=', notice.message_id));
    done++;
  }
  const copies = yield* rows(sql.selectFrom('withdrawal_notice_copies').select(['notice_id', 'wrapped_key', 'kek_id']).where('kek_id', '<>', current).limit(Math.max(0, limit - done)));
  for (const copy of copies) {
    const rewrapped = keys.rewrap({ wrapped_data_key: copy.wrapped_key, kek_id: copy.kek_id });
    yield* execute(sql.updateTable('withdrawal_notice_copies').set({ wrapped_key: rewrapped.wrapped_data_key, kek_id: rewrapped.kek_id }).where('notice_id', '=', copy.notice_id));
    done++;
  }
  return done;
}

export function* wrappedKeyCounts(sql: Sql): Tx<Array<{ kek: string; keys: number }>> {
  const counts = new Map<string, number>();
  const subjects = yield* rows(sql.selectFrom('subjects').select((eb) => ['kek_id', eb.fn.countAll<number>().as('n')]).where('kek_id', 'is not', null).groupBy('kek_id'));
  const held = yield* rows(sql.selectFrom('held_notices').select((eb) => ['kek_id', eb.fn.countAll<number>().as('n')]).groupBy('kek_id'));
  const copies = yield* rows(sql.selectFrom('withdrawal_notice_copies').select((eb) => ['kek_id', eb.fn.countAll<number>().as('n')]).groupBy('kek_id'));
  for (const entry of [...subjects, ...held, ...copies]) counts.set(entry.kek_id!, (counts.get(entry.kek_id!) ?? 0) + Number(entry.n));
  return [...counts].map(([kek, n]) => ({ kek, keys: n })).sort((a, b) => a.kek.localeCompare(b.kek));
}
