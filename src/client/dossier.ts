/**
 * A recipient's check of a dossier (tell us once): the gateway signed the dossier, but every document in
 * it is the ORIGINAL signed message of its sender (OFII's orientation, the agencies' acknowledgements
 * and status updates), verified here with that sender's own key, so the new agency trusts OFII and the
 * agencies, not the gateway, for what the person said. A document's header.recipient is another agency:
 * that is what a dossier is. Its sender, message id and type must be what the dossier lists, and it
 * must be about the same person as the dossier.
 *
 * One exception: after the person withdrew their consent to share health data (opt-out
 * RETRAIT_ACCORD_SANTE), OFII's orientation comes as a copy without its health fields (`redacted`).
 * OFII's signature cannot cover a copy with fields removed: what vouches for it is the gateway's
 * signature of the dossier, which the recipient verified before this. Such an entry says so
 * (`attestedBy: 'gateway'`), with the pointers removed and the SHA-256 of OFII's original.
 */
import { openSigned } from '../crypto/open.js';
import { GatewayError } from '../domain/errors.js';
import type { MessageHeader } from '../domain/message.js';
import { parseStrictJson } from '../domain/strict-json.js';
import { GATEWAY_ID } from '../domain/gateway-partner.js';
import type { PartnerView } from './partner-view.js';

export interface DossierEntry {
  header: MessageHeader;
  /** The document, byte for byte as its original sender signed it; for a redacted copy, the JSON the gateway attests. */
  document: Uint8Array;
  /** Whose signature vouches for the document: its author's, or only the gateway's (a redacted copy). */
  attestedBy: 'author' | 'gateway';
  /** The key that verified it: the author's, or the gateway's for a redacted copy. */
  signerFingerprint: string;
  /** A redacted copy: the fields removed (JSON Pointers of the original) and the SHA-256 of the original the author signed. */
  redaction?: { removedFields: string[]; originalSha256: string };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function refuse(detail: string): never {
  throw new GatewayError('signature_invalid', `${detail} The dossier is refused; tell the gateway operator.`);
}

function headerOf(value: unknown): Record<string, unknown> | undefined {
  const header = value !== null && typeof value === 'object' ? (value as { header?: unknown }).header : undefined;
  return header !== null && typeof header === 'object' ? (header as Record<string, unknown>) : undefined;
}

/** Every document of a delivered dossier (already decrypted and verified as the gateway's), verified with its own sender's key. */
/** A redacted copy, attested by the gateway's signature of the dossier: its header rebuilt from what the dossier lists. */
function redactedEntry(position: number, listed: Record<string, unknown>, outer: Record<string, unknown>, gatewayFingerprint: string): DossierEntry {
  const redacted = listed['redacted'] as { content?: unknown; removedFields?: unknown; originalSha256?: unknown } | null;
  const { messageId, type, sender } = listed;
  if (
    redacted === null || typeof redacted !== 'object' || type !== 'orientation' || typeof messageId !== 'string' || typeof sender !== 'string' ||
    redacted.content === null || typeof redacted.content !== 'object' || !Array.isArray(redacted.removedFields) || typeof redacted.originalSha256 !== 'string'
  ) {
    refuse(`Document ${position} of the dossier is a redacted copy without its content, removed fields or original hash.`);
  }
  const header = { messageId, type, version: 1, sender, recipient: outer['recipient'], sentAt: outer['sentAt'], beneficiaryRef: outer['beneficiaryRef'] };
  return {
    header: header as unknown as MessageHeader,
    document: new TextEncoder().encode(JSON.stringify({ header, body: redacted!.content })),
    attestedBy: 'gateway',
    signerFingerprint: gatewayFingerprint,
    redaction: { removedFields: redacted!.removedFields as string[], originalSha256: redacted!.originalSha256 as string },
  };
}

/**
 * @param gatewayFingerprint the key that verified the dossier itself (the gateway's): it alone vouches for a redacted copy.
 */
export async function unpackDossier(opts: { view: PartnerView; dossier: unknown; maxDocumentBytes: number; gatewayFingerprint: string }): Promise<DossierEntry[]> {
  const outer = headerOf(opts.dossier);
  if (outer?.['sender'] !== GATEWAY_ID) refuse('A dossier must come from the gateway itself.');
  const body = (opts.dossier as { body?: unknown }).body;
  const documents = body !== null && typeof body === 'object' ? (body as { documents?: unknown }).documents : undefined;
  if (!Array.isArray(documents)) refuse('The dossier lists no documents.');
  const entries: DossierEntry[] = [];
  for (const [position, item] of (documents as unknown[]).entries()) {
    const listed = (item ?? {}) as Record<string, unknown>;
    if (listed['redacted'] !== undefined && listed['signedMessage'] === undefined) {
      entries.push(redactedEntry(position, listed, outer!, opts.gatewayFingerprint));
      continue;
    }
    const { messageId, type, sender, signedMessage } = listed;
    if (typeof messageId !== 'string' || typeof type !== 'string' || typeof sender !== 'string' || typeof signedMessage !== 'string' || !BASE64.test(signedMessage)) {
      refuse(`Document ${position} of the dossier is not a listed signed message.`);
    }
    // The gateway's key proves nothing about a partner's document.
    if (sender === GATEWAY_ID) refuse(`Document ${position} of the dossier claims to be signed by the gateway.`);
    const opened = await openSigned({ signedMessage: new Uint8Array(Buffer.from(signedMessage as string, 'base64')), senderKeys: await opts.view.senderKeys(sender as string), maxDocumentBytes: opts.maxDocumentBytes });
    const inner = headerOf(parseStrictJson(opened.document, { subject: `Document ${position} of the dossier`, then: 'ask its sender to send it again' }));
    if (inner?.['sender'] !== sender || inner['messageId'] !== messageId || inner['type'] !== type || inner['beneficiaryRef'] !== outer!['beneficiaryRef']) {
      throw new GatewayError('sender_mismatch', `Document ${position} of the dossier does not match what the dossier lists (sender, message id, type or beneficiary differ). The dossier is refused; tell the gateway operator.`);
    }
    entries.push({ header: inner as unknown as MessageHeader, document: opened.document, attestedBy: 'author', signerFingerprint: opened.signerFingerprint });
  }
  return entries;
}
