/**
 * The store port: everything the gateway keeps, as the application sees it, whichever the engine
 * (embedded SQLite or PostgreSQL). One implementation (src/store/gateway-store.ts) writes every
 * business rule and every audit event once, over a small engine interface (src/store/engine.ts).
 *
 * Invariants every operation keeps:
 * - an accepted message, its outbox row, its audit entries, what it changes in the person's dossier and
 *   its statistics row are written in one transaction; so is each change of a message's state with
 *   its audit entry;
 * - the audit log is only ever appended to, with gap-free indexes, and every perfect subtree an
 *   appended leaf completes is stored in the same transaction (a compact range), so a proof costs
 *   O(log n) reads; stored nodes and checkpoints never change;
 * - a decision that depends on rows another request can change (who received data about a person,
 *   who follows them, what their dossier holds, whether they opted out) is read inside the transaction
 *   that acts on it: when what the caller prepared (sealed notices) no longer matches, nothing is
 *   written and the outcome says `stale`, so the caller prepares again.
 *
 * Segregated views (OutboxPort, AuditLogPort, DossierPort) let each component depend on what it uses.
 */
import type { Checkpoint, Cosignature, SignedCheckpoint } from '../audit/checkpoint.js';
import type { AuditEvent } from '../audit/entry.js';
import type { FollowEffects } from '../domain/follow.js';
import type { MessageStatus } from '../domain/message.js';
import type { SubjectDirectory } from '../privacy/pseudonym.js';
import type { FactsPage, StatisticsFact, StoredFact } from '../stats/facts.js';

// ---------------------------------------------------------------------------------------------------
// Messages

/** What is known of a message from the moment it is accepted. */
export interface MessageFacts {
  messageId: string;
  type: string;
  version: number;
  sender: string;
  recipient: string;
  inReplyTo: string | undefined;
  /** Keyed pseudonym of the beneficiary, never the reference itself. */
  beneficiary: string;
  payloadSha256: string;
  acceptedAt: string;
}

/**
 * The W3C Trace Context (https://www.w3.org/TR/trace-context/, sections 3.2 and 3.3) an accepted
 * message was received with, or that the gateway's trace gave it: kept with its outbox row so that the
 * relay, maybe in another process, publishes the message with it (AMQP headers traceparent and
 * tracestate). Identifiers of a trace only; no content of the message.
 */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

export interface NewMessage extends MessageFacts {
  /** The armored message for the recipient (encrypted to its key); absent when the gateway itself is the recipient (opt-out). */
  outboxBody: string | undefined;
  /** Travels with the outbox row to the AMQP headers; absent when the message came with no trace. */
  traceContext?: TraceContext;
  /** What the message changes in the beneficiary's dossier. */
  dossier?: DossierUpdate;
  /** The message's categories for the statistics. */
  facts?: StatisticsFact;
  /** An execution receipt: what it reports on the withdrawal notice it answers (checked again in the transaction). */
  execution?: ExecutionReport;
}

/** What an accepted `execution-receipt` records on its withdrawal notice (src/domain/execution-receipts.ts). */
export interface ExecutionReport {
  /** The original withdrawal notice (a receipt that names a reminder is mapped to it). */
  noticeId: string;
  status: 'EFFECTUE' | 'REFUSE_MOTIF_LEGAL';
  legalGround?: string;
  executedOn: string;
}

export interface MessageRecord extends MessageFacts {
  status: MessageStatus;
  auditIndex: number;
  queuedAt: string | undefined;
  acknowledgedAt: string | undefined;
  deadLetteredAt: string | undefined;
  /** The gateway's receipt as first answered; undefined only between commit and signature. */
  receipt: string | undefined;
  /** When an orientation expired unanswered (retention sweep). */
  expiredAt: string | undefined;
}

export type AcceptOutcome =
  | { kind: 'accepted'; auditIndex: number }
  /** The message id was already taken (possibly by a concurrent request): nothing was written. */
  | { kind: 'duplicate'; existing: MessageRecord }
  /** What the dossier update was prepared from changed meanwhile (see DossierUpdate.preparedFrom): nothing was written. */
  | { kind: 'stale' };

// ---------------------------------------------------------------------------------------------------
// Outbox

export interface OutboxEntry {
  messageId: string;
  /** Routing: the recipient partner id and the message type give the key `<recipient>.<type>`. */
  recipient: string;
  type: string;
  sender: string;
  /** Index of the audit entry that recorded the acceptance (AMQP header x-passerelle-audit-index). */
  auditIndex: number;
  /** The armored OpenPGP message to publish, encrypted to the recipient's key at acceptance. The store never holds a document in clear. */
  body: string;
  /** RFC 3339 time of acceptance, used as the AMQP timestamp. */
  acceptedAt: string;
  /** Publish attempts so far (failed or unconfirmed). */
  attempts: number;
  /** The trace the message was accepted in, carried into the AMQP headers; absent when it had none. */
  traceContext?: TraceContext;
}

/** Outbox rows this process has just committed, each complete, so that its relay publishes them without reading them back. */
export interface CommittedOutbox {
  entries: OutboxEntry[];
  /** The same commit wrote outbox rows that are not listed (a gateway's notices): the relay reads the outbox for them. */
  unlisted: boolean;
  /**
   * How long the relay may publish the entries from memory; later another gateway may have leased the
   * rows (several gateways on one PostgreSQL), so the relay reads them back instead. Absent: no limit.
   */
  heldForMs?: number;
}

/** What the relay needs: a row is written with its message; it goes only after the broker confirmed it. */
export interface OutboxPort {
  /** Rows not yet confirmed by the broker, oldest first, on disk (and, with several gateways, held by this one). */
  pendingOutbox(limit: number): Promise<OutboxEntry[]>;
  /** The broker confirmed the publish: the row goes, the message becomes `queued`, audited. A second confirm changes nothing. */
  markQueued(messageId: string, queuedAt: string): Promise<void>;
  /** A publish was returned, nacked or unconfirmed: counted, retried later. */
  recordPublishFailure(messageId: string): Promise<void>;
  outboxDepth(): Promise<number>;
  /**
   * Hands `listener` (this process's relay) the outbox rows each acceptance commits, once durable; with
   * several gateways the rows stay leased to this one meanwhile. Memory only: every row stays in the
   * outbox until markQueued, so the listener may drop any of them. Returns the unsubscription.
   */
  onCommitted?(listener: (committed: CommittedOutbox) => void): () => void;
}

// ---------------------------------------------------------------------------------------------------
// The operator's figures (src/observability)

/** What the store knows of the gateway's backlog, read in one snapshot for GET /v1/operator/status and /metrics. */
export interface OperationalFigures {
  /** Outbox rows not yet confirmed by the broker. */
  outboxDepth: number;
  /** Acceptance time of the oldest outbox row (RFC 3339), undefined when the outbox is empty. */
  outboxOldestAcceptedAt: string | undefined;
  /** Gateway notices held until their recipient publishes a usable OpenPGP key. */
  heldNotices: number;
  /** Messages RabbitMQ dead-lettered (status dead-lettered), since the store began. */
  deadLettered: number;
  /** Withdrawal notices (reminders aside) that no execution receipt answered yet. */
  outstandingWithdrawalReceipts: number;
}

export interface OperationsPort {
  operationalFigures(): Promise<OperationalFigures>;
}

// ---------------------------------------------------------------------------------------------------
// Audit log (docs/interface.md, section 6)

export interface StoredAuditEntry {
  index: number;
  /** The RFC 8785 canonical JSON of the entry, as appended. */
  entry: string;
  leafHash: string;
}

/** What the auditor (or an agency, within its scope) filters the log by; every filter given must hold. */
export interface AuditFilter {
  /** First index, inclusive. */
  start: number;
  /** Last index, exclusive. */
  end: number;
  /** Entries of these events only. */
  events?: readonly string[];
  /** RFC 3339 UTC as `Date.toISOString()` writes it: entries timestamped at or after `from`, before `to`. */
  from?: string;
  to?: string;
  messageId?: string;
  /** Entries about this person (their keyed pseudonym): the person's access report (RGPD art. 15). */
  beneficiary?: string;
  /** Entries naming every one of these partners (as sender or recipient). */
  naming?: readonly string[];
}

/** One message as the log and the store know it: its row, its entries, the messages linked to it. */
export interface MessageHistory {
  message: MessageRecord;
  /** Entries about the message, in index order: by its id, and the erasure of its person's dossier after it. */
  entries: StoredAuditEntry[];
  /** Messages answering it (in_reply_to) and the message it answers, oldest first. */
  related: MessageRecord[];
}

export interface AuditLogPort {
  /** Entries appended and on disk. */
  auditSize(): Promise<number>;
  /** Entries with start <= index < end, in index order, at most `limit`. */
  readAuditEntries(start: number, end: number, limit: number): Promise<StoredAuditEntry[]>;
  /** Like readAuditEntries, only the entries whose sender or recipient is `partnerId`. */
  readAuditEntriesNaming(partnerId: string, start: number, end: number, limit: number): Promise<StoredAuditEntry[]>;
  /** The entries that pass every filter given, in index order, at most `limit`. */
  findAuditEntries(filter: AuditFilter, limit: number): Promise<StoredAuditEntry[]>;
  /** The hash of the perfect subtree (level, index); level 0 is the leaf hash. Throws if it is not complete. */
  auditNode(level: number, index: number): Promise<string>;
  latestCheckpoint(): Promise<SignedCheckpoint | undefined>;
  findCheckpoint(treeSize: number): Promise<SignedCheckpoint | undefined>;
  /** Keeps the first checkpoint signed for a tree size: when one exists already (a concurrent signer), that one is returned. */
  saveCheckpoint(checkpoint: SignedCheckpoint): Promise<{ checkpoint: SignedCheckpoint; created: boolean }>;
  /** Keeps a partner's first cosignature of a checkpoint and returns the stored one. */
  addCosignature(checkpoint: Checkpoint, cosignature: Cosignature): Promise<{ cosignature: Cosignature; created: boolean }>;
  cosignatures(treeSize: number): Promise<Cosignature[]>;
}

// ---------------------------------------------------------------------------------------------------
// The person's dossier (tell us once, opt-out, retention, erasure)
//
// Per person: a SUBJECT row (lookup key, pseudonym key and pseudonym, the wrapped data key of the
// dossier; deleting it is erasure by crypto-shredding), the DOSSIER (every accepted orientation,
// acknowledgement, status update and referral, exactly as signed, encrypted with the data key), who
// FOLLOWS the person (src/domain/follow.ts) and an OPT-OUT tombstone keyed by the lookup only.

/** Types of the messages the gateway itself sends. */
export type NoticeType = 'dossier' | 'withdrawal' | 'expiry' | 'dossier-request' | 'correction';

/** A message the gateway sends (src/app/gateway-notices.ts), already signed and sealed for its recipient. */
export interface GatewayNotice {
  messageId: string;
  type: NoticeType;
  recipient: string;
  inReplyTo: string | undefined;
  /** SHA-256 of the signed document, as for partners' messages. */
  payloadSha256: string;
  /** The armored message for the recipient, signed by the gateway and encrypted to the recipient's key. */
  outboxBody?: string;
  /**
   * Instead of `outboxBody`, when the recipient has no usable key: the signed message, which the store
   * keeps encrypted under its own key until a key is registered (releaseHeldNotice).
   */
  held?: Uint8Array;
  /** Documents carried (a dossier's), for the audit entry. */
  count?: number;
  /** The message ids of the kept documents a dossier discloses, recorded with the notice. */
  discloses?: readonly string[];
  /**
   * A withdrawal notice: its reason, the notice it reminds of (a reminder), and the signed message,
   * whose copy the store keeps sealed while reminders may be sent (WithdrawalReceiptsPort).
   */
  withdrawal?: { reason: string; reminderOf?: string; signedMessage: Uint8Array };
}

/** What the notices of a dossier update were prepared from; checked again inside the transaction. */
export interface PreparedFrom {
  /** The partners that had received data about the person (an opt-out's withdrawal notices). */
  recipients?: readonly string[];
  /** The message ids of the person's dossier documents (a referral's dossier, a rectification's base). */
  documents?: readonly string[];
  /** The partners that had received a document (a rectification's correction notices: documentRecipients). */
  documentRecipients?: { documentId: string; recipients: readonly string[] };
}

/** What accepting a message changes in the dossier, in the same transaction (NewMessage.dossier). */
export interface DossierUpdate {
  /** The person's lookup key: the opt-out tombstone is checked again inside the transaction. */
  lookup: string;
  /** The sender's signed message, to keep (encrypted) in the dossier. */
  signedMessage?: Uint8Array;
  follow: FollowEffects;
  /** A referral: this agency must still follow the person when the transaction runs. */
  referrer?: string;
  /** An end-of-CIR review: its recipient must still follow the person when the transaction runs. */
  follower?: string;
  /** Messages the gateway sends because of this one (a referral's dossier, an opt-out's withdrawals). */
  notices: GatewayNotice[];
  /** An opt-out: record the tombstone and destroy the dossier. */
  optOut?: boolean;
  /**
   * A rectification: for each partner that received the corrected document and was not sent its
   * correction notice (its minimisation rules forbid a changed field), the rule; audited
   * `correction-withheld`.
   */
  withheld?: Array<{ rule: string }>;
  /** An opt-out RETRAIT_ACCORD_SANTE: record that the person withdrew their consent to share health data; nothing is destroyed. */
  healthConsentWithdrawn?: boolean;
  /** The first health field the message carries (a pointer): refused in the transaction if the consent was withdrawn meanwhile. */
  healthField?: string;
  /** When what the notices were prepared from changed, the acceptance is `stale` and writes nothing. */
  preparedFrom?: PreparedFrom;
  /**
   * An orientation: the person's keyed identities (src/privacy/identity-key.ts), which replace the ones
   * the index held for the person, so that agencies can find them (POST /v1/beneficiary-lookups).
   */
  identityKeys?: readonly string[];
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
  reason: 'not-taken-in-charge' | 'retention';
}

export type ErasureOutcome =
  | {
      kind: 'erased';
      /** Dossier documents destroyed. */
      documents: number;
      /** Withdrawal notices queued. */
      notices: number;
      /** Index of the `erased` audit entry. */
      auditIndex: number;
    }
  /** The gateway held nothing about the person (never seen, or erased already). */
  | { kind: 'unknown' }
  /** Partners received data about the person since the notices were prepared: nothing was written. */
  | { kind: 'stale'; recipients: string[] };

/** A gateway notice waiting for its recipient's key, decrypted for sealing. */
export interface HeldNotice {
  messageId: string;
  recipient: string;
  heldAt: string;
  signedMessage: Uint8Array;
}

export interface DossierPort extends SubjectDirectory {
  /** The pseudonym of the person with this lookup key, without creating anything. */
  findSubject(lookup: string): Promise<string | undefined>;
  /** An opt-out tombstone, or an erasure tombstone (the operator erased the person), under this lookup. */
  isOptedOut(lookup: string): Promise<boolean>;
  /** The person withdrew their consent to share health data (opt-out RETRAIT_ACCORD_SANTE). */
  isHealthConsentWithdrawn(lookup: string): Promise<boolean>;
  follows(beneficiary: string, partnerId: string): Promise<boolean>;
  followers(beneficiary: string): Promise<string[]>;
  /** Partners that were sent a message about the person (partners' messages and the gateway's). */
  recipientsOf(beneficiary: string): Promise<string[]>;
  /**
   * The partners that received a document: its own recipient, and the recipient of every dossier
   * notice that disclosed it. The gateway itself is never among them.
   */
  documentRecipients(documentId: string): Promise<string[]>;
  /** Each kept document that a dossier notice disclosed about the person: the notice and the document, by message id. */
  disclosuresOf(beneficiary: string): Promise<Array<{ noticeId: string; documentId: string }>>;
  /** The dossier, decrypted, oldest first; undefined when the gateway holds no key for the person (erased). */
  readDossier(beneficiary: string): Promise<DossierDocument[] | undefined>;
  /**
   * Destroys the person's dossier and subject (crypto-shredding), queues the withdrawal notices and
   * audits `withdrawal-notified` for each and `erased`, in one transaction. `notices` must cover every
   * partner in `preparedFor`, and `preparedFor` every partner that received data about the person when
   * the transaction runs; otherwise the outcome is `stale` with the current recipients.
   */
  erase(opts: { beneficiary: string; reason: DestructionReason; at: string; notices: GatewayNotice[]; preparedFor: readonly string[] }): Promise<ErasureOutcome>;
  /**
   * Deletes the opt-out and erasure tombstones under this lookup (the operator re-admits a person
   * erased or opted out by mistake) and audits `tombstone-lifted` with `code` and the rows deleted,
   * in one transaction; nothing, and no entry, when there is none.
   */
  liftTombstone(opts: { lookup: string; code: string; at: string }): Promise<{ lifted: number; auditIndex: number | undefined }>;
  /** Orientations accepted before `acceptedBefore` that nobody acknowledged and that did not expire yet (a batch). */
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
  /**
   * Destroys the dossier if the reason still holds when the transaction runs (a message accepted since
   * the sweep listed the person keeps it); false otherwise.
   */
  destroyIfDue(opts: Destruction & { lastEventBefore: string; at: string }): Promise<{ destroyed: boolean; documents: number }>;
  /** Deletes subjects that no accepted message names (all refused) and created before `createdBefore`. */
  forgetIdleSubjects(createdBefore: string): Promise<number>;
  /** Notices held for a recipient without a usable key, oldest first, at most `limit`. */
  heldNotices(limit: number): Promise<HeldNotice[]>;
  /** The held notice goes to the outbox with its sealed body, once; false when it was released already. */
  releaseHeldNotice(messageId: string, outboxBody: string): Promise<boolean>;
  /** How many notices wait for each recipient, and since when: for the operator. */
  heldNoticeCounts(): Promise<Array<{ recipient: string; count: number; oldest: string }>>;
}

// ---------------------------------------------------------------------------------------------------
// Withdrawal execution receipts (docs/interface.md): one row per withdrawal notice, no personal data.

export type ReceiptState = 'outstanding' | 'answered' | 'all';

export interface WithdrawalNoticeRecord {
  noticeId: string;
  recipient: string;
  reason: string;
  sentAt: string;
  answeredAt: string | undefined;
  status: 'EFFECTUE' | 'REFUSE_MOTIF_LEGAL' | undefined;
  legalGround: string | undefined;
  receiptId: string | undefined;
  executedOn: string | undefined;
  reminders: number;
  lastRemindedAt: string | undefined;
}

/** A notice whose reminder is due: its row, the person's pseudonym on its message row, and the signed notice. */
export interface DueReminder {
  notice: WithdrawalNoticeRecord;
  beneficiary: string;
  signedMessage: Uint8Array;
}

export interface WithdrawalReceiptsPort {
  /** The row of the notice this message id names (the notice itself, or a reminder of it); undefined when it names none. */
  withdrawalNotice(messageId: string): Promise<WithdrawalNoticeRecord | undefined>;
  /** Notices, oldest first, in a state, from an offset, at most `limit`. */
  withdrawalNotices(opts: { state: ReceiptState; offset: number; limit: number }): Promise<WithdrawalNoticeRecord[]>;
  /** Notices per recipient and status (EFFECTUE, REFUSE_MOTIF_LEGAL, EN_ATTENTE). */
  withdrawalNoticeCounts(): Promise<Array<{ recipient: string; status: string; count: number }>>;
  /** Unanswered notices whose last reminder (or the notice) is older than `before`, with fewer than `maxReminders` reminders; a batch. */
  dueWithdrawalReminders(opts: { before: string; maxReminders: number; limit: number }): Promise<DueReminder[]>;
  /**
   * Queues a reminder, audited `withdrawal-reminded`, and counts it on its notice, in one transaction;
   * false when the notice was answered or reminded meanwhile (`reminders` is what the caller saw).
   * The notice's sealed copy goes with the last reminder.
   */
  sendWithdrawalReminder(opts: { noticeId: string; reminders: number; maxReminders: number; notice: GatewayNotice; beneficiary: string; at: string }): Promise<boolean>;
}

/**
 * Rotation of the gateway's secrets without downtime (src/app/secrets.ts): what depends on a retired
 * secret is moved to the current one, and counted, so that a retired secret is deleted only once
 * nothing needs it.
 */
export interface SecretsPort {
  /**
   * The subject and the opt-out tombstone found under one of `previous` (lookups under retired
   * pseudonym secrets) take the lookup `current`, in one transaction; returns how many rows moved.
   */
  rekeyLookups(current: string, previous: readonly string[]): Promise<number>;
  /** Rows (subjects, tombstones, identity keys of beneficiary lookups) per pseudonym secret id; '' counts the lookups made before lookups named their secret. */
  lookupCounts(): Promise<Array<{ secret: string; rows: number }>>;
  /** Wraps up to `limit` data keys that another key-encryption key wrapped with the current one; returns how many. */
  rewrapDataKeys(limit: number): Promise<number>;
  /** Data keys per key-encryption key id (subjects' and held notices'). */
  wrappedKeyCounts(): Promise<Array<{ kek: string; keys: number }>>;
  /** Records the fingerprints of the secrets as they are now (after a rotation), replacing the earlier ones. */
  recordSecrets(secrets: ReadonlyArray<{ file: string; secret: Uint8Array }>): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Finding a beneficiary among an agency's job seekers (POST /v1/beneficiary-lookups)

/** What a lookup searches by: the person's lookup keys (reference), or identity keys; every secret's. */
export type LookupBy = { lookups: readonly string[] } | { identityKeys: readonly string[] };

/** A person known to the exchange: a subject with an accepted orientation, not opted out. */
export interface LookupTarget {
  beneficiary: string;
  /** The person's latest orientation: the one OFII is asked to share. */
  orientation: { messageId: string; sender: string };
}

/** What a lookup found: nobody, one person, or several people under one identity (homonyms). */
export type LookupFinding = { kind: 'unknown' } | { kind: 'known'; target: LookupTarget } | { kind: 'ambiguous' };

/** Per agency, lookups answered in the last hour and in the last day. */
export interface LookupLimits {
  perHour: number;
  perDay: number;
}

export interface NewLookup {
  lookupId: string;
  agency: string;
  /** RFC 3339 UTC. */
  at: string;
  by: LookupBy;
  limits: LookupLimits;
  /** What the caller found before preparing the notice; found again inside the transaction. */
  expected: LookupFinding;
  /** When the person is known: the request to OFII to share the dossier, queued in the same transaction. */
  notice?: GatewayNotice;
}

export type LookupOutcome =
  | { kind: 'answered'; known: boolean; auditIndex: number }
  /** Over a limit: the refusal is recorded (and audited), nothing looked up. */
  | { kind: 'rate-limited'; retryAfterSeconds: number; auditIndex: number }
  /** What the caller prepared from changed meanwhile (an orientation, an opt-out): nothing was written. */
  | { kind: 'stale' };

/** Lookups of one agency on one UTC day, by outcome: for the auditor and the operator. */
export interface LookupDay {
  agency: string;
  /** YYYY-MM-DD (UTC). */
  day: string;
  known: number;
  unknown: number;
  refused: number;
}

export interface LookupsPort {
  /** Who the keys name now (a read). */
  findLookupTarget(by: LookupBy): Promise<LookupFinding>;
  /** Lookups the agency had answered since `since` (RFC 3339), for the limits. */
  lookupsSince(agency: string, since: string): Promise<number>;
  /**
   * One transaction: counts the agency's answered lookups against the limits (refused: recorded and
   * audited `looked-up` with code lookup_rate_limited); otherwise finds the person again (stale when it
   * differs from `expected`), records the lookup, audits it (`looked-up`, code known or unknown) and
   * queues the notice under its own `dossier-requested` entry.
   */
  recordLookup(lookup: NewLookup): Promise<LookupOutcome>;
  /** Lookups per agency per UTC day since `since` (a day, YYYY-MM-DD), oldest day first. */
  lookupSummary(since: string): Promise<LookupDay[]>;
}

// ---------------------------------------------------------------------------------------------------
// The whole port

export interface Store extends OutboxPort, OperationsPort, AuditLogPort, DossierPort, SecretsPort, LookupsPort, WithdrawalReceiptsPort {
  /**
   * One transaction: the message, its outbox row and its `accepted` audit entry, its dossier update and
   * statistics row. An acknowledgement answering a message its sender received makes that message
   * `acknowledged` (audited) in the same transaction.
   */
  accept(message: NewMessage): Promise<AcceptOutcome>;
  /** Keeps the receipt that was answered, so a retry gets the same body; never waited for, never fails the caller. */
  saveReceipt(messageId: string, receipt: string): Promise<void>;
  findMessage(messageId: string): Promise<MessageRecord | undefined>;
  /** The message's row, its audit entries and the messages linked to it; undefined for an unknown id. */
  messageHistory(messageId: string): Promise<MessageHistory | undefined>;
  /**
   * RabbitMQ dead-lettered the message. One transaction: status `dead-lettered`, its time, an audit
   * entry. `unchanged` when it is dead-lettered already or was answered; `unknown` when no such message
   * was accepted here.
   */
  markDeadLettered(messageId: string, deadLetteredAt: string): Promise<'marked' | 'unchanged' | 'unknown'>;
  /** Appends a rejection (or any standalone event) to the audit log and returns its index. */
  recordEvent(event: AuditEvent): Promise<number>;
  /**
   * The statistics rows in order of acceptance: every one, or one page (the gateway reads them by pages,
   * so that no read holds the event loop for long: SQLite reads on the main thread unless PASSERELLE_STORE_THREAD=on).
   */
  statisticsFacts(page?: FactsPage): Promise<StoredFact[]>;
  /** Throws GatewayError('store_unavailable') when the store cannot take a write. */
  checkWritable(): Promise<void>;
  close(): Promise<void>;
}
