import path from 'node:path';
import { generateTrustDirectory } from '../trust/pki.js';

export async function runPkiInit(opts: { dir: string; overwrite: boolean }): Promise<number> {
  const dir = path.resolve(opts.dir);
  await generateTrustDirectory({ dir, overwrite: opts.overwrite });
  process.stdout.write(`Example trust directory written to ${dir}: CA, gateway certificate and OpenPGP key, one certificate and key pair per partner, partners.json.\nExample keys only: never use them in production.\n`);
  return 0;
}
