/**
 * The session key of a partner's message, taken out of its session-key packet for the gateway's key
 * with node's X25519, SHA-2 and AES key wrap (RFC 9580 sections 5.1 and 11.5) when that key is a
 * version 4 ECDH Curve25519Legacy key, as the example and generated gateway keys are. openpgp's
 * decryptSessionKeys does the same through WebCrypto, importing the keys and checking the gateway
 * key's signatures again for every message: about a fifth of the cost of opening one.
 *
 * Undefined, and openpgp decrypts as before, for anything else: another key type, a packet that does
 * not unwrap, a padding or checksum that does not hold, a cipher the key does not accept. So a
 * message the native path cannot open meets exactly the checks and errors it met before; the native
 * path only ever returns what openpgp would have returned (the wrapped key is authenticated by AES
 * key wrap's integrity check and the checksum, then by the data packet's MDC).
 */
import { createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { enums, PublicKeyEncryptedSessionKeyPacket } from 'openpgp';
import type { Config, DecryptedSessionKey, Key, Message, PrivateKey, Subkey } from 'openpgp';
import { RESELECT_AFTER_MS, stillChosen, type KeyChoice } from './key-selection.js';
import { AES_KW_IV, curve25519LegacyParameters, keyEncryptionKey, sessionKeyChecksum, type Curve25519LegacyParameters } from './session-key-wrap.js';

/** The ciphers openpgp accepts whatever the key prefers (openpgp's decryptSessionKeys). */
const ALWAYS_ACCEPTED: readonly enums.symmetric[] = [enums.symmetric.aes256, enums.symmetric.aes128, enums.symmetric.tripledes, enums.symmetric.cast5];
const KEY_BYTES: Partial<Record<number, number>> = { [enums.symmetric.aes128]: 16, [enums.symmetric.aes192]: 24, [enums.symmetric.aes256]: 32 };

interface NativeSecret {
  privateKey: KeyObject;
  parameters: Curve25519LegacyParameters;
}

/** openpgp's choice of the gateway's decryption keys for one key ID (src/crypto/key-selection.ts). */
interface Selection extends KeyChoice {
  /** The gateway's decryption (sub)keys for one key ID: native, or undefined when one of them is not. */
  secrets: NativeSecret[] | undefined;
  accepted: ReadonlySet<enums.symmetric>;
}

/** Per gateway key object, per key ID named by a packet: openpgp's choice of decryption keys, checked again once a minute. */
const selections = new WeakMap<PrivateKey, Map<string, Selection>>();

async function select(key: PrivateKey, keyIdHex: string, keyId: unknown, config: Config, now: number): Promise<Selection | undefined> {
  let byId = selections.get(key);
  const cached = byId?.get(keyIdHex);
  if (stillChosen(cached, now)) return cached;
  let keys: Array<Key | Subkey>;
  // A packet for another reader (the final recipient, the sender's own copy) is skipped, as openpgp skips it.
  if (key.getKeys(keyId as never).length === 0) return { secrets: [], accepted: new Set(), checkedAt: now, until: now + RESELECT_AFTER_MS };
  try {
    // As openpgp: no expiry check, so that a message sealed to a key that has since expired still opens.
    keys = await key.getDecryptionKeys(keyId as never, null as never, undefined, config);
  } catch {
    return undefined;
  }
  const secrets: NativeSecret[] = [];
  for (const candidate of keys) {
    const secret = nativeSecret(candidate);
    if (secret === undefined) return undefined;
    secrets.push(secret);
  }
  const accepted = new Set<enums.symmetric>(ALWAYS_ACCEPTED);
  try {
    const { selfCertification } = await key.getPrimaryUser(new Date(now), undefined, config);
    for (const algorithm of selfCertification.preferredSymmetricAlgorithms ?? []) accepted.add(algorithm);
  } catch {
    // As openpgp: without a valid self-signature, only the fallback ciphers.
  }
  // As openpgp: no expiry for decryption, so the choice only ends with the re-selection period.
  const selection: Selection = { secrets, accepted, checkedAt: now, until: now + RESELECT_AFTER_MS };
  if (byId === undefined) selections.set(key, (byId = new Map()));
  byId.set(keyIdHex, selection);
  return selection;
}

function nativeSecret(candidate: Key | Subkey): NativeSecret | undefined {
  const packet = candidate.keyPacket as unknown as { isDecrypted(): boolean | null; privateParams?: { d?: Uint8Array } };
  if (packet.isDecrypted?.() !== true) return undefined;
  const parameters = curve25519LegacyParameters(candidate.keyPacket, candidate.getFingerprint());
  const d = packet.privateParams?.d;
  if (parameters === undefined || d === undefined || d.length > 32) return undefined;
  // Section 11.5: the secret scalar is stored big-endian for Curve25519Legacy; X25519 takes it little-endian.
  const scalar = Buffer.alloc(32);
  scalar.set(d, 32 - d.length);
  scalar.reverse();
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: scalar.toString('base64url'), x: Buffer.from(parameters.point).toString('base64url') }, format: 'jwk' });
  return { privateKey, parameters };
}

/** Private-key operations made on this thread by the native path: the work a message costs is counted as openpgp's is (test/security/decryption-cost). */
let privateKeyOperations = 0;

export function nativePrivateKeyOperations(): number {
  return privateKeyOperations;
}

/** The session key one packet wraps for one secret, or undefined when it does not unwrap to a well-formed key. */
function unwrapOne(packet: PublicKeyEncryptedSessionKeyPacket, secret: NativeSecret, accepted: ReadonlySet<enums.symmetric>): DecryptedSessionKey | undefined {
  const encrypted = (packet as unknown as { encrypted?: { V?: Uint8Array; C?: { data?: Uint8Array } } }).encrypted;
  const point = encrypted?.V;
  const wrapped = encrypted?.C?.data;
  if (point === undefined || wrapped === undefined || point.length !== 33 || point[0] !== 0x40 || wrapped.length % 8 !== 0 || wrapped.length < 24) return undefined;
  let padded: Buffer;
  try {
    const ephemeral = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(point.subarray(1)).toString('base64url') }, format: 'jwk' });
    privateKeyOperations++;
    const shared = diffieHellman({ privateKey: secret.privateKey, publicKey: ephemeral });
    const unwrapper = createDecipheriv(secret.parameters.wrap.name, keyEncryptionKey(secret.parameters, shared), AES_KW_IV);
    padded = Buffer.concat([unwrapper.update(wrapped), unwrapper.final()]);
  } catch {
    return undefined;
  }
  // PKCS #5 padding to 8 octets, then the cipher octet, the key and its checksum (section 5.1.3).
  const pad = padded[padded.length - 1]!;
  if (pad < 1 || pad > 8 || !padded.subarray(padded.length - pad).every((byte) => byte === pad)) return undefined;
  const decoded = padded.subarray(0, padded.length - pad);
  const algorithm = decoded[0]! as enums.symmetric;
  const sessionKey = decoded.subarray(1, decoded.length - 2);
  if (KEY_BYTES[algorithm] !== sessionKey.length || !accepted.has(algorithm)) return undefined;
  if (decoded.readUInt16BE(decoded.length - 2) !== sessionKeyChecksum(sessionKey)) return undefined;
  return { data: new Uint8Array(sessionKey), algorithm: enums.read(enums.symmetric, algorithm) as DecryptedSessionKey['algorithm'] };
}

/**
 * The session keys of the message's packets for the gateway's keys, taken out natively; undefined when
 * any packet for a gateway key is not of the native kind or does not unwrap (openpgp then decrypts).
 * The packets were checked before (src/crypto/session-keys.ts): each names, once, a key the gateway knows.
 */
export async function unwrapSessionKeys(message: Message<Uint8Array | string>, decryptionKeys: readonly PrivateKey[], config: Config, now = Date.now()): Promise<DecryptedSessionKey[] | undefined> {
  const found: DecryptedSessionKey[] = [];
  const seen = new Set<string>();
  for (const packet of message.packets.filterByTag(enums.packet.publicKeyEncryptedSessionKey) as unknown as PublicKeyEncryptedSessionKeyPacket[]) {
    const keyId = (packet as unknown as { publicKeyID: { toHex(): string } }).publicKeyID;
    for (const key of decryptionKeys) {
      const selection = await select(key, keyId.toHex(), keyId, config, now);
      if (selection === undefined) return undefined;
      for (const secret of selection.secrets ?? []) {
        const sessionKey = unwrapOne(packet, secret, selection.accepted);
        if (sessionKey === undefined) return undefined;
        const id = `${sessionKey.algorithm}:${Buffer.from(sessionKey.data).toString('hex')}`;
        if (!seen.has(id)) found.push(sessionKey);
        seen.add(id);
      }
    }
  }
  return found.length > 0 ? found : undefined;
}
