/**
 * Detached signatures (RFC 9580 section 10.4), armored: the gateway's receipts (docs/interface.md,
 * section 4) and audit checkpoints (section 6), and partners' cosignatures of those checkpoints. Each
 * is checkable with GnuPG alone (`gpg --verify sig data`).
 */
import * as openpgp from 'openpgp';
import { SignaturePacket, enums } from 'openpgp';
import type { PrivateKey, PublicKey, Signature } from 'openpgp';
import { GatewayError } from '../domain/errors.js';
import { fullConfig } from './config.js';
import { describeVerificationFailure, unusableKey } from './failures.js';
import { fastDetachedSignature } from './fast-signature.js';
import { assertSignatureHash } from './policy.js';
import { verifyExactlyOne } from './verification.js';

/**
 * Detached armored signature over `data`, binary signature type (0x00). With an EdDSALegacy key (the
 * gateway's) it is made by node:crypto (src/crypto/fast-signature.ts), otherwise by openpgp.
 */
export async function signDetached(opts: { data: Uint8Array; signingKey: PrivateKey }): Promise<string> {
  const fast = await fastDetachedSignature(opts.data, opts.signingKey);
  if (fast !== undefined) return fast;
  const config = fullConfig({ maxDocumentBytes: opts.data.length });
  const message = await openpgp.createMessage({ binary: opts.data });
  try {
    return await openpgp.sign({ message, signingKeys: opts.signingKey, detached: true, format: 'armored', config });
  } catch (err) {
    throw unusableKey('The signing key cannot be used', err);
  }
}

/**
 * Throws GatewayError('receipt_invalid', ...) if the armored detached signature is not a valid signature
 * over data by one of verificationKeys.
 *
 * openpgp judges the signing key at the signature's creation time: that is what receipts and
 * checkpoints need (one signed before the gateway's key rotation verifies with the previous key, even
 * once it expired), as long as the caller passes no revoked key (readPublicKeys drops them). With
 * `signerValidNow`, the key must also be valid now: for signatures made just now (cosignatures), so
 * that an expired key cannot sign with a back-dated signature.
 */
export async function verifyDetached(opts: { data: Uint8Array; signature: string; verificationKeys: PublicKey[]; signerValidNow?: boolean }): Promise<void> {
  const config = fullConfig({ maxDocumentBytes: opts.data.length });
  let signature: Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature: opts.signature, config });
  } catch (err) {
    throw new GatewayError('receipt_invalid', 'The receipt is not an armored OpenPGP signature; use the receipt exactly as the gateway returned it.', { cause: err });
  }
  const packets = signature.packets.filter((packet): packet is SignaturePacket => packet instanceof SignaturePacket);
  if (packets.length !== 1 || signature.packets.length !== 1) {
    throw new GatewayError('receipt_invalid', `The receipt carries ${signature.packets.length} signature packets instead of one; use the receipt exactly as the gateway returned it.`);
  }
  const packet = packets[0]!;
  if (packet.signatureType !== enums.signature.binary) {
    throw new GatewayError('receipt_invalid', 'The receipt is not a signature over binary data; use the receipt exactly as the gateway returned it.');
  }
  assertSignatureHash(packet.hashAlgorithm, 'receipt_invalid', 'a receipt must be signed with SHA-256 or stronger.');
  if (!opts.verificationKeys.some((key) => key.getKeys(packet.issuerKeyID).length > 0)) {
    throw new GatewayError('receipt_invalid', `The receipt was signed by key ID ${packet.issuerKeyID.toHex()}, which is not the gateway key you trust (current or previous, not revoked); check that you hold the gateway's published keys (gateway/openpgp.asc: current and previous).`);
  }
  try {
    const message = await openpgp.createMessage({ binary: opts.data });
    await verifyExactlyOne({ message, signature, verificationKeys: opts.verificationKeys, config });
    if (opts.signerValidNow) {
      const signer = opts.verificationKeys.find((key) => key.getKeys(packet.issuerKeyID).length > 0)!;
      await signer.getSigningKey(packet.issuerKeyID, new Date(), undefined, config);
    }
  } catch (err) {
    throw new GatewayError('receipt_invalid', `The receipt does not verify: ${describeVerificationFailure(err)}; the receipt or the answer it covers was altered.`, { cause: err });
  }
}
