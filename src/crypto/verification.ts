/**
 * The one way the gateway asks openpgp whether a signature verifies, for inline (one-pass) and detached
 * signatures alike: exactly one signature, every result awaited, judged a little ahead of now for
 * clock skew.
 */
import * as openpgp from 'openpgp';
import type { Config, Message, PublicKey, Signature } from 'openpgp';
import { GatewayError } from '../domain/errors.js';

/**
 * Signatures dated up to this far in the future are accepted, the same tolerance as for `sentAt`
 * (section 3, step 6): a partner's clock a little ahead must not turn into `signature_invalid`.
 */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * openpgp.verify with expectSigned, then every signature's `verified` awaited: without expectSigned a
 * bad signature does not throw, and one valid signature among several would satisfy it, so the
 * count is checked too. The callers have already counted the signature packets, so another count here
 * is a defect; they word every failure for their own reader.
 */
export async function verifyExactlyOne(opts: {
  message: Message<Uint8Array>;
  signature?: Signature;
  verificationKeys: PublicKey[];
  config: Config;
}): Promise<{ data: Uint8Array }> {
  const result = await openpgp.verify({
    message: opts.message,
    ...(opts.signature ? { signature: opts.signature } : {}),
    verificationKeys: opts.verificationKeys,
    expectSigned: true,
    format: 'binary',
    date: verificationDate(),
    config: opts.config,
  });
  if (result.signatures.length !== 1) {
    throw new GatewayError('internal', `openpgp reported ${result.signatures.length} verification results for one signature packet; this is a defect of the gateway.`);
  }
  for (const entry of result.signatures) await entry.verified;
  return result;
}

function verificationDate(): Date {
  return new Date(Date.now() + CLOCK_SKEW_MS);
}
