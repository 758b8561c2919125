/** Step 7 of the acceptance checks (interface contract, section 3): who may send and receive what, from the registry. */
import { GatewayError } from './errors.js';
import type { Partner } from './partner.js';

export function assertRoutable(opts: {
  sender: Partner;
  type: string;
  recipientId: string;
  findPartner: (id: string) => Partner | undefined;
}): Partner {
  const { sender, type, recipientId } = opts;
  if (!sender.sends.includes(type)) {
    throw new GatewayError('type_not_allowed', `Partner ${sender.id} may not send messages of type ${type}. Ask the gateway operator to update the partner registry if the agreement allows it.`);
  }
  const recipient = opts.findPartner(recipientId);
  if (!recipient) {
    throw new GatewayError('unknown_recipient', `Recipient ${recipientId} is not a registered partner. Use a partner id from the registry.`);
  }
  if (!recipient.receives.includes(type)) {
    throw new GatewayError('recipient_not_allowed', `Partner ${recipient.id} may not receive messages of type ${type}.`);
  }
  if (recipient.id === sender.id) {
    throw new GatewayError('recipient_not_allowed', `A partner cannot send a message to itself (${sender.id}).`);
  }
  return recipient;
}
