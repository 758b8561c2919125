/**
 * The audit tree's rows as both engines store them (tables audit_log, audit_nodes, checkpoints,
 * cosignatures), and which stored nodes an appended leaf completes.
 */
import type { Cosignature, SignedCheckpoint } from '../audit/checkpoint.js';
import type { StoredAuditEntry } from './audit-log.js';

export interface CheckpointRow {
  tree_size: number;
  root_hash: string;
  timestamp: string;
  signature: string;
}

export function toCheckpoint(row: CheckpointRow): SignedCheckpoint {
  return { treeSize: row.tree_size, rootHash: row.root_hash, timestamp: row.timestamp, signature: row.signature };
}

export interface CosignatureRow {
  partner: string;
  signature: string;
  signed_at: string;
}

export function toCosignature(row: CosignatureRow): Cosignature {
  return { partner: row.partner, signature: row.signature, signedAt: row.signed_at };
}

export interface EntryRow {
  idx: number;
  entry: string;
  leaf_hash: string;
}

export function toStoredEntry(row: EntryRow): StoredAuditEntry {
  return { index: row.idx, entry: row.entry, leafHash: row.leaf_hash };
}

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

/** The entry's named partners, for audit_parties. */
export function partiesOf(parties: ReadonlyArray<string | undefined>): string[] {
  return [...new Set(parties)].filter((p): p is string => p !== undefined);
}
