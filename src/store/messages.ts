/**
 * Messages and the outbox, for both engines: acceptance with everything it changes, the message's
 * later states (queued, acknowledged, dead-lettered) each with its audit entry, receipts, and the rows
 * the relay publishes.
 */
import type { AuditEvent } from '../audit/entry.js';
import type { DossierKeys } from './dossier-keys.js';
import { assertAnswerCapacity } from '../domain/dossier-limits.js';
import { appendAudit, toStoredEntry } from './audit-log.js';
import { insertMessage } from './message-row.js';
import { applyDossierUpdate, checkDossierUpdate } from './dossiers.js';
import type { OutboxLease, OutboxRow } from './engine.js';
import type { AcceptOutcome, CommittedOutbox, MessageHistory, MessageRecord, NewMessage, OutboxEntry } from './port.js';
import { recordFact } from './statistics.js';
import { recordExecution } from './withdrawal-receipts.js';
import type { MessagesTable } from './tables.js';
import { execute, row, rows, template, type Sql, type Tx } from './transaction.js';

function toRecord(r: MessagesTable): MessageRecord {
  return {
    messageId: r.message_id,
    type: r.type,
    version: r.version,
    sender: r.sender,
    recipient: r.recipient,
    inReplyTo: r.in_reply_to ?? undefined,
    beneficiary: r.beneficiary,
    payloadSha256: r.payload_sha256,
    status: r.status,
    auditIndex: Number(r.audit_index),
    acceptedAt: r.accepted_at,
    queuedAt: r.queued_at ?? undefined,
    acknowledgedAt: r.acknowledged_at ?? undefined,
    deadLetteredAt: r.dead_lettered_at ?? undefined,
    receipt: r.receipt ?? undefined,
    expiredAt: r.expired_at ?? undefined,
  };
}

export function toOutboxEntry(r: OutboxRow): OutboxEntry {
  const entry: OutboxEntry = { messageId: r.message_id, recipient: r.recipient, type: r.type, sender: r.sender, auditIndex: Number(r.audit_index), body: r.body, acceptedAt: r.accepted_at, attempts: r.attempts };
  if (r.trace_parent !== null) entry.traceContext = { traceparent: r.trace_parent, ...(r.trace_state === null ? {} : { tracestate: r.trace_state }) };
  return entry;
}

/** What an accepted message's commit wrote to the outbox: its own row as pendingOutbox would read it, and whether its notices wrote more. */
export function committedOutbox(message: NewMessage, auditIndex: number): CommittedOutbox {
  const entries: OutboxEntry[] = [];
  if (message.outboxBody !== undefined) {
    const { messageId, recipient, type, sender, acceptedAt, outboxBody: body, traceContext } = message;
    entries.push({ messageId, recipient, type, sender, auditIndex, body, acceptedAt, attempts: 0, ...(traceContext === undefined ? {} : { traceContext }) });
  }
  return { entries, unlisted: message.dossier?.notices.some((notice) => notice.outboxBody !== undefined) ?? false };
}

/** The audit event of a change to an accepted message. */
function messageEvent(event: AuditEvent['event'], timestamp: string, message: Pick<MessageRecord, 'messageId' | 'type' | 'sender' | 'recipient' | 'beneficiary'>): AuditEvent {
  return { event, timestamp, messageId: message.messageId, type: message.type, sender: message.sender, recipient: message.recipient, beneficiary: message.beneficiary };
}

/** States after which an answer or a dead letter changes nothing: final states stay final. */
const OPEN_STATUSES: ReadonlySet<string> = new Set(['accepted', 'queued']);

/** The message types that answer an earlier message (src/domain/replies.ts). */
const ANSWER_TYPES: ReadonlySet<string> = new Set(['acknowledgement', 'status-update']);
const ANSWERS = template((sql, p: { id: string }) =>
  sql.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('in_reply_to', '=', p.id).where('type', 'in', ['acknowledgement', 'status-update']),
);
const FIND = template((sql, p: { id: string }) => sql.selectFrom('messages').selectAll().where('message_id', '=', p.id));
const ACKNOWLEDGED = template((sql, p: { id: string; at: string }) => sql.updateTable('messages').set({ status: 'acknowledged', acknowledged_at: p.at }).where('message_id', '=', p.id));
const DEAD_LETTERED = template((sql, p: { id: string; at: string }) => sql.updateTable('messages').set({ status: 'dead-lettered', dead_lettered_at: p.at }).where('message_id', '=', p.id));
const SAVE_RECEIPT = template((sql, p: { id: string; receipt: string }) => sql.updateTable('messages').set({ receipt: p.receipt }).where('message_id', '=', p.id).where('receipt', 'is', null));
const UNQUEUE = template((sql, p: { id: string }) => sql.deleteFrom('outbox').where('message_id', '=', p.id));
const QUEUED = template((sql, p: { id: string; at: string }) =>
  sql
    .updateTable('messages')
    .set((eb) => ({ queued_at: p.at, status: eb.case().when('status', '=', 'accepted').then('queued' as const).else(eb.ref('status')).end() }))
    .where('message_id', '=', p.id)
    // What the `queued` entry names, read by the update itself.
    .returning(['message_id as messageId', 'type', 'sender', 'recipient', 'beneficiary']),
);
const PUBLISH_FAILED = template((sql, p: { id: string }) => sql.updateTable('outbox').set((eb) => ({ attempts: eb('attempts', '+', 1) })).where('message_id', '=', p.id));

export function* findMessage(sql: Sql, messageId: string): Tx<MessageRecord | undefined> {
  const found = yield* row(FIND(sql, { id: messageId }));
  return found === undefined ? undefined : toRecord(found);
}

/** The answered message becomes `acknowledged` once, and only by the party it was sent to. */
function* acknowledge(sql: Sql, ack: NewMessage): Tx<void> {
  const original = yield* findMessage(sql, ack.inReplyTo!);
  if (!original || original.recipient !== ack.sender || original.sender !== ack.recipient || !OPEN_STATUSES.has(original.status)) return;
  yield* execute(ACKNOWLEDGED(sql, { id: original.messageId, at: ack.acceptedAt }));
  yield* appendAudit(sql, messageEvent('acknowledged', ack.acceptedAt, original));
}

/** `lease`: the outbox row is written for this process's relay (insertMessage). */
export function* accept(sql: Sql, keys: DossierKeys, message: NewMessage, lease?: OutboxLease): Tx<AcceptOutcome> {
  const existing = yield* findMessage(sql, message.messageId);
  if (existing) return { kind: 'duplicate', existing };
  if (message.inReplyTo !== undefined && ANSWER_TYPES.has(message.type)) assertAnswerCapacity(Number((yield* row(ANSWERS(sql, { id: message.inReplyTo })))?.n ?? 0));
  const subject = yield* checkDossierUpdate(sql, message);
  if (subject === 'stale') return { kind: 'stale' };

  const auditIndex = yield* appendAudit(sql, { ...messageEvent('accepted', message.acceptedAt, message), payloadSha256: message.payloadSha256 });
  yield* insertMessage(sql, message, auditIndex, message.outboxBody, message.traceContext, lease);
  if (message.type === 'acknowledgement' && message.inReplyTo !== undefined) yield* acknowledge(sql, message);
  if (message.execution !== undefined) yield* recordExecution(sql, message, message.execution);
  if (subject !== undefined) yield* applyDossierUpdate(sql, keys, message, subject);
  if (message.facts !== undefined) yield* recordFact(sql, message.messageId, message.facts, message.beneficiary);
  return { kind: 'accepted', auditIndex };
}

export function* saveReceipt(sql: Sql, messageId: string, receipt: string): Tx<void> {
  yield* execute(SAVE_RECEIPT(sql, { id: messageId, receipt }));
}

export function* markQueued(sql: Sql, messageId: string, queuedAt: string): Tx<void> {
  // A second confirm of the same row (at-least-once relay, or another gateway's relay) changes nothing and audits nothing.
  if ((yield* execute(UNQUEUE(sql, { id: messageId }))) === 0) return;
  const message = (yield* row(QUEUED(sql, { id: messageId, at: queuedAt })))!;
  yield* appendAudit(sql, messageEvent('queued', queuedAt, message));
}

export function* markDeadLettered(sql: Sql, messageId: string, at: string): Tx<'marked' | 'unchanged' | 'unknown'> {
  const message = yield* findMessage(sql, messageId);
  if (!message) return 'unknown';
  // A copy of a dead letter that comes twice changes nothing; a recipient's acknowledgement stands.
  if (!OPEN_STATUSES.has(message.status)) return 'unchanged';
  yield* execute(DEAD_LETTERED(sql, { id: messageId, at }));
  yield* appendAudit(sql, messageEvent('dead-lettered', at, message));
  return 'marked';
}

export function* recordPublishFailure(sql: Sql, messageId: string): Tx<void> {
  yield* execute(PUBLISH_FAILED(sql, { id: messageId }));
}

export function* outboxDepth(sql: Sql): Tx<number> {
  const counted = yield* row(sql.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')));
  return Number(counted!.n);
}

export function* probeWrite(sql: Sql, at: string): Tx<void> {
  yield* execute(sql.insertInto('write_probe').values({ id: 1, probed_at: at }).onConflict((oc) => oc.column('id').doUpdateSet({ probed_at: at })));
}

/**
 * Bounds of one message's history: a message has a handful of entries (accepted, queued, an
 * acknowledgement, an expiry or a dead letter, a referral, an erasure) and its answers are capped by
 * src/domain/dossier-limits.ts; these bounds only keep a damaged store from making the answer unbounded.
 */
export const MAX_HISTORY_ENTRIES = 1000;
export const MAX_HISTORY_LINKS = 1000;

/**
 * What the log and the messages table know of one message: its row, every entry about it (by message
 * id, and the erasure of its person's dossier after it), and the messages linked to it by
 * in_reply_to, both ways.
 */
export function* messageHistory(sql: Sql, messageId: string): Tx<MessageHistory | undefined> {
  const message = yield* findMessage(sql, messageId);
  if (message === undefined) return undefined;
  const about = yield* rows(
    sql
      .selectFrom('audit_log as l')
      .innerJoin('audit_facets as f', 'f.idx', 'l.idx')
      .select(['l.idx', 'l.entry', 'l.leaf_hash'])
      .where((eb) =>
        eb.or([
          eb('f.message_id', '=', messageId),
          // A pseudonym is never reused after an erasure (a new subject gets a new key), so this finds only this person's.
          eb.and([eb('f.beneficiary', '=', message.beneficiary), eb('f.event', '=', 'erased'), eb('f.idx', '>', message.auditIndex)]),
        ]),
      )
      .orderBy('l.idx')
      .limit(MAX_HISTORY_ENTRIES),
  );
  const linked = yield* rows(
    sql
      .selectFrom('messages')
      .select('message_id')
      .where((eb) => eb.or([eb('in_reply_to', '=', messageId), ...(message.inReplyTo === undefined ? [] : [eb('message_id', '=', message.inReplyTo)])]))
      .orderBy('accepted_at')
      .orderBy('message_id')
      .limit(MAX_HISTORY_LINKS),
  );
  const related: MessageRecord[] = [];
  for (const r of linked) related.push((yield* findMessage(sql, r.message_id))!);
  return { message, entries: about.map(toStoredEntry), related };
}
