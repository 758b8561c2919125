/**
 * GET /v1/messages/{id}/timeline: every step of one message as the audit log recorded it (accepted,
 * queued, acknowledged, dead-lettered, referred, expired, erased…), each an audit entry with its index
 * and leaf hash, so that the caller can ask for its inclusion proof and check it against a signed
 * checkpoint; and the messages linked to it (its answers, the message it answers).
 *
 * Who sees what is decided in src/http/authorization.ts: the auditor every message and every entry;
 * the sender and the recipient their message (anyone else gets the 404 of an unknown id), the entries
 * of it that name them (their `auditScope`, as GET /v1/audit/entries), and the linked messages they
 * sent or received.
 */
import express, { type Request, type Response } from 'express';
import { GatewayError } from '../domain/errors.js';
import type { Partner } from '../domain/partner.js';
import type { MessageRecord, Store, StoredAuditEntry } from '../store/port.js';
import { auditEntryAnswer } from './audit-answer.js';
import { messageAnswer } from './message-answer.js';
import { auditScope, callerOf, permit, visibleTimeline } from './authorization.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface TimelineRouterDependencies {
  store: Pick<Store, 'messageHistory'>;
}

/** The message's answer (GET /v1/messages/{id}), with what links it to the log and to its original. */
function summary(record: MessageRecord): Record<string, unknown> {
  return { ...messageAnswer(record), auditIndex: record.auditIndex, ...(record.inReplyTo ? { inReplyTo: record.inReplyTo } : {}) };
}

/** Whether the entry names the partner, as audit_parties records it (sender or recipient). */
function names(row: StoredAuditEntry, partnerId: string): boolean {
  const fields = auditEntryAnswer(row);
  return fields['sender'] === partnerId || fields['recipient'] === partnerId;
}

function seesMessage(partner: Partner, record: MessageRecord): boolean {
  return partner.role === 'auditor' || record.sender === partner.id || record.recipient === partner.id;
}

export function createTimelineRouter(deps: TimelineRouterDependencies): express.Router {
  const router = express.Router();

  router.get('/messages/:messageId/timeline', permit('message.timeline'), async (req: Request, res: Response) => {
    const partner = callerOf(res);
    const id = String(req.params['messageId']);
    const history = UUID.test(id) ? await deps.store.messageHistory(id) : undefined;
    const message = visibleTimeline(partner, history?.message);
    res.locals['messageId'] = message.messageId;
    const scope = auditScope(partner);
    const steps = history!.entries.filter((row) => scope.kind === 'every-entry' || names(row, scope.partnerId));
    res.json({
      message: summary(message),
      steps: steps.map(auditEntryAnswer),
      related: history!.related
        .filter((record) => seesMessage(partner, record))
        .map((record) => ({ ...summary(record), relation: record.messageId === message.inReplyTo ? 'answers' : 'answered-by' })),
    });
  });

  router.all('/messages/:messageId/timeline', (_req: Request, res: Response) => {
    res.setHeader('Allow', 'GET');
    throw new GatewayError('method_not_allowed', 'Use GET on this path.');
  });

  return router;
}
