/**
 * Step 8, for execution receipts: an agency reports, in header.inReplyTo, on a withdrawal notice the
 * gateway sent to that agency (or on one of its reminders), once. Pure.
 *
 * The receipt is matched on the notice, never on the person: after an opt-out or an erasure the
 * gateway no longer knows whom the notice was about (crypto-shredding), and the pseudonym a new
 * message about the same reference would get is a new one. One answer for "no such notice" and "a
 * notice sent to another agency": an agency learns nothing of the notices others were sent.
 */
import { GatewayError } from './errors.js';
import { GATEWAY_ID } from './gateway-partner.js';

export const RECEIPT_RULE = 'receipt-answers-withdrawal';

/** The codes of an execution receipt's body (schemas/execution-receipt.v1.schema.json). */
export type ExecutionStatus = 'EFFECTUE' | 'REFUSE_MOTIF_LEGAL';

/** The notice a receipt names, as the store knows it. */
export interface AnsweredNotice {
  type: string;
  sender: string;
  recipient: string;
}

/** Where a withdrawal notice stands: answered or not (the original, when the receipt names a reminder). */
export interface ReceiptState {
  answeredAt: string | undefined;
}

function fail(why: string): never {
  throw new GatewayError('rule_violation', `Rule ${RECEIPT_RULE}: header.inReplyTo ${why}`, { rule: RECEIPT_RULE });
}

export function assertReceiptAnswersWithdrawal(opts: { sender: string; notice: AnsweredNotice | undefined; state: ReceiptState | undefined }): void {
  const { notice } = opts;
  if (notice === undefined || notice.type !== 'withdrawal' || notice.sender !== GATEWAY_ID || notice.recipient !== opts.sender || opts.state === undefined) {
    fail('names no withdrawal notice the gateway sent to your organisation. Answer the messageId of a withdrawal notice you received (or of its reminder).');
  }
  if (opts.state.answeredAt !== undefined) {
    fail(`names a withdrawal notice your organisation already answered (on ${opts.state.answeredAt}); a notice takes one execution receipt. Send the same message again (same messageId) if you are unsure it arrived.`);
  }
}
