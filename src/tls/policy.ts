/**
 * The TLS policy of every connection the gateway accepts (HTTPS) or opens (AMQP, PostgreSQL), after the
 * ANSSI guide "Recommandations de sécurité relatives à TLS" (v1.2, 2020): TLS 1.3, and TLS 1.2 with
 * ephemeral elliptic-curve Diffie-Hellman (forward secrecy) and an AEAD cipher only. Refused: TLS 1.0
 * and 1.1; static RSA key exchange (no forward secrecy: AES128-SHA, AES128-GCM-SHA256); CBC with
 * HMAC-SHA-1 or SHA-2 (ECDHE-RSA-AES128-SHA, AES256-SHA); finite-field DHE, whose group the server
 * chooses; CCM_8 (a 64-bit tag).
 *
 * Node takes both TLS 1.2 and TLS 1.3 suites in `ciphers` (names starting with TLS_ are 1.3 suites,
 * RFC 8446 appendix B.4).
 */
import type { SecureContextOptions, SecureVersion } from 'node:tls';

export const MIN_TLS_VERSION: SecureVersion = 'TLSv1.2';

/** RFC 8446 B.4; CCM suites left out: CCM_8 has a short tag, and no peer of the gateway needs CCM. */
export const TLS13_SUITES: readonly string[] = Object.freeze(['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256', 'TLS_CHACHA20_POLY1305_SHA256']);

/** ECDHE with AES-GCM (RFC 5289) or ChaCha20-Poly1305 (RFC 7905), for ECDSA and RSA certificates. */
export const TLS12_SUITES: readonly string[] = Object.freeze([
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
]);

/** Key-exchange groups (RFC 8446 4.2.7, RFC 8422 5.1.1), all on the ANSSI list; no finite-field group. */
export const KEY_EXCHANGE_GROUPS: readonly string[] = Object.freeze(['X25519', 'P-256', 'P-384', 'P-521']);

/** The OpenSSL cipher string of the policy, in order of preference. */
export const CIPHERS = [...TLS13_SUITES, ...TLS12_SUITES].join(':');

/** For a server: the policy, and the server's order of preference rather than the client's. */
export function serverTlsPolicy(): SecureContextOptions {
  return { minVersion: MIN_TLS_VERSION, ciphers: CIPHERS, ecdhCurve: KEY_EXCHANGE_GROUPS.join(':'), honorCipherOrder: true };
}

/** For a client (AMQP, PostgreSQL): it offers only what the policy allows, so a weaker server fails the handshake. */
export function clientTlsPolicy(): SecureContextOptions {
  return { minVersion: MIN_TLS_VERSION, ciphers: CIPHERS, ecdhCurve: KEY_EXCHANGE_GROUPS.join(':') };
}
