/**
 * Reminders of withdrawal notices that no agency answered (docs/interface.md, withdrawal execution
 * receipts): after PASSERELLE_WITHDRAWAL_REMINDER_DAYS without an execution receipt, and again every
 * such period, up to PASSERELLE_WITHDRAWAL_MAX_REMINDERS times, the gateway sends the recipient a new
 * withdrawal notice, signed as any notice, with the same reason and effective date and body.reminderOf
 * naming the original; a receipt may answer either. Runs in the retention sweep (src/app/retention.ts).
 *
 * The reminder names the person (header.beneficiaryRef) although the gateway forgot them with the
 * dossier: it is read from the copy of the original notice the store keeps sealed for this purpose,
 * deleted at the receipt or with the last reminder.
 */
import { INLINE_CRYPTO, type GatewayCrypto } from '../crypto/service.js';
import type { WithdrawalReceiptsPort } from '../store/port.js';
import type { GatewayNotices } from './gateway-notices.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Notices looked at per batch; the pass goes on while a batch sends something. */
export const REMINDERS_PER_BATCH = 200;

export interface ReminderPolicy {
  reminderDays: number;
  maxReminders: number;
}

export interface WithdrawalRemindersDependencies {
  store: WithdrawalReceiptsPort;
  notices: GatewayNotices;
  policy: ReminderPolicy;
  maxDocumentBytes: number;
  now: () => Date;
  crypto?: GatewayCrypto;
}

interface SignedNotice {
  header: { recipient: string; beneficiaryRef: string };
  body: { reason: string; effectiveOn: string };
}

/** Sends every reminder due now; returns how many were queued. */
export async function sendWithdrawalReminders(deps: WithdrawalRemindersDependencies): Promise<number> {
  if (deps.policy.maxReminders === 0) return 0;
  const now = deps.now();
  const at = now.toISOString();
  const before = new Date(now.getTime() - deps.policy.reminderDays * DAY_MS).toISOString();
  let sent = 0;
  for (;;) {
    const due = await deps.store.dueWithdrawalReminders({ before, maxReminders: deps.policy.maxReminders, limit: REMINDERS_PER_BATCH });
    let progressed = false;
    for (const { notice, beneficiary, signedMessage } of due) {
      // The gateway's own signed notice, read back without checking its signature: it never left the store but sealed.
      const bytes = await (deps.crypto ?? INLINE_CRYPTO).readKept({ signedMessage, maxDocumentBytes: deps.maxDocumentBytes });
      const original = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as SignedNotice;
      const reminder = await deps.notices.compose({
        type: 'withdrawal',
        recipient: notice.recipient,
        beneficiaryRef: original.header.beneficiaryRef,
        inReplyTo: notice.noticeId,
        body: { reason: original.body.reason, effectiveOn: original.body.effectiveOn, reminderOf: notice.noticeId },
      });
      if (await deps.store.sendWithdrawalReminder({ noticeId: notice.noticeId, reminders: notice.reminders, maxReminders: deps.policy.maxReminders, notice: reminder, beneficiary, at })) {
        sent++;
        progressed = true;
      }
    }
    if (!progressed || due.length < REMINDERS_PER_BATCH) return sent;
  }
}
