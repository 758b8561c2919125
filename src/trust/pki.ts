/**
 * Generates a complete example trust directory (interface contract section 2) from nothing: a partner
 * CA, the gateway's TLS server certificate, one TLS client certificate per partner, OpenPGP keys for the
 * gateway and every partner, the partner registry and a README. Example material only: the secret keys
 * carry no passphrase and the CA key sits next to the certificates.
 *
 * RSA keys come from node:crypto (OpenSSL, native) because node-forge's pure-JS key generation takes
 * seconds per key; node-forge then only builds and signs the certificates.
 */
import { generateKeyPair as generateKeyPairCallback, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import fs from 'node:fs/promises';
import path from 'node:path';
import forge from 'node-forge';
import { generateKey } from 'openpgp';
import { GatewayError } from '../domain/errors.js';
import type { MinimisationRule, Partner } from './partner.js';
import { parseRegistry } from './registry.js';
import { LAYOUT } from './trust-store.js';

export type PartnerSeed = Partner;

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
// NIST SP 800-57 and the ANSSI RGS accept RSA 2048 for example and short-lived material; the gateway
// itself accepts stronger partner keys.
const RSA_BITS = 2048;
const GATEWAY_TLS_CN = 'passerelle-gateway';
const EMAIL_DOMAIN = 'passerelle.example';

const SPE_AGENCY = {
  role: 'agency',
  sends: ['acknowledgement', 'status-update', 'referral'],
  // dossier and withdrawal come from the gateway itself (src/trust/gateway-partner.ts).
  receives: ['orientation', 'referral', 'dossier', 'withdrawal'],
} as const;

const HEALTH_CONSENT = { field: '/body/consent/healthData', equals: true } as const;
const HEALTH_CONSTRAINT = { forbiddenFields: ['/body/constraints/*/theme'], forbiddenValues: ['SANTE'] };

/**
 * Health data (RQTH and other BOE titles, a SANTE constraint, the consent that reveals them) is art. 9
 * data: only Cap emploi and France Travail receive it, and only with the person's consent (domain notes
 * 3.7 and 7.2; CNIL délib. 2023-005).
 */
const HEALTH_DATA_WITH_CONSENT: MinimisationRule[] = [
  { rule: 'health-data-with-consent-only', messageTypes: ['orientation'], forbiddenFields: ['/body/disability'], unless: HEALTH_CONSENT },
  { rule: 'health-constraint-with-consent-only', messageTypes: ['orientation'], ...HEALTH_CONSTRAINT, unless: HEALTH_CONSENT },
];
const NO_HEALTH_DATA: MinimisationRule[] = [
  { rule: 'health-data-cap-emploi-france-travail-only', messageTypes: ['orientation'], forbiddenFields: ['/body/disability', '/body/consent'] },
  { rule: 'health-constraint-cap-emploi-france-travail-only', messageTypes: ['orientation'], ...HEALTH_CONSTRAINT },
];
/** RSA and ARE rights go to the Ville de Paris and France Travail only (domain notes 4.1, "Droits"); `false` is no right. */
const NO_INCOME_SUPPORT_RIGHTS: MinimisationRule = {
  rule: 'income-support-rights-ville-de-paris-france-travail-only',
  messageTypes: ['orientation'],
  forbiddenFields: ['/body/situation/rsaBeneficiary', '/body/situation/unemploymentBenefitEntitled'],
  forbiddenValues: [true],
};

/** The partners of the interface contract, section 1. */
export const DEFAULT_PARTNERS: readonly PartnerSeed[] = Object.freeze([
  {
    id: 'ofii-paris',
    name: 'OFII, direction territoriale de Paris',
    role: 'agency',
    sends: ['orientation', 'opt-out'],
    receives: ['acknowledgement', 'status-update', 'expiry'],
    eligibility: [],
    minimisation: [],
  },
  { id: 'france-travail-paris', name: 'France Travail, direction territoriale de Paris', ...spe(), eligibility: [], minimisation: HEALTH_DATA_WITH_CONSENT },
  {
    id: 'mission-locale-paris',
    name: 'Mission Locale de Paris',
    ...spe(),
    eligibility: [{ rule: 'mission-locale-age', kind: 'age-between', min: 16, max: 25, messageTypes: ['orientation'] }],
    minimisation: [...NO_HEALTH_DATA, NO_INCOME_SUPPORT_RIGHTS],
  },
  {
    id: 'cap-emploi-75',
    name: 'Cap emploi 75',
    ...spe(),
    eligibility: [{ rule: 'cap-emploi-disability', kind: 'recognised-disability-with-consent', messageTypes: ['orientation'] }],
    minimisation: [...HEALTH_DATA_WITH_CONSENT, NO_INCOME_SUPPORT_RIGHTS],
  },
  {
    id: 'epec-paris',
    name: 'Ensemble Paris Emploi Compétences (PLIE)',
    ...spe(),
    eligibility: [],
    minimisation: [...NO_HEALTH_DATA, NO_INCOME_SUPPORT_RIGHTS],
  },
  { id: 'ville-de-paris', name: "Ville de Paris, services de l'emploi", ...spe(), eligibility: [], minimisation: NO_HEALTH_DATA },
  {
    id: 'ftda-paris',
    name: "France terre d'asile",
    ...spe(),
    eligibility: [
      {
        rule: 'ftda-international-protection',
        kind: 'residence-grounds-in',
        grounds: ['PI_REFUGIE', 'PI_PROTECTION_SUBSIDIAIRE', 'PI_APATRIDE', 'PI_FAMILLE_BPI'],
        messageTypes: ['orientation'],
      },
    ],
    minimisation: [...NO_HEALTH_DATA, NO_INCOME_SUPPORT_RIGHTS],
  },
  { id: 'prefecture-paris', name: 'Préfecture de Paris, comité de pilotage', role: 'statistics', sends: [], receives: [], eligibility: [], minimisation: [] },
  { id: 'auditor', name: 'Auditeur (délégué à la protection des données)', role: 'auditor', sends: [], receives: [], eligibility: [], minimisation: [] },
]);

/** The partners.json the generator writes for these partners (the committed certs.example/partners.json for the defaults). */
export function registryJson(partners: readonly PartnerSeed[]): string {
  return `${JSON.stringify({ version: 1, partners }, null, 2)}\n`;
}

function spe(): Pick<Partner, 'role' | 'sends' | 'receives'> {
  return { role: SPE_AGENCY.role, sends: [...SPE_AGENCY.sends], receives: [...SPE_AGENCY.receives] };
}

interface RsaKey {
  pkcs8Pem: string;
  forgePrivate: forge.pki.rsa.PrivateKey;
  forgePublic: forge.pki.rsa.PublicKey;
}

const generateKeyPair = promisify(generateKeyPairCallback);

async function rsaKey(): Promise<RsaKey> {
  const { privateKey } = await generateKeyPair('rsa', {
    modulusLength: RSA_BITS,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const forgePrivate = forge.pki.privateKeyFromPem(privateKey);
  return { pkcs8Pem: privateKey, forgePrivate, forgePublic: forge.pki.setRsaPublicKey(forgePrivate.n, forgePrivate.e) };
}

/**
 * RFC 5280 section 4.1.2.2: a positive integer of at most 20 octets. The first octet is kept in
 * 0x01..0x7f so the DER INTEGER is positive and minimally encoded (forge writes the bytes as given).
 */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! % 0x7f) + 1;
  return bytes.toString('hex');
}

type NameAttribute = { shortName: string; value: string; valueTagClass: number };

/** UTF8String (RFC 5280 section 4.1.2.4) so that accented organisation names survive. */
function distinguishedName(fields: { CN: string; O: string }): NameAttribute[] {
  const utf8 = forge.asn1.Type.UTF8 as number;
  return [
    { shortName: 'O', value: fields.O, valueTagClass: utf8 },
    { shortName: 'CN', value: fields.CN, valueTagClass: utf8 },
  ];
}

interface IssueOptions {
  subject: NameAttribute[];
  key: RsaKey;
  issuer: { subject: NameAttribute[]; key: RsaKey; cert: forge.pki.Certificate } | 'self';
  extensions: object[];
  notBefore: Date;
  notAfter: Date;
}

function issue(opts: IssueOptions): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = opts.key.forgePublic;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = opts.notBefore;
  cert.validity.notAfter = opts.notAfter;
  cert.setSubject(opts.subject);
  const issuer = opts.issuer === 'self' ? { subject: opts.subject, key: opts.key, cert } : opts.issuer;
  cert.setIssuer(issuer.subject);
  const authorityKeyId = issuer.cert === cert ? undefined : issuer.cert.generateSubjectKeyIdentifier().getBytes();
  cert.setExtensions([
    ...opts.extensions,
    { name: 'subjectKeyIdentifier' },
    ...(authorityKeyId === undefined ? [] : [{ name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyId }]),
  ]);
  cert.sign(issuer.key.forgePrivate, forge.md.sha256.create());
  return cert;
}

function leafExtensions(purpose: 'serverAuth' | 'clientAuth', altNames?: object[]): object[] {
  return [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', [purpose]: true },
    ...(altNames === undefined ? [] : [{ name: 'subjectAltName', altNames }]),
  ];
}

export async function openpgpKeyPair(opts: { name: string; email: string; comment?: string; now: Date; validityDays: number }) {
  // curve25519Legacy (EdDSA + ECDH, version 4 keys): what GnuPG 2.2 can import and use; the RFC 9580
  // Ed25519/X25519 algorithms would not import there (see the OpenPGP notes of the project).
  const { publicKey, privateKey } = await generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: opts.name, email: opts.email, ...(opts.comment ? { comment: opts.comment } : {}) }],
    date: opts.now,
    keyExpirationTime: opts.validityDays * 86_400,
    format: 'armored',
  });
  return { publicKey, privateKey };
}

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

function readme(opts: { notAfter: Date; partners: readonly PartnerSeed[] }): string {
  const until = opts.notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const rows = opts.partners.map((p) => `| \`${p.id}\` | ${p.name} | ${p.role} |`).join('\n');
  return `# Example trust directory — EXAMPLE KEYS ONLY

**These keys are published in a public repository. Never use them in production**, not even for a
test with real data: anyone can read every secret key below.

This directory is a complete trust configuration (interface contract, section 2) for local
development, the tests and the demo. The gateway reads it when \`PASSERELLE_CERTS_DIR\` is unset.

Every certificate and OpenPGP key here expires on **${until}**. Regenerate the directory before then.

## Regenerate

\`\`\`sh
npx passerelle pki init --dir certs.example --overwrite
\`\`\`

This replaces every key and certificate (new CA, new fingerprints) and rewrites this file; files
other than the ones listed below are kept. Without \`--overwrite\` the command refuses a non-empty
directory.

## Files

| file | what it is | read by the gateway |
|---|---|---|
| \`ca.crt\` | the partner CA (PEM, RSA ${RSA_BITS}, SHA-256): issues every client certificate and, in this example, the gateway's server certificate, so partners verify the gateway with the same file | yes |
| \`ca.key\` | the CA's private key, here **only so the example can be regenerated or extended** with new partners. A real CA key never lives in a trust directory, nor on the gateway host | no |
| \`partners.json\` | the partner registry, validated against \`schemas/partners.schema.json\`: roles, message types each partner may send and receive, eligibility and minimisation rules | yes |
| \`gateway/tls.crt\`, \`gateway/tls.key\` | the gateway's TLS server certificate (CN=${GATEWAY_TLS_CN}, SAN DNS:localhost, IP:127.0.0.1, IP:::1) and its key | yes |
| \`gateway/openpgp.asc\` | the gateway's OpenPGP public key: partners encrypt to it and verify its receipts and checkpoints | yes |
| \`gateway/openpgp.key.asc\` | the gateway's OpenPGP secret key (no passphrase) | yes |
| \`partners/<id>/tls.crt\`, \`tls.key\` | the partner's TLS client certificate (subject CN = \`<id>\`, O = its name) and key | the certificate only, if present |
| \`partners/<id>/openpgp.asc\` | the partner's OpenPGP public key (required for an agency) | yes |
| \`partners/<id>/openpgp.key.asc\` | the partner's OpenPGP secret key (no passphrase), here only so the tests and the demo can act as the partner | **never** |

Private key files are created with mode 0600; git does not keep that mode, so a fresh checkout has
them readable by all local users, which is acceptable for example keys only.

OpenPGP keys are version 4 EdDSA/ECDH keys on Curve25519 (\`curve25519Legacy\` in OpenPGP.js),
which GnuPG 2.2 and later import and use. TLS certificates are RSA ${RSA_BITS} with SHA-256
signatures and random 128-bit serial numbers.

## Partners

| id | name | role |
|---|---|---|
${rows}
`;
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
