/**
 * Step 8, for answers (acknowledgement, status update): an answer must name, in header.inReplyTo, a
 * message its sender received about the same beneficiary. This keeps an agency from writing into
 * another agency's exchange, or filing an answer under the wrong person.
 *
 * Two cases: the answer goes back to the sender of the message it names (an agency answering OFII's
 * orientation); or it names a referral the agency received, and then reports to whoever may receive
 * answers (OFII, by the registry), since after a referral the new agency carries the follow-up that the
 * orientation's sender is waiting for.
 */
import { GatewayError } from './errors.js';

export const REPLY_RULE = 'reply-matches-original';

export interface OriginalMessage {
  type: string;
  sender: string;
  recipient: string;
  beneficiary: string;
}

export function assertReplyMatches(opts: {
  sender: string;
  recipient: string;
  beneficiary: string;
  original: OriginalMessage | undefined;
}): void {
  const { original } = opts;
  const fail = (why: string): never => {
    throw new GatewayError('rule_violation', `Rule ${REPLY_RULE}: header.inReplyTo ${why}. Answer a message your organisation received, about the same beneficiary.`, { rule: REPLY_RULE });
  };
  if (!original) return fail('names no message known to the gateway');
  if (original.recipient !== opts.sender) fail('names a message that was not sent to the sender');
  const answersItsSender = original.sender === opts.recipient;
  const reportsOnReferral = original.type === 'referral';
  if (!answersItsSender && !reportsOnReferral) fail('names a message that was not sent by the recipient');
  if (original.beneficiary !== opts.beneficiary) fail('names a message about another beneficiary (header.beneficiaryRef differs, or the gateway no longer holds the person it was about: opt-out or erasure)');
}
