/**
 * Detached signatures by an EdDSALegacy key (the gateway's key type: src/crypto/key-generation.ts),
 * made with node:crypto's Ed25519 on a cached KeyObject instead of openpgp.sign, which costs ~1.5 ms
 * of CPU per receipt (a WebCrypto key import on every call, the key's validity checks, streams,
 * armor) where the Ed25519 operation itself is ~50 µs.
 *
 * The output is the signature openpgp.sign writes for the same key and configuration, byte for byte
 * apart from the creation time, the salt and the signature value: a version 4 signature packet (RFC
 * 9580 section 5.2.3) of type 0x00 with the hashed subpackets creation time, issuer key ID, openpgp's
 * salt notation and issuer fingerprint, no unhashed subpacket, the hash computed as section 5.2.4 says
 * and R and S as MPIs (section 5.2.3.3), armored with a CRC-24 (section 6.1) as openpgp armors it.
 *
 * openpgp stays the judge of the key: it selects the signing key and signs a probe, and the probe must
 * come out identical to what this module writes for the same creation time and salt, or every
 * signature by that key goes through openpgp.sign (as do keys of any other type: RSA, ECDSA, the RFC
 * 9580 Ed25519 algorithm, version 6 keys, protected secret keys). A key whose selection fails (expired,
 * revoked, not yet valid) goes through openpgp.sign too, which refuses it with its own reason.
 */
import { createHash, createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import * as openpgp from 'openpgp';
import { enums, SignaturePacket } from 'openpgp';
import type { PrivateKey, Subkey } from 'openpgp';
import { sameBytes } from './bytes.js';
import { fullConfig } from './config.js';
import { choiceEnds, RESELECT_AFTER_MS, stillChosen, type KeyChoice } from './key-selection.js';

/** openpgp's salt notation (config.nonDeterministicSignaturesViaNotation): random bytes that keep EdDSA's deterministic nonce from repeating over equal data. */
const SALT_NOTATION = 'salt@notations.openpgpjs.org';
const SALT_NOTATION_NAME = new TextEncoder().encode(SALT_NOTATION);

/** Signature subpacket types (RFC 9580 section 5.2.3.7), which openpgp's typings do not export. */
const SUBPACKET = { creationTime: 2, issuerKeyID: 16, notationData: 20, issuerFingerprint: 33 } as const;

const NODE_HASHES: ReadonlyMap<enums.hash, string> = new Map([
  [enums.hash.sha256, 'sha256'],
  [enums.hash.sha384, 'sha384'],
  [enums.hash.sha512, 'sha512'],
  [enums.hash.sha3_256, 'sha3-256'],
  [enums.hash.sha3_512, 'sha3-512'],
]);

interface Ed25519Signer {
  privateKey: KeyObject;
  hashAlgorithm: enums.hash;
  nodeHash: string;
  keyID: Uint8Array;
  fingerprint: Uint8Array;
  saltLength: number;
}

/** The signing key, hash algorithm and probe openpgp chose (src/crypto/key-selection.ts). */
interface Selection extends KeyChoice {
  signer: Ed25519Signer | undefined;
}

const selections = new WeakMap<PrivateKey, Promise<Selection>>();
const keyObjects = new WeakMap<object, KeyObject>();

/**
 * The armored detached signature of `data` by `signingKey`, binary signature type (0x00); undefined
 * when this key is left to openpgp.sign. `now` is the signature's creation time.
 */
export async function fastDetachedSignature(data: Uint8Array, signingKey: PrivateKey, now = new Date()): Promise<string | undefined> {
  const { signer } = await selectionAt(signingKey, now.getTime());
  if (signer === undefined) return undefined;
  return armorSignature(signaturePacket(signer, data, Math.floor(now.getTime() / 1000), randomBytes(signer.saltLength)));
}

async function selectionAt(key: PrivateKey, now: number): Promise<Selection> {
  const cached = selections.get(key);
  if (cached !== undefined) {
    const selection = await cached;
    if (stillChosen(selection, now)) return selection;
    // Concurrent callers that found the same stale selection share one new selection.
    if (selections.get(key) !== cached) return selectionAt(key, now);
  }
  const fresh = select(key, now);
  selections.set(key, fresh);
  return fresh;
}

async function select(key: PrivateKey, now: number): Promise<Selection> {
  const date = new Date(now);
  const leftToOpenpgp: Selection = { signer: undefined, checkedAt: now, until: now + RESELECT_AFTER_MS };
  try {
    const config = fullConfig({ maxDocumentBytes: 0 });
    const signingKey = await key.getSigningKey(undefined, date, undefined, config);
    const privateKey = ed25519PrivateKey(signingKey.keyPacket);
    if (privateKey === undefined) return leftToOpenpgp;
    const probe = await openpgp.sign({ message: await openpgp.createMessage({ binary: new Uint8Array() }), signingKeys: key, detached: true, format: 'object', date, config });
    const packet = probe.packets[0];
    if (probe.packets.length !== 1 || !(packet instanceof SignaturePacket) || packet.created === null || packet.hashAlgorithm === null) return leftToOpenpgp;
    const salt = packet.rawNotations.find((notation) => notation.name === SALT_NOTATION)?.value;
    const nodeHash = NODE_HASHES.get(packet.hashAlgorithm);
    if (salt === undefined || nodeHash === undefined) return leftToOpenpgp;
    const signer: Ed25519Signer = {
      privateKey,
      hashAlgorithm: packet.hashAlgorithm,
      nodeHash,
      keyID: Buffer.from(signingKey.getKeyID().toHex(), 'hex'),
      fingerprint: signingKey.keyPacket.getFingerprintBytes()!,
      saltLength: salt.length,
    };
    const ours = signaturePacket(signer, new Uint8Array(), Math.floor(packet.created.getTime() / 1000), salt);
    if (!sameBytes(ours, probe.write()) || armorSignature(ours) !== probe.armor(config)) return leftToOpenpgp;
    return { signer, checkedAt: now, until: await choiceEnds(key, signingKey, config, now) };
  } catch {
    return leftToOpenpgp;
  }
}

/** The node KeyObject of an unprotected version 4 EdDSALegacy secret key packet, converted once per packet; undefined for any other key. */
function ed25519PrivateKey(keyPacket: PrivateKey['keyPacket'] | Subkey['keyPacket']): KeyObject | undefined {
  if (keyPacket.version !== 4 || keyPacket.algorithm !== enums.publicKey.eddsaLegacy || !keyPacket.isDecrypted()) return undefined;
  const cached = keyObjects.get(keyPacket);
  if (cached !== undefined) return cached;
  const { Q } = keyPacket.publicParams as { Q?: unknown };
  const { seed } = ('privateParams' in keyPacket ? (keyPacket.privateParams ?? {}) : {}) as { seed?: unknown };
  // Q is the native point prefixed by 0x40 (RFC 9580 section 11.2.2); the seed is the 32-octet secret.
  if (!(Q instanceof Uint8Array) || Q.length !== 33 || Q[0] !== 0x40 || !(seed instanceof Uint8Array) || seed.length !== 32) return undefined;
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(seed).toString('base64url'), x: Buffer.from(Q.subarray(1)).toString('base64url') },
    format: 'jwk',
  });
  keyObjects.set(keyPacket, privateKey);
  return privateKey;
}

/** The whole signature packet (tag 2, new format header). */
function signaturePacket(signer: Ed25519Signer, data: Uint8Array, created: number, salt: Uint8Array): Uint8Array {
  const hashed = concat([
    subpacket(SUBPACKET.creationTime, true, uint32(created)),
    subpacket(SUBPACKET.issuerKeyID, false, signer.keyID),
    subpacket(SUBPACKET.notationData, false, concat([new Uint8Array([0, 0, 0, 0]), uint16(SALT_NOTATION_NAME.length), uint16(salt.length), SALT_NOTATION_NAME, salt])),
    subpacket(SUBPACKET.issuerFingerprint, false, concat([new Uint8Array([4]), signer.fingerprint])),
  ]);
  const signatureData = concat([new Uint8Array([4, enums.signature.binary, enums.publicKey.eddsaLegacy, signer.hashAlgorithm]), uint16(hashed.length), hashed]);
  const trailer = concat([new Uint8Array([4, 0xff]), uint32(signatureData.length)]);
  const digest = createHash(signer.nodeHash).update(data).update(signatureData).update(trailer).digest();
  // EdDSALegacy signs the digest (section 5.2.3.3), and writes R and S, each 32 octets, as MPIs.
  const rs = sign(null, digest, signer.privateKey);
  const body = concat([signatureData, uint16(0), digest.subarray(0, 2), mpi(rs.subarray(0, 32)), mpi(rs.subarray(32))]);
  return concat([new Uint8Array([0xc0 | enums.packet.signature]), packetLength(body.length), body]);
}

function subpacket(type: number, critical: boolean, body: Uint8Array): Uint8Array {
  return concat([packetLength(body.length + 1), new Uint8Array([critical ? 0x80 | type : type]), body]);
}

/** One- or two-octet lengths (RFC 9580 sections 4.2.1 and 5.2.3.7): every packet and subpacket here is under 8,384 octets. */
function packetLength(length: number): Uint8Array {
  if (length < 192) return new Uint8Array([length]);
  if (length < 8384) return new Uint8Array([((length - 192) >> 8) + 192, (length - 192) & 0xff]);
  throw new RangeError(`Unexpected length ${length}`);
}

/** Multiprecision integer (RFC 9580 section 3.2): bit count, then the octets without leading zeros. */
function mpi(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  const stripped = bytes.subarray(start);
  const bits = stripped.length === 0 ? 0 : (stripped.length - 1) * 8 + (32 - Math.clz32(stripped[0]!));
  return concat([uint16(bits), stripped]);
}

/** ASCII armor as openpgp writes a signature (no armor header, 60-character lines, CRC-24). */
function armorSignature(packet: Uint8Array): string {
  const base64 = Buffer.from(packet).toString('base64');
  const lines = base64.match(/.{1,60}/g) ?? [];
  const crc = Buffer.from(uint32(crc24(packet)).subarray(1)).toString('base64');
  return `-----BEGIN PGP SIGNATURE-----\n\n${lines.map((line) => `${line}\n`).join('')}=${crc}\n-----END PGP SIGNATURE-----\n`;
}

/** CRC-24 of the armor checksum (RFC 9580 section 6.1.1). */
function crc24(bytes: Uint8Array): number {
  let crc = 0xb704ce;
  for (const byte of bytes) {
    crc ^= byte << 16;
    for (let bit = 0; bit < 8; bit++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

function uint16(value: number): Uint8Array {
  return new Uint8Array([(value >> 8) & 0xff, value & 0xff]);
}

function uint32(value: number): Uint8Array {
  return new Uint8Array([(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}
