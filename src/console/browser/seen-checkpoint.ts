/**
 * The checkpoint this browser saw last, per gateway origin, kept in the browser's storage so that the
 * next visit can check that the log only grew since (consistency, RFC 9162 section 2.1.4). It is kept
 * with its signature and checked again before use: the storage is no more trusted than the gateway.
 */
import type { SignedCheckpoint } from '../../audit/checkpoint.js';

/** The part of the Web Storage API used here (window.localStorage in the browser). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface SeenCheckpoint {
  checkpoint: SignedCheckpoint;
  /** When this browser checked it, RFC 3339. */
  seenAt: string;
}

export function storageKey(origin: string): string {
  return `passerelle.journal.checkpoint:${origin}`;
}

/** The checkpoint kept for this gateway; undefined when none, or when what is kept is not one. */
export function loadSeen(storage: KeyValueStorage, origin: string): SeenCheckpoint | undefined {
  const text = storage.getItem(storageKey(origin));
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as Partial<SeenCheckpoint>;
    const checkpoint = value.checkpoint as Partial<SignedCheckpoint> | undefined;
    if (typeof value.seenAt !== 'string' || checkpoint === undefined || typeof checkpoint.signature !== 'string') return undefined;
    return { checkpoint: checkpoint as SignedCheckpoint, seenAt: value.seenAt };
  } catch {
    return undefined;
  }
}

export function saveSeen(storage: KeyValueStorage, origin: string, checkpoint: SignedCheckpoint, seenAt: string): void {
  const { treeSize, rootHash, timestamp, signature } = checkpoint;
  storage.setItem(storageKey(origin), JSON.stringify({ checkpoint: { treeSize, rootHash, timestamp, signature }, seenAt }));
}

export function forgetSeen(storage: KeyValueStorage, origin: string): void {
  storage.removeItem(storageKey(origin));
}
