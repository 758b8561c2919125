/**
 * The cryptographic policy of the gateway: what docs/interface.md (section 2) and the ANSSI rules
 * (RGS annex B1, guide "Mécanismes cryptographiques") allow for keys, signatures and ciphers.
 *
 * openpgp enforces most of this through the hardened configuration, but these checks read the packets
 * themselves so that the policy holds even if a future openpgp default loosens, and so that a refusal
 * can say exactly which rule was broken.
 */
import { enums } from 'openpgp';
import type { Key, Subkey } from 'openpgp';
import { GatewayError } from '../domain/errors.js';

/** RSA moduli under 2048 bits are forbidden (RGS annex B1, minimum modulus size); 3072 and more MUST be accepted. */
export const MIN_RSA_BITS = 2048;

/**
 * Hash algorithms accepted for message signatures, receipts and key self-signatures: SHA-2 and SHA-3
 * with at least 256 bits of output (RGS annex B1, minimum digest size beyond 2020). MD5, RIPEMD-160,
 * SHA-1 and SHA-224 are refused.
 */
export const ACCEPTED_HASH_ALGORITHMS: ReadonlySet<enums.hash> = new Set([
  enums.hash.sha256,
  enums.hash.sha384,
  enums.hash.sha512,
  enums.hash.sha3_256,
  enums.hash.sha3_512,
]);

/** Every hash algorithm openpgp knows that the policy refuses: fed to the openpgp reject lists. */
export const REFUSED_HASH_ALGORITHMS: ReadonlySet<enums.hash> = new Set(
  (Object.values(enums.hash) as unknown[])
    .filter((value): value is enums.hash => typeof value === 'number')
    .filter((value) => !ACCEPTED_HASH_ALGORITHMS.has(value)),
);

/**
 * Symmetric ciphers accepted for the session key: AES only (RGS B1 recommends AES; IDEA, 3DES, CAST5
 * and Blowfish have 64-bit blocks and are obsolete, Twofish is not an ANSSI-listed algorithm).
 */
export const ACCEPTED_CIPHERS: ReadonlySet<enums.symmetric> = new Set([
  enums.symmetric.aes128,
  enums.symmetric.aes192,
  enums.symmetric.aes256,
]);

/** Elliptic curves accepted for ECDSA, EdDSA (legacy) and ECDH keys. secp256k1 is not an ANSSI curve. */
export const ACCEPTED_CURVES: ReadonlySet<string> = new Set<string>([
  enums.curve.nistP256,
  enums.curve.nistP384,
  enums.curve.nistP521,
  enums.curve.brainpoolP256r1,
  enums.curve.brainpoolP384r1,
  enums.curve.brainpoolP512r1,
  enums.curve.ed25519Legacy,
  enums.curve.curve25519Legacy,
]);

const RSA_ALGORITHMS = new Set<string>(['rsaEncryptSign', 'rsaEncrypt', 'rsaSign']);
const CURVE_ALGORITHMS = new Set<string>(['ecdh', 'ecdsa', 'eddsaLegacy']);
/** RFC 9580 fixed-curve algorithms (section 9.1): Ed25519, Ed448, X25519, X448. */
const FIXED_CURVE_ALGORITHMS = new Set<string>(['ed25519', 'ed448', 'x25519', 'x448']);

/** Readable name of a hash algorithm id, e.g. "SHA1". */
export function hashName(hashAlgorithm: number | null | undefined): string {
  if (hashAlgorithm === null || hashAlgorithm === undefined) return 'an unknown hash algorithm';
  try {
    return enums.read(enums.hash, hashAlgorithm as enums.hash).toUpperCase().replace('_', '-');
  } catch {
    return `hash algorithm ${hashAlgorithm}`;
  }
}

/** Readable name of a symmetric cipher id, e.g. "TRIPLEDES". */
export function cipherName(cipher: number | null | undefined): string {
  if (cipher === null || cipher === undefined) return 'an unknown cipher';
  try {
    return enums.read(enums.symmetric, cipher as enums.symmetric).toUpperCase();
  } catch {
    return `cipher ${cipher}`;
  }
}

/**
 * The reason a public-key algorithm is refused, or undefined when it is accepted.
 * Applies to a primary key or a subkey alike.
 */
export function keyAlgorithmViolation(key: Key | Subkey): string | undefined {
  const { algorithm, bits, curve } = key.getAlgorithmInfo();
  if (RSA_ALGORITHMS.has(algorithm)) {
    if (bits === undefined || bits < MIN_RSA_BITS) {
      return `it is an RSA key of ${bits ?? 'unknown'} bits; RSA keys need at least ${MIN_RSA_BITS} bits (3072 recommended)`;
    }
    return undefined;
  }
  if (CURVE_ALGORITHMS.has(algorithm)) {
    if (curve === undefined || !ACCEPTED_CURVES.has(curve)) {
      return `its curve ${curve ?? 'unknown'} is not accepted; use NIST P-256/P-384/P-521, brainpoolP256r1 or stronger, or Curve25519`;
    }
    return undefined;
  }
  if (FIXED_CURVE_ALGORITHMS.has(algorithm)) return undefined;
  if (algorithm === 'dsa' || algorithm === 'elgamal') {
    return `its algorithm ${algorithm.toUpperCase()} is obsolete; use RSA (3072 bits), ECC (NIST P-256/P-384, brainpool) or Curve25519`;
  }
  return `its algorithm ${algorithm} is not accepted by the gateway's crypto policy`;
}

/**
 * Throws GatewayError('config_invalid') naming `source` when the primary key or any subkey uses an
 * algorithm or size that the policy refuses (RSA under 2048 bits, DSA, ElGamal, unlisted curves).
 * Every subkey counts: a weak subkey would otherwise be picked for encryption or accepted for signing.
 */
export function assertKeyPolicy(key: Key, source: string): void {
  const candidates: Array<{ label: string; key: Key | Subkey }> = [
    { label: 'primary key', key },
    ...key.subkeys.map((subkey) => ({ label: `subkey ${subkey.getKeyID().toHex()}`, key: subkey })),
  ];
  for (const candidate of candidates) {
    const violation = keyAlgorithmViolation(candidate.key);
    if (violation !== undefined) {
      throw new GatewayError(
        'config_invalid',
        `The OpenPGP key ${key.getFingerprint()} in ${source} is refused: its ${candidate.label} violates the crypto policy (${violation}). Replace it with a compliant key.`,
      );
    }
  }
}

/**
 * Throws GatewayError(code) when a data signature uses a hash the policy refuses. Checked on the
 * signature packet itself, not only through openpgp's configuration.
 */
export function assertSignatureHash(
  hashAlgorithm: number | null,
  code: 'signature_invalid' | 'receipt_invalid',
  advice: string,
): void {
  if (hashAlgorithm === null || !ACCEPTED_HASH_ALGORITHMS.has(hashAlgorithm as enums.hash)) {
    throw new GatewayError(
      code,
      `The signature uses ${hashName(hashAlgorithm)}, which the crypto policy refuses; ${advice}`,
    );
  }
}

/** Throws GatewayError('malformed_message') when the session key's cipher is obsolete or unlisted. */
export function assertCipher(cipher: number | null | undefined): void {
  if (cipher === null || cipher === undefined || !ACCEPTED_CIPHERS.has(cipher as enums.symmetric)) {
    throw new GatewayError(
      'malformed_message',
      `The message is encrypted with ${cipherName(cipher)}, an obsolete or refused cipher; encrypt it with AES-256 (GnuPG default, or gpg --cipher-algo AES256).`,
    );
  }
}
