/**
 * The store port. Everything the gateway keeps goes through it, so that a PostgreSQL implementation
 * can follow the SQLite one without touching the rest. Methods are asynchronous for that reason, even
 * where SQLite answers synchronously.
 *
 * Invariant the implementations keep: an accepted message, its outbox row and its audit entry are
 * written in one transaction, and a message leaves the outbox in the same transaction that marks it
 * queued and audits it.
 */
import type { AuditEvent } from '../audit/entry.js';
import type { MessageStatus } from '../domain/message.js';
import type { AuditLogPort } from './audit-log.js';
import type { DossierUpdate } from './dossiers.js';
import type { OutboxPort } from './outbox.js';
import type { StatisticsFact } from '../stats/facts.js';

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

export interface NewMessage extends MessageFacts {
  /** The armored message for the recipient (already encrypted to its key); absent when the gateway itself is the recipient (opt-out). */
  outboxBody: string | undefined;
  /** What the message changes in the beneficiary's dossier, written in the same transaction (src/store/dossiers.ts). */
  dossier?: DossierUpdate;
  /** The message's categories for the statistics, written in the same transaction (src/store/sqlite-stats.ts). */
  facts?: StatisticsFact;
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
  | { kind: 'duplicate'; existing: MessageRecord };

export interface Store extends OutboxPort, AuditLogPort {
  /**
   * One transaction: the message, its outbox row and its `accepted` audit entry. When the message is
   * an acknowledgement answering a message its sender received, that message becomes `acknowledged`
   * and an `acknowledged` entry is appended in the same transaction.
   */
  accept(message: NewMessage): Promise<AcceptOutcome>;
  /** Keeps the receipt that was answered, so a retry gets the same body (idempotency). */
  saveReceipt(messageId: string, receipt: string): Promise<void>;
  findMessage(messageId: string): Promise<MessageRecord | undefined>;
  /**
   * RabbitMQ dead-lettered the message (src/broker/dead-letter-watcher.ts). One transaction: status
   * `dead-lettered`, its time, a `dead-lettered` audit entry. Idempotent: `unchanged` when it is
   * dead-lettered already or was acknowledged; `unknown` when no such message was accepted here.
   */
  markDeadLettered(messageId: string, deadLetteredAt: string): Promise<'marked' | 'unchanged' | 'unknown'>;
  /** Appends a rejection (or any standalone event) to the audit log and returns its index. */
  recordEvent(event: AuditEvent): Promise<number>;
  /** Throws GatewayError('store_unavailable') when the store cannot take a write. */
  checkWritable(): Promise<void>;
  auditSize(): Promise<number>;
  close(): Promise<void>;
}
