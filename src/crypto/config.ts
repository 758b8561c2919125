/**
 * The hardened openpgp configuration that every OpenPGP call of the gateway passes: the crypto policy
 * (src/crypto/policy.ts) expressed as openpgp's own switches, so that openpgp refuses what the policy
 * refuses before the gateway's packet checks (src/crypto/packets.ts) even run.
 *
 * Inputs are always whole byte arrays, never streams: the HTTP edge already bounded the body, and
 * openpgp then checks integrity (MDC or AEAD, RFC 9580 section 5.13) before any packet of the
 * plaintext is parsed.
 */
import * as openpgp from 'openpgp';
import { enums } from 'openpgp';
import type { Config, PartialConfig } from 'openpgp';
import { ACCEPTED_CIPHERS, MIN_RSA_BITS, REFUSED_HASH_ALGORITHMS } from './policy.js';

/**
 * Room for the packet framing around the document once decompressed (one-pass signature, literal
 * header, signature packets), so that a document of exactly maxDocumentBytes still opens.
 */
const PACKET_OVERHEAD_BYTES = 64 * 1024;

/** The switches of openpgp's configuration that the gateway sets; the rest keeps openpgp's defaults. */
export function hardenedConfig(opts: { maxDocumentBytes: number }): PartialConfig {
  return {
    minRSABits: MIN_RSA_BITS,
    rejectHashAlgorithms: new Set(REFUSED_HASH_ALGORITHMS),
    rejectMessageHashAlgorithms: new Set(REFUSED_HASH_ALGORITHMS),
    rejectPublicKeyAlgorithms: new Set([enums.publicKey.elgamal, enums.publicKey.dsa]),
    rejectCurves: new Set([enums.curve.secp256k1]),
    // openpgp has no switch for obsolete ciphers: assertCipher refuses them after the session key is
    // decrypted. What the gateway writes is AES-256 (AES-128 only if a recipient's key lacks AES-256).
    preferredSymmetricAlgorithm: enums.symmetric.aes256,
    preferredHashAlgorithm: enums.hash.sha512,
    preferredCompressionAlgorithm: enums.compression.uncompressed,
    // SEIPDv2/AEAD only when every recipient key advertises it: GnuPG 2.2 reads neither SEIPDv2 nor
    // the LibrePGP OCB packet, so the gateway never forces it.
    aeadProtect: false,
    v6Keys: false,
    allowUnauthenticatedMessages: false,
    allowUnauthenticatedStream: false,
    allowInsecureDecryptionWithSigningKeys: false,
    allowInsecureVerificationWithReformattedKeys: false,
    allowMissingKeyFlags: false,
    enforceGrammar: true,
    ignoreMalformedPackets: false,
    // PKCS#1 v1.5 padding oracles (Bleichenbacher) on an RSA gateway key: decrypt in constant time,
    // and only for the ciphers the policy accepts anyway.
    constantTimePKCS1Decryption: true,
    constantTimePKCS1DecryptionSupportedSymmetricAlgorithms: new Set(ACCEPTED_CIPHERS),
    // Compression bombs: decompression stops as soon as this many bytes came out (openpgp >= 6.3.0).
    maxDecompressedMessageSize: opts.maxDocumentBytes + PACKET_OVERHEAD_BYTES,
    showVersion: false,
    showComment: false,
  };
}

/** openpgp's defaults overridden by {@link hardenedConfig}: what every call of src/crypto passes. */
export function fullConfig(opts: { maxDocumentBytes: number }): Config {
  return { ...openpgp.config, ...hardenedConfig(opts) };
}
