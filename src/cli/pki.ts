import path from 'node:path';
import { rotateGatewayKey } from '../trust/key-rotation.js';
import type { CommandSpec } from './command-line.js';
import { EXIT } from './exit-codes.js';

export const PKI_INIT: CommandSpec = {
  name: 'pki init',
  summary: 'generate an example trust directory (CA, gateway and partner certificates and OpenPGP keys, partners.json)',
  usage: ['pki init [--dir DIR] [--overwrite]'],
  description: ['Example keys only: never use them in production. certs.example/ is already one; this makes another.'],
  options: {
    dir: { type: 'string', value: 'DIR', default: 'certs.example', help: 'where to write it' },
    overwrite: { type: 'boolean', default: false, help: 'replace the files already in DIR' },
  },
  examples: ['passerelle pki init --dir /tmp/trust'],
};

export const PKI_ROTATE: CommandSpec = {
  name: 'pki rotate-gateway-key',
  summary: 'add a new gateway OpenPGP key beside the current ones; it signs from the next reload',
  usage: ['pki rotate-gateway-key --dir DIR [--validity-days N]'],
  description: [
    'The previous keys stay: they still decrypt, and verify earlier receipts and checkpoints. A running gateway',
    'signs with the new key once it reloads its keys (at once through its file watch, or on SIGHUP).',
  ],
  options: {
    dir: { type: 'string', value: 'DIR', help: 'the trust directory (PASSERELLE_CERTS_DIR of the gateway)' },
    'validity-days': { type: 'string', value: 'N', help: 'how long the new key is valid, in days (1 or more)' },
  },
};

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
