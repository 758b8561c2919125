/**
 * The OpenPGP keys of one party (a partner, or the gateway itself) and when each is valid. A party
 * rotates by publishing a new key next to the old one: the validity of each comes from the keys
 * themselves (creation time, expiration time of the primary key, revocation signatures, RFC 9580
 * sections 5.2.3.18 and 5.2.3.23), which is what GnuPG users already manage with `gpg --quick-set-expire`
 * and `gpg --gen-revoke`. No date is kept anywhere else.
 *
 * Pure: the dates are read once from the keys (src/crypto/keys.ts readKeyRing), then compared here.
 */
import type { PrivateKey, PublicKey } from 'openpgp';

export interface RingKey<K extends PublicKey | PrivateKey = PublicKey> {
  key: K;
  /** Lower-case hex fingerprint of the primary key. */
  fingerprint: string;
  /** Creation time of the primary key: a newer key supersedes an older one. */
  created: Date;
  /** End of validity of the primary key; undefined when it never expires. */
  expires: Date | undefined;
  /**
   * The key carries a valid revocation signature. A revoked key is never used again, whatever the
   * revocation's date or reason: the gateway cannot tell a compromise announced late from a
   * retirement, and a thief can back-date signatures.
   */
  revoked: boolean;
}

/** Not revoked, created, and not yet expired at `now`. */
export function isCurrent(entry: RingKey<PublicKey | PrivateKey>, now: Date): boolean {
  if (entry.revoked) return false;
  if (entry.created.getTime() > now.getTime()) return false;
  return entry.expires === undefined || entry.expires.getTime() > now.getTime();
}

/** Every key not revoked, newest first: the keys whose signatures may still be checked (each at its own date). */
export function unrevoked<K extends PublicKey | PrivateKey>(ring: readonly RingKey<K>[]): RingKey<K>[] {
  return ring.filter((entry) => !entry.revoked).sort(newestFirst);
}

/** The keys valid at `now`, newest first. */
export function currentKeys<K extends PublicKey | PrivateKey>(ring: readonly RingKey<K>[], now: Date): RingKey<K>[] {
  return ring.filter((entry) => isCurrent(entry, now)).sort(newestFirst);
}

/** The newest key valid at `now`, or undefined when every key expired or was revoked. */
export function newestCurrent<K extends PublicKey | PrivateKey>(ring: readonly RingKey<K>[], now: Date): RingKey<K> | undefined {
  return currentKeys(ring, now)[0];
}

function newestFirst(a: RingKey<PublicKey | PrivateKey>, b: RingKey<PublicKey | PrivateKey>): number {
  return b.created.getTime() - a.created.getTime() || a.fingerprint.localeCompare(b.fingerprint);
}
