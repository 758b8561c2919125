/**
 * RFC 9162 section 2.1 against known answers and by exhaustion.
 *
 * test/fixtures/rfc9162-vectors.json is a copy of the known answers of transparency-dev/merkle
 * (testonly/constants.go and proof/verify_test.go, the same values as the RFC 6962 reference tests;
 * its "source" field says so). The inclusion table there is 0-based on leafIndex.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { leafHash } from '../../src/audit/entry.js';
import {
  EMPTY_ROOT,
  consistencyProof,
  hashChildren,
  inclusionPath,
  nodeSourceOf,
  rootOf,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
  type NodeSource,
} from '../../src/audit/merkle.js';
import { GatewayError } from '../../src/domain/errors.js';

interface Vectors {
  leafInputs: string[];
  rootsBySize: Record<string, string>;
  emptyRoot: string;
  inclusion: Array<{ leafIndex: number; treeSize: number; auditPath: string[] }>;
  consistency: Array<{ first: number; second: number; proof: string[] }>;
}

const VECTORS = JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'rfc9162-vectors.json'), 'utf8')) as Vectors;
const LEAVES = VECTORS.leafInputs.map((hex) => leafHash(Buffer.from(hex, 'hex')));

function expectAuditInvalid(run: () => void, why: string): void {
  try {
    run();
  } catch (err) {
    // Plain checks rather than chai: this runs a few hundred thousand times.
    if (err instanceof GatewayError && err.code === 'audit_invalid') return;
    throw err;
  }
  expect.fail(`accepted: ${why}`);
}

/** Every hash obtained by flipping one bit of `hex`; `bits` limits which bit positions. */
function flips(hex: string, bits: number[]): string[] {
  return bits.map((bit) => {
    const bytes = Buffer.from(hex, 'hex');
    bytes[Math.floor(bit / 8)]! ^= 1 << bit % 8;
    return bytes.toString('hex');
  });
}

const ALL_BITS = Array.from({ length: 256 }, (_, i) => i);
/** For the larger trees (to keep the run short): eight bits spread over the hash, each at another offset in its byte. */
const SPREAD_BITS = [0, 37, 74, 111, 148, 185, 222, 255];

function syntheticLeaves(n: number): string[] {
  return Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
}

describe('audit/merkle (RFC 9162 section 2.1)', () => {
  describe('known answers of transparency-dev/merkle', () => {
    it('the empty tree is SHA-256 of nothing', async () => {
      expect(EMPTY_ROOT).to.equal(VECTORS.emptyRoot);
      expect(rootOf([])).to.equal(VECTORS.emptyRoot);
      expect(await treeRoot(nodeSourceOf([]), 0)).to.equal(VECTORS.emptyRoot);
    });

    for (let size = 1; size <= 8; size++) {
      it(`the root of the first ${size} leaves, by the stack algorithm (2.1.2) and from perfect subtrees`, async () => {
        const leaves = LEAVES.slice(0, size);
        expect(rootOf(leaves)).to.equal(VECTORS.rootsBySize[String(size)]);
        expect(await treeRoot(nodeSourceOf(leaves), size)).to.equal(VECTORS.rootsBySize[String(size)]);
      });
    }

    for (const vector of VECTORS.inclusion) {
      it(`the audit path of leaf ${vector.leafIndex} in a tree of ${vector.treeSize}, and its corruptions`, async () => {
        const source = nodeSourceOf(LEAVES.slice(0, vector.treeSize));
        const root = VECTORS.rootsBySize[String(vector.treeSize)]!;
        const leaf = LEAVES[vector.leafIndex]!;
        expect(await inclusionPath(source, vector.leafIndex, vector.treeSize)).to.deep.equal(vector.auditPath);
        const proof = { index: vector.leafIndex, treeSize: vector.treeSize, leafHash: leaf, auditPath: vector.auditPath, rootHash: root };
        verifyInclusion(proof);
        // The corruption probes of transparency-dev's verify_test.go.
        const other = LEAVES[(vector.leafIndex + 1) % 8]!;
        expectAuditInvalid(() => verifyInclusion({ ...proof, index: vector.leafIndex + 1 }), 'index + 1');
        if (vector.leafIndex > 0) expectAuditInvalid(() => verifyInclusion({ ...proof, index: vector.leafIndex - 1 }), 'index - 1');
        expectAuditInvalid(() => verifyInclusion({ ...proof, index: vector.leafIndex ^ 2 }), 'index ^ 2');
        expectAuditInvalid(() => verifyInclusion({ ...proof, treeSize: vector.treeSize * 2 }), 'size * 2');
        expectAuditInvalid(() => verifyInclusion({ ...proof, treeSize: Math.floor(vector.treeSize / 2) }), 'size / 2');
        expectAuditInvalid(() => verifyInclusion({ ...proof, leafHash: other }), 'another leaf');
        expectAuditInvalid(() => verifyInclusion({ ...proof, rootHash: VECTORS.emptyRoot }), 'another root');
        expectAuditInvalid(() => verifyInclusion({ ...proof, auditPath: [...vector.auditPath, leaf] }), 'trailing garbage');
        expectAuditInvalid(() => verifyInclusion({ ...proof, auditPath: [leaf, ...vector.auditPath] }), 'preceding garbage');
        expectAuditInvalid(() => verifyInclusion({ ...proof, auditPath: vector.auditPath.slice(0, -1) }), 'truncated');
      });
    }

    for (const vector of VECTORS.consistency) {
      it(`the consistency proof from ${vector.first} to ${vector.second} leaves, and its corruptions`, async () => {
        const source = nodeSourceOf(LEAVES.slice(0, vector.second));
        const firstHash = VECTORS.rootsBySize[String(vector.first)]!;
        const secondHash = VECTORS.rootsBySize[String(vector.second)]!;
        expect(await consistencyProof(source, vector.first, vector.second)).to.deep.equal(vector.proof);
        const proof = { first: vector.first, second: vector.second, firstHash, secondHash, proof: vector.proof };
        verifyConsistency(proof);
        expectAuditInvalid(() => verifyConsistency({ ...proof, firstHash: secondHash, secondHash: firstHash }), 'swapped roots');
        expectAuditInvalid(() => verifyConsistency({ ...proof, first: vector.first - 1 }), 'first - 1');
        expectAuditInvalid(() => verifyConsistency({ ...proof, first: vector.first + 1 }), 'first + 1');
        expectAuditInvalid(() => verifyConsistency({ ...proof, second: vector.second * 2 }), 'second * 2');
        expectAuditInvalid(() => verifyConsistency({ ...proof, proof: [...vector.proof, firstHash] }), 'trailing garbage');
        expectAuditInvalid(() => verifyConsistency({ ...proof, proof: vector.proof.slice(0, -1) }), 'truncated');
        expectAuditInvalid(() => verifyConsistency({ ...proof, proof: [] }), 'empty proof');
      });
    }
  });

  describe('every tree of up to 64 leaves', function () {
    this.timeout(120_000);
    // Hundreds of thousands of refusals: capturing a stack trace for each would dominate the run.
    let stackTraceLimit: number;
    before(() => {
      stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
    });
    after(() => {
      Error.stackTraceLimit = stackTraceLimit;
    });
    const leaves = syntheticLeaves(64);
    const source = nodeSourceOf(leaves);
    const roots = [EMPTY_ROOT, ...Array.from({ length: 64 }, (_, i) => rootOf(leaves.slice(0, i + 1)))];

    it('the root from stored perfect subtrees equals the stack algorithm for every size', async () => {
      for (let n = 0; n <= 64; n++) expect(await treeRoot(source, n), `size ${n}`).to.equal(roots[n]);
    });

    it('every audit path verifies, and no single bit flip of a path element, the leaf or the root does', async () => {
      for (let n = 1; n <= 64; n++) {
        const bits = n <= 8 ? ALL_BITS : SPREAD_BITS;
        for (let index = 0; index < n; index++) {
          const auditPath = await inclusionPath(source, index, n);
          const proof = { index, treeSize: n, leafHash: leaves[index]!, auditPath, rootHash: roots[n]! };
          verifyInclusion(proof);
          auditPath.forEach((element, position) => {
            for (const flipped of flips(element, bits)) {
              const corrupted = auditPath.map((e, i) => (i === position ? flipped : e));
              expectAuditInvalid(() => verifyInclusion({ ...proof, auditPath: corrupted }), `n=${n} i=${index} element ${position}`);
            }
          });
          for (const flipped of flips(roots[n]!, bits)) expectAuditInvalid(() => verifyInclusion({ ...proof, rootHash: flipped }), `n=${n} i=${index} root`);
          for (const flipped of flips(leaves[index]!, bits)) expectAuditInvalid(() => verifyInclusion({ ...proof, leafHash: flipped }), `n=${n} i=${index} leaf`);
          for (const wrongIndex of [index + 1, index - 1].filter((i) => i >= 0 && i < n)) {
            expectAuditInvalid(() => verifyInclusion({ ...proof, index: wrongIndex }), `n=${n} i=${index} as ${wrongIndex}`);
          }
        }
      }
    });

    it('every consistency proof verifies, and no single bit flip of a proof element or either root does', async () => {
      for (let second = 1; second <= 64; second++) {
        const bits = second <= 8 ? ALL_BITS : SPREAD_BITS;
        for (let first = 1; first <= second; first++) {
          const proofHashes = await consistencyProof(source, first, second);
          const proof = { first, second, firstHash: roots[first]!, secondHash: roots[second]!, proof: proofHashes };
          verifyConsistency(proof);
          proofHashes.forEach((element, position) => {
            for (const flipped of flips(element, bits)) {
              const corrupted = proofHashes.map((e, i) => (i === position ? flipped : e));
              expectAuditInvalid(() => verifyConsistency({ ...proof, proof: corrupted }), `${first}->${second} element ${position}`);
            }
          });
          for (const flipped of flips(roots[first]!, bits)) expectAuditInvalid(() => verifyConsistency({ ...proof, firstHash: flipped }), `${first}->${second} first root`);
          for (const flipped of flips(roots[second]!, bits)) expectAuditInvalid(() => verifyConsistency({ ...proof, secondHash: flipped }), `${first}->${second} second root`);
          if (first < second) {
            // A tree that is not a prefix: the old root of another log.
            const forked = rootOf([...leaves.slice(0, first - 1), leafHash(Buffer.from('forged'))]);
            expectAuditInvalid(() => verifyConsistency({ ...proof, firstHash: forked }), `${first}->${second} forked history`);
          }
        }
      }
    });

    it('the empty tree is consistent with every tree, and a log never shrinks', () => {
      verifyConsistency({ first: 0, second: 5, firstHash: EMPTY_ROOT, secondHash: roots[5]!, proof: [] });
      expectAuditInvalid(() => verifyConsistency({ first: 5, second: 4, firstHash: roots[5]!, secondHash: roots[4]!, proof: [] }), 'shrinking');
    });

    it('refuses oversized proofs and values that are not hashes before hashing them', () => {
      const auditPath = Array.from({ length: 65 }, () => leaves[0]!);
      expectAuditInvalid(() => verifyInclusion({ index: 0, treeSize: 2 ** 40, leafHash: leaves[0]!, auditPath, rootHash: roots[1]! }), '65 elements');
      expectAuditInvalid(() => verifyInclusion({ index: 0, treeSize: 1, leafHash: leaves[0]!.toUpperCase(), auditPath: [], rootHash: roots[1]! }), 'upper-case hex');
      expectAuditInvalid(() => verifyInclusion({ index: -1, treeSize: 1, leafHash: leaves[0]!, auditPath: [], rootHash: roots[1]! }), 'negative index');
      expectAuditInvalid(() => verifyInclusion({ index: 0.5, treeSize: 1, leafHash: leaves[0]!, auditPath: [], rootHash: roots[1]! }), 'fractional index');
    });

    it('a proof costs O(log n) node reads', async () => {
      const reads: Array<[number, number]> = [];
      const counting: NodeSource = { node: (level, index) => (reads.push([level, index]), source.node(level, index)) };
      await inclusionPath(counting, 37, 63);
      expect(reads.length).to.be.at.most(2 * 6);
      reads.length = 0;
      await consistencyProof(counting, 13, 63);
      expect(reads.length).to.be.at.most(2 * 6);
    });
  });

  describe('past 2^31 and up to 2^53 leaves', () => {
    /**
     * A consistent synthetic tree: leaves from `low` on have synthetic hashes, every perfect subtree
     * entirely below `low` is an opaque hash (never opened), and every other node is the hash of its
     * children. Asked only for subtrees inside the tree, it never does more than a few dozen hashes.
     */
    function syntheticSource(low: bigint): { numbers: NodeSource; bigints: (level: bigint, index: bigint) => string } {
      const hash = (text: string) => createHash('sha256').update(text).digest('hex');
      const node = (level: bigint, index: bigint): string => {
        const end = (index + 1n) << level;
        if (level === 0n) return hash(`leaf ${index}`);
        if (end <= low) return hash(`opaque ${level} ${index}`);
        return hashChildren(node(level - 1n, index * 2n), node(level - 1n, index * 2n + 1n));
      };
      return { numbers: { node: async (level, index) => node(BigInt(level), BigInt(index)) }, bigints: node };
    }

    function largestPowerBelow(n: bigint): bigint {
      let k = 1n;
      while (k * 2n < n) k *= 2n;
      return k;
    }

    /** MTH, PATH and PROOF literally from RFC 9162 section 2.1, in BigInt. */
    function reference(node: (level: bigint, index: bigint) => string) {
      const mth = (start: bigint, size: bigint): string => {
        if ((size & (size - 1n)) === 0n) {
          let level = 0n;
          while (1n << level < size) level += 1n;
          return node(level, start >> level);
        }
        const k = largestPowerBelow(size);
        return hashChildren(mth(start, k), mth(start + k, size - k));
      };
      const pathOf = (m: bigint, start: bigint, size: bigint): string[] => {
        if (size === 1n) return [];
        const k = largestPowerBelow(size);
        return m < k ? [...pathOf(m, start, k), mth(start + k, size - k)] : [...pathOf(m - k, start + k, size - k), mth(start, k)];
      };
      const subproof = (m: bigint, start: bigint, size: bigint, b: boolean): string[] => {
        if (m === size) return b ? [] : [mth(start, size)];
        const k = largestPowerBelow(size);
        return m <= k ? [...subproof(m, start, k, b), mth(start + k, size - k)] : [...subproof(m - k, start + k, size - k, false), mth(start, k)];
      };
      const verify = (index: bigint, size: bigint, leaf: string, auditPath: string[], root: string): boolean => {
        if (index >= size) return false;
        let fn = index;
        let sn = size - 1n;
        let r = leaf;
        for (const p of auditPath) {
          if (sn === 0n) return false;
          if ((fn & 1n) === 1n || fn === sn) {
            r = hashChildren(p, r);
            while ((fn & 1n) === 0n && fn !== 0n) {
              fn >>= 1n;
              sn >>= 1n;
            }
          } else {
            r = hashChildren(r, p);
          }
          fn >>= 1n;
          sn >>= 1n;
        }
        return sn === 0n && r === root;
      };
      return { mth, path: (m: bigint, n: bigint) => pathOf(m, 0n, n), proof: (m: bigint, n: bigint) => subproof(m, 0n, n, true), verify };
    }

    for (const [exponent, indexOffset, sizeOffset, firstOffset] of [
      [31, 5, 9, 3],
      [32, 2 ** 31 + 7, 2 ** 31 + 11, 2 ** 31 + 1],
      [52, 3, 7, 1],
    ] as const) {
      const base = 2 ** exponent;
      const index = base + indexOffset;
      const treeSize = base + sizeOffset;
      const first = base + firstOffset;
      // Below this leaf every perfect subtree is opaque; above it, at most a few dozen leaves are hashed.
      const low = base + Math.floor(Math.min(indexOffset, firstOffset) / 16) * 16;

      it(`index 2^${exponent} + ${indexOffset} in a tree of 2^${exponent} + ${sizeOffset}: the same path, root and proofs as a BigInt reference`, async () => {
        expect(Number.isSafeInteger(treeSize)).to.equal(true);
        const { numbers, bigints } = syntheticSource(BigInt(low));
        const ref = reference(bigints);
        const root = await treeRoot(numbers, treeSize);
        expect(root).to.equal(ref.mth(0n, BigInt(treeSize)));

        const auditPath = await inclusionPath(numbers, index, treeSize);
        expect(auditPath).to.deep.equal(ref.path(BigInt(index), BigInt(treeSize)));
        const leaf = await numbers.node(0, index);
        expect(ref.verify(BigInt(index), BigInt(treeSize), leaf, auditPath, root)).to.equal(true);
        verifyInclusion({ index, treeSize, leafHash: leaf, auditPath, rootHash: root });
        // What 32-bit arithmetic would have read: the low bits of the index, or of the size.
        expectAuditInvalid(() => verifyInclusion({ index: index % 2 ** 31, treeSize, leafHash: leaf, auditPath, rootHash: root }), 'index truncated to 31 bits');
        expectAuditInvalid(() => verifyInclusion({ index: index + 2, treeSize, leafHash: leaf, auditPath, rootHash: root }), 'neighbour index');
        expect(ref.verify(BigInt(index + 2), BigInt(treeSize), leaf, auditPath, root)).to.equal(false);

        const firstRoot = await treeRoot(numbers, first);
        expect(firstRoot).to.equal(ref.mth(0n, BigInt(first)));
        const proof = await consistencyProof(numbers, first, treeSize);
        expect(proof).to.deep.equal(ref.proof(BigInt(first), BigInt(treeSize)));
        verifyConsistency({ first, second: treeSize, firstHash: firstRoot, secondHash: root, proof });
        expectAuditInvalid(() => verifyConsistency({ first: first - 1, second: treeSize, firstHash: firstRoot, secondHash: root, proof }), 'first - 1');
      });
    }

    it('the trap this guards against is real: 32-bit shifts lose the high bits', () => {
      const index = 2 ** 31 + 5;
      expect(index >> 1).to.not.equal(Math.floor(index / 2));
    });
  });
});
