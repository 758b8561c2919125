/**
 * Sealing: encrypting a signed document to its reader. The gateway delivers a partner's signed
 * message, unchanged, to the recipient (docs/interface.md, section 5): the sender's own ciphertext
 * behind a session-key packet for the recipient (src/crypto/forward.ts), or re-encrypted. The
 * gateway's own messages and a partner's `send` are signed inline (one-pass, RFC 9580 section 10.3)
 * and encrypted, like `gpg --sign --encrypt`. Either way the message is sealed to one key of its
 * reader, the newest that can encrypt now.
 */
import { createHash } from 'node:crypto';
import * as openpgp from 'openpgp';
import { Message } from 'openpgp';
import type { Config, PrivateKey, PublicKey } from 'openpgp';
import { GatewayError } from '../domain/errors.js';
import { fullConfig } from './config.js';
import { unusableKey } from './failures.js';
import { forwardSentCiphertext, type SentCiphertext } from './forward.js';
import { assertDeliverableTo } from './intended-recipients.js';
import { PARTNER_AUDIENCE, drainPackets, onePassSigned, splitSignedLiteral, type SignedParts } from './packets.js';
import { assertKeyPolicy } from './policy.js';

/**
 * The sender's signed message, unchanged, for the recipient (spec section 5), sealed to the newest of
 * the recipient's keys that can encrypt now (see {@link newestEncryptionKey}). Returns armored text.
 *
 * With `sent` (a partner's message as the gateway opened it), the sender's own ciphertext behind a new
 * session-key packet for the recipient (src/crypto/forward.ts), when it can be forwarded as sent;
 * otherwise the signed message re-encrypted, its packets written back in one-pass order
 * (src/crypto/packets.ts onePassSigned). Either way the recipient verifies the same signature over the
 * same bytes.
 *
 * Throws 'signature_invalid' when the signature names intended recipients (RFC 9580 section
 * 5.2.3.36) and not the key it is sealed to (src/crypto/intended-recipients.ts).
 */
export async function sealForRecipient(opts: { signedMessage: Uint8Array; recipientKeys: PublicKey[]; sent?: SentCiphertext }): Promise<string> {
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
  assertDeliverableTo(parts.signature, recipientKey);
  try {
    if (opts.sent !== undefined) {
      const forwarded = await forwardSentCiphertext({ sent: opts.sent, signedMessage: opts.signedMessage, recipientKey, config });
      if (forwarded !== undefined) return forwarded;
    }
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
 * The gateway's own messages: signed inline (one-pass signature, literal data, signature; RFC 9580
 * section 5.4), not encrypted, so that they can be sealed for their recipient now or, when it has no
 * usable key yet, kept (encrypted at rest by the store) and sealed once it has one (sealForRecipient).
 */
/**
 * A JSON document of the gateway's own, serialised and signed inline in one step: with the worker pool
 * the serialisation of a large document (a referral's dossier: a person's whole history) runs beside
 * the signature, off the gateway's main thread. Returns the exact signed bytes' SHA-256 too.
 */
export async function signJson(opts: { value: unknown; signingKey: PrivateKey }): Promise<{ signedMessage: Uint8Array; payloadSha256: string }> {
  const document = new TextEncoder().encode(JSON.stringify(opts.value));
  return { signedMessage: await signInline({ document, signingKey: opts.signingKey }), payloadSha256: createHash('sha256').update(document).digest('hex') };
}

export async function signInline(opts: { document: Uint8Array; signingKey: PrivateKey }): Promise<Uint8Array> {
  const config = fullConfig({ maxDocumentBytes: opts.document.length });
  const message = await openpgp.createMessage({ binary: opts.document });
  try {
    return await openpgp.sign({ message, signingKeys: opts.signingKey, format: 'binary', config });
  } catch (err) {
    throw unusableKey('The signing key cannot be used', err);
  }
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
