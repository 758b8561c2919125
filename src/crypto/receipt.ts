/**
 * Receipts (docs/interface.md, section 4): a detached OpenPGP signature by the gateway's key over the
 * UTF-8 bytes of the RFC 8785 canonical JSON of the 202 answer without its `receipt` field. It is the
 * sender's proof of submission, checkable with GnuPG alone.
 */
import canonicalize from 'canonicalize';
import { signDetached, verifyDetached } from './detached.js';
import type { PrivateKey, PublicKey } from './keys.js';

export interface AcceptedAnswer {
  messageId: string;
  status: 'accepted';
  acceptedAt: string;
  auditIndex: number;
  payloadSha256: string;
}

export interface ReceiptedAnswer extends AcceptedAnswer {
  receipt: string;
}

/** The exact bytes a receipt signs. */
export function receiptBytes(answer: AcceptedAnswer): Uint8Array {
  const { messageId, status, acceptedAt, auditIndex, payloadSha256 } = answer;
  return new TextEncoder().encode(canonicalize({ messageId, status, acceptedAt, auditIndex, payloadSha256 })!);
}

export async function signReceipt(answer: AcceptedAnswer, gatewayKey: PrivateKey): Promise<string> {
  return signDetached({ data: receiptBytes(answer), signingKey: gatewayKey });
}

/** Throws GatewayError('receipt_invalid') unless the receipt is the gateway's signature over this answer. */
export async function verifyReceipt(answer: ReceiptedAnswer, gatewayKeys: PublicKey[]): Promise<void> {
  await verifyDetached({ data: receiptBytes(answer), signature: answer.receipt, verificationKeys: gatewayKeys });
}
