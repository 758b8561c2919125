/**
 * One public-key encrypted session key packet (PKESK version 3, RFC 9580 section 5.1) for a recipient's
 * key: the session key of a partner's message wrapped again, for forwarding (src/crypto/forward.ts).
 *
 * For the keys the exchange uses (version 4, ECDH on Curve25519Legacy, RFC 9580 section 11.5), the
 * packet is made with node's own X25519, SHA-2 and AES key wrap: one ephemeral key pair and one
 * agreement, about a tenth of a millisecond. openpgp.encryptSessionKey does the same through WebCrypto,
 * importing every key for every call and checking the recipient key's signatures again each time:
 * about 2.5 ms of CPU per message, as much as opening it. Any other key (RSA, NIST curves, X25519 of
 * RFC 9580, version 6) is wrapped by openpgp.
 */
import { createCipheriv, createHash, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import * as openpgp from 'openpgp';
import { enums } from 'openpgp';
import type { Config, PublicKey, Subkey } from 'openpgp';
import { choiceEnds, stillChosen, type KeyChoice } from './key-selection.js';

/** The curve OID of Curve25519Legacy (RFC 9580 section 9.2) as written in key packets: length, then the OID's bytes. */
const CURVE25519_LEGACY_OID = Uint8Array.of(0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01);
/** Section 11.5: the prefix of a native (little-endian) point on Curve25519Legacy. */
const NATIVE_POINT_PREFIX = 0x40;
const ANONYMOUS_SENDER = new TextEncoder().encode('Anonymous Sender    ');
/** RFC 3394 section 2.2.3.1: the default initial value of AES key wrap. */
export const AES_KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
const KDF_HASHES: Partial<Record<number, string>> = { [enums.hash.sha256]: 'sha256', [enums.hash.sha384]: 'sha384', [enums.hash.sha512]: 'sha512' };
const KEY_WRAPS: Partial<Record<number, { name: string; bytes: number }>> = {
  [enums.symmetric.aes128]: { name: 'id-aes128-wrap', bytes: 16 },
  [enums.symmetric.aes192]: { name: 'id-aes192-wrap', bytes: 24 },
  [enums.symmetric.aes256]: { name: 'id-aes256-wrap', bytes: 32 },
};

interface NativeRecipient {
  keyId: Uint8Array;
  /** The recipient's X25519 public key, for node. */
  publicKey: KeyObject;
  parameters: Curve25519LegacyParameters;
}

/** The recipient's encryption subkey openpgp chose (src/crypto/key-selection.ts), in node's form when it has one. */
interface Chosen extends KeyChoice {
  native: NativeRecipient | undefined;
}

/** Per key object: the trust store gives a new object for a new or revoked key, so a replaced key is chosen again. */
const chosen = new WeakMap<PublicKey, Chosen>();

async function choose(recipientKey: PublicKey, config: Config, now: number): Promise<Chosen> {
  const cached = chosen.get(recipientKey);
  if (stillChosen(cached, now)) return cached;
  const subkey = await recipientKey.getEncryptionKey(undefined, new Date(now), undefined, config);
  const entry: Chosen = { native: nativeRecipient(subkey), checkedAt: now, until: await choiceEnds(recipientKey, subkey, config, now) };
  chosen.set(recipientKey, entry);
  return entry;
}

/** What section 11.5's KDF and key wrap take from a version 4 ECDH Curve25519Legacy key, for node. */
export interface Curve25519LegacyParameters {
  /** The native point (without its 0x40 prefix). */
  point: Uint8Array;
  /** Section 11.5's `param` of the KDF, fixed per key: OID, algorithm, KDF parameters, "Anonymous Sender", fingerprint. */
  kdfParam: Uint8Array;
  kdfHash: string;
  wrap: { name: string; bytes: number };
}

/** The parameters of a version 4 ECDH Curve25519Legacy key packet; undefined for any other key. */
export function curve25519LegacyParameters(keyPacket: unknown, fingerprintHex: string): Curve25519LegacyParameters | undefined {
  const packet = keyPacket as {
    version: number;
    algorithm: number;
    publicParams: { oid?: { write(): Uint8Array }; Q?: Uint8Array; kdfParams?: { hash: number; cipher: number; write(): Uint8Array } };
  };
  if (packet.version !== 4 || packet.algorithm !== enums.publicKey.ecdh) return undefined;
  const { oid, Q, kdfParams } = packet.publicParams;
  if (oid === undefined || Q === undefined || kdfParams === undefined) return undefined;
  if (!Buffer.from(oid.write()).equals(CURVE25519_LEGACY_OID) || Q.length !== 33 || Q[0] !== NATIVE_POINT_PREFIX) return undefined;
  const kdfHash = KDF_HASHES[kdfParams.hash];
  const wrap = KEY_WRAPS[kdfParams.cipher];
  if (kdfHash === undefined || wrap === undefined) return undefined;
  const kdfParam = Buffer.concat([CURVE25519_LEGACY_OID, Uint8Array.of(enums.publicKey.ecdh), kdfParams.write(), ANONYMOUS_SENDER, Buffer.from(fingerprintHex, 'hex')]);
  return { point: Q.subarray(1), kdfParam, kdfHash, wrap };
}

/** Section 11.5: KEK = the first octets of Hash(00 00 00 01 || shared point || param). */
export function keyEncryptionKey(parameters: Curve25519LegacyParameters, shared: Uint8Array): Buffer {
  return createHash(parameters.kdfHash).update(Uint8Array.of(0, 0, 0, 1)).update(shared).update(parameters.kdfParam).digest().subarray(0, parameters.wrap.bytes);
}

/** Section 5.1.3: the two-octet checksum of a session key, the sum of its octets modulo 65536. */
export function sessionKeyChecksum(sessionKey: Uint8Array): number {
  let checksum = 0;
  for (const byte of sessionKey) checksum = (checksum + byte) & 0xffff;
  return checksum;
}

function nativeRecipient(subkey: Subkey | PublicKey): NativeRecipient | undefined {
  const parameters = curve25519LegacyParameters(subkey.keyPacket, subkey.getFingerprint());
  if (parameters === undefined) return undefined;
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(parameters.point).toString('base64url') }, format: 'jwk' });
  return { keyId: Buffer.from(subkey.getKeyID().toHex(), 'hex'), publicKey, parameters };
}

/**
 * The bytes of one PKESK packet (tag 1, new format) that wraps `sessionKey` for `recipientKey`'s
 * encryption key valid now, as openpgp.encryptSessionKey would choose it.
 */
export async function wrapSessionKey(opts: { recipientKey: PublicKey; sessionKey: Uint8Array; algorithm: enums.symmetric; config: Config; now?: number }): Promise<Uint8Array> {
  const { native } = await choose(opts.recipientKey, opts.config, opts.now ?? Date.now());
  if (native === undefined) {
    const wrapped = await openpgp.encryptSessionKey({
      data: opts.sessionKey,
      algorithm: enums.read(enums.symmetric, opts.algorithm) as enums.symmetricNames,
      encryptionKeys: opts.recipientKey,
      format: 'object',
      config: opts.config,
    });
    return wrapped.packets.write();
  }
  return nativePacket(native, opts.sessionKey, opts.algorithm);
}

function nativePacket(recipient: NativeRecipient, sessionKey: Uint8Array, algorithm: enums.symmetric): Uint8Array {
  // Section 11.5: an ephemeral key pair, the shared point, then KEK = Hash(00 00 00 01 || S || param).
  const ephemeral = generateKeyPairSync('x25519');
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient.publicKey });
  const kek = keyEncryptionKey(recipient.parameters, shared);
  // Section 5.1.3: the cipher octet, the key and its two-octet checksum, padded as PKCS #5 does to 8 octets, then AES key wrap (RFC 3394).
  const checksum = sessionKeyChecksum(sessionKey);
  const unpadded = Buffer.concat([Uint8Array.of(algorithm), sessionKey, Uint8Array.of(checksum >> 8, checksum & 0xff)]);
  const pad = 8 - (unpadded.length % 8);
  const padded = Buffer.concat([unpadded, Buffer.alloc(pad, pad)]);
  const wrapper = createCipheriv(recipient.parameters.wrap.name, kek, AES_KW_IV);
  const wrapped = Buffer.concat([wrapper.update(padded), wrapper.final()]);
  const rawPoint = (ephemeral.publicKey.export({ format: 'jwk' }) as { x: string }).x;
  const point = Buffer.concat([Uint8Array.of(NATIVE_POINT_PREFIX), Buffer.from(rawPoint, 'base64url')]);
  // The point as an MPI (section 3.2): its bit count, 7 bits of the 0x40 prefix and 256 of the point.
  const mpiBits = (point.length - 1) * 8 + 7;
  const body = Buffer.concat([
    Uint8Array.of(3),
    recipient.keyId,
    Uint8Array.of(enums.publicKey.ecdh),
    Uint8Array.of(mpiBits >> 8, mpiBits & 0xff),
    point,
    Uint8Array.of(wrapped.length),
    wrapped,
  ]);
  return Buffer.concat([packetHeader(enums.packet.publicKeyEncryptedSessionKey, body.length), body]);
}

/** A new-format packet header (RFC 9580 section 4.2.1) with a one-, two- or five-octet length. */
export function packetHeader(tag: number, length: number): Uint8Array {
  const ctb = 0xc0 | tag;
  if (length < 192) return Uint8Array.of(ctb, length);
  if (length < 8384) return Uint8Array.of(ctb, ((length - 192) >> 8) + 192, (length - 192) & 0xff);
  return Uint8Array.of(ctb, 0xff, (length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
}
