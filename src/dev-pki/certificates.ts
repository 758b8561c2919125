/**
 * RSA keys and X.509 certificates of the example trust directory. Development PKI: the running gateway
 * never imports this folder.
 *
 * RSA keys come from node:crypto (OpenSSL, native) because node-forge's pure-JS key generation takes
 * seconds per key; node-forge then only builds and signs the certificates.
 */
import { generateKeyPair as generateKeyPairCallback, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

// NIST SP 800-57 and the ANSSI RGS accept RSA 2048 for example and short-lived material; the gateway
// itself accepts stronger partner keys.
export const RSA_BITS = 2048;
export const GATEWAY_TLS_CN = 'passerelle-gateway';

export interface RsaKey {
  pkcs8Pem: string;
  forgePrivate: forge.pki.rsa.PrivateKey;
  forgePublic: forge.pki.rsa.PublicKey;
}

const generateKeyPair = promisify(generateKeyPairCallback);

export async function rsaKey(): Promise<RsaKey> {
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

export type NameAttribute = { shortName: string; value: string; valueTagClass: number };

/** UTF8String (RFC 5280 section 4.1.2.4) so that accented organisation names survive. */
export function distinguishedName(fields: { CN: string; O: string }): NameAttribute[] {
  const utf8 = forge.asn1.Type.UTF8 as number;
  return [
    { shortName: 'O', value: fields.O, valueTagClass: utf8 },
    { shortName: 'CN', value: fields.CN, valueTagClass: utf8 },
  ];
}

export interface IssueOptions {
  subject: NameAttribute[];
  key: RsaKey;
  issuer: { subject: NameAttribute[]; key: RsaKey; cert: forge.pki.Certificate } | 'self';
  extensions: object[];
  notBefore: Date;
  notAfter: Date;
}

export function issue(opts: IssueOptions): forge.pki.Certificate {
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

export function leafExtensions(purpose: 'serverAuth' | 'clientAuth', altNames?: object[]): object[] {
  return [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', [purpose]: true },
    ...(altNames === undefined ? [] : [{ name: 'subjectAltName', altNames }]),
  ];
}
