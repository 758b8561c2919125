/**
 * Rotation of the gateway's own OpenPGP key in a trust directory (`passerelle pki rotate-gateway-key`).
 *
 * A new key is added next to the current ones, never in place of them:
 * - gateway/openpgp.asc (published to partners and auditors) gains the new public key and keeps the
 *   previous ones, so that receipts and checkpoints signed before the rotation still verify, with
 *   `passerelle audit verify` and with `gpg --verify` alike;
 * - gateway/openpgp.key.asc gains the new secret key and keeps the previous ones, so that messages
 *   partners sealed to the previous key during the overlap still open.
 * The gateway signs with the newest valid key as soon as it reloads its keys (file watch or SIGHUP).
 *
 * The public file is written before the secret one, each atomically (temporary file, then rename): a
 * reload between the two sees a published key without its secret, which is valid, and never a secret
 * key the partners could not check.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { openpgpKeyPair } from '../crypto/key-generation.js';
import { readKeyRing, readPrivateKeys } from '../crypto/keys.js';
import { unrevoked } from '../crypto/key-ring.js';
import { GatewayError } from '../domain/errors.js';
import { LAYOUT } from './trust-store.js';

/** Validity of a new gateway key when none is given: two years and a little, the same as the example directory's keys. */
export const DEFAULT_GATEWAY_KEY_VALIDITY_DAYS = 825;

export interface RotatedKey {
  /** Lower-case hex fingerprint of the new key. */
  fingerprint: string;
  /** Fingerprints of the keys kept beside it (previous keys, newest first). */
  previous: string[];
  expires: Date;
}

export async function rotateGatewayKey(opts: { dir: string; validityDays?: number; now?: Date }): Promise<RotatedKey> {
  const now = opts.now ?? new Date();
  const validityDays = opts.validityDays ?? DEFAULT_GATEWAY_KEY_VALIDITY_DAYS;
  if (!Number.isInteger(validityDays) || validityDays < 1) {
    throw new GatewayError('config_invalid', `The validity must be a whole number of days (1 or more), not ${validityDays}.`);
  }
  const publicFile = path.join(opts.dir, LAYOUT.gatewayPublicKey);
  const secretFile = path.join(opts.dir, LAYOUT.gatewaySecretKey);
  const [publicArmored, secretArmored] = await Promise.all([readExisting(publicFile), readExisting(secretFile)]);
  // Refuse to build on files the gateway would refuse: the rotation must leave a loadable directory.
  const [published, secrets] = await Promise.all([
    readKeyRing({ armored: publicArmored, source: publicFile }),
    readPrivateKeys({ armored: secretArmored, source: secretFile }),
  ]);
  const kept = unrevoked(secrets);
  const newest = kept[0] ?? secrets[0]!;
  const { user } = await newest.key.getPrimaryUser().catch(() => ({ user: undefined }));
  const name = user?.userID?.name || 'Passerelle gateway';
  const email = user?.userID?.email || 'gateway@passerelle.example';

  const comment = user?.userID?.comment || undefined;
  const generated = await openpgpKeyPair({ name, email, ...(comment ? { comment } : {}), now, validityDays });
  const [created] = await readKeyRing({ armored: generated.publicKey, source: 'the new gateway key' });

  await replaceAtomically(publicFile, `${publicArmored.trimEnd()}\n${generated.publicKey.trimEnd()}\n`, 0o644);
  await replaceAtomically(secretFile, `${secretArmored.trimEnd()}\n${generated.privateKey.trimEnd()}\n`, 0o600);
  return {
    fingerprint: created!.fingerprint,
    previous: kept.map((entry) => entry.fingerprint).filter((fingerprint) => published.some((entry) => entry.fingerprint === fingerprint)),
    expires: created!.expires!,
  };
}

async function readExisting(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new GatewayError('config_invalid', `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); rotate the key of an existing trust directory (--dir), or create one with passerelle pki init.`, { cause: err });
  }
}

async function replaceAtomically(file: string, content: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, content, { mode });
  await fs.chmod(temporary, mode);
  await fs.rename(temporary, file);
}
