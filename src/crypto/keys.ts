/**
 * OpenPGP keys as the gateway reads them: armored files of the trust directory (a party's current and
 * previous keys), each checked against the crypto policy and read with its validity (creation,
 * expiration, revocation: RFC 9580 sections 5.2.3.18 and 5.2.3.23); and keys as bytes, to hand them
 * to a crypto worker thread.
 *
 * The key types are exported from here so that the rest of the gateway names keys without importing
 * openpgp: every OpenPGP operation goes through src/crypto.
 */
import * as openpgp from 'openpgp';
import type { Config, Key, PrivateKey, PublicKey } from 'openpgp';
import { GatewayError } from '../domain/errors.js';
import { fullConfig } from './config.js';
import { errorMessage } from './failures.js';
import type { RingKey } from './key-ring.js';
import { assertKeyPolicy } from './policy.js';

export type { Key, PrivateKey, PublicKey } from 'openpgp';

/** How many keys one file may hold: a party rotating keeps two or three; more is a mistake (or an attempt to make every load slow). */
export const MAX_KEYS_PER_FILE = 16;

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

/** Every armored block of `type` in a file (RFC 9580 section 6.2), for files holding several exports one after the other. */
function armoredBlocks(text: string, type: string): string[] {
  const pattern = new RegExp(`-----BEGIN PGP ${type}-----[\\s\\S]*?-----END PGP ${type}-----`, 'g');
  return text.match(pattern) ?? [];
}
