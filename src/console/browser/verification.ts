/**
 * The checks the auditor runs in the browser, with the gateway's own pure code (src/audit, bundled):
 * (a) the root recomputed from every entry up to the checkpoint, (b) the checkpoint's signature by a
 * published gateway key, (c) the inclusion of one entry, (d) the consistency of the current checkpoint
 * with one seen earlier. Each check answers a Verdict: what was checked, in plain French, and what
 * failed; none throws for a failed check, so that a page shows every result.
 *
 * The gateway is the party checked: nothing it computes is trusted. Its answers are read through a
 * LogSource, and every value is checked by src/audit before use.
 */
import { verifyCheckpoint, type SignedCheckpoint } from '../../audit/checkpoint.js';
import { rootOf, verifyConsistency } from '../../audit/merkle.js';
import { readPublicKeys, type PublicKey } from '../../crypto/keys.js';
import { recomputeLeafHash, verifyEntryInclusion, type ExportedEntry } from '../../audit/verify.js';
import { t } from '../catalogue/index.js';
import type { GatewayKey, LogSource } from './log-source.js';
import { loadSeen, saveSeen, type KeyValueStorage } from './seen-checkpoint.js';

/**
 * Entries the browser fetches to recompute a root: 200 pages of 1000, a few tens of MB of JSON and a
 * few seconds of hashing. Beyond, it fetches nothing and says to use `passerelle audit verify --live`.
 */
export const MAX_ENTRIES_IN_BROWSER = 200_000;

export type Outcome = 'success' | 'error' | 'info';

export interface Verdict {
  outcome: Outcome;
  title: string;
  sentence: string;
  /** The entry at fault, when one is named. */
  index?: number;
}

const ok = (title: string, sentence: string): Verdict => ({ outcome: 'success', title, sentence });
const failed = (title: string, sentence: string, index?: number): Verdict => ({ outcome: 'error', title, sentence, ...(index === undefined ? {} : { index }) });
const info = (title: string, sentence: string): Verdict => ({ outcome: 'info', title, sentence });

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The published keys, read as the gateway and the CLI read key files (src/crypto/keys.ts: its policy,
 * revoked keys dropped); a key that cannot be read is a failure, never silently skipped.
 */
export async function readGatewayKeys(keys: readonly GatewayKey[]): Promise<PublicKey[]> {
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(t('journal.check.keys.none'));
  const read: PublicKey[] = [];
  for (const key of keys) {
    try {
      read.push(...(await readPublicKeys({ armored: String(key?.armored), source: 'GET /v1/audit/gateway-keys' })));
    } catch {
      throw new Error(t('journal.check.keys.unreadable', { fingerprint: String(key?.fingerprint) }));
    }
  }
  return read;
}

/** (b) The checkpoint's signature; the checked checkpoint, when valid, is what the other checks use. */
export async function checkSignature(checkpoint: unknown, keys: readonly GatewayKey[]): Promise<{ verdict: Verdict; checkpoint?: SignedCheckpoint }> {
  let publicKeys: PublicKey[];
  try {
    publicKeys = await readGatewayKeys(keys);
  } catch (err) {
    return { verdict: failed(t('journal.check.signature.bad.title'), t('journal.check.keys.bad', { reason: reasonOf(err) })) };
  }
  const treeSize = String((checkpoint as { treeSize?: unknown } | null)?.treeSize ?? '?');
  try {
    const signed = await verifyCheckpoint(checkpoint, publicKeys);
    const fingerprints = keys.map((k) => k.fingerprint).join(', ');
    return { verdict: ok(t('journal.check.signature.ok.title'), t('journal.check.signature.ok', { treeSize: signed.treeSize, timestamp: signed.timestamp, fingerprints })), checkpoint: signed };
  } catch {
    return { verdict: failed(t('journal.check.signature.bad.title'), t('journal.check.signature.bad', { treeSize })) };
  }
}

function isEntry(value: unknown): value is ExportedEntry {
  return typeof value === 'object' && value !== null && Number.isSafeInteger((value as ExportedEntry).index) && typeof (value as ExportedEntry).leafHash === 'string';
}

/**
 * (a) Every entry up to the checkpoint's size, page by page: each at the position of its index,
 * each hashing to its leaf hash (RFC 8785, RFC 9162 section 2.1.1), and all of them to the signed
 * root (section 2.1.2). When only the root differs (entries changed together with their leaf
 * hashes), the entries proven untouched are bounded by consistency proofs from prefixes of the
 * recomputed tree to the signed one (section 2.1.4), O(log n) requests.
 */
export async function checkRoot(
  source: LogSource,
  checkpoint: SignedCheckpoint,
  options: { limit?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<Verdict> {
  const limit = options.limit ?? MAX_ENTRIES_IN_BROWSER;
  const { treeSize } = checkpoint;
  const title = t('journal.check.root.bad.title');
  if (treeSize > limit) return info(t('journal.check.root.tooLarge.title'), t('journal.check.root.tooLarge', { treeSize, limit }));
  const leaves: string[] = [];
  try {
    while (leaves.length < treeSize) {
      const page = await source.entries(leaves.length, treeSize);
      const entries: unknown[] = Array.isArray(page?.entries) ? page.entries : [];
      if (entries.length === 0) return failed(title, t('journal.check.root.missing', { treeSize, count: leaves.length }), leaves.length);
      for (const entry of entries) {
        const position = leaves.length;
        if (position >= treeSize) break;
        if (!isEntry(entry)) return failed(title, t('journal.check.root.entry', { index: position, leafHash: '?' }), position);
        if (entry.index !== position) return failed(title, t('journal.check.root.position', { position, index: entry.index }), position);
        if (recomputeLeafHash(entry) !== entry.leafHash) return failed(title, t('journal.check.root.entry', { index: position, leafHash: entry.leafHash }), position);
        leaves.push(entry.leafHash);
      }
      options.onProgress?.(leaves.length, treeSize);
    }
  } catch (err) {
    return failed(title, t('journal.check.unreachable', { reason: reasonOf(err) }));
  }
  const root = rootOf(leaves);
  if (root === checkpoint.rootHash) {
    return ok(t('journal.check.root.ok.title'), treeSize === 0 ? t('journal.check.root.empty') : t('journal.check.root.ok', { count: treeSize }));
  }
  const index = await firstDivergence(source, leaves, checkpoint);
  return index === undefined || index === 0
    ? failed(title, t('journal.check.root.mismatchUnlocated', { count: treeSize, root, signed: checkpoint.rootHash }))
    : failed(title, t('journal.check.root.mismatch', { count: treeSize, root, signed: checkpoint.rootHash, index, last: index - 1 }), index);
}

/**
 * Where the recomputed tree leaves the signed one, as far as proofs can tell: the longest prefix of
 * the recomputed leaves found consistent with the signed root (RFC 9162 section 2.1.4; a proof that
 * verifies binds the prefix to the signed root, whoever made it). The entries before it are proven;
 * the divergence starts at it or after. No proof can say more: the signed root commits to pairs of
 * neighbours through their parent's hash, and a gateway that changed a leaf serves proofs made of it.
 */
async function firstDivergence(source: LogSource, leaves: readonly string[], checkpoint: SignedCheckpoint): Promise<number | undefined> {
  const consistent = async (size: number): Promise<boolean> => {
    try {
      const { proof } = await source.consistencyProof(size, checkpoint.treeSize);
      verifyConsistency({ first: size, second: checkpoint.treeSize, firstHash: rootOf(leaves.slice(0, size)), secondHash: checkpoint.rootHash, proof });
      return true;
    } catch {
      return false;
    }
  };
  if (leaves.length === 0) return undefined;
  // `proven` is always a prefix size whose consistency was verified (0 trivially); the search only
  // narrows where to look next.
  let proven = 0;
  let unproven = leaves.length;
  while (unproven - proven > 1) {
    const middle = Math.floor((proven + unproven) / 2);
    if (await consistent(middle)) proven = middle;
    else unproven = middle;
  }
  return proven;
}

/** (c) One entry, as shown, is in the signed log at its index (RFC 9162 section 2.1.3.2). */
export async function checkInclusion(source: LogSource, entry: ExportedEntry, checkpoint: SignedCheckpoint): Promise<Verdict> {
  const { index } = entry;
  const { treeSize } = checkpoint;
  const title = t('journal.check.inclusion.bad.title');
  if (index >= treeSize) return info(t('journal.check.inclusion.notCovered.title'), t('journal.check.inclusion.notCovered', { index, treeSize }));
  let proof: unknown;
  try {
    proof = await source.inclusionProof(index, treeSize);
  } catch (err) {
    return failed(title, t('journal.check.unreachable', { reason: reasonOf(err) }), index);
  }
  try {
    verifyEntryInclusion({ entry, proof, checkpoint });
    return ok(t('journal.check.inclusion.ok.title'), t('journal.check.inclusion.ok', { index, treeSize }));
  } catch {
    const proven = (proof as { leafHash?: unknown } | null)?.leafHash;
    const modified = recomputeLeafHash(entry as unknown as Record<string, unknown>) !== proven || entry.leafHash !== proven;
    return failed(title, t(modified ? 'journal.check.inclusion.modified' : 'journal.check.inclusion.path', { index, treeSize }), index);
  }
}

/**
 * (d) The current checkpoint extends one seen earlier (RFC 9162 section 2.1.4.2). Both must have had
 * their signatures checked: a proof between unsigned roots proves nothing.
 */
export async function checkConsistency(source: LogSource, earlier: SignedCheckpoint, seenAt: string, current: SignedCheckpoint): Promise<Verdict> {
  const params = { first: earlier.treeSize, second: current.treeSize, seenAt };
  const title = t('journal.check.consistency.bad.title');
  if (earlier.treeSize > current.treeSize) return failed(title, t('journal.check.consistency.shrank', params));
  if (earlier.treeSize === current.treeSize) {
    return earlier.rootHash === current.rootHash
      ? ok(t('journal.check.consistency.ok.title'), t('journal.check.consistency.same', params))
      : failed(title, t('journal.check.consistency.bad', params));
  }
  let proof: string[];
  try {
    ({ proof } = await source.consistencyProof(earlier.treeSize, current.treeSize));
  } catch (err) {
    return failed(title, t('journal.check.unreachable', { reason: reasonOf(err) }));
  }
  try {
    verifyConsistency({ first: earlier.treeSize, second: current.treeSize, firstHash: earlier.rootHash, secondHash: current.rootHash, proof });
    return ok(t('journal.check.consistency.ok.title'), t('journal.check.consistency.ok', params));
  } catch {
    return failed(title, t('journal.check.consistency.bad', params));
  }
}

/**
 * Every check of the log, in the order a reader needs them: the signature first (nothing else means
 * anything without it), then the root, then the consistency with the checkpoint this browser saw
 * earlier. The current checkpoint is kept as the one seen when its signature holds and it extends
 * the one kept before.
 */
export async function verifyLog(opts: {
  source: LogSource;
  storage: KeyValueStorage;
  origin: string;
  now: () => Date;
  /** The caller sees every entry (the auditor); an agency sees its own only and cannot recompute a root. */
  everyEntry: boolean;
  limit?: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<Verdict[]> {
  const { source, storage, origin } = opts;
  let published: unknown;
  let keys: GatewayKey[];
  try {
    [published, keys] = await Promise.all([source.checkpoint(), source.gatewayKeys()]);
  } catch (err) {
    return [failed(t('journal.check.signature.bad.title'), t('journal.check.unreachable', { reason: reasonOf(err) }))];
  }
  const signature = await checkSignature(published, keys);
  const verdicts = [signature.verdict];
  const current = signature.checkpoint;
  if (current === undefined) return verdicts;

  verdicts.push(
    opts.everyEntry
      ? await checkRoot(source, current, { ...(opts.limit === undefined ? {} : { limit: opts.limit }), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) })
      : info(t('journal.check.root.ownOnly.title'), t('journal.check.root.ownOnly')),
  );

  const seen = loadSeen(storage, origin);
  const seenNow = opts.now().toISOString();
  if (seen === undefined) {
    saveSeen(storage, origin, current, seenNow);
    verdicts.push(info(t('journal.check.consistency.first.title'), t('journal.check.consistency.first', { treeSize: current.treeSize })));
    return verdicts;
  }
  const earlier = await checkSignature(seen.checkpoint, keys);
  if (earlier.checkpoint === undefined) {
    verdicts.push(failed(t('journal.check.consistency.bad.title'), t('journal.check.consistency.storedInvalid')));
    return verdicts;
  }
  const consistency = await checkConsistency(source, earlier.checkpoint, seen.seenAt, current);
  verdicts.push(consistency);
  // A checkpoint that does not extend the kept one is evidence: the kept one stays until the auditor forgets it.
  if (consistency.outcome === 'success' && current.treeSize > earlier.checkpoint.treeSize) saveSeen(storage, origin, current, seenNow);
  return verdicts;
}

/** The current checkpoint's signature, then the entry's inclusion in it: what one entry's check shows. */
export async function provenInclusion(source: LogSource, entry: ExportedEntry): Promise<Verdict[]> {
  let published: unknown;
  let keys: GatewayKey[];
  try {
    [published, keys] = await Promise.all([source.checkpoint(), source.gatewayKeys()]);
  } catch (err) {
    return [failed(t('journal.check.inclusion.bad.title'), t('journal.check.unreachable', { reason: reasonOf(err) }), entry.index)];
  }
  const signature = await checkSignature(published, keys);
  if (signature.checkpoint === undefined) return [signature.verdict];
  return [signature.verdict, await checkInclusion(source, entry, signature.checkpoint)];
}
