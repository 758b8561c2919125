/**
 * openpgp's failures in words for people. openpgp throws plain errors whose messages name key IDs and
 * algorithms, never content; these turn them into the reason a partner or an operator can act on.
 */
import { GatewayError } from '../domain/errors.js';

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The messages of an error and its causes, for matching openpgp's reasons wherever they sit in the chain. */
export function errorChainText(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    parts.push(errorMessage(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' | ');
}

/** A reason for a person, from openpgp's verification error (which names no content, only key IDs). */
export function describeVerificationFailure(err: unknown): string {
  const text = errorChainText(err);
  if (/expired/i.test(text)) return 'the signing key or the signature is expired';
  if (/revoked/i.test(text)) return 'the signing key is revoked';
  if (/creation time is in the future|Key is newer than the signature/i.test(text)) return 'the signature is dated in the future or before its key was created (check the clock of the signing system)';
  if (/insecure|weak|too short|considered too/i.test(text)) return 'the signing key or hash algorithm is refused by the crypto policy';
  if (/Could not find valid signing key|key flags/i.test(text)) return 'the key used is not a valid signing key';
  if (/digest did not match|verification failed/i.test(text)) return 'it does not match the document (the document was altered or signed with another key)';
  return 'it is not a valid signature of the document';
}

/** An operator-facing refusal: a configured key (expired, revoked, without the needed capability) failed in use. */
export function unusableKey(what: string, err: unknown): GatewayError {
  return new GatewayError('config_invalid', `${what} (${errorMessage(err)}); check that the trust configuration holds current, valid keys.`, { cause: err });
}
