/**
 * Gateway secrets kept in files of their own under `<PASSERELLE_DATA_DIR>/secrets/`, apart from the
 * store: a copy of the store alone (a backup, a stolen disk image of the database) then holds neither
 * the key that links pseudonyms to people nor the key that unwraps the dossiers' data keys.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GatewayError } from '../domain/errors.js';

export const SECRET_BYTES = 32;

/**
 * Reads `<dataDir>/secrets/<fileName>`, creating it on first start with SECRET_BYTES random bytes,
 * mode 0600, in a folder of mode 0700. `wx` makes creation atomic, so two processes starting together
 * (the gateway and an operator command) end up with the same secret.
 */
export function loadOrCreateSecret(opts: { dataDir: string; fileName: string; what: string }): Buffer {
  const dir = path.join(opts.dataDir, 'secrets');
  const file = path.join(dir, opts.fileName);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      fs.writeFileSync(file, randomBytes(SECRET_BYTES), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const secret = fs.readFileSync(file);
    if (secret.length < SECRET_BYTES) {
      throw new GatewayError('store_unavailable', `${file}, ${opts.what}, holds ${secret.length} bytes instead of ${SECRET_BYTES}: restore it from the backup of PASSERELLE_DATA_DIR.`);
    }
    return secret;
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw new GatewayError('store_unavailable', `Cannot read or create ${opts.what} ${file}: ${(err as Error).message}. Check PASSERELLE_DATA_DIR.`, { cause: err });
  }
}
