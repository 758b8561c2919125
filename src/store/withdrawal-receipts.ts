/**
 * Withdrawal execution receipts, for both engines: one row per withdrawal notice the gateway sent
 * (written in the notice's transaction), the agency's receipt recorded on it (in the receipt's
 * acceptance transaction), the reminders counted on it, and the operator's and auditor's views.
 *
 * No row names or pseudonymises the person: the notice id links the receipt to the notice, which is
 * all the operator needs (docs/interface.md, withdrawal execution receipts). The sealed copy of the
 * signed notice, which does name the person, is kept only while a reminder may still be sent.
 */
import { assertReceiptAnswersWithdrawal } from '../domain/execution-receipts.js';
import type { DossierKeys } from './dossier-keys.js';
import type { ExecutionReport, GatewayNotice, ReceiptState, WithdrawalNoticeRecord } from './port.js';
import { recordFact } from './statistics.js';
import type { WithdrawalReceiptsTable } from './tables.js';
import { execute, row, rows, template, type Sql, type Tx } from './transaction.js';

/** The status of a notice nobody answered yet, in the counts and the statistics. */
export const OUTSTANDING = 'EN_ATTENTE';

function toRecord(r: WithdrawalReceiptsTable): WithdrawalNoticeRecord {
  return {
    noticeId: r.notice_id,
    recipient: r.recipient,
    reason: r.reason,
    sentAt: r.sent_at,
    answeredAt: r.answered_at ?? undefined,
    status: (r.status ?? undefined) as WithdrawalNoticeRecord['status'],
    legalGround: r.legal_ground ?? undefined,
    receiptId: r.receipt_id ?? undefined,
    executedOn: r.executed_on ?? undefined,
    reminders: Number(r.reminders),
    lastRemindedAt: r.last_reminded_at ?? undefined,
  };
}

const BY_ID = template((sql, p: { id: string }) => sql.selectFrom('withdrawal_receipts').selectAll().where('notice_id', '=', p.id));
const REMINDED = template((sql, p: { id: string }) => sql.selectFrom('withdrawal_reminders').select('notice_id').where('message_id', '=', p.id));

/**
 * A withdrawal notice was sent (not a reminder): its row, the sealed copy of what was signed, and
 * its statistics row (month, recipient; the receipt's row says how it was answered).
 */
export function* expectReceipt(sql: Sql, keys: DossierKeys, notice: GatewayNotice, at: string): Tx<void> {
  const withdrawal = notice.withdrawal;
  if (withdrawal === undefined || withdrawal.reminderOf !== undefined) return;
  yield* execute(sql.insertInto('withdrawal_receipts').values({ notice_id: notice.messageId, recipient: notice.recipient, reason: withdrawal.reason, sent_at: at, reminders: 0 }));
  const copy = keys.sealHeld(notice.messageId, withdrawal.signedMessage);
  yield* execute(sql.insertInto('withdrawal_notice_copies').values({ notice_id: notice.messageId, sealed: copy.sealed, wrapped_key: copy.wrapped_key, kek_id: copy.kek_id }));
  yield* recordFact(sql, notice.messageId, { month: at.slice(0, 7), type: 'withdrawal', sender: 'passerelle', recipient: notice.recipient, ...(notice.inReplyTo === undefined ? {} : { answers: notice.inReplyTo }) }, undefined);
}

/** The row of the notice a message id names: the notice itself, or the original of a reminder. */
export function* withdrawalNotice(sql: Sql, messageId: string): Tx<WithdrawalNoticeRecord | undefined> {
  const original = (yield* row(REMINDED(sql, { id: messageId })))?.notice_id ?? messageId;
  const found = yield* row(BY_ID(sql, { id: original }));
  return found === undefined ? undefined : toRecord(found);
}

/**
 * In the receipt's acceptance transaction: the checks of step 8 again (a concurrent receipt may have
 * answered the notice), then the row records the answer; the notice's sealed copy goes, no reminder
 * is due any more.
 */
export function* recordExecution(sql: Sql, receipt: { messageId: string; sender: string; acceptedAt: string; inReplyTo: string | undefined }, report: ExecutionReport): Tx<void> {
  const named = receipt.inReplyTo === undefined ? undefined : yield* row(sql.selectFrom('messages').select(['type', 'sender', 'recipient']).where('message_id', '=', receipt.inReplyTo));
  const state = receipt.inReplyTo === undefined ? undefined : yield* withdrawalNotice(sql, receipt.inReplyTo);
  assertReceiptAnswersWithdrawal({ sender: receipt.sender, notice: named, state: state?.noticeId === report.noticeId ? state : undefined });
  yield* execute(
    sql
      .updateTable('withdrawal_receipts')
      .set({ answered_at: receipt.acceptedAt, status: report.status, legal_ground: report.legalGround ?? null, receipt_id: receipt.messageId, executed_on: report.executedOn })
      .where('notice_id', '=', report.noticeId)
      .where('answered_at', 'is', null),
  );
  yield* execute(sql.deleteFrom('withdrawal_notice_copies').where('notice_id', '=', report.noticeId));
}

export function* withdrawalNotices(sql: Sql, opts: { state: ReceiptState; offset: number; limit: number }): Tx<WithdrawalNoticeRecord[]> {
  let query = sql.selectFrom('withdrawal_receipts').selectAll();
  if (opts.state === 'outstanding') query = query.where('answered_at', 'is', null);
  if (opts.state === 'answered') query = query.where('answered_at', 'is not', null);
  return (yield* rows(query.orderBy('sent_at').orderBy('notice_id').offset(opts.offset).limit(opts.limit))).map(toRecord);
}

export function* withdrawalNoticeCounts(sql: Sql): Tx<Array<{ recipient: string; status: string; count: number }>> {
  const found = yield* rows(
    sql
      .selectFrom('withdrawal_receipts')
      .select((eb) => ['recipient', 'status', eb.fn.countAll<number>().as('count')])
      .groupBy(['recipient', 'status'])
      .orderBy('recipient')
      .orderBy('status'),
  );
  return found.map((r) => ({ recipient: r.recipient, status: r.status ?? OUTSTANDING, count: Number(r.count) }));
}

export function* outstandingReceipts(sql: Sql): Tx<number> {
  const counted = yield* row(sql.selectFrom('withdrawal_receipts').select((eb) => eb.fn.countAll<number>().as('n')).where('answered_at', 'is', null));
  return Number(counted?.n ?? 0);
}

/** Unanswered notices due for a reminder, with their sealed copy; those without a copy (reminders exhausted) are not due. */
export function* dueReminders(sql: Sql, keys: DossierKeys, opts: { before: string; maxReminders: number; limit: number }) {
  const found = yield* rows(
    sql
      .selectFrom('withdrawal_receipts as r')
      .innerJoin('withdrawal_notice_copies as c', 'c.notice_id', 'r.notice_id')
      .innerJoin('messages as m', 'm.message_id', 'r.notice_id')
      .selectAll('r')
      .select(['c.sealed', 'c.wrapped_key', 'c.kek_id', 'm.beneficiary'])
      .where('r.answered_at', 'is', null)
      .where('r.reminders', '<', opts.maxReminders)
      .where((eb) => eb(eb.fn.coalesce('r.last_reminded_at', 'r.sent_at'), '<', opts.before))
      .orderBy('r.sent_at')
      .orderBy('r.notice_id')
      .limit(opts.limit),
  );
  return found.map((r) => ({
    notice: toRecord(r),
    beneficiary: r.beneficiary,
    signedMessage: keys.openHeld({ message_id: r.notice_id, sealed: r.sealed, wrapped_key: r.wrapped_key, kek_id: r.kek_id }),
  }));
}

/** Whether the notice is still unanswered with the reminders the caller saw (no concurrent receipt or reminder). */
export function* reminderStillDue(sql: Sql, noticeId: string, reminders: number): Tx<boolean> {
  const found = yield* row(BY_ID(sql, { id: noticeId }));
  return found !== undefined && found.answered_at === null && Number(found.reminders) === reminders;
}

/** Counts a reminder (already queued) on its notice; the sealed copy goes with the last one. */
export function* countReminder(sql: Sql, opts: { noticeId: string; reminders: number; maxReminders: number; reminderId: string; at: string }): Tx<void> {
  yield* execute(sql.updateTable('withdrawal_receipts').set({ reminders: opts.reminders + 1, last_reminded_at: opts.at }).where('notice_id', '=', opts.noticeId));
  yield* execute(sql.insertInto('withdrawal_reminders').values({ message_id: opts.reminderId, notice_id: opts.noticeId }));
  if (opts.reminders + 1 >= opts.maxReminders) yield* execute(sql.deleteFrom('withdrawal_notice_copies').where('notice_id', '=', opts.noticeId));
}
