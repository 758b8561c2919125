/**
 * The dossier part of the PostgreSQL store (src/store/dossiers.ts): subjects, encrypted dossiers,
 * followers and opt-out tombstones, with the same rules and the same encryption as the SQLite one
 * (src/store/sqlite-dossiers.ts; shared pieces in dossier-checks.ts and dossier-keys.ts).
 *
 * Every transaction here that writes more than one row runs under the audit sequencer
 * (src/store/pg-audit-tree.ts), like every acceptance: they see each other's commits in order, as
 * SQLite's single writer does, so a check repeated inside an acceptance (opt-out, referrer, subject
 * still there) cannot be overtaken by an erasure committed by another gateway meanwhile.
 */
import type pg from 'pg';
import type { AuditEvent } from '../audit/entry.js';
import { assertFollows, assertNotOptedOut } from '../domain/follow.js';
import type { NewSubject } from '../privacy/pseudonym.js';
import { GATEWAY_ID } from '../trust/gateway-partner.js';
import { assertRecipientsUnchanged, assertSubjectCurrent, destructionsDue, noticeEvent, NOT_TAKEN_IN_CHARGE_SQL } from './dossier-checks.js';
import { DossierKeys, SUBJECT_COLUMNS, type DocumentRow, type SubjectRow } from './dossier-keys.js';
import type { Destruction, DestructionReason, DossierDocument, DossierStore, ErasureOutcome, GatewayNotice, PendingOrientation } from './dossiers.js';
import { run, type Queryable } from './pg-pool.js';
import type { NewMessage } from './store.js';

/** The `dossiers` component of the PostgreSQL store's migrations (the `expired` status is in core's first migration). */
export const PG_DOSSIER_MIGRATIONS: readonly string[] = [
  `CREATE TABLE subjects (
     lookup             TEXT PRIMARY KEY,
     pseudonym          TEXT NOT NULL UNIQUE,
     pseudonym_key      BYTEA NOT NULL,
     wrapped_data_key   BYTEA,
     kek_id             TEXT,
     taken_in_charge_at TEXT,
     created_at         TEXT NOT NULL
   );
   CREATE TABLE dossier_documents (
     message_id  TEXT PRIMARY KEY,
     beneficiary TEXT NOT NULL,
     type        TEXT NOT NULL,
     sender      TEXT NOT NULL,
     recipient   TEXT NOT NULL,
     accepted_at TEXT NOT NULL,
     sealed      BYTEA NOT NULL
   );
   CREATE INDEX dossier_documents_beneficiary ON dossier_documents (beneficiary, accepted_at);
   CREATE TABLE followers (
     beneficiary TEXT NOT NULL,
     partner     TEXT NOT NULL,
     since       TEXT NOT NULL,
     PRIMARY KEY (beneficiary, partner)
   );
   CREATE TABLE opt_outs (
     lookup      TEXT PRIMARY KEY,
     message_id  TEXT NOT NULL,
     recorded_at TEXT NOT NULL
   );`,
];

export interface PgDossiersOptions {
  /** Appends an entry in the caller's transaction (which holds the sequencer) and returns its index. */
  appendAudit: (client: Queryable, event: AuditEvent) => Promise<number>;
  /** Runs `work` in one transaction holding the audit sequencer, faults mapped (PgStore's policy). */
  transact: <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>;
  /** PASSERELLE_DATA_DIR, where the key-encryption key lives (secrets/dossier.kek). */
  dataDir: string;
}

export class PgDossiers implements DossierStore {
  private readonly keys: DossierKeys;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PgDossiersOptions,
  ) {
    this.keys = new DossierKeys(options.dataDir);
  }

  private async subjectByPseudonym(db: Queryable, pseudonym: string): Promise<SubjectRow | undefined> {
    return (await run<SubjectRow>(db, `SELECT ${SUBJECT_COLUMNS} FROM subjects WHERE pseudonym = $1`, [pseudonym]))[0];
  }

  // -------------------------------------------------------------------------------------------------
  // Subjects

  /** Two gateways seeing a new person at once: ON CONFLICT keeps the first subject, both read it back. */
  async pseudonymFor(lookup: string, create: () => NewSubject): Promise<string> {
    const known = await this.findSubject(lookup);
    if (known !== undefined) return known;
    const subject = create();
    await run(this.pool, 'INSERT INTO subjects (lookup, pseudonym, pseudonym_key, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (lookup) DO NOTHING', [
      lookup,
      subject.pseudonym,
      subject.pseudonymKey,
      subject.createdAt,
    ]);
    return (await this.findSubject(lookup))!;
  }

  async findSubject(lookup: string): Promise<string | undefined> {
    return (await run<{ pseudonym: string }>(this.pool, 'SELECT pseudonym FROM subjects WHERE lookup = $1', [lookup]))[0]?.pseudonym;
  }

  async isOptedOut(lookup: string, db: Queryable = this.pool): Promise<boolean> {
    return (await run(db, 'SELECT 1 FROM opt_outs WHERE lookup = $1', [lookup])).length > 0;
  }

  async follows(beneficiary: string, partnerId: string, db: Queryable = this.pool): Promise<boolean> {
    return (await run(db, 'SELECT 1 FROM followers WHERE beneficiary = $1 AND partner = $2', [beneficiary, partnerId])).length > 0;
  }

  async followers(beneficiary: string): Promise<string[]> {
    return (await run<{ partner: string }>(this.pool, 'SELECT partner FROM followers WHERE beneficiary = $1 ORDER BY partner', [beneficiary])).map((r) => r.partner);
  }

  async recipientsOf(beneficiary: string, db: Queryable = this.pool): Promise<string[]> {
    const rows = await run<{ recipient: string }>(db, 'SELECT DISTINCT recipient FROM messages WHERE beneficiary = $1 AND recipient <> $2 ORDER BY recipient', [beneficiary, GATEWAY_ID]);
    return rows.map((r) => r.recipient);
  }

  // -------------------------------------------------------------------------------------------------
  // The dossier

  async readDossier(beneficiary: string): Promise<DossierDocument[] | undefined> {
    const subject = await this.subjectByPseudonym(this.pool, beneficiary);
    if (subject === undefined) return undefined;
    const dataKey = this.keys.dataKeyOf(subject);
    if (dataKey === undefined) return [];
    const rows = await run<DocumentRow>(
      this.pool,
      'SELECT message_id, type, sender, recipient, accepted_at, sealed FROM dossier_documents WHERE beneficiary = $1 ORDER BY accepted_at, message_id',
      [beneficiary],
    );
    return rows.map((row) => this.keys.openDocument(dataKey, beneficiary, row));
  }

  private async keepDocument(client: Queryable, subject: SubjectRow, message: NewMessage, signedMessage: Uint8Array): Promise<void> {
    let dataKey = this.keys.dataKeyOf(subject);
    if (dataKey === undefined) {
      const created = this.keys.newDataKey();
      dataKey = created.dataKey;
      await client.query('UPDATE subjects SET wrapped_data_key = $1, kek_id = $2 WHERE pseudonym = $3', [created.stored.wrapped_data_key, created.stored.kek_id, subject.pseudonym]);
    }
    await client.query('INSERT INTO dossier_documents (message_id, beneficiary, type, sender, recipient, accepted_at, sealed) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      message.messageId,
      subject.pseudonym,
      message.type,
      message.sender,
      message.recipient,
      message.acceptedAt,
      this.keys.seal(dataKey, subject.pseudonym, message.messageId, signedMessage),
    ]);
  }

  /**
   * Called by PgStore.accept inside its transaction (holding the sequencer), after the message row and
   * its `accepted` entry. A GatewayError thrown here rolls the whole acceptance back.
   */
  async applyAccepted(client: Queryable, message: NewMessage): Promise<void> {
    const update = message.dossier;
    if (update === undefined) return;
    const at = message.acceptedAt;
    assertNotOptedOut(await this.isOptedOut(update.lookup, client));
    const subject = await this.subjectByPseudonym(client, message.beneficiary);
    assertSubjectCurrent(subject, update.lookup);
    if (update.referrer !== undefined) assertFollows({ follows: await this.follows(subject.pseudonym, update.referrer, client), sender: update.referrer });
    if (update.optOut !== undefined) assertRecipientsUnchanged(await this.recipientsOf(subject.pseudonym, client), update.optOut.recipients);
    if (update.signedMessage !== undefined) await this.keepDocument(client, subject, message, update.signedMessage);

    const audited = (event: 'referred' | 'opted-out'): AuditEvent => ({
      event,
      timestamp: at,
      messageId: message.messageId,
      type: message.type,
      sender: message.sender,
      recipient: message.recipient,
      beneficiary: subject.pseudonym,
    });
    if (message.type === 'referral') await this.options.appendAudit(client, audited('referred'));
    const { follow } = update;
    if (follow.stops !== undefined) await client.query('DELETE FROM followers WHERE beneficiary = $1 AND partner = $2', [subject.pseudonym, follow.stops]);
    if (follow.starts !== undefined) {
      await client.query('INSERT INTO followers (beneficiary, partner, since) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [subject.pseudonym, follow.starts, at]);
    }
    if (follow.takenInCharge) await client.query('UPDATE subjects SET taken_in_charge_at = COALESCE(taken_in_charge_at, $1) WHERE pseudonym = $2', [at, subject.pseudonym]);

    for (const notice of update.notices) await this.insertNotice(client, notice, subject.pseudonym, at);

    if (update.optOut !== undefined) {
      await client.query('INSERT INTO opt_outs (lookup, message_id, recorded_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [update.lookup, message.messageId, at]);
      await this.options.appendAudit(client, audited('opted-out'));
      await this.destroy(client, subject.pseudonym, 'opt-out', at);
    } else if (follow.stops !== undefined) {
      // CASF R.263-8: a person nobody follows and nobody ever took in charge is not kept.
      const current = (await this.subjectByPseudonym(client, subject.pseudonym))!;
      const followed = (await client.query('SELECT 1 FROM followers WHERE beneficiary = $1', [subject.pseudonym])).rowCount! > 0;
      if (!followed && current.taken_in_charge_at === null) await this.destroy(client, subject.pseudonym, 'not-taken-in-charge', at);
    }
  }

  /** A gateway-originated message: its row, its outbox row and its audit entry (the notice's event). */
  private async insertNotice(client: Queryable, notice: GatewayNotice, beneficiary: string, at: string): Promise<number> {
    const auditIndex = await this.options.appendAudit(client, noticeEvent(notice, beneficiary, at));
    await this.insertNoticeRows(client, notice, beneficiary, at, auditIndex);
    return auditIndex;
  }

  private async insertNoticeRows(client: Queryable, notice: GatewayNotice, beneficiary: string, at: string, auditIndex: number): Promise<void> {
    await client.query(
      `INSERT INTO messages (message_id, type, version, sender, recipient, in_reply_to, beneficiary, payload_sha256, status, audit_index, accepted_at)
       VALUES ($1, $2, 1, $3, $4, $5, $6, $7, 'accepted', $8, $9)`,
      [notice.messageId, notice.type, GATEWAY_ID, notice.recipient, notice.inReplyTo ?? null, beneficiary, notice.payloadSha256, auditIndex, at],
    );
    await client.query('INSERT INTO outbox (message_id, body) VALUES ($1, $2)', [notice.messageId, notice.outboxBody]);
  }

  /** Crypto-shredding: the documents, the followers and the subject (with its wrapped data key) go; `erased` is appended. */
  private async destroy(client: Queryable, beneficiary: string, reason: DestructionReason, at: string): Promise<{ documents: number; auditIndex: number }> {
    const documents = (await client.query('DELETE FROM dossier_documents WHERE beneficiary = $1', [beneficiary])).rowCount ?? 0;
    await client.query('DELETE FROM followers WHERE beneficiary = $1', [beneficiary]);
    await client.query('DELETE FROM subjects WHERE pseudonym = $1', [beneficiary]);
    const auditIndex = await this.options.appendAudit(client, { event: 'erased', timestamp: at, beneficiary, code: reason, count: documents });
    return { documents, auditIndex };
  }

  async erase(opts: { beneficiary: string; reason: DestructionReason; at: string; notices: GatewayNotice[] }): Promise<ErasureOutcome> {
    return this.options.transact(async (client): Promise<ErasureOutcome> => {
      if ((await this.subjectByPseudonym(client, opts.beneficiary)) === undefined) return { erased: false, documents: 0, notices: 0, auditIndex: undefined };
      for (const notice of opts.notices) await this.insertNotice(client, notice, opts.beneficiary, opts.at);
      const { documents, auditIndex } = await this.destroy(client, opts.beneficiary, opts.reason, opts.at);
      return { erased: true, documents, notices: opts.notices.length, auditIndex };
    });
  }

  // -------------------------------------------------------------------------------------------------
  // Retention

  async unansweredOrientations(acceptedBefore: string): Promise<PendingOrientation[]> {
    const rows = await run<{ message_id: string; sender: string; recipient: string; beneficiary: string; accepted_at: string }>(
      this.pool,
      `SELECT message_id, sender, recipient, beneficiary, accepted_at FROM messages
       WHERE type = 'orientation' AND status IN ('accepted', 'queued') AND accepted_at < $1 ORDER BY accepted_at LIMIT 1000`,
      [acceptedBefore],
    );
    return rows.map((r) => ({ messageId: r.message_id, sender: r.sender, recipient: r.recipient, beneficiary: r.beneficiary, acceptedAt: r.accepted_at }));
  }

  async expireOrientation(opts: { messageId: string; at: string; notice: GatewayNotice | undefined }): Promise<boolean> {
    return this.options.transact(async (client) => {
      const [row] = (await client.query<{ type: string; sender: string; recipient: string; beneficiary: string; status: string }>(
        'SELECT type, sender, recipient, beneficiary, status FROM messages WHERE message_id = $1',
        [opts.messageId],
      )).rows;
      if (row === undefined || row.type !== 'orientation' || (row.status !== 'accepted' && row.status !== 'queued')) return false;
      await client.query("UPDATE messages SET status = 'expired', expired_at = $1 WHERE message_id = $2", [opts.at, opts.messageId]);
      const auditIndex = await this.options.appendAudit(client, { event: 'expired', timestamp: opts.at, messageId: opts.messageId, type: row.type, sender: row.sender, recipient: row.recipient, beneficiary: row.beneficiary });
      await client.query('DELETE FROM followers WHERE beneficiary = $1 AND partner = $2', [row.beneficiary, row.recipient]);
      // The notice to the orientation's sender is the consequence of this entry: it carries its index.
      if (opts.notice !== undefined) await this.insertNoticeRows(client, opts.notice, row.beneficiary, opts.at, auditIndex);
      return true;
    });
  }

  async dueForDestruction(lastEventBefore: string): Promise<Destruction[]> {
    const notTakenInCharge = await run<{ pseudonym: string }>(this.pool, NOT_TAKEN_IN_CHARGE_SQL);
    const expired = await run<{ pseudonym: string }>(
      this.pool,
      'SELECT s.pseudonym FROM subjects s WHERE (SELECT MAX(m.accepted_at) FROM messages m WHERE m.beneficiary = s.pseudonym) < $1',
      [lastEventBefore],
    );
    return destructionsDue(notTakenInCharge.map((r) => r.pseudonym), expired.map((r) => r.pseudonym));
  }

  async forgetIdleSubjects(createdBefore: string): Promise<number> {
    return this.options.transact(async (client) => {
      const deleted = await client.query('DELETE FROM subjects WHERE created_at < $1 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.beneficiary = subjects.pseudonym)', [createdBefore]);
      return deleted.rowCount ?? 0;
    });
  }
}
