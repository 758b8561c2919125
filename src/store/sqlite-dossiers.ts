/**
 * The dossier part of the embedded store (src/store/dossiers.ts): subjects, encrypted dossiers,
 * followers and opt-out tombstones in the SQLite file of the store, under their own migrations.
 *
 * Subjects sit in a table of their own, which erasure deletes from. What a copy of the store still
 * holds after an erasure: ciphertexts it can no longer decrypt (the data key was only ever stored
 * wrapped, in the deleted subject row) and pseudonyms nobody can link back. What it holds BEFORE:
 * everything, so a backup taken before an erasure keeps the person readable for whoever also holds
 * the key-encryption key; see the README, "Data protection".
 */
import type Database from 'better-sqlite3';
import type { AuditEvent } from '../audit/entry.js';
import { assertFollows, assertNotOptedOut } from '../domain/follow.js';
import type { NewSubject } from '../privacy/pseudonym.js';
import { GATEWAY_ID } from '../trust/gateway-partner.js';
import { assertRecipientsUnchanged, assertSubjectCurrent, destructionsDue, noticeEvent, NOT_TAKEN_IN_CHARGE_SQL } from './dossier-checks.js';
import { DossierKeys, SUBJECT_COLUMNS, type DocumentRow, type SubjectRow } from './dossier-keys.js';
import type {
  Destruction,
  DestructionReason,
  DossierDocument,
  DossierStore,
  ErasureOutcome,
  GatewayNotice,
  PendingOrientation,
} from './dossiers.js';
import type { NewMessage } from './store.js';

/**
 * Migrations of the `dossiers` component (see MIGRATIONS in sqlite.ts).
 *
 * 1. The `expired` status and its time. SQLite cannot change a CHECK constraint in place, so the
 *    messages table is rebuilt (sqlite.org/lang_altertable.html, "other kinds of table schema changes"),
 *    with foreign keys on: the outbox rows are set aside, since dropping a parent with children fails,
 *    and put back with their sequence numbers. A guard stops the migration if another component added a
 *    column to messages first, rather than dropping it silently.
 *    Then the dossier tables.
 */
export const DOSSIER_MIGRATIONS: readonly string[] = [
  `CREATE TEMP TABLE dossiers_guard (columns INTEGER NOT NULL CHECK (columns = 15));
   INSERT INTO dossiers_guard SELECT COUNT(*) FROM pragma_table_info('messages');
   DROP TABLE dossiers_guard;
   CREATE TEMP TABLE outbox_kept AS SELECT * FROM outbox;
   DELETE FROM outbox;
   CREATE TABLE messages_next (
     message_id       TEXT PRIMARY KEY,
     type             TEXT NOT NULL,
     version          INTEGER NOT NULL,
     sender           TEXT NOT NULL,
     recipient        TEXT NOT NULL,
     in_reply_to      TEXT,
     beneficiary      TEXT NOT NULL,
     payload_sha256   TEXT NOT NULL,
     status           TEXT NOT NULL CHECK (status IN ('accepted', 'queued', 'acknowledged', 'dead-lettered', 'expired')),
     audit_index      INTEGER NOT NULL,
     accepted_at      TEXT NOT NULL,
     queued_at        TEXT,
     acknowledged_at  TEXT,
     dead_lettered_at TEXT,
     receipt          TEXT,
     expired_at       TEXT
   ) STRICT;
   INSERT INTO messages_next (message_id, type, version, sender, recipient, in_reply_to, beneficiary, payload_sha256, status, audit_index, accepted_at, queued_at, acknowledged_at, dead_lettered_at, receipt)
     SELECT message_id, type, version, sender, recipient, in_reply_to, beneficiary, payload_sha256, status, audit_index, accepted_at, queued_at, acknowledged_at, dead_lettered_at, receipt FROM messages;
   DROP TABLE messages;
   ALTER TABLE messages_next RENAME TO messages;
   CREATE INDEX messages_beneficiary ON messages (beneficiary);
   CREATE INDEX messages_unanswered ON messages (type, status, accepted_at);
   INSERT INTO outbox SELECT * FROM outbox_kept;
   DROP TABLE outbox_kept;

   CREATE TABLE subjects (
     lookup             TEXT PRIMARY KEY,
     pseudonym          TEXT NOT NULL UNIQUE,
     pseudonym_key      BLOB NOT NULL,
     wrapped_data_key   BLOB,
     kek_id             TEXT,
     taken_in_charge_at TEXT,
     created_at         TEXT NOT NULL
   ) STRICT;
   CREATE TABLE dossier_documents (
     message_id  TEXT PRIMARY KEY,
     beneficiary TEXT NOT NULL,
     type        TEXT NOT NULL,
     sender      TEXT NOT NULL,
     recipient   TEXT NOT NULL,
     accepted_at TEXT NOT NULL,
     sealed      BLOB NOT NULL
   ) STRICT;
   CREATE INDEX dossier_documents_beneficiary ON dossier_documents (beneficiary, accepted_at);
   CREATE TABLE followers (
     beneficiary TEXT NOT NULL,
     partner     TEXT NOT NULL,
     since       TEXT NOT NULL,
     PRIMARY KEY (beneficiary, partner)
   ) STRICT;
   CREATE TABLE opt_outs (
     lookup      TEXT PRIMARY KEY,
     message_id  TEXT NOT NULL,
     recorded_at TEXT NOT NULL
   ) STRICT;`,
];

export interface SqliteDossiersOptions {
  /** Appends an entry in the current transaction and returns its index (SqliteStore's audit log). */
  appendAudit: (event: AuditEvent) => number;
  /** Runs `work` in one immediate transaction, store faults mapped to GatewayError (SqliteStore's policy). */
  transact: <T>(work: () => T) => T;
  /**
   * Like transact, but the commit may skip its own fsync: for a subject created at first sight, which
   * the acceptance naming it makes durable (that commit follows it in the WAL and is synced).
   */
  transactWithoutSync: <T>(work: () => T) => T;
  /** PASSERELLE_DATA_DIR, where the key-encryption key lives (secrets/dossier.kek), read at first use. */
  dataDir: string;
}

export class SqliteDossiers implements DossierStore {
  private readonly keys: DossierKeys;

  constructor(
    private readonly db: Database.Database,
    private readonly options: SqliteDossiersOptions,
  ) {
    this.keys = new DossierKeys(options.dataDir);
  }

  private subjectByPseudonym(pseudonym: string): SubjectRow | undefined {
    return this.db.prepare(`SELECT ${SUBJECT_COLUMNS} FROM subjects WHERE pseudonym = ?`).get(pseudonym) as SubjectRow | undefined;
  }

  // -------------------------------------------------------------------------------------------------
  // Subjects

  pseudonymFor(lookup: string, create: () => NewSubject): string {
    const find = (): string | undefined => (this.db.prepare('SELECT pseudonym FROM subjects WHERE lookup = ?').get(lookup) as { pseudonym: string } | undefined)?.pseudonym;
    const known = find();
    if (known !== undefined) return known;
    return this.options.transactWithoutSync(() => {
      const subject = create();
      this.db
        .prepare('INSERT INTO subjects (lookup, pseudonym, pseudonym_key, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (lookup) DO NOTHING')
        .run(lookup, subject.pseudonym, subject.pseudonymKey, subject.createdAt);
      return find()!;
    });
  }

  async findSubject(lookup: string): Promise<string | undefined> {
    return (this.db.prepare('SELECT pseudonym FROM subjects WHERE lookup = ?').get(lookup) as { pseudonym: string } | undefined)?.pseudonym;
  }

  async isOptedOut(lookup: string): Promise<boolean> {
    return this.optedOut(lookup);
  }

  private optedOut(lookup: string): boolean {
    return this.db.prepare('SELECT 1 FROM opt_outs WHERE lookup = ?').get(lookup) !== undefined;
  }

  async follows(beneficiary: string, partnerId: string): Promise<boolean> {
    return this.isFollower(beneficiary, partnerId);
  }

  private isFollower(beneficiary: string, partnerId: string): boolean {
    return this.db.prepare('SELECT 1 FROM followers WHERE beneficiary = ? AND partner = ?').get(beneficiary, partnerId) !== undefined;
  }

  async followers(beneficiary: string): Promise<string[]> {
    return (this.db.prepare('SELECT partner FROM followers WHERE beneficiary = ? ORDER BY partner').all(beneficiary) as Array<{ partner: string }>).map((r) => r.partner);
  }

  async recipientsOf(beneficiary: string): Promise<string[]> {
    return this.dataRecipients(beneficiary);
  }

  private dataRecipients(beneficiary: string): string[] {
    return (this.db.prepare('SELECT DISTINCT recipient FROM messages WHERE beneficiary = ? AND recipient <> ? ORDER BY recipient').all(beneficiary, GATEWAY_ID) as Array<{ recipient: string }>).map((r) => r.recipient);
  }

  // -------------------------------------------------------------------------------------------------
  // The dossier

  async readDossier(beneficiary: string): Promise<DossierDocument[] | undefined> {
    const subject = this.subjectByPseudonym(beneficiary);
    if (subject === undefined) return undefined;
    const dataKey = this.keys.dataKeyOf(subject);
    if (dataKey === undefined) return [];
    const rows = this.db
      .prepare('SELECT message_id, type, sender, recipient, accepted_at, sealed FROM dossier_documents WHERE beneficiary = ? ORDER BY accepted_at, message_id')
      .all(beneficiary) as DocumentRow[];
    return rows.map((row) => this.keys.openDocument(dataKey, beneficiary, row));
  }

  private keepDocument(subject: SubjectRow, message: NewMessage, signedMessage: Uint8Array): void {
    let dataKey = this.keys.dataKeyOf(subject);
    if (dataKey === undefined) {
      const created = this.keys.newDataKey();
      dataKey = created.dataKey;
      this.db.prepare('UPDATE subjects SET wrapped_data_key = ?, kek_id = ? WHERE pseudonym = ?').run(created.stored.wrapped_data_key, created.stored.kek_id, subject.pseudonym);
    }
    this.db
      .prepare('INSERT INTO dossier_documents (message_id, beneficiary, type, sender, recipient, accepted_at, sealed) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(message.messageId, subject.pseudonym, message.type, message.sender, message.recipient, message.acceptedAt, this.keys.seal(dataKey, subject.pseudonym, message.messageId, signedMessage));
  }

  /**
   * Called by SqliteStore.accept inside its transaction, after the message row and its `accepted`
   * entry: keeps the document, moves the followers, queues the gateway's notices. A GatewayError thrown
   * here rolls the whole acceptance back.
   */
  applyAccepted(message: NewMessage): void {
    const update = message.dossier;
    if (update === undefined) return;
    const at = message.acceptedAt;
    // Checked again here: an opt-out or an erasure may have committed since the checks of step 8.
    assertNotOptedOut(this.optedOut(update.lookup));
    const subject = this.subjectByPseudonym(message.beneficiary);
    assertSubjectCurrent(subject, update.lookup);
    if (update.referrer !== undefined) {
      assertFollows({ follows: this.isFollower(subject.pseudonym, update.referrer), sender: update.referrer });
    }
    if (update.optOut !== undefined) assertRecipientsUnchanged(this.dataRecipients(subject.pseudonym), update.optOut.recipients);
    if (update.signedMessage !== undefined) this.keepDocument(subject, message, update.signedMessage);

    if (message.type === 'referral') {
      this.options.appendAudit({ event: 'referred', timestamp: at, messageId: message.messageId, type: message.type, sender: message.sender, recipient: message.recipient, beneficiary: subject.pseudonym });
    }
    const { follow } = update;
    if (follow.stops !== undefined) this.db.prepare('DELETE FROM followers WHERE beneficiary = ? AND partner = ?').run(subject.pseudonym, follow.stops);
    if (follow.starts !== undefined) {
      this.db.prepare('INSERT INTO followers (beneficiary, partner, since) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(subject.pseudonym, follow.starts, at);
    }
    if (follow.takenInCharge) this.db.prepare('UPDATE subjects SET taken_in_charge_at = COALESCE(taken_in_charge_at, ?) WHERE pseudonym = ?').run(at, subject.pseudonym);

    for (const notice of update.notices) this.insertNotice(notice, subject.pseudonym, at);

    if (update.optOut !== undefined) {
      this.db.prepare('INSERT INTO opt_outs (lookup, message_id, recorded_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(update.lookup, message.messageId, at);
      this.options.appendAudit({ event: 'opted-out', timestamp: at, messageId: message.messageId, type: message.type, sender: message.sender, recipient: message.recipient, beneficiary: subject.pseudonym });
      this.destroy(subject.pseudonym, 'opt-out', at);
    } else if (follow.stops !== undefined) {
      // CASF R.263-8: a person nobody follows and nobody ever took in charge is not kept.
      const current = this.subjectByPseudonym(subject.pseudonym)!;
      const followed = this.db.prepare('SELECT 1 FROM followers WHERE beneficiary = ?').get(subject.pseudonym) !== undefined;
      if (!followed && current.taken_in_charge_at === null) this.destroy(subject.pseudonym, 'not-taken-in-charge', at);
    }
  }

  /** A gateway-originated message: its row, its outbox row and its audit entry (the notice's event). */
  private insertNotice(notice: GatewayNotice, beneficiary: string, at: string): number {
    const auditIndex = this.options.appendAudit(noticeEvent(notice, beneficiary, at));
    this.insertNoticeRows(notice, beneficiary, at, auditIndex);
    return auditIndex;
  }

  private insertNoticeRows(notice: GatewayNotice, beneficiary: string, at: string, auditIndex: number): void {
    this.db
      .prepare(
        `INSERT INTO messages (message_id, type, version, sender, recipient, in_reply_to, beneficiary, payload_sha256, status, audit_index, accepted_at)
         VALUES (?, ?, 1, ?, ?, ?, ?, ?, 'accepted', ?, ?)`,
      )
      .run(notice.messageId, notice.type, GATEWAY_ID, notice.recipient, notice.inReplyTo ?? null, beneficiary, notice.payloadSha256, auditIndex, at);
    this.db.prepare('INSERT INTO outbox (message_id, body) VALUES (?, ?)').run(notice.messageId, notice.outboxBody);
  }

  /** Crypto-shredding: the documents, the followers and the subject (with its wrapped data key) go; `erased` is appended. */
  private destroy(beneficiary: string, reason: DestructionReason, at: string): { documents: number; auditIndex: number } {
    const documents = this.db.prepare('DELETE FROM dossier_documents WHERE beneficiary = ?').run(beneficiary).changes;
    this.db.prepare('DELETE FROM followers WHERE beneficiary = ?').run(beneficiary);
    this.db.prepare('DELETE FROM subjects WHERE pseudonym = ?').run(beneficiary);
    const auditIndex = this.options.appendAudit({ event: 'erased', timestamp: at, beneficiary, code: reason, count: documents });
    return { documents, auditIndex };
  }

  async erase(opts: { beneficiary: string; reason: DestructionReason; at: string; notices: GatewayNotice[] }): Promise<ErasureOutcome> {
    return this.options.transact((): ErasureOutcome => {
      if (this.subjectByPseudonym(opts.beneficiary) === undefined) return { erased: false, documents: 0, notices: 0, auditIndex: undefined };
      for (const notice of opts.notices) this.insertNotice(notice, opts.beneficiary, opts.at);
      const { documents, auditIndex } = this.destroy(opts.beneficiary, opts.reason, opts.at);
      return { erased: true, documents, notices: opts.notices.length, auditIndex };
    });
  }

  // -------------------------------------------------------------------------------------------------
  // Retention

  async unansweredOrientations(acceptedBefore: string): Promise<PendingOrientation[]> {
    const rows = this.db
      .prepare(
        `SELECT message_id, sender, recipient, beneficiary, accepted_at FROM messages
         WHERE type = 'orientation' AND status IN ('accepted', 'queued') AND accepted_at < ? ORDER BY accepted_at LIMIT 1000`,
      )
      .all(acceptedBefore) as Array<{ message_id: string; sender: string; recipient: string; beneficiary: string; accepted_at: string }>;
    return rows.map((r) => ({ messageId: r.message_id, sender: r.sender, recipient: r.recipient, beneficiary: r.beneficiary, acceptedAt: r.accepted_at }));
  }

  async expireOrientation(opts: { messageId: string; at: string; notice: GatewayNotice | undefined }): Promise<boolean> {
    return this.options.transact(() => {
      const row = this.db.prepare('SELECT type, sender, recipient, beneficiary, status FROM messages WHERE message_id = ?').get(opts.messageId) as
        | { type: string; sender: string; recipient: string; beneficiary: string; status: string }
        | undefined;
      if (row === undefined || row.type !== 'orientation' || (row.status !== 'accepted' && row.status !== 'queued')) return false;
      this.db.prepare("UPDATE messages SET status = 'expired', expired_at = ? WHERE message_id = ?").run(opts.at, opts.messageId);
      const auditIndex = this.options.appendAudit({ event: 'expired', timestamp: opts.at, messageId: opts.messageId, type: row.type, sender: row.sender, recipient: row.recipient, beneficiary: row.beneficiary });
      this.db.prepare('DELETE FROM followers WHERE beneficiary = ? AND partner = ?').run(row.beneficiary, row.recipient);
      // The notice to the orientation's sender is the consequence of this entry: it carries its index.
      if (opts.notice !== undefined) this.insertNoticeRows(opts.notice, row.beneficiary, opts.at, auditIndex);
      return true;
    });
  }

  async dueForDestruction(lastEventBefore: string): Promise<Destruction[]> {
    const notTakenInCharge = this.db.prepare(NOT_TAKEN_IN_CHARGE_SQL).all() as Array<{ pseudonym: string }>;
    const expired = this.db
      .prepare('SELECT s.pseudonym FROM subjects s WHERE (SELECT MAX(m.accepted_at) FROM messages m WHERE m.beneficiary = s.pseudonym) < ?')
      .all(lastEventBefore) as Array<{ pseudonym: string }>;
    return destructionsDue(notTakenInCharge.map((r) => r.pseudonym), expired.map((r) => r.pseudonym));
  }

  async forgetIdleSubjects(createdBefore: string): Promise<number> {
    return this.options.transact(
      () =>
        this.db
          .prepare('DELETE FROM subjects WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.beneficiary = subjects.pseudonym)')
          .run(createdBefore).changes,
    );
  }
}
