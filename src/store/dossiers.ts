/**
 * The dossier part of the store port (tell us once, opt-out, retention, erasure).
 *
 * What is kept, per beneficiary:
 * - a SUBJECT row: the lookup key (HMAC under the gateway secret), the per-subject pseudonym key and
 *   pseudonym, and the wrapped data key of the dossier. Deleting it is erasure: the dossier can no longer
 *   be decrypted (crypto-shredding) and the pseudonym in the audit log links to nobody;
 * - the DOSSIER: the signed message of every accepted orientation, acknowledgement, status update and
 *   referral about the person, exactly as its sender signed it, encrypted with the data key;
 * - who FOLLOWS the person (src/domain/follow.ts), and whether they were ever taken in charge;
 * - an OPT-OUT tombstone, keyed by the lookup only: no personal data, but later messages about the
 *   person are refused.
 *
 * Invariants the implementations keep: everything a message changes here is written in the transaction
 * that accepts it (Store.accept, through NewMessage.dossier); a gateway-originated message is written
 * with its outbox row and its audit entry in one transaction; audit entries are only ever appended.
 */
import type { FollowEffects } from '../domain/follow.js';
import type { SubjectDirectory } from '../privacy/pseudonym.js';

/** Types of the messages the gateway itself sends. */
export type NoticeType = 'dossier' | 'withdrawal' | 'expiry';

/** A message the gateway sends (src/app/gateway-notices.ts), already signed and sealed for its recipient. */
export interface GatewayNotice {
  messageId: string;
  type: NoticeType;
  recipient: string;
  inReplyTo: string | undefined;
  /** SHA-256 of the signed document, as for partners' messages. */
  payloadSha256: string;
  /** The armored message for the recipient, signed by the gateway and encrypted to the recipient's key. */
  outboxBody: string;
  /** Documents carried (a dossier's), for the audit entry. */
  count?: number;
}

/** What accepting a message changes in the dossier part, in the same transaction (NewMessage.dossier). */
export interface DossierUpdate {
  /** The person's lookup key: the opt-out tombstone is checked again inside the transaction. */
  lookup: string;
  /** The sender's signed message, to keep (encrypted) in the dossier. */
  signedMessage?: Uint8Array;
  follow: FollowEffects;
  /** A referral: this agency must still follow the person when the transaction runs. */
  referrer?: string;
  /** Messages the gateway sends because of this one (a referral's dossier, an opt-out's withdrawals). */
  notices: GatewayNotice[];
  /**
   * An opt-out: record the tombstone and destroy the dossier. `recipients` are the partners that had
   * received data about the person when the notices were prepared: if that changed meanwhile, the
   * transaction fails (unavailable) and the sender retries, so that no recipient misses its notice.
   */
  optOut?: { recipients: string[] };
}

export interface DossierDocument {
  messageId: string;
  type: string;
  sender: string;
  recipient: string;
  acceptedAt: string;
  /** The one-pass signed OpenPGP message (binary), byte for byte as its sender signed it. */
  signedMessage: Uint8Array;
}

export interface PendingOrientation {
  messageId: string;
  sender: string;
  recipient: string;
  beneficiary: string;
  acceptedAt: string;
}

/** Why a dossier was destroyed; the `code` of its `erased` audit entry. */
export type DestructionReason = 'opt-out' | 'not-taken-in-charge' | 'retention' | `operator-${string}`;

export interface Destruction {
  beneficiary: string;
  reason: DestructionReason;
}

export interface ErasureOutcome {
  /** False when the gateway held nothing about the person. */
  erased: boolean;
  /** Dossier documents destroyed. */
  documents: number;
  /** Withdrawal notices queued. */
  notices: number;
  /** Index of the `erased` audit entry. */
  auditIndex: number | undefined;
}

export interface DossierStore extends SubjectDirectory {
  /** The pseudonym of the person with this lookup key, without creating anything. */
  findSubject(lookup: string): Promise<string | undefined>;
  isOptedOut(lookup: string): Promise<boolean>;
  follows(beneficiary: string, partnerId: string): Promise<boolean>;
  followers(beneficiary: string): Promise<string[]>;
  /** Partners that were sent a message about the person (partners' messages and the gateway's). */
  recipientsOf(beneficiary: string): Promise<string[]>;
  /** The dossier, decrypted, oldest first; undefined when the gateway holds no key for the person (erased). */
  readDossier(beneficiary: string): Promise<DossierDocument[] | undefined>;
  /**
   * Destroys the person's dossier and subject (crypto-shredding), queues the notices (withdrawals) and
   * audits `withdrawal-notified` for each and `erased`, in one transaction.
   */
  erase(opts: { beneficiary: string; reason: DestructionReason; at: string; notices: GatewayNotice[] }): Promise<ErasureOutcome>;
  /** Orientations accepted before `acceptedBefore` that nobody acknowledged and that did not expire yet. */
  unansweredOrientations(acceptedBefore: string): Promise<PendingOrientation[]>;
  /**
   * The orientation becomes `expired` (its recipient stops following the person), audited `expired`,
   * and the notice to its sender is queued, in one transaction. False when it was answered meanwhile.
   */
  expireOrientation(opts: { messageId: string; at: string; notice: GatewayNotice | undefined }): Promise<boolean>;
  /**
   * Subjects whose dossier must go now: nobody follows the person and nobody ever took them in charge,
   * or their last event is older than `lastEventBefore`.
   */
  dueForDestruction(lastEventBefore: string): Promise<Destruction[]>;
  /** Deletes subjects that no accepted message names (all refused) and created before `createdBefore`. */
  forgetIdleSubjects(createdBefore: string): Promise<number>;
}
