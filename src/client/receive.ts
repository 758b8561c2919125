/**
 * The recipient's check of a delivery (interface contract, section 5): decrypt with its own key,
 * verify the ORIGINAL sender's signature with that sender's key, and check that the signed header
 * agrees with what the delivery claims in clear. The AMQP properties are not signed; the document is.
 */
import { openDelivered } from '../crypto/openpgp.js';
import { GatewayError } from '../domain/errors.js';
import type { MessageHeader } from '../domain/message.js';
import type { PartnerView } from './partner-view.js';

export interface ReceivedMessage {
  header: MessageHeader;
  /** The signed document, byte for byte as its sender signed it. */
  document: Uint8Array;
  signerFingerprint: string;
}

export async function receiveDelivery(opts: {
  view: PartnerView;
  delivery: { messageId: string; sender: string; body: Uint8Array };
  maxDocumentBytes: number;
}): Promise<ReceivedMessage> {
  const { view, delivery } = opts;
  const senderKeys = await opts.view.senderKeys(delivery.sender);
  const opened = await openDelivered({ message: delivery.body, decryptionKey: view.privateKey, senderKeys, maxDocumentBytes: opts.maxDocumentBytes });
  let header: MessageHeader;
  try {
    header = (JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(opened.document)) as { header: MessageHeader }).header;
  } catch {
    throw new GatewayError('malformed_message', 'The delivered document is not JSON.');
  }
  if (!header || header.sender !== delivery.sender || header.messageId !== delivery.messageId || header.recipient !== view.id) {
    throw new GatewayError('sender_mismatch', 'The signed header does not match the delivery (sender, message id or recipient differ).');
  }
  return { header, document: opened.document, signerFingerprint: opened.signerFingerprint };
}
