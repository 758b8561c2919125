/**
 * What both engines' dossier components decide the same way (src/store/sqlite-dossiers.ts,
 * pg-dossiers.ts): the checks the acceptance transaction repeats, the audit event of a gateway notice,
 * and which subjects a retention sweep destroys and why.
 */
import type { AuditEvent } from '../audit/entry.js';
import { GatewayError } from '../domain/errors.js';
import { GATEWAY_ID } from '../trust/gateway-partner.js';
import type { Destruction, DestructionReason, GatewayNotice } from './dossiers.js';

/** The subject found by the message's pseudonym must still be the one its lookup named at step 8. */
export function assertSubjectCurrent<T extends { lookup: string }>(subject: T | undefined, lookup: string): asserts subject is T {
  if (subject === undefined || subject.lookup !== lookup) {
    throw new GatewayError('unavailable', "The beneficiary's record was erased or expired while the message was being checked; nothing was accepted. Send the message again.");
  }
}

/** An opt-out's withdrawal notices were prepared for `prepared`: anyone new since would miss theirs. */
export function assertRecipientsUnchanged(current: readonly string[], prepared: readonly string[]): void {
  if ([...current].sort().join(',') !== [...prepared].sort().join(',')) {
    throw new GatewayError('unavailable', 'Messages about this beneficiary were accepted while the opt-out was being prepared; nothing was accepted. Send the opt-out again.');
  }
}

/** The audit event of a message the gateway sends: a dossier disclosed, or a withdrawal notified. */
export function noticeEvent(notice: GatewayNotice, beneficiary: string, at: string): AuditEvent {
  return {
    event: notice.type === 'dossier' ? 'dossier-disclosed' : 'withdrawal-notified',
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

/** Never taken in charge comes first: it is the stricter reason (CASF R.263-8). */
export function destructionsDue(notTakenInCharge: readonly string[], pastRetention: readonly string[]): Destruction[] {
  const due = new Map<string, DestructionReason>();
  for (const pseudonym of notTakenInCharge) due.set(pseudonym, 'not-taken-in-charge');
  for (const pseudonym of pastRetention) if (!due.has(pseudonym)) due.set(pseudonym, 'retention');
  return [...due].map(([beneficiary, reason]) => ({ beneficiary, reason }));
}

/** The SQL both engines share for the retention queries (no placeholders: callers bind one value). */
export const NOT_TAKEN_IN_CHARGE_SQL = `SELECT s.pseudonym FROM subjects s
  WHERE s.taken_in_charge_at IS NULL
    AND EXISTS (SELECT 1 FROM messages m WHERE m.beneficiary = s.pseudonym)
    AND NOT EXISTS (SELECT 1 FROM followers f WHERE f.beneficiary = s.pseudonym)`;
