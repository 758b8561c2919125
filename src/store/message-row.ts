/**
 * A message's row and its outbox row, as an acceptance and a gateway notice both write them.
 */
import { assertOutboxBody } from '../domain/dossier-limits.js';
import type { NewOutboxRow, OutboxLease } from './engine.js';
import type { MessageFacts, TraceContext } from './port.js';
import { execute, template, type Sql, type Tx } from './transaction.js';

const INSERT_MESSAGE = template((sql, p: MessageFacts & { auditIndex: number }) =>
  sql.insertInto('messages').values({
    message_id: p.messageId,
    type: p.type,
    version: p.version,
    sender: p.sender,
    recipient: p.recipient,
    in_reply_to: p.inReplyTo ?? null,
    beneficiary: p.beneficiary,
    payload_sha256: p.payloadSha256,
    status: 'accepted',
    audit_index: p.auditIndex,
    accepted_at: p.acceptedAt,
  }),
);

const INSERT_OUTBOX = template((sql, p: NewOutboxRow) =>
  sql.insertInto('outbox').values({ message_id: p.messageId, body: p.body, trace_parent: p.traceparent, trace_state: p.tracestate }),
);

/**
 * `lease`: the row is written for this process's relay, which publishes it from memory
 * (OutboxPort.onCommitted). Only an engine with several relays on one outbox gives one (PostgreSQL,
 * Engine.writerLease), with its INSERT.
 */
export function* insertMessage(sql: Sql, message: MessageFacts, auditIndex: number, outboxBody: string | undefined, trace?: TraceContext, lease?: OutboxLease): Tx<void> {
  yield* execute(INSERT_MESSAGE(sql, { ...message, auditIndex }));
  if (outboxBody === undefined) return;
  assertOutboxBody(outboxBody.length);
  const row: NewOutboxRow = { messageId: message.messageId, body: outboxBody, traceparent: trace?.traceparent ?? null, tracestate: trace?.tracestate ?? null };
  yield* execute(lease === undefined ? INSERT_OUTBOX(sql, row) : lease.insert(sql, row));
}
