/**
 * The recipient's check of a delivery (docs/interface.md, section 5): decrypt with its own key,
 * verify the ORIGINAL sender's signature with that sender's key, and check that the signed header
 * agrees with what the delivery claims in clear. The AMQP properties are not signed; the document is.
 */
import { openDelivered } from '../crypto/open.js';
import { DOSSIER_MESSAGE_MAX_BYTES } from '../domain/dossier-limits.js';
import { GatewayError } from '../domain/errors.js';
import { GATEWAY_ID } from '../domain/gateway-partner.js';
import type { MessageHeader } from '../domain/message.js';
import { parseStrictJson } from '../domain/strict-json.js';
import { unpackCorrection, unpackDossier, type DossierEntry } from './dossier.js';
import type { PartnerView } from './partner-view.js';

export interface ReceivedMessage {
  header: MessageHeader;
  /** The signed document, byte for byte as its sender signed it. */
  document: Uint8Array;
  signerFingerprint: string;
  /** A dossier's documents, each verified with its original sender's key (src/client/dossier.ts). */
  dossier?: DossierEntry[];
  /** A correction notice's rectification, verified with its author's key (src/client/dossier.ts). */
  correction?: DossierEntry;
}

export async function receiveDelivery(opts: {
  view: PartnerView;
  delivery: { messageId: string; sender: string; body: Uint8Array };
  maxDocumentBytes: number;
}): Promise<ReceivedMessage> {
  const { view, delivery } = opts;
  const senderKeys = await opts.view.senderKeys(delivery.sender);
  // The gateway's dossier messages carry a person's whole history: they may be larger than a document.
  const maxDocumentBytes = delivery.sender === GATEWAY_ID ? Math.max(opts.maxDocumentBytes, DOSSIER_MESSAGE_MAX_BYTES) : opts.maxDocumentBytes;
  const opened = await openDelivered({ message: delivery.body, decryptionKey: view.privateKey, senderKeys, maxDocumentBytes });
  // The same strict reading as the gateway's: duplicate names would let this consumer see another
  // header than the one the gateway checked.
  const parsed = parseStrictJson(opened.document, { subject: 'The delivered document', then: 'ask its sender to send it again' });
  const header = (parsed !== null && typeof parsed === 'object' ? (parsed as { header?: MessageHeader }).header : undefined) as MessageHeader | undefined;
  if (!header || header.sender !== delivery.sender || header.messageId !== delivery.messageId || header.recipient !== view.id) {
    throw new GatewayError('sender_mismatch', 'The signed header does not match the delivery (sender, message id or recipient differ).');
  }
  const dossier = header.type === 'dossier' ? await unpackDossier({ view, dossier: parsed, maxDocumentBytes: opts.maxDocumentBytes, gatewayFingerprint: opened.signerFingerprint }) : undefined;
  const correction = header.type === 'correction' ? await unpackCorrection({ view, notice: parsed, maxDocumentBytes: opts.maxDocumentBytes }) : undefined;
  return { header, document: opened.document, signerFingerprint: opened.signerFingerprint, ...(dossier ? { dossier } : {}), ...(correction ? { correction } : {}) };
}
