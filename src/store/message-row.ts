/**
 * How a message row of the store maps to the port's records, whatever the engine: the column names
 * are the same in SQLite and PostgreSQL, and so are the audit events a message's changes append.
 */
import type { AuditEvent } from '../audit/entry.js';
import type { MessageStatus } from '../domain/message.js';
import type { OutboxEntry } from './outbox.js';
import type { MessageRecord } from './store.js';

export interface MessageRow {
  message_id: string;
  type: string;
  version: number;
  sender: string;
  recipient: string;
  in_reply_to: string | null;
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

export function toRecord(row: MessageRow): MessageRecord {
  return {
    messageId: row.message_id,
    type: row.type,
    version: row.version,
    sender: row.sender,
    recipient: row.recipient,
    inReplyTo: row.in_reply_to ?? undefined,
    beneficiary: row.beneficiary,
    payloadSha256: row.payload_sha256,
    status: row.status,
    auditIndex: row.audit_index,
    acceptedAt: row.accepted_at,
    queuedAt: row.queued_at ?? undefined,
    acknowledgedAt: row.acknowledged_at ?? undefined,
    deadLetteredAt: row.dead_lettered_at ?? undefined,
    receipt: row.receipt ?? undefined,
    expiredAt: row.expired_at ?? undefined,
  };
}

/** An outbox row joined with its message (columns of `SELECT o.*, m.recipient, m.type, ...`). */
export interface OutboxRow {
  message_id: string;
  body: string;
  attempts: number;
  recipient: string;
  type: string;
  sender: string;
  audit_index: number;
  accepted_at: string;
}

export function toOutboxEntry(row: OutboxRow): OutboxEntry {
  return {
    messageId: row.message_id,
    recipient: row.recipient,
    type: row.type,
    sender: row.sender,
    auditIndex: row.audit_index,
    body: row.body,
    acceptedAt: row.accepted_at,
    attempts: row.attempts,
  };
}

/** The audit event of a change to an accepted message (queued, acknowledged, dead-lettered, expired). */
export function messageEvent(event: AuditEvent['event'], timestamp: string, message: Pick<MessageRecord, 'messageId' | 'type' | 'sender' | 'recipient' | 'beneficiary'>): AuditEvent {
  return { event, timestamp, messageId: message.messageId, type: message.type, sender: message.sender, recipient: message.recipient, beneficiary: message.beneficiary };
}
