/**
 * Keyed pseudonyms of beneficiaries (interface contract, section 6) that erasure can unlink.
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

/** A new subject for this beneficiaryRef: a fresh random key and the pseudonym it gives. */
export function newSubject(beneficiaryRef: string, createdAt: Date): NewSubject {
  const pseudonymKey = randomBytes(SECRET_BYTES);
  return { pseudonymKey, pseudonym: hmacHex(pseudonymKey, beneficiaryRef), createdAt: createdAt.toISOString() };
}

export function createPseudonymiser(opts: { lookup: LookupKey; subjects: SubjectDirectory; now: () => Date }): Pseudonymiser {
  return (beneficiaryRef) => opts.subjects.pseudonymFor(opts.lookup(beneficiaryRef), () => newSubject(beneficiaryRef, opts.now()));
}

/** Reads `<dataDir>/secrets/pseudonym.key`, creating it (32 random bytes, mode 0600) on first start. */
export function loadPseudonymSecret(dataDir: string): Buffer {
  return loadOrCreateSecret({ dataDir, fileName: 'pseudonym.key', what: 'the pseudonym secret' });
}
