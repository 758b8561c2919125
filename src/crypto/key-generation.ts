/**
 * New OpenPGP key pairs: the gateway's key rotation (src/trust/key-rotation.ts) and the example trust
 * directory (src/dev-pki/trust-directory.ts). Armored, without a passphrase: the gateway cannot enter one, and its
 * secret key file is readable by the gateway account only.
 */
import { generateKey } from 'openpgp';

export async function openpgpKeyPair(opts: { name: string; email: string; comment?: string; now: Date; validityDays: number }): Promise<{ publicKey: string; privateKey: string }> {
  // curve25519Legacy (EdDSA + ECDH, version 4 keys): what GnuPG 2.2 can import and use; the RFC 9580
  // Ed25519/X25519 algorithms (section 9.1) would not import there (see the OpenPGP notes of the project).
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
