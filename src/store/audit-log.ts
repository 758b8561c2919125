/**
 * The audit log's part of the store port: entries, the stored nodes of the Merkle tree, checkpoints
 * and cosignatures (interface contract, section 6).
 *
 * Invariant the implementations keep: when an entry is appended, every perfect subtree it completes
 * is stored in the same transaction (a "compact range"), so `auditNode` answers any perfect subtree
 * inside the tree with one read and proofs cost O(log n) reads. Stored nodes and checkpoints are never
 * changed afterwards.
 */
import type { Checkpoint, Cosignature, SignedCheckpoint } from '../audit/checkpoint.js';

export interface StoredAuditEntry {
  index: number;
  /** The RFC 8785 canonical JSON of the entry, as appended. */
  entry: string;
  leafHash: string;
}

export interface AuditLogPort {
  /** Entries with start <= index < end, in index order, at most `limit`. */
  readAuditEntries(start: number, end: number, limit: number): Promise<StoredAuditEntry[]>;
  /** Like readAuditEntries, only the entries whose sender or recipient is `partnerId`. */
  readAuditEntriesNaming(partnerId: string, start: number, end: number, limit: number): Promise<StoredAuditEntry[]>;
  /** The hash of the perfect subtree (level, index); level 0 is the leaf hash. Throws if it is not complete. */
  auditNode(level: number, index: number): Promise<string>;
  latestCheckpoint(): Promise<SignedCheckpoint | undefined>;
  findCheckpoint(treeSize: number): Promise<SignedCheckpoint | undefined>;
  /**
   * Keeps the first checkpoint signed for a tree size: when one exists already (a concurrent signer),
   * that one is returned and `checkpoint` is dropped.
   */
  saveCheckpoint(checkpoint: SignedCheckpoint): Promise<{ checkpoint: SignedCheckpoint; created: boolean }>;
  /** Keeps a partner's first cosignature of a checkpoint and returns the stored one. */
  addCosignature(checkpoint: Checkpoint, cosignature: Cosignature): Promise<{ cosignature: Cosignature; created: boolean }>;
  cosignatures(treeSize: number): Promise<Cosignature[]>;
}
