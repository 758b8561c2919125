/**
 * Audit log entries (docs/interface.md, section 6). Pure: no I/O.
 *
 * An entry holds identifiers, digests and a keyed pseudonym of the beneficiary, never personal data.
 * Its bytes are the RFC 8785 canonical JSON of the entry, and its leaf hash is
 * SHA-256(0x00 || bytes) (RFC 9162 section 2.1.1), so the Merkle tree built over these leaves later
 * commits to exactly what is stored.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export const AUDIT_EVENTS = [
  'accepted',
  'rejected',
  'queued',
  'acknowledged',
  'dead-lettered',
  // The beneficiary's dossier (src/store/dossiers.ts): every disclosure and every destruction is a fact.
  'referred',
  'dossier-disclosed',
  'opted-out',
  'withdrawal-notified',
  'expired',
  'erased',
  // Finding a beneficiary among an agency's job seekers (POST /v1/beneficiary-lookups): every lookup,
  // answered or refused, and the gateway's request to OFII to share a found person's dossier.
  'looked-up',
  'dossier-requested',
  // Rectification (RGPD art. 16): the author's correction told to a partner that received the document, or withheld from it.
  'correction-notified',
  'correction-withheld',
  // Withdrawal execution receipts and natures of opt-out: a reminder of an unanswered withdrawal notice,
  // a withdrawal of health consent, a tombstone lifted by the operator.
  'withdrawal-reminded',
  'health-consent-withdrawn',
  'tombstone-lifted',
] as const;
export type AuditEventName = (typeof AUDIT_EVENTS)[number];

/** An event before the log gave it an index. Absent fields are omitted, never null. */
export interface AuditEvent {
  event: AuditEventName;
  timestamp: string;
  messageId?: string;
  type?: string;
  sender?: string;
  recipient?: string;
  /** Keyed pseudonym of the beneficiary (HMAC-SHA-256 under a per-subject key, lower-case hex: src/privacy/pseudonym.ts). */
  beneficiary?: string;
  /** SHA-256 of the signed document bytes, lower-case hex. */
  payloadSha256?: string;
  /**
   * Problem code, for rejections; why, for `erased` (opt-out, not-taken-in-charge, retention,
   * operator-<reason>); a lookup's outcome, for `looked-up` (known, unknown, ambiguous, or the problem
   * code of its refusal); the recipient's minimisation rule, for `correction-withheld`.
   */
  code?: string;
  /** A count, never a value: documents in a disclosed dossier, documents destroyed by an erasure. */
  count?: number;
}

export interface AuditEntry extends AuditEvent {
  index: number;
}

const FIELDS = ['event', 'timestamp', 'messageId', 'type', 'sender', 'recipient', 'beneficiary', 'payloadSha256', 'code', 'count'] as const;

export function toEntry(index: number, event: AuditEvent): AuditEntry {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`audit index ${index} is not a non-negative safe integer`);
  const entry: Record<string, unknown> = { index };
  for (const field of FIELDS) {
    const value = event[field];
    if (value !== undefined) entry[field] = value;
  }
  return entry as unknown as AuditEntry;
}

/** RFC 8785 canonical JSON bytes of the entry: what the leaf hash covers. */
export function entryBytes(entry: AuditEntry): Buffer {
  const text = canonicalize(entry);
  if (text === undefined) throw new TypeError('audit entry cannot be canonicalised');
  return Buffer.from(text, 'utf8');
}

/** RFC 9162 section 2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0)). */
export function leafHash(bytes: Uint8Array): string {
  return createHash('sha256').update(Buffer.from([0x00])).update(bytes).digest('hex');
}
