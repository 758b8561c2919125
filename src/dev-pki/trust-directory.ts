/**
 * Generates a complete example trust directory (docs/interface.md, section 2) from nothing: a partner
 * CA, the gateway's TLS server certificate, one TLS client certificate per partner, OpenPGP keys for the
 * gateway and every partner, the partner registry and a README. Example material only: the secret keys
 * carry no passphrase and the CA key sits next to the certificates.
 *
 * Development PKI, for `passerelle pki init`, the demo, the tests and certs.example: the running
 * gateway never imports this folder (test/dev-pki/boundary.test.ts holds it to that). A real
 * deployment's CA, certificates and keys come from the agencies' own PKI.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import forge from 'node-forge';
import { openpgpKeyPair } from '../crypto/key-generation.js';
import { GatewayError } from '../domain/errors.js';
import { parseRegistry } from '../trust/registry.js';
import { LAYOUT } from '../trust/trust-store.js';
import { distinguishedName, GATEWAY_TLS_CN, issue, leafExtensions, rsaKey } from './certificates.js';
import { DEFAULT_PARTNERS, registryJson, type PartnerSeed } from './example-partners.js';
import { readme } from './readme.js';

export interface GenerateTrustDirectoryOptions {
  dir: string;
  /** Partners to create; default DEFAULT_PARTNERS. */
  partners?: readonly PartnerSeed[];
  /** Start of validity of every certificate and OpenPGP key; default the current time. */
  now?: Date;
  /** Lifetime of every certificate and OpenPGP key; default 825 days. */
  validityDays?: number;
  /** Replace the files of an existing trust directory instead of refusing. */
  overwrite?: boolean;
}

const DEFAULT_VALIDITY_DAYS = 825;
const EMAIL_DOMAIN = 'passerelle.example';

async function ensureWritable(dir: string, overwrite: boolean): Promise<void> {
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new GatewayError('config_invalid', `Cannot use ${dir} as a trust directory (${code ?? 'error'}). Choose another --dir.`, { cause: err });
  }
  if (entries.length > 0 && !overwrite) {
    throw new GatewayError(
      'config_invalid',
      `${dir} is not empty. Choose an empty or new directory, or pass --overwrite to replace the trust files in it (other files are kept).`,
    );
  }
}

/** Removes only files this generator writes, so that --overwrite of a mistaken --dir destroys nothing else. */
async function removePreviousTrustFiles(dir: string): Promise<void> {
  const fixed = [
    LAYOUT.caCert, LAYOUT.caKey, LAYOUT.registry, LAYOUT.readme,
    LAYOUT.gatewayTlsCert, LAYOUT.gatewayTlsKey, LAYOUT.gatewayPublicKey, LAYOUT.gatewaySecretKey,
  ];
  let partnerIds: string[] = [];
  try {
    partnerIds = await fs.readdir(path.join(dir, 'partners'));
  } catch {
    // No partners/ folder: nothing to remove there.
  }
  const perPartner = partnerIds.flatMap((id) => [
    LAYOUT.partnerTlsCert(id), LAYOUT.partnerTlsKey(id), LAYOUT.partnerPublicKey(id), LAYOUT.partnerSecretKey(id),
  ]);
  await Promise.all([...fixed, ...perPartner].map((file) => fs.rm(path.join(dir, file), { force: true })));
  const folders = [...partnerIds.map((id) => `partners/${id}`), 'partners', 'gateway'];
  for (const folder of folders) {
    await fs.rmdir(path.join(dir, folder)).catch(() => undefined); // kept when it still holds other files
  }
}

async function write(dir: string, file: string, content: string, secret = false): Promise<void> {
  const target = path.join(dir, file);
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target, content, { mode: secret ? 0o600 : 0o644 });
  await fs.chmod(target, secret ? 0o600 : 0o644);
}

export async function generateTrustDirectory(opts: GenerateTrustDirectoryOptions): Promise<void> {
  const partners = opts.partners ?? DEFAULT_PARTNERS;
  const now = opts.now ?? new Date();
  const validityDays = opts.validityDays ?? DEFAULT_VALIDITY_DAYS;
  if (!Number.isInteger(validityDays) || validityDays < 1) {
    throw new GatewayError('config_invalid', `The validity must be a whole number of days (1 or more), not ${validityDays}.`);
  }
  // Validate the seeds with the gateway's own registry rules before any key is made, so the
  // generator never writes a registry the gateway would refuse.
  const registry = registryJson(partners);
  parseRegistry(registry, 'the partner list given to generateTrustDirectory');

  await ensureWritable(opts.dir, opts.overwrite ?? false);

  const notBefore = now;
  const notAfter = new Date(now.getTime() + validityDays * 86_400_000);

  // Key generation is the slow part: run it all at once (libuv thread pool and openpgp's promises).
  const [caKey, gatewayKey, ...partnerKeys] = await Promise.all([rsaKey(), rsaKey(), ...partners.map(() => rsaKey())]);
  const [gatewayPgp, ...partnerPgp] = await Promise.all([
    openpgpKeyPair({ name: 'Passerelle gateway (example)', email: `gateway@${EMAIL_DOMAIN}`, now, validityDays }),
    ...partners.map((p) => openpgpKeyPair({ name: p.name, email: `${p.id}@${EMAIL_DOMAIN}`, now, validityDays })),
  ]);

  const caSubject = distinguishedName({ CN: 'Passerelle example partner CA', O: 'Passerelle (example)' });
  const caCert = issue({
    subject: caSubject,
    key: caKey!,
    issuer: 'self',
    notBefore,
    notAfter,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const ca = { subject: caSubject, key: caKey!, cert: caCert };

  const gatewayCert = issue({
    subject: distinguishedName({ CN: GATEWAY_TLS_CN, O: 'Passerelle (example)' }),
    key: gatewayKey!,
    issuer: ca,
    notBefore,
    notAfter,
    extensions: leafExtensions('serverAuth', [
      { type: 2, value: 'localhost' },
      { type: 7, ip: '127.0.0.1' },
      { type: 7, ip: '::1' },
    ]),
  });

  if (opts.overwrite) await removePreviousTrustFiles(opts.dir);
  await fs.mkdir(opts.dir, { recursive: true });

  const pem = (cert: forge.pki.Certificate) => forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
  await write(opts.dir, LAYOUT.caCert, pem(caCert));
  await write(opts.dir, LAYOUT.caKey, caKey!.pkcs8Pem, true);
  await write(opts.dir, LAYOUT.registry, registry);
  await write(opts.dir, LAYOUT.gatewayTlsCert, pem(gatewayCert));
  await write(opts.dir, LAYOUT.gatewayTlsKey, gatewayKey!.pkcs8Pem, true);
  await write(opts.dir, LAYOUT.gatewayPublicKey, gatewayPgp!.publicKey);
  await write(opts.dir, LAYOUT.gatewaySecretKey, gatewayPgp!.privateKey, true);

  for (const [index, partner] of partners.entries()) {
    const cert = issue({
      subject: distinguishedName({ CN: partner.id, O: partner.name }),
      key: partnerKeys[index]!,
      issuer: ca,
      notBefore,
      notAfter,
      extensions: leafExtensions('clientAuth'),
    });
    await write(opts.dir, LAYOUT.partnerTlsCert(partner.id), pem(cert));
    await write(opts.dir, LAYOUT.partnerTlsKey(partner.id), partnerKeys[index]!.pkcs8Pem, true);
    await write(opts.dir, LAYOUT.partnerPublicKey(partner.id), partnerPgp[index]!.publicKey);
    await write(opts.dir, LAYOUT.partnerSecretKey(partner.id), partnerPgp[index]!.privateKey, true);
  }

  await write(opts.dir, LAYOUT.readme, readme({ notAfter, partners }));
}
