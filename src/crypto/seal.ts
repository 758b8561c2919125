/**
 * Sealing: encrypting a signed document to its reader. The gateway re-encrypts a partner's signed
 * message, unchanged, to the recipient (interface contract, section 5); the gateway's own messages
 * and a partner's `send` are signed inline (one-pass, RFC 9580 section 10.3) and encrypted, like
 * `gpg --sign --encrypt`. Either way the message is sealed to one key of its reader, the newest that
 * can encrypt now.
 */
import * as openpgp from 'openpgp';
import { Message } from 'openpgp';
import type { Config, PrivateKey, PublicKey } from 'openpgp';
import { GatewayError } from '../domain/errors.js';
import { fullConfig } from './config.js';
import { unusableKey } from './failures.js';
import { PARTNER_AUDIENCE, drainPackets, onePassSigned, splitSignedLiteral, type SignedParts } from './packets.js';
import { assertKeyPolicy } from './policy.js';

/**
 * Re-encrypts the sender's signed message, unchanged, to the recipient (spec section 5), to the newest
 * of the recipient's keys that can encrypt now (see {@link newestEncryptionKey}). Returns armored
 * text. The packets are written back in one-pass order (src/crypto/packets.ts onePassSigned).
 */
export async function sealForRecipient(opts: { signedMessage: Uint8Array; recipientKeys: PublicKey[] }): Promise<string> {
  if (opts.recipientKeys.length === 0) {
    throw new GatewayError('internal', 'No recipient key was given to seal the message; check the recipient entry of the trust configuration.');
  }
  for (const key of opts.recipientKeys) assertKeyPolicy(key, "the recipient's registered keys");
  const config = fullConfig({ maxDocumentBytes: opts.signedMessage.length });
  const recipientKey = await newestEncryptionKey(opts.recipientKeys, new Date(), config);
  let parts: SignedParts;
  try {
    const message = await openpgp.readMessage({ binaryMessage: opts.signedMessage, config });
    parts = splitSignedLiteral(await drainPackets(message.packets), PARTNER_AUDIENCE);
  } catch (err) {
    throw new GatewayError('internal', 'The stored signed message is not a one-pass signed literal; it cannot be delivered as is.', { cause: err });
  }
  try {
    return await openpgp.encrypt({ message: new Message(onePassSigned(parts)), encryptionKeys: recipientKey, format: 'armored', config });
  } catch (err) {
    throw unusableKey('The recipient key cannot be used for encryption', err);
  }
}

/**
 * The newest key (by creation time of the primary key) that has an encryption (sub)key valid now.
 * One key, not all of them: a message sealed to every key of a partner would stay readable with a
 * retired key for as long as its secret survives somewhere; sealed to the newest only, the partner
 * can destroy an old secret key once the messages sealed for it are consumed. Throws
 * 'recipient_not_allowed' when no key of the recipient can encrypt (all expired or revoked).
 */
export async function newestEncryptionKey(keys: readonly PublicKey[], now: Date, config: Config = fullConfig({ maxDocumentBytes: 0 })): Promise<PublicKey> {
  const newestFirst = [...keys].sort((a, b) => b.getCreationTime().getTime() - a.getCreationTime().getTime());
  for (const key of newestFirst) {
    if (await key.isRevoked(undefined, undefined, now, config).catch(() => true)) continue;
    try {
      await key.getEncryptionKey(undefined, now, undefined, config);
      return key;
    } catch {
      // Expired, revoked subkey, no encryption-capable subkey: try the next older key.
    }
  }
  throw new GatewayError('recipient_not_allowed', 'The recipient has no OpenPGP key that can encrypt now (every registered key expired or was revoked); the message cannot be delivered. The recipient must publish a current key to the gateway operator.');
}

/**
 * Partner side (CLI `send`) and the gateway's own messages: sign inline (one-pass) and encrypt, like
 * `gpg --sign --encrypt`, to the newest of `encryptionKeys` that can encrypt now (a partner holding the
 * gateway's current and previous keys seals to the current one).
 */
export async function signAndEncrypt(opts: {
  document: Uint8Array;
  signingKey: PrivateKey;
  encryptionKeys: PublicKey[];
  armor: boolean;
}): Promise<Uint8Array | string> {
  const config = fullConfig({ maxDocumentBytes: opts.document.length });
  const message = await openpgp.createMessage({ binary: opts.document });
  const encryptionKeys = await newestEncryptionKey(opts.encryptionKeys, new Date(), config);
  try {
    if (opts.armor) {
      return await openpgp.encrypt({ message, signingKeys: opts.signingKey, encryptionKeys, format: 'armored', config });
    }
    return await openpgp.encrypt({ message, signingKeys: opts.signingKey, encryptionKeys, format: 'binary', config });
  } catch (err) {
    throw unusableKey('The signing key or the encryption key cannot be used', err);
  }
}
