/**
 * Step 7 of the acceptance checks (docs/interface.md, section 3): who may send and receive what, from
 * the registry, and the business identity of the recipient. Pure.
 *
 * A body field that names the kind of organisation the message is addressed to must name the
 * recipient's registered type: an orientation labelled MISSION_LOCALE and addressed to France Travail
 * is refused, whichever of the two the sender got wrong. Other fields that name a kind of organisation
 * name a third party, not the recipient: an acknowledgement's `redirectedTo.recipientType` (REDIRIGEE)
 * and a status update's `decidedOrientation.referentType` say where the person goes next, which may
 * be an organisation outside the exchange (APEC, AUTRE) or of a type no partner has; their check is
 * the schema's code list, not the registry.
 */
import { GatewayError } from './errors.js';
import type { Partner } from './partner.js';

/** Per message type, the body field (path of member names) that names the recipient's type. */
export const RECIPIENT_TYPE_FIELDS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  orientation: Object.freeze(['orientation', 'recipientType']),
});

function fieldAt(body: unknown, path: readonly string[]): unknown {
  let current = body;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** @throws GatewayError recipient_not_allowed when the body names another type of organisation than the recipient's. */
export function assertRecipientType(opts: { type: string; body: unknown; recipient: Partner }): void {
  const path = RECIPIENT_TYPE_FIELDS[opts.type];
  if (path === undefined) return;
  const { recipient } = opts;
  const named = fieldAt(opts.body, path);
  const pointer = `/body/${path.join('/')}`;
  if (recipient.organisationType === undefined) {
    throw new GatewayError('recipient_not_allowed', `Partner ${recipient.id} has no organisation type in the partner registry, so ${pointer} cannot be checked. Ask the gateway operator to register its type.`);
  }
  if (named !== recipient.organisationType) {
    throw new GatewayError(
      'recipient_not_allowed',
      `${pointer} must be ${recipient.organisationType}, the registered type of ${recipient.id} (header.recipient)${typeof named === 'string' ? `, not ${named}` : ''}. Address the message to an organisation of the type it names, or correct the type.`,
    );
  }
}

export function assertRoutable(opts: {
  sender: Partner;
  type: string;
  recipientId: string;
  /** The document's body, which passed its schema. */
  body: unknown;
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
  assertRecipientType({ type, body: opts.body, recipient });
  return recipient;
}
