/**
 * Loads a trust directory (interface contract section 2) once, at start: the partner CA, the registry,
 * the gateway's TLS and OpenPGP keys, and each registered partner's public OpenPGP key. Everything is
 * parsed and cross-checked here so that a broken configuration stops the gateway with one readable
 * line instead of failing a partner's request later.
 *
 * The gateway reads no partner secret: partners/<id>/tls.key and partners/<id>/openpgp.key.asc exist in
 * the example directory only, and only loadPartnerCredentials (the CLI and tests acting as a partner)
 * opens them.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PrivateKey, PublicKey } from 'openpgp';
import { readPrivateKey, readPublicKeys } from '../crypto/openpgp.js';
import { GatewayError } from '../domain/errors.js';
import type { Partner } from './partner.js';
import { parseRegistry, type Registry } from './registry.js';

export interface PartnerTrust {
  partner: Partner;
  /** The partner's registered OpenPGP keys; empty for a statistics or auditor partner without a key. */
  publicKeys: PublicKey[];
  /** partners/<id>/tls.crt when present; the gateway authenticates partners by ca.crt and the CN only. */
  certificatePem: string | undefined;
}

export interface TrustStore {
  dir: string;
  registry: Registry;
  caPem: string;
  gateway: { tlsCertPem: string; tlsKeyPem: string; publicKey: PublicKey; privateKey: PrivateKey; fingerprint: string };
  /** undefined for an id that is not in the registry. */
  partner(id: string): PartnerTrust | undefined;
}

/** The relative paths of a trust directory, interface contract section 2. */
export const LAYOUT = Object.freeze({
  caCert: 'ca.crt',
  caKey: 'ca.key',
  registry: 'partners.json',
  readme: 'README.md',
  gatewayTlsCert: 'gateway/tls.crt',
  gatewayTlsKey: 'gateway/tls.key',
  gatewayPublicKey: 'gateway/openpgp.asc',
  gatewaySecretKey: 'gateway/openpgp.key.asc',
  partnerTlsCert: (id: string) => `partners/${id}/tls.crt`,
  partnerTlsKey: (id: string) => `partners/${id}/tls.key`,
  partnerPublicKey: (id: string) => `partners/${id}/openpgp.asc`,
  partnerSecretKey: (id: string) => `partners/${id}/openpgp.key.asc`,
});

const PARTNER_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

function generateHint(dir: string): string {
  return `run \`passerelle pki init --dir ${dir}\` to generate an example trust directory`;
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GatewayError(
      'config_invalid',
      `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}). Check its permissions.`,
      { cause: err },
    );
  }
}

async function readRequired(dir: string, relative: string, whatToDo: string): Promise<string> {
  const text = await readIfPresent(path.join(dir, relative));
  if (text === undefined) {
    throw new GatewayError('config_invalid', `${dir}: ${relative} is missing. ${whatToDo}`);
  }
  return text;
}

function certificate(pem: string, source: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new GatewayError('config_invalid', `${source} is not a PEM X.509 certificate. Replace it with the right file.`, { cause: err });
  }
}

function checkCurrent(cert: X509Certificate, source: string, now: Date, dir: string): void {
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now < from || now > to) {
    throw new GatewayError(
      'config_invalid',
      `${source} is valid from ${from.toISOString()} to ${to.toISOString()}, not now. Renew it (for the example directory, ${generateHint(dir)} --overwrite).`,
    );
  }
}

async function ensureDirectory(dir: string): Promise<void> {
  try {
    const stat = await fs.stat(dir);
    if (stat.isDirectory()) return;
  } catch {
    // Reported below, with what to do.
  }
  throw new GatewayError(
    'config_invalid',
    `The trust directory ${dir} does not exist or is not a directory. Set PASSERELLE_CERTS_DIR to a trust directory, or ${generateHint(dir)}.`,
  );
}

export async function loadTrustStore(opts: { dir: string; now?: Date }): Promise<TrustStore> {
  const { dir } = opts;
  const now = opts.now ?? new Date();
  const fix = `Put the file there, or ${generateHint(dir)}.`;
  await ensureDirectory(dir);

  const [caPem, registryJson, tlsCertPem, tlsKeyPem, gatewayPublicArmored, gatewaySecretArmored] = await Promise.all([
    readRequired(dir, LAYOUT.caCert, fix),
    readRequired(dir, LAYOUT.registry, fix),
    readRequired(dir, LAYOUT.gatewayTlsCert, fix),
    readRequired(dir, LAYOUT.gatewayTlsKey, fix),
    readRequired(dir, LAYOUT.gatewayPublicKey, fix),
    readRequired(dir, LAYOUT.gatewaySecretKey, fix),
  ]);
  const source = (relative: string) => path.join(dir, relative);

  const ca = certificate(caPem, source(LAYOUT.caCert));
  if (!ca.ca) {
    throw new GatewayError('config_invalid', `${source(LAYOUT.caCert)} is not a CA certificate (basicConstraints CA:TRUE). Put the partner CA there.`);
  }
  checkCurrent(ca, source(LAYOUT.caCert), now, dir);

  const tlsCert = certificate(tlsCertPem, source(LAYOUT.gatewayTlsCert));
  checkCurrent(tlsCert, source(LAYOUT.gatewayTlsCert), now, dir);
  let keyMatches: boolean;
  try {
    keyMatches = tlsCert.checkPrivateKey(createPrivateKey(tlsKeyPem));
  } catch (err) {
    throw new GatewayError('config_invalid', `${source(LAYOUT.gatewayTlsKey)} is not a PEM private key without passphrase. Replace it.`, { cause: err });
  }
  if (!keyMatches) {
    throw new GatewayError(
      'config_invalid',
      `${source(LAYOUT.gatewayTlsKey)} is not the key of ${source(LAYOUT.gatewayTlsCert)}. Put the matching certificate and key there.`,
    );
  }

  const registry = parseRegistry(registryJson, source(LAYOUT.registry));

  const [gatewayPublicKeys, privateKey] = await Promise.all([
    readPublicKeys({ armored: gatewayPublicArmored, source: source(LAYOUT.gatewayPublicKey) }),
    readPrivateKey({ armored: gatewaySecretArmored, source: source(LAYOUT.gatewaySecretKey) }),
  ]);
  const fingerprint = privateKey.getFingerprint();
  const publicKey = gatewayPublicKeys.find((key) => key.getFingerprint() === fingerprint);
  if (publicKey === undefined) {
    throw new GatewayError(
      'config_invalid',
      `${source(LAYOUT.gatewayPublicKey)} does not hold the public key of ${source(LAYOUT.gatewaySecretKey)} (fingerprint ${fingerprint}). Export the public key of that secret key into it.`,
    );
  }

  const partners = new Map<string, PartnerTrust>();
  await Promise.all(
    [...registry.partners.values()].map(async (partner) => {
      const keyFile = LAYOUT.partnerPublicKey(partner.id);
      const [armored, certificatePem] = await Promise.all([
        readIfPresent(path.join(dir, keyFile)),
        readIfPresent(path.join(dir, LAYOUT.partnerTlsCert(partner.id))),
      ]);
      // Statistics and auditor partners never send, so nothing of theirs is ever verified.
      if (armored === undefined && partner.role === 'agency') {
        throw new GatewayError(
          'config_invalid',
          `${dir}: ${keyFile} is missing; the agency "${partner.id}" needs its OpenPGP public key. Put it there, or remove the partner from ${LAYOUT.registry}.`,
        );
      }
      if (certificatePem !== undefined) certificate(certificatePem, source(LAYOUT.partnerTlsCert(partner.id)));
      const publicKeys = armored === undefined ? [] : await readPublicKeys({ armored, source: source(keyFile) });
      partners.set(partner.id, Object.freeze({ partner, publicKeys: Object.freeze(publicKeys) as PublicKey[], certificatePem }));
    }),
  );

  return Object.freeze({
    dir,
    registry,
    caPem,
    gateway: Object.freeze({ tlsCertPem, tlsKeyPem, publicKey, privateKey, fingerprint }),
    partner: (id: string) => partners.get(id),
  });
}

/** Where the example directory keeps a partner's secrets, for the CLI and tests acting as that partner. */
export function partnerSecretPaths(dir: string, id: string): { tlsCert: string; tlsKey: string; openpgpSecretKey: string } {
  // The id becomes a path: refuse anything that is not a partner id (no "..", no "/").
  if (!PARTNER_ID.test(id)) {
    throw new GatewayError('config_invalid', `"${id}" is not a partner id (lower-case letters, digits and dashes). Use an id of partners.json.`);
  }
  return {
    tlsCert: path.join(dir, LAYOUT.partnerTlsCert(id)),
    tlsKey: path.join(dir, LAYOUT.partnerTlsKey(id)),
    openpgpSecretKey: path.join(dir, LAYOUT.partnerSecretKey(id)),
  };
}

export async function loadPartnerCredentials(opts: {
  dir: string;
  id: string;
}): Promise<{ tlsCertPem: string; tlsKeyPem: string; caPem: string; privateKey: PrivateKey }> {
  const paths = partnerSecretPaths(opts.dir, opts.id);
  const relative = (file: string) => path.relative(opts.dir, file);
  const fix = `Only an example trust directory holds partner secrets; ${generateHint(opts.dir)}, or use the partner's own files.`;
  const [tlsCertPem, tlsKeyPem, caPem, armored] = await Promise.all([
    readRequired(opts.dir, relative(paths.tlsCert), fix),
    readRequired(opts.dir, relative(paths.tlsKey), fix),
    readRequired(opts.dir, LAYOUT.caCert, fix),
    readRequired(opts.dir, relative(paths.openpgpSecretKey), fix),
  ]);
  const privateKey = await readPrivateKey({ armored, source: paths.openpgpSecretKey });
  return { tlsCertPem, tlsKeyPem, caPem, privateKey };
}
