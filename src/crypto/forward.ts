/**
 * Delivering the sender's own ciphertext: the recipient's copy of a partner's message is the sender's
 * encrypted data packet, untouched, after one new public-key encrypted session key packet (PKESK, RFC
 * 9580 section 5.1) that wraps the same session key for the recipient's key. The recipient decrypts
 * exactly the bytes the sender encrypted and verifies the sender's signature over them; the gateway
 * wraps a session key (one public-key operation) instead of encrypting the whole message again.
 *
 * The gateway wraps the session key itself, for every message, even when the sender already encrypted
 * to the recipient: a PKESK made by the sender for another key cannot be opened by the gateway, so
 * whether it holds the session key of this message (rather than another key, or garbage) cannot be
 * checked, and forwarding it could deliver an accepted message the recipient cannot decrypt. Every
 * PKESK of the sender (the gateway's, the recipient's, any other) is dropped.
 *
 * Forwarding is for a message whose every byte the gateway has checked for what the recipient's
 * software will read: a SEIPD version 1 packet (RFC 9580 section 5.13.1, the packet every OpenPGP
 * implementation reads, GnuPG 2.2 included), whose plaintext, read packet by packet, is exactly the
 * one-pass signed literal the gateway verified (same packets, same bodies), at most inside one
 * compressed data packet (section 5.6). The plaintext is decrypted again here with node's own AES
 * and zlib, independently of openpgp's reading, so that a packet openpgp skips (marker, padding, an
 * unknown tag or version) or a compressed stream two inflaters read differently is never forwarded.
 * Anything else (SEIPD version 2 or the LibrePGP OCB packet, which GnuPG 2.2 does not read, BZip2,
 * a cipher the recipient's key does not list, a version 6 recipient key, which takes SEIPD version 2
 * only) is re-encrypted as a whole (src/crypto/seal.ts).
 */
import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { inflateRawSync, inflateSync } from 'node:zlib';
import * as openpgp from 'openpgp';
import { SymEncryptedIntegrityProtectedDataPacket, enums } from 'openpgp';
import { sameBytes } from './bytes.js';
import { packetHeader, wrapSessionKey } from './session-key-wrap.js';
import type { AnyPacket, Config, DecryptedSessionKey, PublicKey } from 'openpgp';

/** What the gateway keeps of a partner's message, when it opened it, to deliver the sender's own ciphertext. */
export interface SentCiphertext {
  /** The body of the sender's SEIPD version 1 packet, as sent: the version octet and the ciphertext. */
  encryptedData: Uint8Array;
  /**
   * The session keys openpgp decrypted with the gateway's keys. Usually one; with an RSA gateway key,
   * openpgp's constant-time decryption adds random decoys, and the one the MDC accepts is the key.
   */
  sessionKeys: Array<{ data: Uint8Array; algorithm: string }>;
}

const SEIPD_VERSION_1 = 1;
/** The ciphers whose session key openpgp.js (the project's client) accepts whatever the key prefers. */
const ALWAYS_ACCEPTED_BY_OPENPGPJS: ReadonlySet<enums.symmetric> = new Set([enums.symmetric.aes256, enums.symmetric.aes128]);
const NODE_CFB: Partial<Record<enums.symmetric, string>> = {
  [enums.symmetric.aes128]: 'aes-128-cfb',
  [enums.symmetric.aes192]: 'aes-192-cfb',
  [enums.symmetric.aes256]: 'aes-256-cfb',
};
const AES_BLOCK_BYTES = 16;
/** The Modification Detection Code packet that ends a SEIPD v1 plaintext: tag 19, new format, 20 octets of SHA-1. */
const MDC_HEADER = Uint8Array.of(0xd3, 0x14);
const MDC_PACKET_BYTES = 22;

/** The sender's ciphertext as openpgp read it, held from before decryption, which lets go of it. */
export interface HeldCiphertext {
  /** openpgp's reading of the packet's data: bytes, or the chunks of its array stream for armored input. */
  data: unknown;
}

/** Before openpgp decrypts: holds the ciphertext of a SEIPD version 1 packet; undefined for any other packet. */
export function holdCiphertext(encrypted: AnyPacket): HeldCiphertext | undefined {
  if (!(encrypted instanceof SymEncryptedIntegrityProtectedDataPacket)) return undefined;
  const packet = encrypted as unknown as { version: number; encrypted: unknown };
  return packet.version === SEIPD_VERSION_1 ? { data: packet.encrypted } : undefined;
}

/**
 * After openpgp decrypted the message (and so read its whole ciphertext): the sender's ciphertext and
 * the session keys, copied out of openpgp's buffers. Undefined when nothing was held.
 */
export function sentCiphertextOf(held: HeldCiphertext | undefined, sessionKeys: readonly DecryptedSessionKey[]): SentCiphertext | undefined {
  if (held === undefined) return undefined;
  const chunks = held.data instanceof Uint8Array ? [held.data] : Array.isArray(held.data) ? held.data : [];
  if (chunks.length === 0 || !chunks.every((chunk): chunk is Uint8Array => chunk instanceof Uint8Array)) return undefined;
  const keys = sessionKeys.flatMap((key) => (key.algorithm === null ? [] : [{ data: new Uint8Array(key.data), algorithm: key.algorithm as string }]));
  if (keys.length === 0) return undefined;
  const encryptedData = new Uint8Array(1 + chunks.reduce((total, chunk) => total + chunk.length, 0));
  encryptedData[0] = SEIPD_VERSION_1;
  let offset = 1;
  for (const chunk of chunks) {
    encryptedData.set(chunk, offset);
    offset += chunk.length;
  }
  return { encryptedData, sessionKeys: keys };
}

/**
 * The sender's ciphertext behind a new PKESK for `recipientKey` (its encryption subkey valid now,
 * as openpgp.encrypt would pick it), armored; undefined when the message cannot be forwarded as sent
 * (see the module comment) and must be re-encrypted.
 *
 * @param signedMessage the one-pass signed literal the gateway verified (src/crypto/open.ts)
 */
export async function forwardSentCiphertext(opts: {
  sent: SentCiphertext;
  signedMessage: Uint8Array;
  recipientKey: PublicKey;
  config: Config;
}): Promise<string | undefined> {
  const { sent, recipientKey, config } = opts;
  const opened = decryptSeipdV1(sent);
  if (opened === undefined) return undefined;
  if (!(await recipientAccepts(recipientKey, opened.algorithm, config))) return undefined;
  if (!sameSignedMessage(opened.plaintext, opts.signedMessage)) return undefined;

  const sessionKeyPacket = await wrapSessionKey({ recipientKey, sessionKey: opened.sessionKey, algorithm: opened.algorithm, config });
  const encryptedData = sent.encryptedData;
  const message = Buffer.concat([sessionKeyPacket, packetHeader(enums.packet.symEncryptedIntegrityProtectedData, encryptedData.length), encryptedData]);
  // RFC 9580 section 6.2: the CRC-24 footer is kept for a SEIPD version 1 message, as openpgp writes it.
  return openpgp.armor(enums.armor.message, message, undefined, undefined, undefined, true, config);
}

/**
 * SEIPD v1 (RFC 9580 section 5.13.1): CFB with an all-zero IV over a random prefix of one block plus two
 * repeated octets, the plaintext and the MDC packet, whose SHA-1 covers everything before it. Returns
 * the plaintext with the session key whose MDC matches.
 */
function decryptSeipdV1(sent: SentCiphertext): { plaintext: Uint8Array; sessionKey: Uint8Array; algorithm: enums.symmetric } | undefined {
  if (sent.encryptedData[0] !== SEIPD_VERSION_1) return undefined;
  const ciphertext = sent.encryptedData.subarray(1);
  if (ciphertext.length < AES_BLOCK_BYTES + 2 + MDC_PACKET_BYTES) return undefined;
  for (const key of sent.sessionKeys) {
    const algorithm = enums.symmetric[key.algorithm as enums.symmetricNames] as enums.symmetric | undefined;
    if (algorithm === undefined) continue;
    const cipher = NODE_CFB[algorithm];
    if (cipher === undefined) continue;
    let decrypted: Buffer;
    try {
      const decipher = createDecipheriv(cipher, key.data, Buffer.alloc(AES_BLOCK_BYTES));
      decrypted = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      continue;
    }
    const hashed = decrypted.subarray(0, decrypted.length - 20);
    const mdc = decrypted.subarray(decrypted.length - 20);
    if (!sameBytes(decrypted.subarray(decrypted.length - MDC_PACKET_BYTES, decrypted.length - 20), MDC_HEADER)) continue;
    if (!timingSafeEqual(createHash('sha1').update(hashed).digest(), mdc)) continue;
    return { plaintext: decrypted.subarray(AES_BLOCK_BYTES + 2, decrypted.length - MDC_PACKET_BYTES), sessionKey: key.data, algorithm };
  }
  return undefined;
}

/**
 * A version 4 key: a version 6 key is sealed with SEIPD version 2 and a version 6 PKESK (RFC 9580
 * section 5.1), never with this SEIPD version 1. And a cipher the recipient reads: openpgp.js (the
 * project's client) refuses a session key whose cipher is neither AES-256, AES-128 nor one its key
 * lists as preferred (section 5.2.3.14); GnuPG, Sequoia and RNP read any AES.
 */
async function recipientAccepts(recipientKey: PublicKey, algorithm: enums.symmetric, config: Config): Promise<boolean> {
  if (recipientKey.keyPacket.version !== 4) return false;
  if (ALWAYS_ACCEPTED_BY_OPENPGPJS.has(algorithm)) return true;
  try {
    const { selfCertification } = await recipientKey.getPrimaryUser(undefined, undefined, config);
    return selfCertification.preferredSymmetricAlgorithms?.includes(algorithm) ?? false;
  } catch {
    return false;
  }
}

/** One packet as read from its framing (RFC 9580 section 4.2): its tag and its whole body. */
interface RawPacket {
  tag: number;
  body: Uint8Array;
}

const TAG = { compressed: 8, onePassSignature: 4, literal: 11, signature: 2 } as const;
/** More packets than a signed literal has is never forwarded; reading stops there. */
const MAX_PACKETS = 4;

/**
 * The decrypted plaintext, read packet by packet (inside its one compressed data packet if it is
 * one), holds exactly the packets of the signed message the gateway verified, with the same bodies.
 */
function sameSignedMessage(plaintext: Uint8Array, signedMessage: Uint8Array): boolean {
  const verified = readPackets(signedMessage);
  if (verified === undefined) return false;
  let sent = readPackets(plaintext);
  if (sent?.length === 1 && sent[0]!.tag === TAG.compressed) {
    // Room for framing that differs from openpgp's (partial lengths, old-format headers), not for more content.
    const inflated = decompress(sent[0]!.body, signedMessage.length * 2 + 4096);
    sent = inflated === undefined ? undefined : readPackets(inflated);
  }
  if (sent === undefined || sent.length !== 3 || verified.length !== 3) return false;
  const expected = [TAG.onePassSignature, TAG.literal, TAG.signature];
  return sent.every((packet, i) => packet.tag === expected[i] && verified[i]!.tag === expected[i] && sameBytes(packet.body, verified[i]!.body));
}

/**
 * A compressed data packet's body (RFC 9580 section 5.6): its algorithm octet, then the data. Bytes
 * after the end of the compressed stream (Sequoia's Padmé padding) are ignored here, as GnuPG, RNP
 * and Sequoia ignore them.
 */
function decompress(body: Uint8Array, maxOutputLength: number): Uint8Array | undefined {
  const data = body.subarray(1);
  try {
    switch (body[0]) {
      case enums.compression.uncompressed:
        return data;
      case enums.compression.zip:
        return inflateRawSync(data, { maxOutputLength });
      case enums.compression.zlib:
        return inflateSync(data, { maxOutputLength });
      default:
        // BZip2 (no inflater in node) or an unknown algorithm: re-encrypted instead.
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/**
 * Packet framing, RFC 9580 section 4.2: new format (one, two or five length octets, or partial body
 * lengths) and legacy format (one, two or four length octets, or indeterminate length to the end).
 * Undefined for anything that does not frame exactly.
 */
function readPackets(bytes: Uint8Array): RawPacket[] | undefined {
  const packets: RawPacket[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (packets.length === MAX_PACKETS) return undefined;
    const ctb = bytes[pos++]!;
    if ((ctb & 0x80) === 0) return undefined;
    if (ctb & 0x40) {
      const tag = ctb & 0x3f;
      const chunks: Uint8Array[] = [];
      for (;;) {
        const first = bytes[pos++];
        if (first === undefined) return undefined;
        let length: number;
        let partial = false;
        if (first < 192) {
          length = first;
        } else if (first < 224) {
          const second = bytes[pos++];
          if (second === undefined) return undefined;
          length = ((first - 192) << 8) + second + 192;
        } else if (first === 255) {
          if (pos + 4 > bytes.length) return undefined;
          length = new DataView(bytes.buffer, bytes.byteOffset + pos, 4).getUint32(0);
          pos += 4;
        } else {
          length = 1 << (first & 0x1f);
          partial = true;
        }
        if (pos + length > bytes.length) return undefined;
        chunks.push(bytes.subarray(pos, pos + length));
        pos += length;
        if (!partial) break;
      }
      packets.push({ tag, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
    } else {
      const tag = (ctb >> 2) & 0x0f;
      const lengthType = ctb & 0x03;
      let length: number;
      if (lengthType === 3) {
        length = bytes.length - pos;
      } else {
        const octets = 1 << lengthType;
        if (pos + octets > bytes.length) return undefined;
        length = 0;
        for (let i = 0; i < octets; i++) length = length * 256 + bytes[pos + i]!;
        pos += octets;
      }
      if (pos + length > bytes.length) return undefined;
      packets.push({ tag, body: bytes.subarray(pos, pos + length) });
      pos += length;
    }
  }
  return packets;
}
