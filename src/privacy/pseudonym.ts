/**
 * Keyed pseudonyms of beneficiaries (docs/interface.md, section 6) that erasure can unlink.
 *
 * Two keys with two purposes (audit-log research notes, sections 6.1 and 6.4):
 * - the gateway secret (`secrets/pseudonym.key`, apart from the store) keys only the LOOKUP,
 *   HMAC-SHA-256(gateway secret, beneficiaryRef), which finds the person's subject row. The lookup is
 *   never written to the audit log, to a message row or to a queue.
 * - every subject gets its own random 256-bit key at first sight, and its PSEUDONYM, what audit entries
 *   and message rows carry, is HMAC-SHA-256(subject key, beneficiaryRef).
 * Erasing the person deletes the subject row (lookup, key, data key): the pseudonym in every earlier
 * audit entry then links to nobody, not even for someone holding the gateway secret, while the entries
 * stay byte for byte what the Merkle tree committed to. A single global HMAC would stay linkable forever:
 * OFII references have 10 digits, so anyone with the secret could recompute every pseudonym.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { GatewayError } from '../domain/errors.js';
import { loadOrCreateSecret, SECRET_BYTES } from './secret-file.js';
import { SecretRing } from './secret-ring.js';

/** The pseudonym of the person named by a beneficiaryRef (lower-case hex). */
export type Pseudonymiser = (beneficiaryRef: string) => Promise<string>;

/** The lookup key of the person named by a beneficiaryRef (lower-case hex). */
export type LookupKey = (beneficiaryRef: string) => string;

export interface NewSubject {
  /** Random, per subject: the key of its pseudonym. */
  pseudonymKey: Buffer;
  pseudonym: string;
  /** RFC 3339; a subject that no accepted message names is forgotten a day later (retention sweep). */
  createdAt: string;
}

/** Where subjects live (the store's subject table). */
export interface SubjectDirectory {
  /** The pseudonym of the subject with this lookup, creating the subject with `create()` at first sight. */
  pseudonymFor(lookup: string, create: () => NewSubject): Promise<string>;
}

function hmacHex(key: Uint8Array, beneficiaryRef: string): string {
  return createHmac('sha256', key).update(beneficiaryRef, 'utf8').digest('hex');
}

export function createLookupKey(secret: Uint8Array): LookupKey {
  if (secret.length < SECRET_BYTES) {
    // loadPseudonymSecret refuses a shorter one at start.
    throw new GatewayError('internal', `The pseudonym secret has ${secret.length} bytes, fewer than ${SECRET_BYTES}. This is a defect: report it.`);
  }
  const key = Buffer.from(secret);
  return (beneficiaryRef) => hmacHex(key, beneficiaryRef);
}

/** The label of a pseudonym secret's id (src/privacy/secret-ring.ts). */
export const PSEUDONYM_SECRET_LABEL = 'pseudonym secret';

/**
 * The lookups of a person under a rotating pseudonym secret. The current lookup names the secret that
 * made it (`<secret id>:<hmac>`), so that the rows still under a retired secret can be counted; the
 * previous ones are the lookups the same reference had under each retired secret, and under every
 * secret in the form a store kept before lookups named their secret (the hmac alone). A person's rows
 * move to the current lookup the next time the gateway sees the person (the pseudonymiser, erasure).
 */
export interface LookupKeys {
  current: LookupKey;
  previous: (beneficiaryRef: string) => string[];
}

export function createLookupKeys(ring: SecretRing): LookupKeys {
  return {
    current: (beneficiaryRef) => {
      const secret = ring.now();
      return `${secret.id}:${createLookupKey(secret.key)(beneficiaryRef)}`;
    },
    previous: (beneficiaryRef) => {
      const current = ring.now();
      return [current, ...ring.retiredSecrets()].flatMap((secret, i) => {
        const hmac = createLookupKey(secret.key)(beneficiaryRef);
        return i === 0 ? [hmac] : [hmac, `${secret.id}:${hmac}`];
      });
    },
  };
}

/** The ring of `secrets/pseudonym.key`. */
export function pseudonymSecrets(dataDir: string): SecretRing {
  return new SecretRing({ dataDir, fileName: 'pseudonym.key', what: 'the pseudonym secret', label: PSEUDONYM_SECRET_LABEL });
}

/** A new subject for this beneficiaryRef: a fresh random key and the pseudonym it gives. */
export function newSubject(beneficiaryRef: string, createdAt: Date): NewSubject {
  const pseudonymKey = randomBytes(SECRET_BYTES);
  return { pseudonymKey, pseudonym: hmacHex(pseudonymKey, beneficiaryRef), createdAt: createdAt.toISOString() };
}

export function createPseudonymiser(opts: {
  lookup: LookupKey;
  subjects: SubjectDirectory;
  now: () => Date;
  /** During a rotation of the pseudonym secret: the person's rows move to the current lookup first. */
  previous?: { lookups: (beneficiaryRef: string) => string[]; rekey: (current: string, previous: readonly string[]) => Promise<number> };
}): Pseudonymiser {
  return async (beneficiaryRef) => {
    const lookup = opts.lookup(beneficiaryRef);
    if (opts.previous !== undefined) await opts.previous.rekey(lookup, opts.previous.lookups(beneficiaryRef));
    return opts.subjects.pseudonymFor(lookup, () => newSubject(beneficiaryRef, opts.now()));
  };
}

/** Reads `<dataDir>/secrets/pseudonym.key`, creating it (32 random bytes, mode 0600) on first start. */
export function loadPseudonymSecret(dataDir: string): Buffer {
  return loadOrCreateSecret({ dataDir, fileName: 'pseudonym.key', what: 'the pseudonym secret' });
}
