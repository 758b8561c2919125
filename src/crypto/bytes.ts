/**
 * Byte-for-byte equality of two packets or documents the gateway compares (what it forwards against
 * what it verified, a native signature against openpgp.js's). Neither side is secret, so no
 * constant-time comparison is needed.
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && (a.length === 0 || Buffer.compare(a, b) === 0);
}
