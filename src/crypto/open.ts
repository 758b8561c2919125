/**
 * Opening a signed document: decrypt (when encrypted) and verify that exactly one valid signature, by
 * one of the sender's registered keys, covers the document.
 *
 * Wire format (docs/interface.md, section 3): the document as a literal data packet, signed inline by
 * its sender (one-pass signature, RFC 9580 section 10.3), encrypted with integrity protection. The
 * gateway opens it (steps 2 and 3 of section 3) and keeps the sender's signed message unchanged, to
 * re-encrypt it to the recipient (src/crypto/seal.ts), so that the recipient verifies the sender's own
 * signature (section 5).
 *
 * Every call uses the hardened configuration (src/crypto/config.ts); the packet structure is checked
 * by src/crypto/packets.ts before any signature is verified.
 */
import * as openpgp from 'openpgp';
import { Message, enums } from 'openpgp';
import type { AnyPacket, Config, DecryptedSessionKey, Key, PrivateKey, PublicKey, SessionKey, Subkey } from 'openpgp';
import { GatewayError } from '../domain/errors.js';
import { sameBytes } from './bytes.js';
import { fullConfig } from './config.js';
import { describeVerificationFailure, errorChainText } from './failures.js';
import { holdCiphertext, sentCiphertextOf, type SentCiphertext } from './forward.js';
import { unwrapSessionKeys } from './session-key-unwrap.js';
import { assertReceivedAs } from './intended-recipients.js';
import {
  PARTNER_AUDIENCE,
  RECIPIENT_AUDIENCE,
  assertEncryptedEnvelope,
  contentPackets,
  literalBytes,
  onePassSigned,
  splitSignedLiteral,
  type Audience,
  type SignedParts,
} from './packets.js';
import { assertCipher, assertSignatureHash, keyAlgorithmViolation } from './policy.js';
import { assertFewPackets, assertSessionKeyPackets, type SessionKeyReaders } from './session-keys.js';
import { CLOCK_SKEW_MS, verifyExactlyOne } from './verification.js';

export interface OpenedMessage {
  /** The signed document bytes (literal data), exactly as the sender signed them. */
  document: Uint8Array;
  /** The unencrypted signed OpenPGP message (one-pass signature + literal data + signature packets, binary), to re-encrypt for the recipient unchanged. */
  signedMessage: Uint8Array;
  /** Fingerprint (lower-case hex) of the key (or subkey's primary) that made the signature. */
  signerFingerprint: string;
  /**
   * A partner's message only: the sender's encrypted data packet and its session key, to deliver the
   * sender's own ciphertext to the recipient (src/crypto/forward.ts). Absent when the packet is not
   * SEIPD version 1; the signed message is then re-encrypted.
   */
  sent?: SentCiphertext;
}

/** A verified document and who signed it, when the signed message itself is not needed again. */
export type SignedDocument = Pick<OpenedMessage, 'document' | 'signerFingerprint'>;

/**
 * Gateway side, steps 2 and 3 of spec section 3. Accepts armored or binary input.
 *
 * Throws GatewayError 'malformed_message' when the message is not OpenPGP, garbage or truncated, not
 * encrypted to the gateway key, encrypted with a passphrase only, without integrity protection (SED
 * packet), with an obsolete cipher, not a one-pass signed literal (clear-signed, detached, old-style
 * signature), or when the document decompresses to more than maxDocumentBytes.
 *
 * Throws 'signature_invalid' when the message carries no signature (an unsigned literal is a
 * well-formed message whose signature check fails), several signatures, a signature by a key that is
 * not among senderKeys, a bad signature, a refused hash (SHA-1 …), a signing key under policy, or an
 * expired or revoked signing key.
 */
export async function openFromPartner(opts: {
  message: Uint8Array;
  /**
   * The gateway's decryption keys: every unrevoked gateway key during a rotation, since partners seal
   * to the key they hold. A single key is accepted too.
   */
  decryptionKey: PrivateKey | readonly PrivateKey[];
  senderKeys: PublicKey[];
  maxDocumentBytes: number;
  /**
   * The other keys the message may also be encrypted to (src/crypto/session-keys.ts): the gateway's
   * published keys and every registered partner's, the final recipient's among them. The sender's keys
   * count too. A session-key packet for any other key is refused before decryption.
   */
  knownKeys?: readonly PublicKey[];
}): Promise<OpenedMessage> {
  const decryptionKeys = Array.isArray(opts.decryptionKey) ? [...opts.decryptionKey] : [opts.decryptionKey as PrivateKey];
  const readers: SessionKeyReaders = { decryptionKeys, otherKeys: [...opts.senderKeys, ...(opts.knownKeys ?? [])] };
  return openSignedAndEncrypted(opts.message, decryptionKeys, opts.senderKeys, opts.maxDocumentBytes, PARTNER_AUDIENCE, readers);
}

/**
 * Recipient side (CLI `consume`): decrypt with the recipient's key and verify that exactly one valid
 * signature by one of senderKeys covers the document. Same error codes as {@link openFromPartner};
 * 'signature_invalid' also when the signature names intended recipients and not this key (RFC 9580
 * section 5.2.3.36, as Sequoia checks it).
 */
export async function openDelivered(opts: {
  message: string | Uint8Array;
  decryptionKey: PrivateKey;
  senderKeys: PublicKey[];
  maxDocumentBytes: number;
}): Promise<SignedDocument> {
  const bytes = typeof opts.message === 'string' ? new TextEncoder().encode(opts.message) : opts.message;
  const opened = await openSignedAndEncrypted(bytes, [opts.decryptionKey], opts.senderKeys, opts.maxDocumentBytes, RECIPIENT_AUDIENCE);
  return { document: opened.document, signerFingerprint: opened.signerFingerprint };
}

/**
 * A signed message that travels inside another one (the documents of a dossier) or that the gateway
 * kept (an orientation read back): not encrypted, the one-pass signed literal exactly as its sender
 * made it. Verifies that exactly one valid signature by one of senderKeys covers the document. Same
 * error codes as {@link openFromPartner}.
 */
export async function openSigned(opts: {
  signedMessage: Uint8Array;
  senderKeys: PublicKey[];
  maxDocumentBytes: number;
  /**
   * When the gateway accepted the document, for a document it kept: the signature is then judged as of
   * its own time, as the gateway judged it when it accepted it. A key that expired since, or that its
   * owner retired or superseded since (a soft revocation, RFC 9580 section 5.2.3.31), still verifies
   * it; a key revoked as compromised, or without a reason, does not. Pass every key of the sender's
   * ring, revoked ones included, for openpgp to weigh each revocation's reason.
   */
  acceptedAt?: Date;
}): Promise<SignedDocument> {
  const config = fullConfig({ maxDocumentBytes: opts.maxDocumentBytes });
  let packets: AnyPacket[];
  try {
    const message = await openpgp.readMessage({ binaryMessage: opts.signedMessage, config });
    packets = await contentPackets(message.packets);
  } catch (err) {
    throw new GatewayError('malformed_message', 'The signed document is not a well-formed OpenPGP message (truncated or altered).', { cause: err });
  }
  const parts = splitSignedLiteral(packets, RECIPIENT_AUDIENCE);
  const document = literalBytes(parts.literal);
  if (document.length > opts.maxDocumentBytes) {
    throw new GatewayError('malformed_message', `The signed document is ${document.length} bytes, over the limit of ${opts.maxDocumentBytes} bytes.`);
  }
  const signerFingerprint = await verifyOneSignature(parts, document, opts.senderKeys, config, RECIPIENT_AUDIENCE, opts.acceptedAt);
  return { document, signerFingerprint };
}

/**
 * The document of a signed message the gateway kept, read without verifying its signature again: for
 * what the gateway reads of its own store to decide what to disclose (which documents of a dossier a
 * recipient may receive), where the store already guarantees the bytes are those it verified at
 * acceptance (AES-GCM under the person's data key). Anything disclosed is disclosed signed, and its
 * recipient verifies it.
 */
export async function readKept(opts: { signedMessage: Uint8Array; maxDocumentBytes: number }): Promise<Uint8Array> {
  const config = fullConfig({ maxDocumentBytes: opts.maxDocumentBytes });
  let packets: AnyPacket[];
  try {
    packets = await contentPackets((await openpgp.readMessage({ binaryMessage: opts.signedMessage, config })).packets);
  } catch (err) {
    throw new GatewayError('malformed_message', 'A kept document is not a well-formed OpenPGP message (truncated or altered).', { cause: err });
  }
  return literalBytes(splitSignedLiteral(packets, RECIPIENT_AUDIENCE).literal);
}

async function openSignedAndEncrypted(
  bytes: Uint8Array,
  decryptionKeys: PrivateKey[],
  senderKeys: PublicKey[],
  maxDocumentBytes: number,
  audience: Audience,
  /** Whose keys the session-key packets may name; the gateway's opening of a partner's message checks them. */
  readers?: SessionKeyReaders,
): Promise<OpenedMessage> {
  const config = fullConfig({ maxDocumentBytes });
  if (readers !== undefined) assertFewPackets(bytes, audience);
  const message = await parseMessage(bytes, config);
  const encrypted = assertEncryptedEnvelope(message, audience);
  if (readers !== undefined) assertSessionKeyPackets(message, readers, audience);

  let sessionKeys: DecryptedSessionKey[];
  try {
    sessionKeys = (await unwrapSessionKeys(message, decryptionKeys, config)) ?? (await openpgp.decryptSessionKeys({ message, decryptionKeys, config }));
  } catch (err) {
    // openpgp does not implement IDEA (and other retired ciphers): the session key decrypts, its
    // cipher is unknown. Say so, rather than blame the key the message was encrypted to.
    if (/Unsupported cipher/i.test(errorChainText(err))) {
      throw new GatewayError('malformed_message', 'The message is encrypted with an obsolete cipher the gateway does not implement (such as IDEA); encrypt it with AES-256 (GnuPG default, or gpg --cipher-algo AES256).', { cause: err });
    }
    throw new GatewayError('malformed_message', `The message cannot be decrypted: it is not encrypted to ${audience.decryptionKey}; encrypt it to that key and send it again.`, { cause: err });
  }
  const packetCipher = (encrypted as unknown as { cipherAlgorithm?: number | null }).cipherAlgorithm;
  for (const sessionKey of sessionKeys) {
    assertCipher(packetCipher ?? (sessionKey.algorithm === null ? null : enums.symmetric[sessionKey.algorithm]));
  }
  // Held before decryption, which lets go of the ciphertext.
  const held = audience === PARTNER_AUDIENCE ? holdCiphertext(encrypted) : undefined;

  let inner: AnyPacket[];
  let sent: SentCiphertext | undefined;
  try {
    // Message#decrypt is the first half of openpgp.decrypt; the second half (openpgp.verify below,
    // expectSigned) runs on the full packet list, which openpgp.decrypt does not expose and which is
    // needed to count the signatures and to keep the trailing signature packet (notes, fact 3).
    const decrypted = await message.decrypt(undefined, undefined, sessionKeys as SessionKey[], undefined, config);
    inner = await contentPackets(decrypted.packets);
    sent = sentCiphertextOf(held, sessionKeys);
  } catch (err) {
    if (/maximum decompressed (message )?size exceeded/i.test(errorChainText(err))) {
      throw new GatewayError('malformed_message', `The signed document decompresses to more than ${maxDocumentBytes} bytes, the limit; send a smaller document.`, { cause: err });
    }
    throw new GatewayError('malformed_message', 'The message could not be decrypted: it is truncated, altered or not a well-formed OpenPGP message; send it again as produced by gpg --sign --encrypt.', { cause: err });
  }

  const parts = splitSignedLiteral(inner, audience);
  const document = literalBytes(parts.literal);
  if (document.length > maxDocumentBytes) {
    throw new GatewayError('malformed_message', `The signed document is ${document.length} bytes, over the limit of ${maxDocumentBytes} bytes; send a smaller document.`);
  }
  const signerFingerprint = await verifyOneSignature(parts, document, senderKeys, config, audience);
  if (audience === RECIPIENT_AUDIENCE) assertReceivedAs(parts.signature, decryptionKeys[0]!);
  return { document, signedMessage: onePassSigned(parts).write(), signerFingerprint, ...(sent === undefined ? {} : { sent }) };
}

async function parseMessage(bytes: Uint8Array, config: Config): Promise<Message<Uint8Array | string>> {
  const armorType = armorHeader(bytes);
  try {
    if (armorType === undefined) {
      return await openpgp.readMessage({ binaryMessage: bytes, config });
    }
    if (armorType === 'SIGNED MESSAGE') {
      throw new GatewayError('malformed_message', 'The message is clear-signed, which the gateway does not accept; sign and encrypt the document with gpg --sign --encrypt.');
    }
    if (armorType !== 'MESSAGE') {
      throw new GatewayError('malformed_message', `The body is an armored OpenPGP ${armorType.toLowerCase()}, not a message; send the output of gpg --sign --encrypt.`);
    }
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return await openpgp.readMessage({ armoredMessage: text, config });
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw new GatewayError('malformed_message', 'The body is not a well-formed OpenPGP message (garbage, truncated or corrupt); send the output of gpg --sign --encrypt, armored or binary.', { cause: err });
  }
}

/** The type of the first armor header line ("MESSAGE", "SIGNED MESSAGE" …, RFC 9580 section 6.2), or undefined for binary input. */
function armorHeader(bytes: Uint8Array): string | undefined {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 256)).trimStart();
  const match = /^-----BEGIN PGP ([A-Z ,/0-9]+)-----/.exec(head);
  if (match) return match[1]!;
  return head.startsWith('-----BEGIN') ? 'UNKNOWN ARMOR' : undefined;
}

/**
 * Step 3 of section 3: the one signature is valid, by a key of the sending partner, and meets the
 * policy. Returns the fingerprint of the primary key that holds the signing (sub)key.
 */
async function verifyOneSignature(
  parts: SignedParts,
  document: Uint8Array,
  senderKeys: PublicKey[],
  config: Config,
  audience: Audience,
  /** For a kept document, when the gateway accepted it (see openSigned); now for a new message. */
  acceptedAt?: Date,
): Promise<string> {
  const { signature } = parts;
  if (signature.signatureType !== enums.signature.binary && signature.signatureType !== enums.signature.text) {
    throw new GatewayError('signature_invalid', `The signature is not a document signature (binary or text); ${audience.signWith}.`);
  }
  assertSignatureHash(signature.hashAlgorithm, 'signature_invalid', 'sign with SHA-256 or stronger (gpg --digest-algo SHA256).');
  if (senderKeys.length === 0) {
    throw new GatewayError('signature_invalid', `The sender has no valid OpenPGP key registered (every key expired or was revoked), so no signature can be accepted; the sender must publish a current key to the gateway operator.`);
  }
  const signerKey = senderKeys.find((key) => key.getKeys(signature.issuerKeyID).length > 0);
  if (signerKey === undefined) {
    throw new GatewayError('signature_invalid', `The signature was made by key ID ${signature.issuerKeyID.toHex()}, which is not registered for the sender (or was revoked); ${audience.signWith}.`);
  }
  const signingKey = signerKey.getKeys(signature.issuerKeyID)[0]!;
  const violation = keyAlgorithmViolation(signingKey as Key | Subkey);
  if (violation !== undefined) {
    throw new GatewayError('signature_invalid', `The signing key is refused by the crypto policy: ${violation}.`);
  }

  try {
    const result = await verifyExactlyOne({ message: new Message(onePassSigned(parts)), verificationKeys: senderKeys, config });
    // The bytes handed on must be the bytes verified, not merely bytes next to a valid signature
    // (the CVE-2025-47934 class: a second literal that openpgp and the gateway would read differently).
    if (!sameBytes(result.data, document)) {
      throw new GatewayError('signature_invalid', 'the signature covers other bytes than the document read from the literal data packet');
    }
    if (acceptedAt === undefined) {
      // openpgp judges the key at the signature's creation time, which the signer chooses: a key that
      // has expired (or was revoked) since must not sign new messages with a back-dated signature.
      await signerKey.getSigningKey(signature.issuerKeyID, new Date(), undefined, config);
    } else if (signature.created === null || signature.created.getTime() > acceptedAt.getTime() + CLOCK_SKEW_MS) {
      // A kept document's signature predates its acceptance: the gateway's own time bounds the date the signer chose.
      throw new GatewayError('signature_invalid', 'the signature is dated after the gateway accepted the document');
    }
  } catch (err) {
    throw new GatewayError('signature_invalid', `The signature does not verify: ${describeVerificationFailure(err)}; ${audience.signWith}.`, { cause: err });
  }
  return signerKey.getFingerprint().toLowerCase();
}
