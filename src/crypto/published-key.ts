/**
 * The key a party publishes for senders: the one the gateway seals that party's messages to (the newest
 * registered key that can encrypt now, src/crypto/seal.ts), armored (RFC 9580 section 6.2). Senders
 * that encrypt to it as well as to the gateway have their signature name the key the recipient
 * decrypts with (intended recipients, src/crypto/intended-recipients.ts).
 */
import type { PublicKey } from 'openpgp';
import { GatewayError } from '../domain/errors.js';
import { fullConfig } from './config.js';
import { newestEncryptionKey } from './seal.js';

/** The armored public key, or undefined when none of `keys` can encrypt now. */
export async function publishedEncryptionKey(keys: readonly PublicKey[], now: Date): Promise<string | undefined> {
  if (keys.length === 0) return undefined;
  const config = fullConfig({ maxDocumentBytes: 0 });
  try {
    return (await newestEncryptionKey(keys, now, config)).armor(config);
  } catch (err) {
    if (err instanceof GatewayError && err.code === 'recipient_not_allowed') return undefined;
    throw err;
  }
}
