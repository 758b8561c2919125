/**
 * The session-key packets of a partner's message (RFC 9580 section 5.1, PKESK), checked before any
 * secret-key operation so that the work of opening a message is bounded by the gateway, not by the
 * sender.
 *
 * openpgp tries every PKESK that names one of the gateway's keys, and every anonymous one against every
 * gateway key; with an RSA gateway key it runs the constant-time flow (src/crypto/config.ts), three
 * private-key operations and three candidate session keys per packet. A message under the body limit
 * can carry thousands of such packets: seconds to minutes of CPU per message before any signature is
 * checked. Here a message is refused unless each of its session-key packets names, once, a key the
 * gateway knows, so that the gateway decrypts at most one session-key packet per key of its own.
 */
import { PublicKeyEncryptedSessionKeyPacket, SymEncryptedSessionKeyPacket } from 'openpgp';
import type { Key, KeyID, Message } from 'openpgp';
import { GatewayError } from '../domain/errors.js';
import type { Audience } from './packets.js';

/**
 * Session-key packets one message may carry. A sender seals for its readers, one packet per key: the
 * gateway (two keys during the gateway's key rotation), the final recipient (docs/interface.md,
 * section 5; two keys during its rotation) and, often, the sender's own copy (gpg `encrypt-to`):
 * six at most; eight leaves room for a passphrase packet beside them, and stays far from the
 * thousands of an attack.
 */
export const MAX_SESSION_KEY_PACKETS = 8;

/**
 * Packets a partner's message may hold at its top level: its session-key packets, the one encrypted
 * data packet and a marker or padding packet (RFC 9580 sections 5.8 and 5.14) beside them. Counted on
 * the packet headers alone, before openpgp parses any packet: parsing ten thousand small packets
 * costs a tenth of a second, whatever they are.
 */
export const MAX_TOP_LEVEL_PACKETS = MAX_SESSION_KEY_PACKETS + 2;

/** Whose keys a partner's message may be encrypted to. */
export interface SessionKeyReaders {
  /** The gateway's secret keys: the packets naming them are the only ones the gateway decrypts. */
  decryptionKeys: readonly Key[];
  /**
   * Other keys the message may also be encrypted to, never decrypted by the gateway: the sender's own,
   * the gateway's published keys, every registered partner's (the final recipient).
   */
  otherKeys: readonly Key[];
}

function keyIds(keys: readonly Key[]): Set<string> {
  const ids = new Set<string>();
  for (const key of keys) for (const id of key.getKeyIDs()) ids.add(id.toHex());
  return ids;
}

/** RFC 9580 section 5.1: a key ID of zeros (v3) or no fingerprint (v6) is an anonymous recipient. */
function isAnonymous(keyId: KeyID): boolean {
  return /^0+$/.test(keyId.toHex());
}

/**
 * Throws GatewayError('malformed_message') when the message carries more than
 * {@link MAX_SESSION_KEY_PACKETS} session-key packets, an anonymous recipient, no packet for a gateway
 * key, a packet for a key the gateway does not know, or two packets for the same key.
 */
export function assertSessionKeyPackets(message: Message<Uint8Array | string>, readers: SessionKeyReaders, audience: Audience): void {
  const packets = [...message.packets];
  const sessionKeyPackets = packets.filter((packet) => packet instanceof PublicKeyEncryptedSessionKeyPacket || packet instanceof SymEncryptedSessionKeyPacket);
  if (sessionKeyPackets.length > MAX_SESSION_KEY_PACKETS) tooManySessionKeys(String(sessionKeyPackets.length), audience);
  const recipients = packets
    .filter((packet): packet is PublicKeyEncryptedSessionKeyPacket => packet instanceof PublicKeyEncryptedSessionKeyPacket)
    .map((packet) => (packet as unknown as { publicKeyID: KeyID }).publicKeyID);
  if (recipients.some(isAnonymous)) {
    throw new GatewayError(
      'malformed_message',
      `The message hides the key it is encrypted to (anonymous recipient, key ID 0, as gpg --throw-keyids or --hidden-recipient write it); name each recipient (gpg -r) and encrypt it to ${audience.decryptionKey}.`,
    );
  }
  const gateway = keyIds(readers.decryptionKeys);
  const hex = recipients.map((id) => id.toHex());
  if (!hex.some((id) => gateway.has(id))) {
    throw new GatewayError('malformed_message', `The message cannot be decrypted: it is not encrypted to ${audience.decryptionKey}; encrypt it to that key and send it again.`);
  }
  const known = keyIds(readers.otherKeys);
  const unknown = hex.find((id) => !gateway.has(id) && !known.has(id));
  if (unknown !== undefined) {
    throw new GatewayError(
      'malformed_message',
      `The message is also encrypted to key ID ${unknown}, which is neither the gateway's nor a registered partner's key; encrypt it to ${audience.decryptionKey} and, if you wish, to the final recipient's registered key and your own, nothing else.`,
    );
  }
  const repeated = hex.find((id, index) => hex.indexOf(id) !== index);
  if (repeated !== undefined) {
    throw new GatewayError('malformed_message', `The message carries several session-key packets for key ID ${repeated}; encrypt the session key once to each recipient key (as gpg --encrypt does).`);
  }
}

/**
 * Throws GatewayError('malformed_message') when the message holds more than
 * {@link MAX_SESSION_KEY_PACKETS} session-key packets, or more than {@link MAX_TOP_LEVEL_PACKETS}
 * packets, at its top level. Reads the packet headers only (RFC 9580 section 4.2), of the binary
 * message or of the armored one decoded (section 6), so that the refusal costs a millisecond; input
 * that does not decode is left to the full parse, which says what is wrong with it.
 */
export function assertFewPackets(bytes: Uint8Array, audience: Audience): void {
  const binary = binaryMessage(bytes);
  if (binary === undefined) return;
  const scan = scanPackets(binary, MAX_TOP_LEVEL_PACKETS + 1);
  if (scan.sessionKeys > MAX_SESSION_KEY_PACKETS) tooManySessionKeys(`more than ${MAX_SESSION_KEY_PACKETS}`, audience);
  if (scan.packets > MAX_TOP_LEVEL_PACKETS) {
    throw new GatewayError(
      'malformed_message',
      `The message holds more than ${MAX_TOP_LEVEL_PACKETS} OpenPGP packets around its encrypted data; a message is one session-key packet per reader key and the encrypted data. Send the output of gpg --sign --encrypt.`,
    );
  }
}

function tooManySessionKeys(count: string, audience: Audience): never {
  throw new GatewayError(
    'malformed_message',
    `The message carries ${count} session-key packets; the gateway accepts at most ${MAX_SESSION_KEY_PACKETS} (one per reader key). Encrypt it to ${audience.decryptionKey} and, if you wish, to the final recipient's registered key and your own, nothing else.`,
  );
}

/**
 * Base64 characters of an armored message decoded for the count: 12 KiB of packets. Small packets, the
 * costly kind to parse by the thousand, are all counted within it; a message whose first eleven
 * packets do not fit in it holds few packets, and the full parse counts those.
 */
const ARMORED_PREFIX_CHARS = 16 * 1024;

/**
 * The binary form of the message, or its first packets when armored (RFC 9580 section 6.2: armor
 * header line, armor headers, a blank line, then base64), decoded here rather than by openpgp's
 * streaming unarmor, which the full parse runs anyway.
 */
function binaryMessage(bytes: Uint8Array): Uint8Array | undefined {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 64)).trimStart();
  if (!head.startsWith('-----BEGIN PGP MESSAGE-----')) return head.startsWith('-----') ? undefined : bytes;
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, 4096 + ARMORED_PREFIX_CHARS * 2));
  const blank = /\r?\n[ \t]*\r?\n/.exec(text);
  if (blank === null) return undefined;
  const body = text.slice(blank.index + blank[0].length);
  const end = body.search(/^(=|-----END)/m);
  const base64 = (end === -1 ? body : body.slice(0, end)).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) return undefined;
  const whole = Math.min(base64.length, ARMORED_PREFIX_CHARS) & ~3;
  return new Uint8Array(Buffer.from(base64.slice(0, whole), 'base64'));
}

/** Packet tags of the session-key packets (RFC 9580 sections 5.1 and 5.3). */
const PKESK_TAG = 1;
const SKESK_TAG = 3;

/**
 * The packets of `bytes`, and how many are session-key packets, read from their headers (RFC 9580
 * section 4.2) and counted no further than `stopAt`: a header that does not parse ends the count, the
 * full parse reports it.
 */
export function scanPackets(bytes: Uint8Array, stopAt: number): { packets: number; sessionKeys: number } {
  let offset = 0;
  let packets = 0;
  let sessionKeys = 0;
  const result = () => ({ packets, sessionKeys });
  while (offset < bytes.length && packets < stopAt) {
    const header = bytes[offset]!;
    if ((header & 0x80) === 0) return result();
    const legacy = (header & 0x40) === 0;
    const tag = legacy ? (header >> 2) & 0x0f : header & 0x3f;
    packets++;
    if (tag === PKESK_TAG || tag === SKESK_TAG) sessionKeys++;
    offset++;
    if (legacy) {
      // Legacy format (section 4.2.2): the size of the length is in the header's low two bits.
      const lengthType = header & 0x03;
      if (lengthType === 3) return result();
      const size = 1 << lengthType;
      if (offset + size > bytes.length) return result();
      let length = 0;
      for (let i = 0; i < size; i++) length = length * 256 + bytes[offset + i]!;
      offset += size + length;
      continue;
    }
    // OpenPGP format (section 4.2.1): one, two or five octets, or a series of partial body lengths.
    for (;;) {
      const first = bytes[offset];
      if (first === undefined) return result();
      if (first < 192) {
        offset += 1 + first;
      } else if (first < 224) {
        const second = bytes[offset + 1];
        if (second === undefined) return result();
        offset += 2 + ((first - 192) << 8) + second + 192;
      } else if (first === 255) {
        if (offset + 5 > bytes.length) return result();
        offset += 5 + bytes[offset + 1]! * 2 ** 24 + (bytes[offset + 2]! << 16) + (bytes[offset + 3]! << 8) + bytes[offset + 4]!;
      } else {
        offset += 1 + 2 ** (first & 0x1f);
        continue;
      }
      break;
    }
  }
  return result();
}
