import path from 'node:path';
import { rotateGatewayKey } from '../trust/key-rotation.js';
import { EXIT } from './exit-codes.js';

export async function runPkiInit(opts: { dir: string; overwrite: boolean }): Promise<number> {
  const dir = path.resolve(opts.dir);
  // Loaded here only: `passerelle serve` shares this entry point and must not load the development PKI.
  const { generateTrustDirectory } = await import('../dev-pki/trust-directory.js');
  await generateTrustDirectory({ dir, overwrite: opts.overwrite });
  process.stdout.write(`Example trust directory written to ${dir}: CA, gateway certificate and OpenPGP key, one certificate and key pair per partner, partners.json.\nExample keys only: never use them in production.\n`);
  return EXIT.ok;
}

export async function runRotateGatewayKey(opts: { dir: string; validityDays: number | undefined }): Promise<number> {
  const dir = path.resolve(opts.dir);
  const rotated = await rotateGatewayKey({ dir, ...(opts.validityDays === undefined ? {} : { validityDays: opts.validityDays }) });
  process.stdout.write(
    [
      `New gateway OpenPGP key ${rotated.fingerprint.toUpperCase()} (valid until ${rotated.expires.toISOString()}) added to ${dir}/gateway/openpgp.key.asc and ${dir}/gateway/openpgp.asc.`,
      `Previous keys kept: ${rotated.previous.map((f) => f.toUpperCase()).join(', ') || 'none'} (they still decrypt, and verify earlier receipts and checkpoints).`,
      'A running gateway signs with the new key once it reloads its keys (at once through its file watch, or on SIGHUP).',
      'Send the new gateway/openpgp.asc to every partner and auditor; remove a previous secret key only once no partner seals to it any more.',
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}
