/**
 * Step 8, for answers (acknowledgement, status update): an answer must name, in header.inReplyTo, a
 * message that its sender received from its recipient about the same beneficiary. This keeps an agency
 * from writing into another agency's exchange, or filing an answer under the wrong person.
 */
import { GatewayError } from './errors.js';

export const REPLY_RULE = 'reply-matches-original';

export interface OriginalMessage {
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
  if (!original) fail('names no message known to the gateway');
  if (original!.recipient !== opts.sender || original!.sender !== opts.recipient) fail('names a message that was not sent by the recipient to the sender');
  if (original!.beneficiary !== opts.beneficiary) fail('names a message about another beneficiary (header.beneficiaryRef differs)');
}
