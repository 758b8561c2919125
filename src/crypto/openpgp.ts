/**
 * The OpenPGP adapter: the only module that calls openpgp for messages, receipts and keys.
 *
 * Wire format (interface contract, section 3): the document as a literal data packet, signed inline by
 * its sender (one-pass signature, RFC 9580 section 10.3), encrypted with integrity protection. The
 * gateway opens it (steps 2 and 3 of section 3) and forwards the sender's signed message unchanged,
 * re-encrypted to the recipient (section 5), so that the recipient verifies the sender's own signature.
 *
 * Every call uses {@link hardenedConfig}. Inputs are always whole byte arrays, never streams: the HTTP
 * edge already bounded the body, and openpgp then checks integrity (MDC or AEAD) before any packet of
 * the plaintext is parsed.
 */
import * as openpgp from 'openpgp';
import {
  CompressedDataPacket,
  LiteralDataPacket,
  Message,
  OnePassSignaturePacket,
  PacketList,
  SignaturePacket,
  SymEncryptedIntegrityProtectedDataPacket,
  SymEncryptedSessionKeyPacket,
  SymmetricallyEncryptedDataPacket,
  PublicKeyEncryptedSessionKeyPacket,
  AEADEncryptedDataPacket,
  enums,
} from 'openpgp';
import type { AnyPacket, Config, DecryptedSessionKey, Key, PartialConfig, PrivateKey, PublicKey, Subkey } from 'openpgp';
import { GatewayError } from '../domain/errors.js';
import type { RingKey } from './key-ring.js';
import {
  ACCEPTED_CIPHERS,
  MIN_RSA_BITS,
  REFUSED_HASH_ALGORITHMS,
  assertCipher,
  assertKeyPolicy,
  assertSignatureHash,
  keyAlgorithmViolation,
} from './policy.js';

/**
 * Room for the packet framing around the document once decompressed (one-pass signature, literal
 * header, signature packets), so that a document of exactly maxDocumentBytes still opens.
 */
const PACKET_OVERHEAD_BYTES = 64 * 1024;

/**
 * Signatures dated up to this far in the future are accepted, the same tolerance as for `sentAt`
 * (section 3, step 6): a partner's clock a little ahead must not turn into `signature_invalid`.
 */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Hardened openpgp config used by every call of this module. */
export function hardenedConfig(opts: { maxDocumentBytes: number }): PartialConfig {
  return {
    minRSABits: MIN_RSA_BITS,
    rejectHashAlgorithms: new Set(REFUSED_HASH_ALGORITHMS),
    rejectMessageHashAlgorithms: new Set(REFUSED_HASH_ALGORITHMS),
    rejectPublicKeyAlgorithms: new Set([enums.publicKey.elgamal, enums.publicKey.dsa]),
    rejectCurves: new Set([enums.curve.secp256k1]),
    // openpgp has no switch for obsolete ciphers: assertCipher refuses them after the session key is
    // decrypted. What the gateway writes is AES-256 (AES-128 only if a recipient's key lacks AES-256).
    preferredSymmetricAlgorithm: enums.symmetric.aes256,
    preferredHashAlgorithm: enums.hash.sha512,
    preferredCompressionAlgorithm: enums.compression.uncompressed,
    // SEIPDv2/AEAD only when every recipient key advertises it: GnuPG 2.2 reads neither SEIPDv2 nor
    // the LibrePGP OCB packet, so the gateway never forces it.
    aeadProtect: false,
    v6Keys: false,
    allowUnauthenticatedMessages: false,
    allowUnauthenticatedStream: false,
    allowInsecureDecryptionWithSigningKeys: false,
    allowInsecureVerificationWithReformattedKeys: false,
    allowMissingKeyFlags: false,
    enforceGrammar: true,
    ignoreMalformedPackets: false,
    // PKCS#1 v1.5 padding oracles (Bleichenbacher) on an RSA gateway key: decrypt in constant time,
    // and only for the ciphers the policy accepts anyway.
    constantTimePKCS1Decryption: true,
    constantTimePKCS1DecryptionSupportedSymmetricAlgorithms: new Set(ACCEPTED_CIPHERS),
    // Compression bombs: decompression stops as soon as this many bytes came out (openpgp >= 6.3.0).
    maxDecompressedMessageSize: opts.maxDocumentBytes + PACKET_OVERHEAD_BYTES,
    showVersion: false,
    showComment: false,
  };
}

function fullConfig(opts: { maxDocumentBytes: number }): Config {
  return { ...openpgp.config, ...hardenedConfig(opts) };
}

export interface OpenedMessage {
  /** The signed document bytes (literal data), exactly as the sender signed them. */
  document: Uint8Array;
  /** The unencrypted signed OpenPGP message (one-pass signature + literal data + signature packets, binary), to re-encrypt for the recipient unchanged. */
  signedMessage: Uint8Array;
  /** Fingerprint (lower-case hex) of the key (or subkey's primary) that made the signature. */
  signerFingerprint: string;
}

/** Who holds the decryption key, to word refusals for the person who can fix them. */
interface Audience {
  /** Whose key the message must be encrypted to, as the reader of the refusal calls it. */
  decryptionKey: string;
  /** What the sender must do to sign correctly. */
  signWith: string;
}

const PARTNER_AUDIENCE: Audience = {
  decryptionKey: "the gateway's current public key",
  signWith: 'sign it once, inline (gpg --sign --encrypt), with the key registered for your organisation',
};

const RECIPIENT_AUDIENCE: Audience = {
  decryptionKey: 'your registered key',
  signWith: 'ask the gateway operator to check the sender key registered in the trust configuration',
};

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
}): Promise<OpenedMessage> {
  const decryptionKeys = Array.isArray(opts.decryptionKey) ? [...opts.decryptionKey] : [opts.decryptionKey as PrivateKey];
  return openSignedAndEncrypted(opts.message, decryptionKeys, opts.senderKeys, opts.maxDocumentBytes, PARTNER_AUDIENCE);
}

/**
 * Recipient side (CLI `consume`): decrypt with the recipient's key and verify that exactly one valid
 * signature by one of senderKeys covers the document. Same error codes as {@link openFromPartner}.
 */
export async function openDelivered(opts: {
  message: string | Uint8Array;
  decryptionKey: PrivateKey;
  senderKeys: PublicKey[];
  maxDocumentBytes: number;
}): Promise<{ document: Uint8Array; signerFingerprint: string }> {
  const bytes = typeof opts.message === 'string' ? new TextEncoder().encode(opts.message) : opts.message;
  const opened = await openSignedAndEncrypted(bytes, [opts.decryptionKey], opts.senderKeys, opts.maxDocumentBytes, RECIPIENT_AUDIENCE);
  return { document: opened.document, signerFingerprint: opened.signerFingerprint };
}

/**
 * A signed message that travels inside another one (the documents of a dossier): not encrypted, the
 * one-pass signed literal exactly as its sender made it. Verifies that exactly one valid signature by
 * one of senderKeys covers the document. Same error codes as {@link openFromPartner}.
 */
export async function openSigned(opts: {
  signedMessage: Uint8Array;
  senderKeys: PublicKey[];
  maxDocumentBytes: number;
}): Promise<{ document: Uint8Array; signerFingerprint: string }> {
  const config = fullConfig({ maxDocumentBytes: opts.maxDocumentBytes });
  let packets: AnyPacket[];
  try {
    const message = await openpgp.readMessage({ binaryMessage: opts.signedMessage, config });
    packets = await drainPackets(message.packets);
    if (packets.length === 1 && packets[0] instanceof CompressedDataPacket) {
      packets = await drainPackets((packets[0] as unknown as { packets: PacketList<AnyPacket> }).packets);
    }
  } catch (err) {
    throw new GatewayError('malformed_message', 'The signed document is not a well-formed OpenPGP message (truncated or altered).', { cause: err });
  }
  const parts = splitSignedLiteral(packets, RECIPIENT_AUDIENCE);
  const document = literalBytes(parts.literal);
  if (document.length > opts.maxDocumentBytes) {
    throw new GatewayError('malformed_message', `The signed document is ${document.length} bytes, over the limit of ${opts.maxDocumentBytes} bytes.`);
  }
  const signerFingerprint = await verifyOneSignature(parts, document, opts.senderKeys, config, RECIPIENT_AUDIENCE);
  return { document, signerFingerprint };
}

/**
 * Re-encrypts the sender's signed message, unchanged, to the recipient (spec section 5), to the newest
 * of the recipient's keys that can encrypt now (see {@link newestEncryptionKey}). Returns
 * armored text. The packets are written back in one-pass order (one-pass signature, literal data,
 * signature): re-encrypting openpgp's decrypted message object would silently drop the trailing
 * signature, and `appendSignature` yields a form GnuPG 2.2 refuses (openpgp-notes, fact 3).
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
  const packets = new PacketList<AnyPacket>();
  packets.push(onePassFor(parts.signature), parts.literal, parts.signature);
  try {
    return await openpgp.encrypt({ message: new Message(packets), encryptionKeys: recipientKey, format: 'armored', config });
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

/** Detached armored signature (receipts, spec section 4). */
export async function signDetached(opts: { data: Uint8Array; signingKey: PrivateKey }): Promise<string> {
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
  let signature: openpgp.Signature;
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

/**
 * Parse armored public keys (one file may hold several keys, in one or several armored blocks: `gpg
 * --armor --export fpr1 fpr2`, or exports appended one after the other) with their validity. Revoked
 * and expired keys are returned, marked: what to do with them is the caller's decision (a partner
 * whose every key was revoked is refused message by message, not at start).
 */
export async function readKeyRing(opts: { armored: string; source: string }): Promise<RingKey<PublicKey>[]> {
  const config = fullConfig({ maxDocumentBytes: 0 });
  if (/-----BEGIN PGP PRIVATE KEY BLOCK-----/.test(opts.armored)) {
    throw new GatewayError('config_invalid', `${opts.source} holds a secret key where a public key is expected; replace it with the public key only (gpg --armor --export <fingerprint>).`);
  }
  const keys = await readArmoredKeys(opts.armored, opts.source, 'PUBLIC KEY BLOCK', config, 'export the key with gpg --armor --export <fingerprint>');
  const ring: RingKey<PublicKey>[] = [];
  for (const key of keys) {
    if (key.isPrivate()) {
      throw new GatewayError('config_invalid', `${opts.source} holds a secret key where a public key is expected; replace it with the public key only.`);
    }
    ring.push(await keyStatus(key as PublicKey, opts.source, config));
  }
  return ring;
}

/**
 * The keys of a file that may verify: every key not revoked (expired ones included, since receipts and
 * checkpoints are checked at the date they were signed). Throws when the file holds only revoked keys.
 */
export async function readPublicKeys(opts: { armored: string; source: string }): Promise<PublicKey[]> {
  const ring = await readKeyRing(opts);
  // File order, not newest first: the caller may rely on the order it wrote.
  const kept = ring.filter((entry) => !entry.revoked);
  if (kept.length === 0) {
    throw new GatewayError('config_invalid', `Every OpenPGP key in ${opts.source} is revoked (${ring.map((entry) => entry.fingerprint).join(', ')}); add the current public key of its owner.`);
  }
  return kept.map((entry) => entry.key);
}

/**
 * Parse armored, unprotected secret keys (the gateway's own, `gpg --armor --export-secret-keys fpr1
 * fpr2`), with their validity. Throws GatewayError('config_invalid') naming `source`.
 */
export async function readPrivateKeys(opts: { armored: string; source: string }): Promise<RingKey<PrivateKey>[]> {
  const config = fullConfig({ maxDocumentBytes: 0 });
  const keys = await readArmoredKeys(opts.armored, opts.source, 'PRIVATE KEY BLOCK', config, 'export it with gpg --armor --export-secret-keys <fingerprint>');
  const ring: RingKey<PrivateKey>[] = [];
  for (const key of keys) {
    if (!key.isPrivate()) {
      throw new GatewayError('config_invalid', `${opts.source} holds the public key ${key.getFingerprint()} where secret keys are expected; export the secret key with gpg --armor --export-secret-keys <fingerprint>.`);
    }
    if (!key.isDecrypted()) {
      throw new GatewayError('config_invalid', `The secret key ${key.getFingerprint()} in ${opts.source} is protected by a passphrase, which the gateway cannot enter; store it unprotected, readable by the gateway account only.`);
    }
    ring.push(await keyStatus(key, opts.source, config));
  }
  return ring;
}

/** Parse one armored, unprotected secret key (the first of the file). Throws GatewayError('config_invalid') naming `source`. */
export async function readPrivateKey(opts: { armored: string; source: string }): Promise<PrivateKey> {
  const config = fullConfig({ maxDocumentBytes: 0 });
  let key: PrivateKey;
  try {
    key = await openpgp.readPrivateKey({ armoredKey: opts.armored, config });
  } catch (err) {
    throw new GatewayError('config_invalid', `${opts.source} does not hold a readable armored OpenPGP secret key (${errorMessage(err)}); export it with gpg --armor --export-secret-keys <fingerprint>.`, { cause: err });
  }
  if (!key.isDecrypted()) {
    throw new GatewayError('config_invalid', `The secret key in ${opts.source} is protected by a passphrase, which the gateway cannot enter; store it unprotected, readable by the gateway account only.`);
  }
  const status = await keyStatus(key, opts.source, config);
  if (status.revoked) {
    throw new GatewayError('config_invalid', `The OpenPGP key ${status.fingerprint} in ${opts.source} is revoked; replace it with a current, valid key.`);
  }
  return key;
}

/** A key as its binary packets (secret material included for a secret key), to hand it to a crypto worker thread (src/crypto/worker-pool.ts). */
export function keyBytes(key: Key): Uint8Array {
  return key.write();
}

/**
 * Reads a key written by {@link keyBytes} in a crypto worker thread. The key was checked when the
 * gateway read it from its file; this only rebuilds the same object on the worker's side.
 */
export async function readKeyBytes(bytes: Uint8Array, secret: boolean): Promise<Key> {
  const config = fullConfig({ maxDocumentBytes: 0 });
  return secret ? openpgp.readPrivateKey({ binaryKey: bytes, config }) : openpgp.readKey({ binaryKey: bytes, config });
}

/** How many keys one file may hold: a party rotating keeps two or three; more is a mistake (or an attempt to make every load slow). */
export const MAX_KEYS_PER_FILE = 16;

async function readArmoredKeys(armored: string, source: string, type: 'PUBLIC KEY BLOCK' | 'PRIVATE KEY BLOCK', config: Config, howToExport: string): Promise<Key[]> {
  const blocks = armoredBlocks(armored, type);
  if (blocks.length === 0) {
    throw new GatewayError('config_invalid', `${source} holds no armored OpenPGP ${type.toLowerCase()}; ${howToExport}.`);
  }
  const keys: Key[] = [];
  for (const block of blocks) {
    try {
      // readKeys for both: openpgp.readPrivateKeys silently drops a public key found among secret ones.
      keys.push(...(await openpgp.readKeys({ armoredKeys: block, config })));
    } catch (err) {
      throw new GatewayError('config_invalid', `${source} holds an OpenPGP key that cannot be read (${errorMessage(err)}); ${howToExport}.`, { cause: err });
    }
  }
  if (keys.length > MAX_KEYS_PER_FILE) {
    throw new GatewayError('config_invalid', `${source} holds ${keys.length} OpenPGP keys, more than the limit of ${MAX_KEYS_PER_FILE}; keep the current key and the previous ones still in use only.`);
  }
  const fingerprints = keys.map((key) => key.getFingerprint());
  const repeated = fingerprints.find((fingerprint, index) => fingerprints.indexOf(fingerprint) !== index);
  if (repeated !== undefined) {
    throw new GatewayError('config_invalid', `${source} holds the OpenPGP key ${repeated} twice; keep one copy (gpg --armor --export exports each key once).`);
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------------
// Opening a message

interface SignedParts {
  literal: LiteralDataPacket;
  signature: SignaturePacket;
}

async function openSignedAndEncrypted(
  bytes: Uint8Array,
  decryptionKeys: PrivateKey[],
  senderKeys: PublicKey[],
  maxDocumentBytes: number,
  audience: Audience,
): Promise<OpenedMessage> {
  const config = fullConfig({ maxDocumentBytes });
  const message = await parseMessage(bytes, config);
  const encrypted = assertEncryptedEnvelope(message, audience);

  let sessionKeys: DecryptedSessionKey[];
  try {
    sessionKeys = await openpgp.decryptSessionKeys({ message, decryptionKeys, config });
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

  let inner: AnyPacket[];
  try {
    // Message#decrypt is the first half of openpgp.decrypt; the second half (openpgp.verify below,
    // expectSigned) runs on the full packet list, which openpgp.decrypt does not expose and which is
    // needed to count the signatures and to keep the trailing signature packet (notes, fact 3).
    const decrypted = await message.decrypt(undefined, undefined, sessionKeys as openpgp.SessionKey[], undefined, config);
    inner = await drainPackets(decrypted.packets);
    if (inner.length === 1 && inner[0] instanceof CompressedDataPacket) {
      inner = await drainPackets((inner[0] as unknown as { packets: PacketList<AnyPacket> }).packets);
    }
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

  const signedPackets = new PacketList<AnyPacket>();
  signedPackets.push(onePassFor(parts.signature), parts.literal, parts.signature);
  return { document, signedMessage: signedPackets.write(), signerFingerprint };
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

/** The type of the first armor header line ("MESSAGE", "SIGNED MESSAGE" …), or undefined for binary input. */
function armorHeader(bytes: Uint8Array): string | undefined {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 256)).trimStart();
  const match = /^-----BEGIN PGP ([A-Z ,/0-9]+)-----/.exec(head);
  if (match) return match[1]!;
  return head.startsWith('-----BEGIN') ? 'UNKNOWN ARMOR' : undefined;
}

/**
 * Checks the outer packets before any secret-key operation: public-key encrypted session key(s) and
 * one integrity-protected encrypted data packet.
 */
function assertEncryptedEnvelope(message: Message<Uint8Array | string>, audience: Audience): AnyPacket {
  const packets = [...message.packets];
  if (packets.some((packet) => packet instanceof SymmetricallyEncryptedDataPacket)) {
    throw new GatewayError('malformed_message', 'The message has no integrity protection (Symmetrically Encrypted Data packet, RFC 4880 section 5.7); encrypt it with a current OpenPGP tool, without --rfc2440 or --disable-mdc.');
  }
  const encrypted = packets.filter(
    (packet) => packet instanceof SymEncryptedIntegrityProtectedDataPacket || packet instanceof AEADEncryptedDataPacket,
  );
  if (encrypted.length === 0) {
    throw new GatewayError('malformed_message', 'The message is not encrypted (signed only, a detached signature or a key); sign and encrypt it with gpg --sign --encrypt.');
  }
  if (!packets.some((packet) => packet instanceof PublicKeyEncryptedSessionKeyPacket)) {
    if (packets.some((packet) => packet instanceof SymEncryptedSessionKeyPacket)) {
      throw new GatewayError('malformed_message', `The message is encrypted with a passphrase only; encrypt it to ${audience.decryptionKey} instead.`);
    }
    throw new GatewayError('malformed_message', `The message carries no encrypted session key; encrypt it to ${audience.decryptionKey}.`);
  }
  return encrypted[0]!;
}

/**
 * The decrypted content must be exactly a one-pass signed literal (RFC 9580 section 10.3):
 * one-pass signature, literal data, signature. Anything else is refused before verification.
 */
function splitSignedLiteral(packets: AnyPacket[], audience: Audience): SignedParts {
  const literals = packets.filter((packet): packet is LiteralDataPacket => packet instanceof LiteralDataPacket);
  const signatures = packets.filter((packet): packet is SignaturePacket => packet instanceof SignaturePacket);
  const onePass = packets.filter((packet): packet is OnePassSignaturePacket => packet instanceof OnePassSignaturePacket);
  if (literals.length !== 1 || literals.length + signatures.length + onePass.length !== packets.length) {
    throw new GatewayError('malformed_message', 'The decrypted message is not a signed document (one literal data packet with its signature); send the output of gpg --sign --encrypt.');
  }
  if (signatures.length === 0) {
    throw new GatewayError('signature_invalid', `The message carries no signature; ${audience.signWith}.`);
  }
  if (signatures.length > 1) {
    throw new GatewayError('signature_invalid', `The message carries ${signatures.length} signatures; ${audience.signWith}.`);
  }
  const literalIndex = packets.indexOf(literals[0]!);
  if (onePass.length !== 1 || packets[0] !== onePass[0] || literalIndex !== 1 || packets[2] !== signatures[0]) {
    throw new GatewayError('malformed_message', 'The signature is not in one-pass form (one-pass signature, document, signature); sign and encrypt with gpg --sign --encrypt.');
  }
  const ops = onePass[0] as unknown as { issuerKeyID: openpgp.KeyID; hashAlgorithm: number; signatureType: number };
  const signature = signatures[0]!;
  if (!ops.issuerKeyID.equals(signature.issuerKeyID) || ops.hashAlgorithm !== signature.hashAlgorithm || ops.signatureType !== signature.signatureType) {
    throw new GatewayError('malformed_message', 'The one-pass signature header does not match the signature that follows the document; sign and encrypt again with gpg --sign --encrypt.');
  }
  return { literal: literals[0]!, signature };
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

  const packets = new PacketList<AnyPacket>();
  packets.push(onePassFor(signature), parts.literal, signature);
  try {
    const result = await verifyExactlyOne({ message: new Message(packets), verificationKeys: senderKeys, config });
    if (!equalBytes(result.data, document)) throw new Error('verified data differs from the literal data');
    // openpgp judges the key at the signature's creation time, which the signer chooses: a key that
    // has expired (or was revoked) since must not sign new messages with a back-dated signature.
    await signerKey.getSigningKey(signature.issuerKeyID, new Date(), undefined, config);
  } catch (err) {
    throw new GatewayError('signature_invalid', `The signature does not verify: ${describeVerificationFailure(err)}; ${audience.signWith}.`, { cause: err });
  }
  return signerKey.getFingerprint().toLowerCase();
}

// ---------------------------------------------------------------------------------------------------
// Keys

/**
 * The key must meet the algorithm policy and have a valid self-signature under the hardened config
 * (which refuses SHA-1 self-signatures). An expired key is checked as it was just before it expired,
 * and a revoked key is marked, not refused: expiry and revocation are the normal end of a key, and
 * refusing them here would stop the whole gateway at its next start (or reload); what the key may
 * still do is decided per use (src/crypto/key-ring.ts).
 */
async function keyStatus<K extends PublicKey | PrivateKey>(key: K, source: string, config: Config): Promise<RingKey<K>> {
  assertKeyPolicy(key, source);
  const fingerprint = key.getFingerprint().toLowerCase();
  const now = new Date();
  let expires: Date | undefined;
  try {
    const expiration = await key.getExpirationTime(undefined, config);
    if (expiration instanceof Date) expires = expiration;
  } catch {
    // No valid self-signature: verifyPrimaryKey below says why.
  }
  const checkAt = expires !== undefined && expires.getTime() <= now.getTime() ? new Date(expires.getTime() - 1000) : now;
  // Revocation signatures are checked at `now`: openpgp's date argument would ignore those made later.
  const revoked = await key.isRevoked(undefined, undefined, now, config).catch(() => false);
  try {
    await key.verifyPrimaryKey(checkAt, undefined, config);
  } catch (err) {
    if (!revoked) {
      throw new GatewayError('config_invalid', `The OpenPGP key ${key.getFingerprint()} in ${source} is not usable (${errorMessage(err)}); replace it with a current, valid key.`, { cause: err });
    }
  }
  return Object.freeze({ key, fingerprint, created: key.getCreationTime(), expires, revoked });
}

function armoredBlocks(text: string, type: string): string[] {
  const pattern = new RegExp(`-----BEGIN PGP ${type}-----[\\s\\S]*?-----END PGP ${type}-----`, 'g');
  return text.match(pattern) ?? [];
}

// ---------------------------------------------------------------------------------------------------
// Packets

/**
 * All packets of a list, including those openpgp leaves in the list's internal stream after the first
 * data packet (the trailing signature packets of a one-pass signed message).
 */
async function drainPackets(list: PacketList<AnyPacket>): Promise<AnyPacket[]> {
  const packets: AnyPacket[] = [...list];
  const stream = (list as unknown as { stream?: { getReader(): { read(): Promise<{ done: boolean; value?: AnyPacket }> } } | null }).stream;
  if (stream) {
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value !== undefined) packets.push(value);
    }
  }
  return packets;
}

/** The one-pass signature header announcing `signature` (RFC 9580 section 5.4), flagged as the last one. */
function onePassFor(signature: SignaturePacket): OnePassSignaturePacket {
  const factory = OnePassSignaturePacket as unknown as {
    fromSignaturePacket(signature: SignaturePacket, isLast: boolean): OnePassSignaturePacket;
  };
  return factory.fromSignaturePacket(signature, true);
}

function literalBytes(literal: LiteralDataPacket): Uint8Array {
  const bytes = (literal as unknown as { getBytes(clone?: boolean): unknown }).getBytes(true);
  if (!(bytes instanceof Uint8Array)) {
    throw new GatewayError('internal', 'The literal data was not fully read; this is a defect of the gateway.');
  }
  return bytes;
}

/**
 * openpgp.verify with expectSigned, then every signature's `verified` awaited: without expectSigned a
 * bad signature does not throw, and one valid signature among several would satisfy it, so the
 * count is checked too.
 */
async function verifyExactlyOne(opts: {
  message: Message<Uint8Array>;
  signature?: openpgp.Signature;
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
  if (result.signatures.length !== 1) throw new Error('unexpected number of verification results');
  for (const entry of result.signatures) await entry.verified;
  return result;
}

function verificationDate(): Date {
  return new Date(Date.now() + CLOCK_SKEW_MS);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A reason for a person, from openpgp's verification error (which names no content, only key IDs). */
function describeVerificationFailure(err: unknown): string {
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
function unusableKey(what: string, err: unknown): GatewayError {
  return new GatewayError('config_invalid', `${what} (${errorMessage(err)}); check that the trust configuration holds current, valid keys.`, { cause: err });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errorChainText(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    parts.push(errorMessage(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' | ');
}
