/**
 * The Merkle tree of the audit log, RFC 9162 section 2.1 (the hashing of RFC 6962, unchanged). Pure:
 * no I/O. Hashes are lower-case hex.
 *
 * Proof generation reads the tree through a NodeSource that serves the hash of a perfect subtree
 * (2^level leaves, aligned on a multiple of 2^level). Every subtree the RFC's recursion names inside a
 * tree of n leaves is either such a perfect subtree or the join of O(log n) of them, so a proof costs
 * O(log n) node reads and never needs the leaves in memory.
 *
 * Indices and sizes are plain numbers and must stay exact up to 2^53: JavaScript's bitwise operators
 * truncate to 32 bits, so this module uses only division, multiplication and `%` on them.
 */
import { createHash } from 'node:crypto';
import { GatewayError } from '../domain/errors.js';

/** RFC 9162 section 2.1.1: the prefix of an interior node (leaves use 0x00, in entry.ts). */
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH({}) = SHA-256() (RFC 9162 section 2.1.1). */
export const EMPTY_ROOT = createHash('sha256').digest('hex');

/** A SHA-256 tree of fewer than 2^64 leaves never needs a longer proof; longer input is refused unread. */
const MAX_PROOF_LENGTH = 64;

const HASH = /^[0-9a-f]{64}$/;

/** Serves hashes of perfect subtrees: `node(level, index)` covers leaves [index * 2^level, (index + 1) * 2^level). */
export interface NodeSource {
  node(level: number, index: number): Promise<string>;
}

/** MTH(D_n) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])) (RFC 9162 section 2.1.1). */
export function hashChildren(left: string, right: string): string {
  return createHash('sha256').update(NODE_PREFIX).update(Buffer.from(left, 'hex')).update(Buffer.from(right, 'hex')).digest('hex');
}

function isPowerOfTwo(n: number): boolean {
  let power = 1;
  while (power < n) power *= 2;
  return power === n;
}

/** log2 of a power of two, by multiplication: Math.log2 is not guaranteed exact near 2^53. */
function levelOf(perfectSize: number): number {
  let level = 0;
  for (let power = 1; power < perfectSize; power *= 2) level += 1;
  return level;
}

/** k of RFC 9162 section 2.1.1: the largest power of two smaller than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function fail(detail: string, index?: number): never {
  throw new GatewayError('audit_invalid', detail, index === undefined ? {} : { index });
}

function checkSize(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) fail(`${name} ${String(value)} is not a non-negative safe integer; ask for a proof with whole numbers.`);
}

function checkHashes(hashes: readonly string[], what: string): void {
  if (!Array.isArray(hashes)) fail(`The ${what} is not a list of hashes.`);
  if (hashes.length > MAX_PROOF_LENGTH) fail(`The ${what} has ${hashes.length} hashes; no tree needs more than ${MAX_PROOF_LENGTH}. It was not produced by a correct log.`);
  for (const hash of hashes) {
    if (typeof hash !== 'string' || !HASH.test(hash)) fail(`The ${what} holds a value that is not a lower-case hex SHA-256 hash.`);
  }
}

/**
 * MTH of the leaves [start, start + size). The caller guarantees the range is one the recursion of
 * RFC 9162 section 2.1.1 names, so `start` is a multiple of every perfect part of it.
 */
export async function subtreeHash(source: NodeSource, start: number, size: number): Promise<string> {
  if (size === 0) return EMPTY_ROOT;
  if (isPowerOfTwo(size)) return source.node(levelOf(size), start / size);
  const k = split(size);
  return hashChildren(await subtreeHash(source, start, k), await subtreeHash(source, start + k, size - k));
}

/** The root hash of the tree of the first `treeSize` leaves. */
export async function treeRoot(source: NodeSource, treeSize: number): Promise<string> {
  checkSize(treeSize, 'The tree size');
  return subtreeHash(source, 0, treeSize);
}

/**
 * RFC 9162 section 2.1.2: the root from every leaf hash, in order, with a stack of O(log n) hashes.
 * This is how an auditor re-derives a checkpoint from a full export.
 */
export function rootOf(leafHashes: Iterable<string>): string {
  const stack: string[] = [];
  let index = 0;
  for (const hash of leafHashes) {
    stack.push(hash);
    // merge_count = the number of consecutive 1-bits at the low end of the index.
    for (let rest = index; rest % 2 === 1; rest = Math.floor(rest / 2)) {
      const right = stack.pop()!;
      const left = stack.pop()!;
      stack.push(hashChildren(left, right));
    }
    index += 1;
  }
  if (stack.length === 0) return EMPTY_ROOT;
  while (stack.length > 1) {
    const right = stack.pop()!;
    const left = stack.pop()!;
    stack.push(hashChildren(left, right));
  }
  return stack[0]!;
}

/** A NodeSource over leaf hashes held in memory (tests, small offline checks). */
export function nodeSourceOf(leafHashes: readonly string[]): NodeSource {
  const compute = (level: number, index: number): string => {
    if (level === 0) {
      const hash = leafHashes[index];
      if (hash === undefined) throw new RangeError(`no leaf ${index}`);
      return hash;
    }
    return hashChildren(compute(level - 1, index * 2), compute(level - 1, index * 2 + 1));
  };
  return { node: async (level, index) => compute(level, index) };
}

/** RFC 9162 section 2.1.3.1: PATH(m, D_n), the audit path of leaf `index` in the tree of `treeSize` leaves. */
export async function inclusionPath(source: NodeSource, index: number, treeSize: number): Promise<string[]> {
  checkSize(index, 'The index');
  checkSize(treeSize, 'The tree size');
  if (index >= treeSize) fail(`Entry ${index} is not in a tree of ${treeSize} entries; ask for a tree size above the index.`, index);
  // Siblings are collected from the root down; the RFC lists them from the leaf up.
  const path: string[] = [];
  let start = 0;
  let size = treeSize;
  let m = index;
  while (size > 1) {
    const k = split(size);
    if (m < k) {
      path.push(await subtreeHash(source, start + k, size - k));
      size = k;
    } else {
      path.push(await subtreeHash(source, start, k));
      start += k;
      size -= k;
      m -= k;
    }
  }
  return path.reverse();
}

/** RFC 9162 section 2.1.4.1: PROOF(m, D_n) between the trees of `first` and `second` leaves. */
export async function consistencyProof(source: NodeSource, first: number, second: number): Promise<string[]> {
  checkSize(first, 'The first tree size');
  checkSize(second, 'The second tree size');
  if (first > second) fail(`The first tree size (${first}) is larger than the second (${second}); a log only grows.`);
  if (first === 0 || first === second) return [];
  const proof: string[] = [];
  let start = 0;
  let size = second;
  let m = first;
  // b of SUBPROOF: true while the old tree is still a left edge of the current subtree.
  let onLeftEdge = true;
  while (m !== size) {
    const k = split(size);
    if (m <= k) {
      proof.push(await subtreeHash(source, start + k, size - k));
      size = k;
    } else {
      proof.push(await subtreeHash(source, start, k));
      start += k;
      size -= k;
      m -= k;
      onLeftEdge = false;
    }
  }
  // SUBPROOF(m, D_m, false) = {MTH(D_m)}: it comes first, before the siblings from the bottom up.
  if (!onLeftEdge) proof.push(await subtreeHash(source, start, size));
  return proof.reverse();
}

/** A right shift by one, exact beyond 32 bits. */
function half(n: number): number {
  return Math.floor(n / 2);
}

/**
 * The step shared by RFC 9162 sections 2.1.3.2 (4.b) and 2.1.4.2 (6.b): after hashing from the left,
 * when LSB(fn) is not set, right-shift fn and sn equally until LSB(fn) is set or fn is 0.
 */
function skipRightEdge(fn: number, sn: number): [number, number] {
  while (fn % 2 === 0 && fn !== 0) {
    fn = half(fn);
    sn = half(sn);
  }
  return [fn, sn];
}

/**
 * RFC 9162 section 2.1.3.2. Throws GatewayError('audit_invalid', { index }) unless `auditPath` proves
 * that `leafHash` is leaf `index` of the tree of `treeSize` leaves whose root is `rootHash`.
 */
export function verifyInclusion(proof: { index: number; treeSize: number; leafHash: string; auditPath: readonly string[]; rootHash: string }): void {
  const { index, treeSize, leafHash, auditPath, rootHash } = proof;
  checkSize(index, 'The index');
  checkSize(treeSize, 'The tree size');
  checkHashes([leafHash, rootHash], 'leaf or root hash');
  checkHashes(auditPath, 'audit path');
  if (index >= treeSize) fail(`Entry ${index} cannot be in a tree of ${treeSize} entries.`, index);
  const wrong = `The inclusion proof of entry ${index} in the tree of ${treeSize} entries does not lead to the root ${rootHash}: the entry, the proof or the log was altered.`;
  let fn = index;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of auditPath) {
    if (sn === 0) fail(wrong, index);
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      [fn, sn] = skipRightEdge(fn, sn);
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0 || r !== rootHash) fail(wrong, index);
}

/**
 * RFC 9162 section 2.1.4.2, with the two cases the RFC leaves to the caller: equal sizes (the proof
 * is empty and the roots are equal) and an empty first tree (trivially consistent). Throws
 * GatewayError('audit_invalid') unless the tree of `second` leaves extends the tree of `first` leaves.
 * Both roots must come from checkpoints whose signatures were checked: a proof between unsigned roots
 * proves nothing.
 */
export function verifyConsistency(proof: { first: number; second: number; firstHash: string; secondHash: string; proof: readonly string[] }): void {
  const { first, second, firstHash, secondHash } = proof;
  checkSize(first, 'The first tree size');
  checkSize(second, 'The second tree size');
  checkHashes([firstHash, secondHash], 'root hash');
  checkHashes(proof.proof, 'consistency proof');
  const wrong = `The consistency proof does not show that the tree of ${second} entries extends the tree of ${first} entries: the log was rewritten, or the proof or a checkpoint was altered.`;
  if (first > second) fail(`The log shrank from ${first} to ${second} entries: entries were removed.`, second);
  if (first === second) {
    if (proof.proof.length !== 0 || firstHash !== secondHash) fail(wrong);
    return;
  }
  if (first === 0) {
    if (proof.proof.length !== 0 || firstHash !== EMPTY_ROOT) fail(wrong);
    return;
  }
  if (proof.proof.length === 0) fail(wrong);
  const path = isPowerOfTwo(first) ? [firstHash, ...proof.proof] : [...proof.proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) fail(wrong);
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      [fn, sn] = skipRightEdge(fn, sn);
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (fr !== firstHash || sr !== secondHash || sn !== 0) fail(wrong);
}
