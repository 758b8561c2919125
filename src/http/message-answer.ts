/**
 * A message as the API shows it to its sender and its recipient (docs/interface.md, section 4):
 * identifiers, type, status and the time of each step reached; never anything of the document.
 */
import type { MessageRecord } from '../store/port.js';

export function messageAnswer(record: MessageRecord): Record<string, unknown> {
  return {
    messageId: record.messageId,
    type: record.type,
    sender: record.sender,
    recipient: record.recipient,
    status: record.status,
    acceptedAt: record.acceptedAt,
    ...(record.queuedAt ? { queuedAt: record.queuedAt } : {}),
    ...(record.acknowledgedAt ? { acknowledgedAt: record.acknowledgedAt } : {}),
    ...(record.deadLetteredAt ? { deadLetteredAt: record.deadLetteredAt } : {}),
    ...(record.expiredAt ? { expiredAt: record.expiredAt } : {}),
  };
}
