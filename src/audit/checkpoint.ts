/**
 * Checkpoints of the audit log (docs/interface.md, section 6): the gateway commits to the tree of
 * `treeSize` entries by signing `{treeSize, rootHash, timestamp}`. The signed bytes are the RFC 8785
 * canonical JSON of exactly those three fields, so anyone can rebuild them (jq -cj) and check the
 * detached OpenPGP signature with GnuPG alone. Partners may cosign the same bytes with their own key:
 * a gateway that showed two histories would then need two contradicting checkpoints signed by
 * parties who compare them.
 *
 * No I/O: signing and verification are computations on keys the caller passes in, by the crypto
 * service the caller passes in. The gateway passes its worker pool. The auditor's offline verifier
 * (`passerelle audit verify`, src/audit/verify.ts) and the tests use INLINE_CRYPTO, the default: it
 * verifies on the calling thread and loads no worker code, so checking a checkpoint needs nothing of
 * the gateway but its published keys.
 */
import canonicalize from 'canonicalize';
import type { PrivateKey, PublicKey } from '../crypto/keys.js';
import { INLINE_CRYPTO, type GatewayCrypto } from '../crypto/service.js';
import { GatewayError, isGatewayError, type ProblemCode } from '../domain/errors.js';

export interface Checkpoint {
  treeSize: number;
  rootHash: string;
  /** When the gateway signed, RFC 3339 UTC. */
  timestamp: string;
}

export interface SignedCheckpoint extends Checkpoint {
  /** Armored detached OpenPGP signature by the gateway key over checkpointBytes(). */
  signature: string;
}

export interface Cosignature {
  partner: string;
  /** Armored detached OpenPGP signature by the partner's registered key over checkpointBytes(). */
  signature: string;
  /** When the gateway received and verified it. */
  signedAt: string;
}

export interface PublishedCheckpoint extends SignedCheckpoint {
  cosignatures: Cosignature[];
}

const HASH = /^[0-9a-f]{64}$/;

/** The exact bytes the gateway and cosigners sign: canonical JSON of the three fields, nothing else. */
export function checkpointBytes(checkpoint: Checkpoint): Uint8Array {
  const { treeSize, rootHash, timestamp } = checkpoint;
  return new TextEncoder().encode(canonicalize({ treeSize, rootHash, timestamp })!);
}

export async function signCheckpoint(checkpoint: Checkpoint, gatewayKey: PrivateKey, crypto: Pick<GatewayCrypto, 'signDetached'> = INLINE_CRYPTO): Promise<SignedCheckpoint> {
  const { treeSize, rootHash, timestamp } = checkpoint;
  return { treeSize, rootHash, timestamp, signature: await crypto.signDetached({ data: checkpointBytes(checkpoint), signingKey: gatewayKey }) };
}

/**
 * Checks the shape of a checkpoint that came from the wire or a file, then its signature. Throws
 * GatewayError('audit_invalid') unless it is signed by one of `gatewayKeys` (the gateway's published
 * set, gateway/openpgp.asc: current and previous keys), by a key that was valid when it signed, so
 * that checkpoints signed before a rotation still verify; revoked keys must not be passed
 * (readPublicKeys drops them).
 */
export async function verifyCheckpoint(checkpoint: unknown, gatewayKeys: PublicKey[], crypto: Pick<GatewayCrypto, 'verifyDetached'> = INLINE_CRYPTO): Promise<SignedCheckpoint> {
  const candidate = (checkpoint ?? {}) as Partial<SignedCheckpoint>;
  const { treeSize, rootHash, timestamp, signature } = candidate;
  if (
    !Number.isSafeInteger(treeSize) || (treeSize as number) < 0 ||
    typeof rootHash !== 'string' || !HASH.test(rootHash) ||
    typeof timestamp !== 'string' || Number.isNaN(Date.parse(timestamp)) ||
    typeof signature !== 'string'
  ) {
    throw new GatewayError('audit_invalid', 'The checkpoint is not {treeSize, rootHash, timestamp, signature} with a whole tree size, a lower-case hex SHA-256 root and an RFC 3339 timestamp; use the checkpoint exactly as the gateway returned it.');
  }
  const signed: SignedCheckpoint = { treeSize: treeSize as number, rootHash, timestamp, signature };
  await verifySignatureOver(crypto, signed, signature, gatewayKeys, {
    code: 'audit_invalid',
    detail: `The signature of the checkpoint of ${signed.treeSize} entries is not a valid signature by a gateway key you trust over its canonical bytes: the checkpoint was altered, or is signed by another (or a revoked) key. Check that you hold the gateway's published keys (gateway/openpgp.asc: current and previous).`,
  });
  return signed;
}

/**
 * Throws GatewayError('signature_invalid') unless `signature` is a detached signature by one of the
 * partner's registered keys over the checkpoint's canonical bytes.
 */
export async function verifyCosignature(checkpoint: Checkpoint, signature: string, partnerKeys: PublicKey[], crypto: Pick<GatewayCrypto, 'verifyDetached'>): Promise<void> {
  if (partnerKeys.length === 0) {
    throw new GatewayError('signature_invalid', 'Your organisation has no registered OpenPGP key, so its cosignature cannot be checked. Ask the operator to register your public key.');
  }
  // Made just now, so the partner's key must be valid now, not merely at the date the signer wrote.
  await verifySignatureOver(crypto, checkpoint, signature, partnerKeys, {
    signerValidNow: true,
    code: 'signature_invalid',
    detail: `The cosignature is not a valid detached signature by your registered key over the canonical JSON of {treeSize, rootHash, timestamp} of the checkpoint of ${checkpoint.treeSize} entries. Sign exactly those bytes (jq -cj '{rootHash, timestamp, treeSize}') with your registered key.`,
  });
}

/** verifyDetached speaks of receipts; a checkpoint's signer needs its own words (and code). */
async function verifySignatureOver(
  crypto: Pick<GatewayCrypto, 'verifyDetached'>,
  checkpoint: Checkpoint,
  signature: string,
  keys: PublicKey[],
  refusal: { code: ProblemCode; detail: string; signerValidNow?: boolean },
): Promise<void> {
  try {
    await crypto.verifyDetached({ data: checkpointBytes(checkpoint), signature, verificationKeys: keys, signerValidNow: refusal.signerValidNow ?? false });
  } catch (err) {
    if (!isGatewayError(err, 'receipt_invalid')) throw err;
    throw new GatewayError(refusal.code, refusal.detail, { cause: err });
  }
}
