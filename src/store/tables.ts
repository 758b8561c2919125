/**
 * The store's tables as the query builder sees them (Kysely's table interfaces): the same names and
 * columns on SQLite and PostgreSQL, created by the one migration list (src/store/migrations.ts).
 * Integers are JavaScript numbers on both engines (audit indexes and counts stay far below 2^53);
 * binary columns are Buffers; times are RFC 3339 text, except the PostgreSQL outbox lease.
 */
import type { Generated } from 'kysely';
import type { MessageStatus } from '../domain/message.js';

export interface MessagesTable {
  message_id: string;
  type: string;
  version: number;
  sender: string;
  recipient: string;
  in_reply_to: string | null;
  /** Keyed pseudonym of the person (src/privacy/pseudonym.ts), never the reference itself. */
  beneficiary: string;
  payload_sha256: string;
  status: MessageStatus;
  audit_index: number;
  accepted_at: string;
  queued_at: string | null;
  acknowledged_at: string | null;
  dead_lettered_at: string | null;
  receipt: string | null;
  expired_at: string | null;
}

export interface OutboxTable {
  seq: Generated<number>;
  message_id: string;
  body: string;
  attempts: Generated<number>;
  /** Which gateway process holds the row while it publishes it (PostgreSQL: several relays share one outbox). */
  lease_owner: string | null;
  lease_until: Date | string | null;
  /** W3C Trace Context of the message (migration 0003), published in its AMQP headers. */
  trace_parent: string | null;
  trace_state: string | null;
}

export interface AuditLogTable {
  idx: number;
  /** RFC 8785 canonical JSON of the entry: the bytes its leaf hash covers. */
  entry: string;
  leaf_hash: string;
}

/** Every perfect subtree of two or more leaves, stored when its last leaf is appended. */
export interface AuditNodesTable {
  level: number;
  idx: number;
  hash: string;
}

/** Which partners an entry names, so that a partner's view of the log is an index lookup. */
export interface AuditPartiesTable {
  partner: string;
  idx: number;
}

/**
 * What an entry is filtered by, copied from the entry when it is appended (src/store/audit-log.ts):
 * the auditor's queries are index lookups. The entry stays the only thing hashed; a facet row is a
 * finding aid, never evidence.
 */
export interface AuditFacetsTable {
  idx: number;
  event: string;
  /** The entry's timestamp, RFC 3339 UTC. */
  at: string;
  message_id: string | null;
  /** Keyed pseudonym of the person, as in the entry. */
  beneficiary: string | null;
}

/** One row, locked by every PostgreSQL transaction that appends (src/store/postgres/engine.ts). */
export interface AuditSequencerTable {
  id: number;
}

export interface CheckpointsTable {
  tree_size: number;
  root_hash: string;
  timestamp: string;
  signature: string;
}

export interface CosignaturesTable {
  tree_size: number;
  partner: string;
  signature: string;
  signed_at: string;
}

export interface SubjectsTable {
  /** HMAC of the reference under the gateway secret: finds the row, never written anywhere else. */
  lookup: string;
  pseudonym: string;
  pseudonym_key: Buffer;
  wrapped_data_key: Buffer | null;
  kek_id: string | null;
  taken_in_charge_at: string | null;
  created_at: string;
}

export interface DossierDocumentsTable {
  message_id: string;
  beneficiary: string;
  type: string;
  sender: string;
  recipient: string;
  accepted_at: string;
  /** The sender's signed message sealed under the subject's data key (src/store/dossier-keys.ts). */
  sealed: Buffer;
}

export interface FollowersTable {
  beneficiary: string;
  partner: string;
  since: string;
}

export interface OptOutsTable {
  lookup: string;
  message_id: string;
  recorded_at: string;
}

/**
 * One row per withdrawal notice the gateway sent (migration 0009), reminders excepted: who must answer,
 * why, and the agency's execution receipt once it came. No column names or pseudonymises the person:
 * the notice id is enough to match the receipt (src/domain/execution-receipts.ts).
 */
export interface WithdrawalReceiptsTable {
  notice_id: string;
  recipient: string;
  /** The notice's body.reason (DISPENSE, RETRAIT, EFFACEMENT, OPPOSITION_ART21, ...). */
  reason: string;
  sent_at: string;
  answered_at: string | null;
  /** EFFECTUE or REFUSE_MOTIF_LEGAL; null while outstanding. */
  status: string | null;
  legal_ground: string | null;
  /** The execution-receipt message that answered. */
  receipt_id: string | null;
  executed_on: string | null;
  reminders: number;
  last_reminded_at: string | null;
}

/** A reminder (a new withdrawal notice) and the original notice it reminds of: a receipt may answer either. */
export interface WithdrawalRemindersTable {
  message_id: string;
  notice_id: string;
}

/**
 * The withdrawal notice as the gateway signed it, sealed under the KEK like a held notice, kept only
 * while reminders may still be sent: a reminder names the person (header.beneficiaryRef) and the
 * gateway forgot them when it destroyed the dossier. Deleted at the receipt or the last reminder.
 */
export interface WithdrawalNoticeCopiesTable {
  notice_id: string;
  sealed: Buffer;
  wrapped_key: Buffer;
  kek_id: string;
}

/** The operator erased the person: keyed by the lookup only, so a later OFII batch cannot re-create them. */
export interface ErasureTombstonesTable {
  lookup: string;
  /** EFFACEMENT (the operator's erasure). */
  nature: string;
  recorded_at: string;
}

/** The person withdrew their consent to share health data (opt-out RETRAIT_ACCORD_SANTE); keyed by the lookup only. */
export interface HealthConsentWithdrawalsTable {
  lookup: string;
  message_id: string;
  recorded_at: string;
}

/** One row of categories per accepted message; no column identifies a person (src/stats/facts.ts). */
export interface StatsFactsTable {
  seq: Generated<number>;
  message_id: string;
  month: string;
  type: string;
  sender: string;
  recipient: string;
  permit_family: string | null;
  language_level: string | null;
  sent_on: string | null;
  answers: string | null;
  acknowledgement_status: string | null;
  event_type: string | null;
  days_from_orientation: number | null;
  /** End-of-CIR reviews (migration 0006-cir-review-facts): categories only. */
  final_status: string | null;
  level_reached: string | null;
  /** 1 when a certification was obtained, 0 when none; null for other types. */
  certified: number | null;
  declared_situation: string | null;
  post_cir_orientation: string | null;
  /** Migration 0010: the message id of the orientation that started the person's path. */
  cohort: string | null;
  sex: string | null;
  age_band: string | null;
  pathway: string | null;
  contract_kind: string | null;
}

/** A gateway notice whose recipient has no usable key yet: the signed message sealed under the KEK (src/store/dossier-keys.ts). */
export interface HeldNoticesTable {
  message_id: string;
  recipient: string;
  sealed: Buffer;
  wrapped_key: Buffer;
  kek_id: string;
  held_at: string;
}

/** A kept document that a dossier notice disclosed (migration 0005). */
export interface DossierDisclosuresTable {
  notice_id: string;
  document_id: string;
  beneficiary: string;
}

export interface WriteProbeTable {
  id: number;
  probed_at: string;
}

export interface SecretFingerprintsTable {
  file: string;
  fingerprint: string;
  recorded_at: string;
}

/**
 * Keyed identities of the people an orientation named (src/privacy/identity-key.ts): an identity key
 * (`<secret id>:<hmac>`) to the person's pseudonym; several rows per person (birth and usage name).
 * Written in the orientation's acceptance transaction, deleted with the subject (migration 0007).
 */
export interface BeneficiaryIndexTable {
  identity_key: string;
  beneficiary: string;
}

/** One row per beneficiary lookup: who asked, when, and the outcome; never whom about. */
export interface BeneficiaryLookupsTable {
  lookup_id: string;
  agency: string;
  /** RFC 3339 UTC. */
  at: string;
  outcome: 'known' | 'unknown' | 'refused';
}

export interface Tables {
  messages: MessagesTable;
  outbox: OutboxTable;
  audit_log: AuditLogTable;
  audit_nodes: AuditNodesTable;
  audit_parties: AuditPartiesTable;
  audit_facets: AuditFacetsTable;
  audit_sequencer: AuditSequencerTable;
  checkpoints: CheckpointsTable;
  cosignatures: CosignaturesTable;
  subjects: SubjectsTable;
  dossier_documents: DossierDocumentsTable;
  followers: FollowersTable;
  opt_outs: OptOutsTable;
  stats_facts: StatsFactsTable;
  write_probe: WriteProbeTable;
  secret_fingerprints: SecretFingerprintsTable;
  held_notices: HeldNoticesTable;
  dossier_disclosures: DossierDisclosuresTable;
  beneficiary_index: BeneficiaryIndexTable;
  beneficiary_lookups: BeneficiaryLookupsTable;
  withdrawal_receipts: WithdrawalReceiptsTable;
  withdrawal_reminders: WithdrawalRemindersTable;
  withdrawal_notice_copies: WithdrawalNoticeCopiesTable;
  erasure_tombstones: ErasureTombstonesTable;
  health_consent_withdrawals: HealthConsentWithdrawalsTable;
}
