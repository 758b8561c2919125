/**
 * Keyed pseudonyms of beneficiaries (interface contract, section 6): HMAC-SHA-256 under a gateway
 * secret. The secret lives in its own file, apart from the store, so that a copy of the store or of
 * the audit log alone cannot link a pseudonym back to a person by trying every identifier (OFII
 * references are only 10 digits: an unkeyed hash would be reversed in seconds).
 */
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GatewayError } from '../domain/errors.js';

export type Pseudonymiser = (beneficiaryRef: string) => string;

export function createPseudonymiser(secret: Uint8Array): Pseudonymiser {
  if (secret.length < 32) throw new RangeError('the pseudonym secret must be at least 32 bytes');
  const key = Buffer.from(secret);
  return (beneficiaryRef) => createHmac('sha256', key).update(beneficiaryRef, 'utf8').digest('hex');
}

/** Reads `<dataDir>/secrets/pseudonym.key`, creating it (32 random bytes, mode 0600) on first start. */
export function loadPseudonymSecret(dataDir: string): Buffer {
  const dir = path.join(dataDir, 'secrets');
  const file = path.join(dir, 'pseudonym.key');
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      fs.writeFileSync(file, randomBytes(32), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const secret = fs.readFileSync(file);
    if (secret.length < 32) throw new Error(`${file} holds ${secret.length} bytes, 32 expected`);
    return secret;
  } catch (err) {
    throw new GatewayError('store_unavailable', `Cannot read or create the pseudonym secret ${file}: ${(err as Error).message}. Check PASSERELLE_DATA_DIR.`, { cause: err });
  }
}
