/**
 * The person's dossier in the store, for both engines (the DossierPort of src/store/port.ts): subjects,
 * encrypted documents, followers, opt-out tombstones, and what acceptance, erasure and retention change
 * in them.
 *
 * Subjects sit in a table of their own, which erasure deletes from. What a copy of the store still
 * holds after an erasure: ciphertexts it can no longer decrypt (the data key was only ever stored
 * wrapped, in the deleted subject row) and pseudonyms nobody can link back. What it holds BEFORE:
 * everything, so a backup taken before an erasure keeps the person readable for whoever also holds the
 * key-encryption key (docs/operator.md, "Data protection").
 *
 * Every decision here reads the rows it depends on inside the transaction that acts on it.
 */
import type { AuditEvent } from '../audit/entry.js';
import { GatewayError } from '../domain/errors.js';
import { assertDossierCapacity, assertOutboxBody } from '../domain/dossier-limits.js';
import { assertFollows, assertNotOptedOut, assertReviewToFollower } from '../domain/follow.js';
import { healthFieldRefusal } from '../domain/health-fields.js';
import type { NewSubject } from '../privacy/pseudonym.js';
import { GATEWAY_ID } from '../domain/gateway-partner.js';
import { appendAudit } from './audit-log.js';
import type { DossierKeys } from './dossier-keys.js';
import { insertMessage } from './message-row.js';
import { countReminder, expectReceipt, reminderStillDue } from './withdrawal-receipts.js';
import type { Destruction, DestructionReason, DossierDocument, ErasureOutcome, GatewayNotice, HeldNotice, NewMessage, PendingOrientation, PreparedFrom } from './port.js';
import type { SubjectsTable } from './tables.js';
import { execute, row, rows, template, type Sql, type Tx } from './transaction.js';

/** Orientations a retention sweep reads at once; it asks again until none is left. */
export const UNANSWERED_BATCH = 1000;

type Subject = Pick<SubjectsTable, 'lookup' | 'pseudonym' | 'wrapped_data_key' | 'kek_id' | 'taken_in_charge_at'>;

const SUBJECT_COLUMNS = ['lookup', 'pseudonym', 'wrapped_data_key', 'kek_id', 'taken_in_charge_at'] as const;
const SUBJECT_BY_PSEUDONYM = template((sql, p: { pseudonym: string }) => sql.selectFrom('subjects').select(SUBJECT_COLUMNS).where('pseudonym', '=', p.pseudonym));
const SUBJECT_BY_LOOKUP = template((sql, p: { lookup: string }) => sql.selectFrom('subjects').select(SUBJECT_COLUMNS).where('lookup', '=', p.lookup));
const INSERT_SUBJECT = template((sql, p: NewSubject & { lookup: string }) =>
  sql
    .insertInto('subjects')
    .values({ lookup: p.lookup, pseudonym: p.pseudonym, pseudonym_key: p.pseudonymKey, created_at: p.createdAt })
    .onConflict((oc) => oc.column('lookup').doNothing())
    // A row only when this insert made the subject.
    .returning('pseudonym'),
);
const TOMBSTONED = template((sql, p: { lookup: string }) =>
  sql.selectFrom('opt_outs').select('lookup').where('lookup', '=', p.lookup).unionAll(sql.selectFrom('erasure_tombstones').select('lookup').where('lookup', '=', p.lookup)),
);
const HEALTH_WITHDRAWN = template((sql, p: { lookup: string }) => sql.selectFrom('health_consent_withdrawals').select('lookup').where('lookup', '=', p.lookup));
const FOLLOWERS = template((sql, p: { beneficiary: string }) => sql.selectFrom('followers').select('partner').where('beneficiary', '=', p.beneficiary).orderBy('partner'));
const FOLLOW = template((sql, p: { beneficiary: string; partner: string; since: string }) =>
  sql.insertInto('followers').values({ beneficiary: p.beneficiary, partner: p.partner, since: p.since }).onConflict((oc) => oc.columns(['beneficiary', 'partner']).doNothing()),
);
const UNFOLLOW = template((sql, p: { beneficiary: string; partner: string }) => sql.deleteFrom('followers').where('beneficiary', '=', p.beneficiary).where('partner', '=', p.partner));
const TAKEN_IN_CHARGE = template((sql, p: { pseudonym: string; at: string }) => sql.updateTable('subjects').set({ taken_in_charge_at: p.at }).where('pseudonym', '=', p.pseudonym));
const DATA_KEY = template((sql, p: { pseudonym: string; wrapped: Buffer; kekId: string }) => sql.updateTable('subjects').set({ wrapped_data_key: p.wrapped, kek_id: p.kekId }).where('pseudonym', '=', p.pseudonym));
const INSERT_DOCUMENT = template((sql, p: { messageId: string; beneficiary: string; type: string; sender: string; recipient: string; acceptedAt: string; sealed: Buffer }) =>
  sql.insertInto('dossier_documents').values({
    message_id: p.messageId,
    beneficiary: p.beneficiary,
    type: p.type,
    sender: p.sender,
    recipient: p.recipient,
    accepted_at: p.acceptedAt,
    sealed: p.sealed,
  }),
);

function* subjectBy(sql: Sql, by: { pseudonym: string } | { lookup: string }): Tx<Subject | undefined> {
  return yield* row('pseudonym' in by ? SUBJECT_BY_PSEUDONYM(sql, by) : SUBJECT_BY_LOOKUP(sql, by));
}

/** Two gateways seeing a new person at once: the first subject stays, both read it back. */
export function* pseudonymFor(sql: Sql, lookup: string, subject: NewSubject): Tx<string> {
  const created = yield* row(INSERT_SUBJECT(sql, { ...subject, lookup }));
  return created?.pseudonym ?? (yield* subjectBy(sql, { lookup }))!.pseudonym;
}

export function* findSubject(sql: Sql, lookup: string): Tx<string | undefined> {
  return (yield* subjectBy(sql, { lookup }))?.pseudonym;
}

/** An opt-out, or the operator's erasure: either tombstone stops a later batch from re-creating the person. */
export function* isOptedOut(sql: Sql, lookup: string): Tx<boolean> {
  return (yield* row(TOMBSTONED(sql, { lookup }))) !== undefined;
}

export function* isHealthConsentWithdrawn(sql: Sql, lookup: string): Tx<boolean> {
  return (yield* row(HEALTH_WITHDRAWN(sql, { lookup }))) !== undefined;
}

export function* followers(sql: Sql, beneficiary: string): Tx<string[]> {
  return (yield* rows(FOLLOWERS(sql, { beneficiary }))).map((r) => r.partner);
}

export function* documentRecipients(sql: Sql, documentId: string): Tx<string[]> {
  const direct = yield* rows(sql.selectFrom('messages').select('recipient').where('message_id', '=', documentId).where('recipient', '<>', GATEWAY_ID));
  const viaDossiers = yield* rows(
    sql
      .selectFrom('dossier_disclosures as d')
      .innerJoin('messages as m', 'm.message_id', 'd.notice_id')
      .select('m.recipient')
      .where('d.document_id', '=', documentId),
  );
  return [...new Set([...direct, ...viaDossiers].map((r) => r.recipient))].sort();
}

export function* disclosuresOf(sql: Sql, beneficiary: string): Tx<Array<{ noticeId: string; documentId: string }>> {
  const found = yield* rows(sql.selectFrom('dossier_disclosures').select(['notice_id', 'document_id']).where('beneficiary', '=', beneficiary).orderBy('notice_id').orderBy('document_id'));
  return found.map((r) => ({ noticeId: r.notice_id, documentId: r.document_id }));
}

/** Partners that were sent a message about the person, the gateway's notices included. */
export function* recipientsOf(sql: Sql, beneficiary: string): Tx<string[]> {
  const found = yield* rows(sql.selectFrom('messages').select('recipient').distinct().where('beneficiary', '=', beneficiary).where('recipient', '<>', GATEWAY_ID).orderBy('recipient'));
  return found.map((r) => r.recipient);
}

const KEPT = template((sql, p: { beneficiary: string }) =>
  sql
    .selectFrom('dossier_documents')
    .select((eb) => [eb.fn.countAll<number>().as('documents'), eb.fn.sum<number>(eb.fn('length', ['sealed'])).as('bytes')])
    .where('beneficiary', '=', p.beneficiary),
);

/** What the person's dossier holds now: documents, and bytes sealed. */
function* keptFor(sql: Sql, beneficiary: string): Tx<{ documents: number; bytes: number }> {
  const kept = yield* row(KEPT(sql, { beneficiary }));
  return { documents: Number(kept?.documents ?? 0), bytes: Number(kept?.bytes ?? 0) };
}

function* documentIds(sql: Sql, beneficiary: string): Tx<string[]> {
  return (yield* rows(sql.selectFrom('dossier_documents').select('message_id').where('beneficiary', '=', beneficiary).orderBy('message_id'))).map((r) => r.message_id);
}

export function* readDossier(sql: Sql, keys: DossierKeys, beneficiary: string): Tx<DossierDocument[] | undefined> {
  const subject = yield* subjectBy(sql, { pseudonym: beneficiary });
  if (subject === undefined) return undefined;
  const dataKey = keys.dataKeyOf(subject);
  if (dataKey === undefined) return [];
  const documents = yield* rows(
    sql
      .selectFrom('dossier_documents')
      .select(['message_id', 'type', 'sender', 'recipient', 'accepted_at', 'sealed'])
      .where('beneficiary', '=', beneficiary)
      .orderBy('accepted_at')
      .orderBy('message_id'),
  );
  return documents.map((document) => keys.openDocument(dataKey, beneficiary, document));
}

/** Whether what the notices were prepared from is still what the store holds. */
function* stillAsPrepared(sql: Sql, beneficiary: string, prepared: PreparedFrom | undefined): Tx<boolean> {
  const same = (a: readonly string[], b: readonly string[]) => [...a].sort().join('\n') === [...b].sort().join('\n');
  if (prepared?.recipients !== undefined && !same(yield* recipientsOf(sql, beneficiary), prepared.recipients)) return false;
  if (prepared?.documents !== undefined && !same(yield* documentIds(sql, beneficiary), prepared.documents)) return false;
  const disclosed = prepared?.documentRecipients;
  if (disclosed !== undefined && !same(yield* documentRecipients(sql, disclosed.documentId), disclosed.recipients)) return false;
  return true;
}

/**
 * The checks an acceptance repeats inside its transaction, before it writes anything: an opt-out or
 * an erasure may have committed since the checks of step 8, the referrer (or a review's recipient)
 * may have stopped following the person, and what the notices were prepared from may have changed
 * (then `stale`).
 */
export function* checkDossierUpdate(sql: Sql, message: NewMessage): Tx<Subject | 'stale' | undefined> {
  const update = message.dossier;
  if (update === undefined) return undefined;
  assertNotOptedOut(yield* isOptedOut(sql, update.lookup));
  if (update.healthField !== undefined && (yield* isHealthConsentWithdrawn(sql, update.lookup))) throw healthFieldRefusal(message.type, update.healthField);
  const subject = yield* subjectBy(sql, { pseudonym: message.beneficiary });
  if (subject === undefined || subject.lookup !== update.lookup) {
    throw new GatewayError('unavailable', "The beneficiary's record was erased or expired while the message was being checked; nothing was accepted. Send the message again.");
  }
  if (update.referrer !== undefined) {
    assertFollows({ follows: (yield* followers(sql, subject.pseudonym)).includes(update.referrer), sender: update.referrer });
  }
  if (update.follower !== undefined) {
    assertReviewToFollower({ follows: (yield* followers(sql, subject.pseudonym)).includes(update.follower), recipient: update.follower });
  }
  if (update.signedMessage !== undefined) assertDossierCapacity(yield* keptFor(sql, subject.pseudonym), update.signedMessage.length);
  if (!(yield* stillAsPrepared(sql, subject.pseudonym, update.preparedFrom))) return 'stale';
  return subject;
}

// An expiry notice is written by expireOrientation under its `expired` entry, never through sendNotice.
const NOTICE_EVENTS: Readonly<Record<GatewayNotice['type'], AuditEvent['event']>> = Object.freeze({
  dossier: 'dossier-disclosed',
  withdrawal: 'withdrawal-notified',
  expiry: 'expired',
  'dossier-request': 'dossier-requested',
  correction: 'correction-notified',
});

/** The audit event of a message the gateway sends: a dossier disclosed, a withdrawal or a correction notified, a dossier requested. */
function noticeEvent(notice: GatewayNotice, beneficiary: string, at: string): AuditEvent {
  return {
    event: NOTICE_EVENTS[notice.type],
    timestamp: at,
    messageId: notice.messageId,
    type: notice.type,
    sender: GATEWAY_ID,
    recipient: notice.recipient,
    beneficiary,
    payloadSha256: notice.payloadSha256,
    ...(notice.count === undefined ? {} : { count: notice.count }),
  };
}

const HOLD = template((sql, p: { messageId: string; recipient: string; sealed: Buffer; wrappedKey: Buffer; kekId: string; heldAt: string }) =>
  sql.insertInto('held_notices').values({ message_id: p.messageId, recipient: p.recipient, sealed: p.sealed, wrapped_key: p.wrappedKey, kek_id: p.kekId, held_at: p.heldAt }),
);

/**
 * A gateway-originated message: its row, under the audit entry it follows from, and its outbox row,
 * or, when its recipient has no usable key yet, its signed message held (encrypted) until it has one.
 */
function* insertNotice(sql: Sql, keys: DossierKeys, notice: GatewayNotice, beneficiary: string, at: string, auditIndex: number): Tx<void> {
  const facts = { messageId: notice.messageId, type: notice.type, version: 1, sender: GATEWAY_ID, recipient: notice.recipient, inReplyTo: notice.inReplyTo, beneficiary, payloadSha256: notice.payloadSha256, acceptedAt: at };
  yield* insertMessage(sql, facts, auditIndex, notice.outboxBody);
  if (notice.discloses !== undefined && notice.discloses.length > 0) {
    yield* execute(sql.insertInto('dossier_disclosures').values(notice.discloses.map((documentId) => ({ notice_id: notice.messageId, document_id: documentId, beneficiary }))));
  }
  if (notice.outboxBody === undefined) {
    if (notice.held === undefined) throw new GatewayError('internal', `The gateway notice ${notice.messageId} has neither a sealed body nor a message to hold. This is a defect: report it.`);
    const held = keys.sealHeld(notice.messageId, notice.held);
    yield* execute(HOLD(sql, { messageId: notice.messageId, recipient: notice.recipient, sealed: held.sealed, wrappedKey: held.wrapped_key, kekId: held.kek_id, heldAt: at }));
  }
}

export function* sendNotice(sql: Sql, keys: DossierKeys, notice: GatewayNotice, beneficiary: string, at: string): Tx<void> {
  yield* insertNotice(sql, keys, notice, beneficiary, at, yield* appendAudit(sql, noticeEvent(notice, beneficiary, at)));
  if (notice.type === 'withdrawal') yield* expectReceipt(sql, keys, notice, at);
}

/**
 * A reminder of a withdrawal notice nobody answered: a new notice, audited `withdrawal-reminded`,
 * counted on the original's row; nothing when a receipt or another reminder came meanwhile.
 */
export function* sendWithdrawalReminder(sql: Sql, keys: DossierKeys, opts: { noticeId: string; reminders: number; maxReminders: number; notice: GatewayNotice; beneficiary: string; at: string }): Tx<boolean> {
  if (!(yield* reminderStillDue(sql, opts.noticeId, opts.reminders))) return false;
  const auditIndex = yield* appendAudit(sql, { ...noticeEvent(opts.notice, opts.beneficiary, opts.at), event: 'withdrawal-reminded' });
  yield* insertNotice(sql, keys, opts.notice, opts.beneficiary, opts.at, auditIndex);
  yield* countReminder(sql, { noticeId: opts.noticeId, reminders: opts.reminders, maxReminders: opts.maxReminders, reminderId: opts.notice.messageId, at: opts.at });
  return true;
}

const HELD = template((sql, p: { limit: number }) => sql.selectFrom('held_notices').selectAll().orderBy('held_at').orderBy('message_id').limit(p.limit));

export function* heldNotices(sql: Sql, keys: DossierKeys, limit: number): Tx<HeldNotice[]> {
  return (yield* rows(HELD(sql, { limit }))).map((r) => ({ messageId: r.message_id, recipient: r.recipient, heldAt: r.held_at, signedMessage: keys.openHeld(r) }));
}

export function* releaseHeldNotice(sql: Sql, messageId: string, outboxBody: string): Tx<boolean> {
  assertOutboxBody(outboxBody.length);
  if ((yield* execute(sql.deleteFrom('held_notices').where('message_id', '=', messageId))) === 0) return false;
  yield* execute(sql.insertInto('outbox').values({ message_id: messageId, body: outboxBody }));
  return true;
}

export function* heldNoticeCounts(sql: Sql): Tx<Array<{ recipient: string; count: number; oldest: string }>> {
  const found = yield* rows(
    sql
      .selectFrom('held_notices')
      .select((eb) => ['recipient', eb.fn.countAll<number>().as('count'), eb.fn.min('held_at').as('oldest')])
      .groupBy('recipient')
      .orderBy('recipient'),
  );
  return found.map((r) => ({ recipient: r.recipient, count: Number(r.count), oldest: String(r.oldest) }));
}

/** Crypto-shredding: the documents, the followers, the subject (with its wrapped data key) and its identity keys go; `erased` is appended. */
function* destroy(sql: Sql, beneficiary: string, reason: DestructionReason, at: string): Tx<{ documents: number; auditIndex: number }> {
  const documents = yield* execute(sql.deleteFrom('dossier_documents').where('beneficiary', '=', beneficiary));
  yield* execute(sql.deleteFrom('dossier_disclosures').where('beneficiary', '=', beneficiary));
  yield* execute(sql.deleteFrom('followers').where('beneficiary', '=', beneficiary));
  yield* execute(sql.deleteFrom('subjects').where('pseudonym', '=', beneficiary));
  // An erased person is not known to a lookup any more (POST /v1/beneficiary-lookups).
  yield* execute(sql.deleteFrom('beneficiary_index').where('beneficiary', '=', beneficiary));
  const auditIndex = yield* appendAudit(sql, { event: 'erased', timestamp: at, beneficiary, code: reason, count: documents });
  return { documents, auditIndex };
}

function* keepDocument(sql: Sql, keys: DossierKeys, subject: Subject, message: NewMessage, signedMessage: Uint8Array): Tx<void> {
  let dataKey = keys.dataKeyOf(subject);
  if (dataKey === undefined) {
    const created = keys.newDataKey();
    dataKey = created.dataKey;
    yield* execute(DATA_KEY(sql, { pseudonym: subject.pseudonym, wrapped: created.stored.wrapped_data_key, kekId: created.stored.kek_id }));
  }
  const sealed = keys.seal(dataKey, subject.pseudonym, message.messageId, signedMessage);
  yield* execute(INSERT_DOCUMENT(sql, { ...message, beneficiary: subject.pseudonym, sealed }));
}

/**
 * The person's identity keys become those of their latest orientation: a corrected name replaces the
 * old one, and keys made under a retired pseudonym secret move to the current one.
 */
function* indexIdentity(sql: Sql, beneficiary: string, identityKeys: readonly string[]): Tx<void> {
  yield* execute(sql.deleteFrom('beneficiary_index').where('beneficiary', '=', beneficiary));
  if (identityKeys.length === 0) return;
  yield* execute(sql.insertInto('beneficiary_index').values(identityKeys.map((identity_key) => ({ identity_key, beneficiary }))).onConflict((oc) => oc.columns(['identity_key', 'beneficiary']).doNothing()));
}

/**
 * What an accepted message changes in the dossier, after its row and its `accepted` entry: keeps the
 * document, moves the followers, queues the gateway's notices, records an opt-out.
 */
export function* applyDossierUpdate(sql: Sql, keys: DossierKeys, message: NewMessage, subject: Subject): Tx<void> {
  const update = message.dossier!;
  const at = message.acceptedAt;
  const beneficiary = subject.pseudonym;
  const event = (name: 'referred' | 'opted-out' | 'health-consent-withdrawn'): AuditEvent => ({ event: name, timestamp: at, messageId: message.messageId, type: message.type, sender: message.sender, recipient: message.recipient, beneficiary });
  if (update.signedMessage !== undefined) yield* keepDocument(sql, keys, subject, message, update.signedMessage);
  if (update.identityKeys !== undefined) yield* indexIdentity(sql, beneficiary, update.identityKeys);
  if (message.type === 'referral') yield* appendAudit(sql, event('referred'));
  const { follow } = update;
  if (follow.stops !== undefined) yield* execute(UNFOLLOW(sql, { beneficiary, partner: follow.stops }));
  if (follow.starts !== undefined) yield* execute(FOLLOW(sql, { beneficiary, partner: follow.starts, since: at }));
  if (follow.takenInCharge && subject.taken_in_charge_at === null) yield* execute(TAKEN_IN_CHARGE(sql, { pseudonym: beneficiary, at }));

  for (const notice of update.notices) yield* sendNotice(sql, keys, notice, beneficiary, at);
  // The partner it was withheld from is not named: its own view of the log would tell it that a field it may not hold changed.
  for (const { rule } of update.withheld ?? []) {
    yield* appendAudit(sql, { event: 'correction-withheld', timestamp: at, messageId: message.messageId, type: message.type, sender: message.sender, beneficiary, code: rule });
  }

  if (update.healthConsentWithdrawn === true) {
    yield* execute(sql.insertInto('health_consent_withdrawals').values({ lookup: update.lookup, message_id: message.messageId, recorded_at: at }).onConflict((oc) => oc.column('lookup').doNothing()));
    yield* appendAudit(sql, event('health-consent-withdrawn'));
  }
  if (update.optOut === true) {
    yield* execute(sql.insertInto('opt_outs').values({ lookup: update.lookup, message_id: message.messageId, recorded_at: at }).onConflict((oc) => oc.column('lookup').doNothing()));
    yield* appendAudit(sql, event('opted-out'));
    yield* destroy(sql, beneficiary, 'opt-out', at);
  } else if (follow.stops !== undefined && !follow.takenInCharge && subject.taken_in_charge_at === null && (yield* followers(sql, beneficiary)).length === 0) {
    // CASF R.263-8: a person nobody follows and nobody ever took in charge is not kept.
    yield* destroy(sql, beneficiary, 'not-taken-in-charge', at);
  }
}

export function* erase(sql: Sql, keys: DossierKeys, opts: { beneficiary: string; reason: DestructionReason; at: string; notices: GatewayNotice[]; preparedFor: readonly string[] }): Tx<ErasureOutcome> {
  const subject = yield* subjectBy(sql, { pseudonym: opts.beneficiary });
  if (subject === undefined) return { kind: 'unknown' };
  const recipients = yield* recipientsOf(sql, opts.beneficiary);
  const covered = new Set(opts.preparedFor);
  if (recipients.some((recipient) => !covered.has(recipient))) return { kind: 'stale', recipients };
  for (const notice of opts.notices) yield* sendNotice(sql, keys, notice, opts.beneficiary, opts.at);
  // The tombstone (the lookup, a date, a nature; nothing else): a later OFII batch cannot re-create the person.
  yield* execute(sql.insertInto('erasure_tombstones').values({ lookup: subject.lookup, nature: 'EFFACEMENT', recorded_at: opts.at }).onConflict((oc) => oc.column('lookup').doNothing()));
  const { documents, auditIndex } = yield* destroy(sql, opts.beneficiary, opts.reason, opts.at);
  return { kind: 'erased', documents, notices: opts.notices.length, auditIndex };
}

/** The lookup only, in the entry's absence of a pseudonym: the person has no subject while tombstoned. */
export function* liftTombstone(sql: Sql, opts: { lookup: string; code: string; at: string }): Tx<{ lifted: number; auditIndex: number | undefined }> {
  const lifted = (yield* execute(sql.deleteFrom('opt_outs').where('lookup', '=', opts.lookup))) + (yield* execute(sql.deleteFrom('erasure_tombstones').where('lookup', '=', opts.lookup)));
  if (lifted === 0) return { lifted, auditIndex: undefined };
  const auditIndex = yield* appendAudit(sql, { event: 'tombstone-lifted', timestamp: opts.at, code: opts.code, count: lifted });
  return { lifted, auditIndex };
}

export function* unansweredOrientations(sql: Sql, acceptedBefore: string): Tx<PendingOrientation[]> {
  const found = yield* rows(
    sql
      .selectFrom('messages')
      .select(['message_id', 'sender', 'recipient', 'beneficiary', 'accepted_at'])
      .where('type', '=', 'orientation')
      .where('status', 'in', ['accepted', 'queued'])
      .where('accepted_at', '<', acceptedBefore)
      .orderBy('accepted_at')
      .limit(UNANSWERED_BATCH),
  );
  return found.map((r) => ({ messageId: r.message_id, sender: r.sender, recipient: r.recipient, beneficiary: r.beneficiary, acceptedAt: r.accepted_at }));
}

export function* expireOrientation(sql: Sql, keys: DossierKeys, opts: { messageId: string; at: string; notice: GatewayNotice | undefined }): Tx<boolean> {
  const found = yield* row(sql.selectFrom('messages').select(['type', 'sender', 'recipient', 'beneficiary', 'status']).where('message_id', '=', opts.messageId));
  if (found === undefined || found.type !== 'orientation' || (found.status !== 'accepted' && found.status !== 'queued')) return false;
  yield* execute(sql.updateTable('messages').set({ status: 'expired', expired_at: opts.at }).where('message_id', '=', opts.messageId));
  const auditIndex = yield* appendAudit(sql, { event: 'expired', timestamp: opts.at, messageId: opts.messageId, type: found.type, sender: found.sender, recipient: found.recipient, beneficiary: found.beneficiary });
  yield* execute(UNFOLLOW(sql, { beneficiary: found.beneficiary, partner: found.recipient }));
  // The notice to the orientation's sender is the consequence of this entry: it carries its index.
  if (opts.notice !== undefined) yield* insertNotice(sql, keys, opts.notice, found.beneficiary, opts.at, auditIndex);
  return true;
}

/** Subjects of a sweep: never taken in charge and followed by nobody (CASF R.263-8), or past retention. */
function* dueSubjects(sql: Sql, reason: Destruction['reason'], lastEventBefore: string, only?: string): Tx<string[]> {
  let query = sql.selectFrom('subjects as s').select('s.pseudonym');
  if (only !== undefined) query = query.where('s.pseudonym', '=', only);
  query = reason === 'not-taken-in-charge'
    ? query
        .where('s.taken_in_charge_at', 'is', null)
        .where((eb) => eb.exists(eb.selectFrom('messages as m').select('m.message_id').whereRef('m.beneficiary', '=', 's.pseudonym')))
        .where((eb) => eb.not(eb.exists(eb.selectFrom('followers as f').select('f.partner').whereRef('f.beneficiary', '=', 's.pseudonym'))))
    : // A lookup's request to OFII is no event of the person's: an agency asking cannot keep a dossier alive.
      query.where((eb) => eb(eb.selectFrom('messages as m').select((m) => m.fn.max('m.accepted_at').as('last')).whereRef('m.beneficiary', '=', 's.pseudonym').where('m.type', '<>', 'dossier-request'), '<', lastEventBefore));
  return (yield* rows(query)).map((r) => r.pseudonym);
}

/** Never taken in charge comes first: it is the stricter reason. */
export function* dueForDestruction(sql: Sql, lastEventBefore: string): Tx<Destruction[]> {
  const due = new Map<string, Destruction['reason']>();
  for (const pseudonym of yield* dueSubjects(sql, 'not-taken-in-charge', lastEventBefore)) due.set(pseudonym, 'not-taken-in-charge');
  for (const pseudonym of yield* dueSubjects(sql, 'retention', lastEventBefore)) if (!due.has(pseudonym)) due.set(pseudonym, 'retention');
  return [...due].map(([beneficiary, reason]) => ({ beneficiary, reason }));
}

export function* destroyIfDue(sql: Sql, opts: Destruction & { lastEventBefore: string; at: string }): Tx<{ destroyed: boolean; documents: number }> {
  if ((yield* dueSubjects(sql, opts.reason, opts.lastEventBefore, opts.beneficiary)).length === 0) return { destroyed: false, documents: 0 };
  const { documents } = yield* destroy(sql, opts.beneficiary, opts.reason, opts.at);
  return { destroyed: true, documents };
}

export function* forgetIdleSubjects(sql: Sql, createdBefore: string): Tx<number> {
  return yield* execute(
    sql
      .deleteFrom('subjects')
      .where('created_at', '<', createdBefore)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('messages as m').select('m.message_id').whereRef('m.beneficiary', '=', 'subjects.pseudonym')))),
  );
}
