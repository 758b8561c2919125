/**
 * Loads a trust directory (docs/interface.md, section 2): the partner CA, the registry, the gateway's
 * TLS and OpenPGP keys, and each registered partner's public OpenPGP keys. Everything is parsed and
 * cross-checked here so that a broken configuration stops the gateway with one readable line instead
 * of failing a partner's request later.
 *
 * The OpenPGP keys (partners/<id>/openpgp.asc, gateway/openpgp.asc, gateway/openpgp.key.asc) can be
 * read again while the gateway runs ({@link TrustStore.reload}, on SIGHUP or a change of the files):
 * that is how a partner's key is rotated or revoked without a restart. A reload builds a complete new
 * snapshot and swaps it in one assignment; a file that does not load leaves the previous snapshot in
 * force. The CA, the TLS files and partners.json are read at start only (see reload()).
 *
 * The gateway reads no partner secret: partners/<id>/tls.key and partners/<id>/openpgp.key.asc exist in
 * the example directory only, and only loadPartnerCredentials (the CLI and tests acting as a partner)
 * opens them.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { newestCurrent, unrevoked, type RingKey } from '../crypto/key-ring.js';
import { readKeyRing, readPrivateKey, readPrivateKeys, type PrivateKey, type PublicKey } from '../crypto/keys.js';
import { GATEWAY_ID } from '../domain/gateway-partner.js';
import { GatewayError } from '../domain/errors.js';
import type { Partner } from '../domain/partner.js';
import { parseRegistry, type Registry } from './registry.js';

export interface PartnerTrust {
  partner: Partner;
  /**
   * The partner's registered OpenPGP keys that are not revoked, newest first; empty for a statistics or
   * auditor partner without a key. Expired keys stay: openpgp checks each signature against the
   * validity of its key at the time of use, and the refusal then says "expired".
   */
  publicKeys: PublicKey[];
  /** Every key of partners/<id>/openpgp.asc with its validity, revoked ones included. */
  keyRing: readonly RingKey[];
  /** partners/<id>/tls.crt when present; the gateway authenticates partners by ca.crt and the CN only. */
  certificatePem: string | undefined;
}

export interface GatewayKeys {
  tlsCertPem: string;
  tlsKeyPem: string;
  /**
   * The newest gateway secret key valid now (by the keys' own dates): it signs receipts, checkpoints
   * and the gateway's messages. Read at each use, so that a key that expires hands over to the next.
   */
  privateKey: PrivateKey;
  publicKey: PublicKey;
  fingerprint: string;
  /** Every unrevoked secret key of gateway/openpgp.key.asc, newest first: partners may seal to any of them during a rotation. */
  decryptionKeys: PrivateKey[];
  /** gateway/openpgp.asc without its revoked keys: the current and previous public keys, which verify earlier receipts and checkpoints. */
  publishedKeys: PublicKey[];
  /** The unrevoked secret keys with their validity, newest first: what the operator watches expire (src/observability). */
  readonly keyRing: readonly RingKey<PrivateKey>[];
}

/** What a reload found worth telling the operator. */
export interface TrustReload {
  /** One line per partner without a valid key, or with its newest key about to expire; no personal data. */
  warnings: string[];
  /** Fingerprints of keys revoked or removed since the previous snapshot, per owner ("passerelle" for the gateway). */
  withdrawn: string[];
}

export interface TrustStore {
  dir: string;
  registry: Registry;
  caPem: string;
  /** The gateway's keys of the current snapshot. */
  readonly gateway: GatewayKeys;
  /** undefined for an id that is not in the registry. */
  partner(id: string): PartnerTrust | undefined;
  /** Warnings of the keys in force (partners without a valid key, keys about to expire …). */
  readonly warnings: readonly string[];
  /**
   * Reads the OpenPGP keys again and swaps them in at once. Throws GatewayError('config_invalid')
   * naming the file to fix, the previous keys staying in force.
   */
  reload(): Promise<TrustReload>;
}

/** The relative paths of a trust directory, docs/interface.md, section 2. */
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

  let snapshot = await loadOpenpgpSnapshot({ dir, registry, gatewayPublicArmored, gatewaySecretArmored, now });
  const gatewayView: GatewayKeys = {
    tlsCertPem,
    tlsKeyPem,
    get privateKey() {
      return currentGatewayKey(snapshot, new Date()).key;
    },
    get publicKey() {
      return publicOf(snapshot, currentGatewayKey(snapshot, new Date()).fingerprint);
    },
    get fingerprint() {
      return currentGatewayKey(snapshot, new Date()).key.getFingerprint();
    },
    get decryptionKeys() {
      return snapshot.gatewayDecryptionKeys;
    },
    get publishedKeys() {
      return snapshot.gatewayPublished;
    },
    get keyRing() {
      return snapshot.gatewaySecrets;
    },
  };
  Object.freeze(gatewayView);
  let reloading: Promise<TrustReload> | undefined;

  const reload = async (): Promise<TrustReload> => {
    const [publicArmored, secretArmored, registryNow] = await Promise.all([
      readRequired(dir, LAYOUT.gatewayPublicKey, fix),
      readRequired(dir, LAYOUT.gatewaySecretKey, fix),
      readIfPresent(source(LAYOUT.registry)),
    ]);
    const next = await loadOpenpgpSnapshot({ dir, registry, gatewayPublicArmored: publicArmored, gatewaySecretArmored: secretArmored, now: new Date() });
    const withdrawn = withdrawnKeys(snapshot, next);
    snapshot = next;
    const warnings = [...next.warnings];
    // The registry shapes the AMQP topology (one queue per recipient, declared at start): applying it
    // live would half-apply it. Say so rather than ignore the edit silently.
    if (registryNow !== registryJson) warnings.push(`${LAYOUT.registry} changed since the start; restart the gateway to apply it (partner keys were reloaded, the registry was not).`);
    return { warnings, withdrawn };
  };

  return Object.freeze({
    dir,
    registry,
    caPem,
    gateway: gatewayView,
    get warnings() {
      return snapshot.warnings;
    },
    partner: (id: string) => snapshot.partners.get(id),
    // One reload at a time: a SIGHUP during a file-watch reload waits for it, then reads again.
    reload: () => {
      const run = (reloading ?? Promise.resolve()).catch(() => undefined).then(reload);
      reloading = run;
      return run;
    },
  });
}

/** The OpenPGP part of a trust directory at one moment, swapped as a whole on reload. */
interface OpenpgpSnapshot {
  partners: Map<string, PartnerTrust>;
  gatewaySecrets: RingKey<PrivateKey>[];
  gatewayDecryptionKeys: PrivateKey[];
  gatewayPublished: PublicKey[];
  warnings: string[];
}

/** A key that expires within this many days is announced at each load, so that its owner publishes the next one in time. */
export const EXPIRY_NOTICE_DAYS = 30;

function currentGatewayKey(snapshot: OpenpgpSnapshot, now: Date): RingKey<PrivateKey> {
  // When every key expired, the newest still signs: openpgp then refuses with "expired", which the
  // operator reads in the log, rather than a gateway that cannot even start to say so.
  return newestCurrent(snapshot.gatewaySecrets, now) ?? unrevoked(snapshot.gatewaySecrets)[0]!;
}

function publicOf(snapshot: OpenpgpSnapshot, fingerprint: string): PublicKey {
  return snapshot.gatewayPublished.find((key) => key.getFingerprint().toLowerCase() === fingerprint)!;
}

function withdrawnKeys(before: OpenpgpSnapshot, after: OpenpgpSnapshot): string[] {
  const usable = (snapshot: OpenpgpSnapshot) => {
    const keys = new Set<string>();
    for (const [id, trust] of snapshot.partners) for (const key of trust.publicKeys) keys.add(`${id} ${key.getFingerprint()}`);
    for (const key of snapshot.gatewayDecryptionKeys) keys.add(`${GATEWAY_ID} ${key.getFingerprint()}`);
    return keys;
  };
  const next = usable(after);
  return [...usable(before)].filter((entry) => !next.has(entry));
}

function expiryWarning(owner: string, ring: readonly RingKey<PublicKey | PrivateKey>[], now: Date): string | undefined {
  const current = newestCurrent(ring, now);
  if (current === undefined) {
    return `${owner} has no valid OpenPGP key (${ring.length === 0 ? 'none registered' : ring.map((e) => `${e.fingerprint} ${e.revoked ? 'revoked' : 'expired or not yet valid'}`).join(', ')}): its messages are refused (signature_invalid) and nothing can be delivered to it (recipient_not_allowed) until a current key is published.`;
  }
  if (current.expires !== undefined && current.expires.getTime() - now.getTime() < EXPIRY_NOTICE_DAYS * 86_400_000) {
    return `${owner}'s newest OpenPGP key ${current.fingerprint} expires on ${current.expires.toISOString()}: a new key must be published before then.`;
  }
  return undefined;
}

async function loadOpenpgpSnapshot(opts: {
  dir: string;
  registry: Registry;
  gatewayPublicArmored: string;
  gatewaySecretArmored: string;
  now: Date;
}): Promise<OpenpgpSnapshot> {
  const { dir, registry, now } = opts;
  const source = (relative: string) => path.join(dir, relative);
  const warnings: string[] = [];

  const [publishedRing, secretRing] = await Promise.all([
    readKeyRing({ armored: opts.gatewayPublicArmored, source: source(LAYOUT.gatewayPublicKey) }),
    readPrivateKeys({ armored: opts.gatewaySecretArmored, source: source(LAYOUT.gatewaySecretKey) }),
  ]);
  const gatewaySecrets = unrevoked(secretRing);
  if (gatewaySecrets.length === 0) {
    throw new GatewayError('config_invalid', `Every secret key in ${source(LAYOUT.gatewaySecretKey)} is revoked; add a new gateway key (passerelle pki rotate-gateway-key --dir ${dir}).`);
  }
  // A key the gateway signs with must be published, or partners cannot check their receipts.
  for (const secret of gatewaySecrets) {
    const published = publishedRing.find((entry) => entry.fingerprint === secret.fingerprint);
    if (published === undefined || published.revoked) {
      throw new GatewayError(
        'config_invalid',
        `${source(LAYOUT.gatewayPublicKey)} does not hold the public key of ${source(LAYOUT.gatewaySecretKey)} (fingerprint ${secret.key.getFingerprint()}). Export the public key of that secret key into it.`,
      );
    }
  }
  const gatewayWarning = expiryWarning('The gateway', gatewaySecrets, now);
  if (gatewayWarning !== undefined) warnings.push(gatewayWarning);

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
      const keyRing = armored === undefined ? [] : await readKeyRing({ armored, source: source(keyFile) });
      if (armored !== undefined) {
        const warning = expiryWarning(`Partner ${partner.id}`, keyRing, now);
        if (warning !== undefined) warnings.push(warning);
      }
      const publicKeys = unrevoked(keyRing).map((entry) => entry.key);
      partners.set(partner.id, Object.freeze({ partner, publicKeys: Object.freeze(publicKeys) as PublicKey[], keyRing: Object.freeze(keyRing), certificatePem }));
    }),
  );

  return {
    partners,
    gatewaySecrets,
    gatewayDecryptionKeys: Object.freeze(gatewaySecrets.map((entry) => entry.key)) as PrivateKey[],
    gatewayPublished: Object.freeze(unrevoked(publishedRing).map((entry) => entry.key)) as PublicKey[],
    warnings: warnings.sort(),
  };
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
