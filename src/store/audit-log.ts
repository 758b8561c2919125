/**
 * The audit log in the store (docs/interface.md, section 6), for both engines: appending an entry with
 * the tree nodes it completes, and the reads behind proofs, checkpoints and cosignatures.
 *
 * Indexes are gap-free: an entry takes MAX(idx) + 1 inside the transaction that commits it, so a
 * transaction that rolls back releases its index with everything else (a sequence would leave a
 * hole). Concurrent appenders are excluded by the engine (SQLite: one writer; PostgreSQL: the audit
 * sequencer row, see src/store/postgres/engine.ts), and the primary key on idx refuses any other race.
 */
import type { Checkpoint, Cosignature, SignedCheckpoint } from '../audit/checkpoint.js';
import { entryBytes, leafHash, toEntry, type AuditEvent } from '../audit/entry.js';
import { hashChildren } from '../audit/merkle.js';
import { GatewayError } from '../domain/errors.js';
import type { AuditFilter, StoredAuditEntry } from './port.js';
import { execute, row, rows, template, type Sql, type Tx } from './transaction.js';

/**
 * The perfect subtrees that the leaf at `leafIndex` completes, lowest first: each new node's left
 * child is the stored node (level - 1, 2 * index) and its right child the node before it in this list
 * (the leaf for the first). An odd position completes a pair (RFC 9162 section 2.1.1).
 */
export function subtreesCompletedBy(leafIndex: number): Array<{ level: number; index: number }> {
  const completed: Array<{ level: number; index: number }> = [];
  for (let level = 0, position = leafIndex; position % 2 === 1; ) {
    level += 1;
    position = (position - 1) / 2;
    completed.push({ level, index: position });
  }
  return completed;
}

const LAST = template((sql) => sql.selectFrom('audit_log').select((eb) => eb.fn.max('idx').as('last')));
// By max(idx), which both engines read off the end of the primary key (SQLite plans ORDER BY ... LIMIT 1 as a scan).
const LAST_ENTRY = template((sql) =>
  sql
    .selectFrom('audit_log')
    .select(['idx', 'leaf_hash'])
    .where((eb) => eb('idx', '=', eb.selectFrom('audit_log').select((max) => max.fn.max('idx').as('last')))),
);
const LEAF = template((sql, p: { index: number }) => sql.selectFrom('audit_log').select('leaf_hash as hash').where('idx', '=', p.index));
const NODE = template((sql, p: { level: number; index: number }) => sql.selectFrom('audit_nodes').select('hash').where('level', '=', p.level).where('idx', '=', p.index));
const INSERT_ENTRY = template((sql, p: { index: number; entry: string; leaf: string }) => sql.insertInto('audit_log').values({ idx: p.index, entry: p.entry, leaf_hash: p.leaf }));
const INSERT_NODE = template((sql, p: { level: number; index: number; hash: string }) => sql.insertInto('audit_nodes').values({ level: p.level, idx: p.index, hash: p.hash }));
const INSERT_FACETS = template((sql, p: { index: number; event: string; at: string; messageId: string | null; beneficiary: string | null }) =>
  sql.insertInto('audit_facets').values({ idx: p.index, event: p.event, at: p.at, message_id: p.messageId, beneficiary: p.beneficiary }),
);
const INSERT_PARTY = template((sql, p: { partner: string; index: number }) => sql.insertInto('audit_parties').values({ partner: p.partner, idx: p.index }));
const INSERT_PARTIES = template((sql, p: { first: string; second: string; index: number }) =>
  sql.insertInto('audit_parties').values([{ partner: p.first, idx: p.index }, { partner: p.second, idx: p.index }]),
);

export function* auditSize(sql: Sql): Tx<number> {
  const last = yield* row(LAST(sql, {}));
  return last?.last === null || last?.last === undefined ? 0 : Number(last.last) + 1;
}

export function* auditNode(sql: Sql, level: number, index: number): Tx<string> {
  const found = level === 0
    ? yield* row(LEAF(sql, { index }))
    : yield* row(NODE(sql, { level, index }));
  // Callers ask only for subtrees inside the tree they measured: a missing one is a damaged store.
  if (found === undefined) throw new GatewayError('internal', `The audit log has no stored subtree at level ${level}, index ${index}: the store is damaged or was changed by hand. Restore it from a backup and report it.`);
  return found.hash;
}

/** Appends the event in the caller's transaction and returns its index. */
export function* appendAudit(sql: Sql, event: AuditEvent): Tx<number> {
  // The last entry gives the new index and, when the new one is odd, the leaf it pairs with.
  const last = yield* row(LAST_ENTRY(sql, {}));
  const index = last === undefined ? 0 : Number(last.idx) + 1;
  const bytes = entryBytes(toEntry(index, event));
  const leaf = leafHash(bytes);
  yield* execute(INSERT_ENTRY(sql, { index, entry: bytes.toString('utf8'), leaf }));
  let hash = leaf;
  for (const node of subtreesCompletedBy(index)) {
    const left = node.level === 1 ? last!.leaf_hash : yield* auditNode(sql, node.level - 1, 2 * node.index);
    hash = hashChildren(left, hash);
    yield* execute(INSERT_NODE(sql, { level: node.level, index: node.index, hash }));
  }
  const [first, second] = [...new Set([event.sender, event.recipient])].filter((partner): partner is string => partner !== undefined);
  // A message's entry names two partners: one statement for both rows.
  if (first !== undefined && second !== undefined) yield* execute(INSERT_PARTIES(sql, { first, second, index }));
  else if (first !== undefined) yield* execute(INSERT_PARTY(sql, { partner: first, index }));
  yield* execute(INSERT_FACETS(sql, { index, event: event.event, at: event.timestamp, messageId: event.messageId ?? null, beneficiary: event.beneficiary ?? null }));
  return index;
}

export function toStoredEntry(r: { idx: number; entry: string; leaf_hash: string }): StoredAuditEntry {
  return { index: Number(r.idx), entry: r.entry, leafHash: r.leaf_hash };
}

export function* auditEntries(sql: Sql, range: { start: number; end: number; limit: number; naming?: string }): Tx<StoredAuditEntry[]> {
  const { start, end, limit, naming } = range;
  const found = naming === undefined
    ? yield* rows(sql.selectFrom('audit_log').select(['idx', 'entry', 'leaf_hash']).where('idx', '>=', start).where('idx', '<', end).orderBy('idx').limit(limit))
    : yield* rows(
        sql
          .selectFrom('audit_parties as p')
          .innerJoin('audit_log as l', 'l.idx', 'p.idx')
          .select(['l.idx', 'l.entry', 'l.leaf_hash'])
          .where('p.partner', '=', naming)
          .where('p.idx', '>=', start)
          .where('p.idx', '<', end)
          .orderBy('p.idx')
          .limit(limit),
      );
  return found.map(toStoredEntry);
}

/**
 * The entries that pass every filter given, in index order from `start`, at most `limit`. Each filter
 * is an indexed column (audit_facets, audit_parties), so a page costs an index range scan.
 */
export function* filteredAuditEntries(sql: Sql, filter: AuditFilter, limit: number): Tx<StoredAuditEntry[]> {
  let query = sql
    .selectFrom('audit_log as l')
    .innerJoin('audit_facets as f', 'f.idx', 'l.idx')
    .select(['l.idx', 'l.entry', 'l.leaf_hash'])
    .where('l.idx', '>=', filter.start)
    .where('l.idx', '<', filter.end);
  // One join per partner that must be named: an agency's own scope and the agency the auditor chose.
  for (const [i, partner] of [...new Set(filter.naming ?? [])].entries()) {
    const alias = `p${i}` as 'p';
    query = query.innerJoin(`audit_parties as ${alias}`, (join) => join.onRef(`${alias}.idx`, '=', 'l.idx').on(`${alias}.partner`, '=', partner));
  }
  if (filter.events !== undefined) query = query.where('f.event', 'in', filter.events.length > 0 ? [...filter.events] : ['']);
  if (filter.from !== undefined) query = query.where('f.at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('f.at', '<', filter.to);
  if (filter.messageId !== undefined) query = query.where('f.message_id', '=', filter.messageId);
  if (filter.beneficiary !== undefined) query = query.where('f.beneficiary', '=', filter.beneficiary);
  return (yield* rows(query.orderBy('l.idx').limit(limit))).map(toStoredEntry);
}

function toCheckpoint(r: { tree_size: number; root_hash: string; timestamp: string; signature: string }): SignedCheckpoint {
  return { treeSize: Number(r.tree_size), rootHash: r.root_hash, timestamp: r.timestamp, signature: r.signature };
}

export function* findCheckpoint(sql: Sql, treeSize: number | 'latest'): Tx<SignedCheckpoint | undefined> {
  const query = sql.selectFrom('checkpoints').selectAll();
  const found = yield* row(treeSize === 'latest' ? query.orderBy('tree_size', 'desc').limit(1) : query.where('tree_size', '=', treeSize));
  return found === undefined ? undefined : toCheckpoint(found);
}

export function* saveCheckpoint(sql: Sql, checkpoint: SignedCheckpoint): Tx<{ checkpoint: SignedCheckpoint; created: boolean }> {
  const inserted = yield* execute(
    sql
      .insertInto('checkpoints')
      .values({ tree_size: checkpoint.treeSize, root_hash: checkpoint.rootHash, timestamp: checkpoint.timestamp, signature: checkpoint.signature })
      .onConflict((oc) => oc.column('tree_size').doNothing()),
  );
  return { checkpoint: (yield* findCheckpoint(sql, checkpoint.treeSize))!, created: inserted === 1 };
}

function toCosignature(r: { partner: string; signature: string; signed_at: string }): Cosignature {
  return { partner: r.partner, signature: r.signature, signedAt: r.signed_at };
}

export function* cosignatures(sql: Sql, treeSize: number): Tx<Cosignature[]> {
  const found = yield* rows(sql.selectFrom('cosignatures').select(['partner', 'signature', 'signed_at']).where('tree_size', '=', treeSize).orderBy('signed_at').orderBy('partner'));
  return found.map(toCosignature);
}

export function* addCosignature(sql: Sql, checkpoint: Checkpoint, cosignature: Cosignature): Tx<{ cosignature: Cosignature; created: boolean }> {
  const inserted = yield* execute(
    sql
      .insertInto('cosignatures')
      .values({ tree_size: checkpoint.treeSize, partner: cosignature.partner, signature: cosignature.signature, signed_at: cosignature.signedAt })
      .onConflict((oc) => oc.columns(['tree_size', 'partner']).doNothing()),
  );
  const stored = yield* row(sql.selectFrom('cosignatures').select(['partner', 'signature', 'signed_at']).where('tree_size', '=', checkpoint.treeSize).where('partner', '=', cosignature.partner));
  return { cosignature: toCosignature(stored!), created: inserted === 1 };
}
