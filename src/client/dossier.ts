/**
 * A recipient's check of a dossier (tell us once): the gateway signed the dossier, but every document in
 * it is the ORIGINAL signed message of its sender (OFII's orientation, the agencies' acknowledgements
 * and status updates), verified here with that sender's own key, so the new agency trusts OFII and the
 * agencies, not the gateway, for what the person said. A document's header.recipient is another agency:
 * that is what a dossier is. Its sender, message id and type must be what the dossier lists, and it
 * must be about the same person as the dossier.
 *
 * Rectification (RGPD art. 16): the gateway cannot re-sign a partner's document, so a corrected
 * document travels as its original followed by its rectifications, each signed by the document's
 * author. `correctedDocuments` gives the corrected version of each document of a dossier with its
 * history; `unpackCorrection` and `applyCorrection` do the same for a `correction` notice, applied to
 * the document the agency received earlier.
 *
 * One exception: after the person withdrew their consent to share health data (opt-out
 * RETRAIT_ACCORD_SANTE), OFII's orientation comes as a copy without its health fields (`redacted`).
 * OFII's signature cannot cover a copy with fields removed: what vouches for it is the gateway's
 * signature of the dossier, which the recipient verified before this. Such an entry says so
 * (`attestedBy: 'gateway'`), with the pointers removed and the SHA-256 of OFII's original.
 */
import { openSigned } from '../crypto/open.js';
import { GatewayError } from '../domain/errors.js';
import { applyChanges, type Change } from '../domain/rectification.js';
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
  /** When the gateway accepted it, as the dossier lists it. */
  acceptedAt?: string;
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
    const { messageId, type, sender, signedMessage, acceptedAt } = listed;
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
    entries.push({ header: inner as unknown as MessageHeader, document: opened.document, attestedBy: 'author', signerFingerprint: opened.signerFingerprint, ...(typeof acceptedAt === 'string' ? { acceptedAt } : {}) });
  }
  return entries;
}

type Json = Record<string, unknown>;

/** One change of a document, as its author signed it. */
export interface RectificationStep {
  messageId: string;
  acceptedAt: string | undefined;
  reason: string;
  requestedOn: string;
  changes: Change[];
  signerFingerprint: string;
}

/** A document of a dossier as it reads now, and how it came to. */
export interface CorrectedDocument {
  header: MessageHeader;
  /** The document as its sender first signed it, parsed. */
  original: Json;
  /** The original with every rectification applied in order: what the agency should hold. */
  corrected: Json;
  /** Each rectification, oldest first (empty when the document was never corrected). */
  history: RectificationStep[];
}

function parsed(entry: DossierEntry, what: string): Json {
  return parseStrictJson(entry.document, { subject: what, then: 'ask its sender to send it again' }) as Json;
}

function rectificationOf(entry: DossierEntry, what: string): { corrects: string; step: RectificationStep } {
  const body = (parsed(entry, what)['body'] ?? {}) as { corrects?: unknown; changes?: unknown; reason?: unknown; requestedOn?: unknown };
  if (typeof body.corrects !== 'string' || !Array.isArray(body.changes) || typeof body.reason !== 'string' || typeof body.requestedOn !== 'string') {
    throw new GatewayError('malformed_message', `${what} is not a rectification (corrects, changes, reason, requestedOn). Tell the gateway operator.`);
  }
  return {
    corrects: body.corrects,
    step: { messageId: entry.header.messageId, acceptedAt: entry.acceptedAt, reason: body.reason, requestedOn: body.requestedOn, changes: body.changes as Change[], signerFingerprint: entry.signerFingerprint },
  };
}

/** The gateway checked every rectification on its base before accepting it: one that does not apply here was not made for this version. */
function applied(document: Json, step: RectificationStep, what: string): Json {
  try {
    return applyChanges(document as { header: object; body: unknown }, step.changes) as unknown as Json;
  } catch (err) {
    throw new GatewayError('malformed_message', `${what} does not apply to the version of the document it corrects (${err instanceof Error ? err.message : 'unknown'}). Check that the earlier corrections were applied, in order; otherwise tell the gateway operator.`, { cause: err });
  }
}

/** Only a document's author may correct it: checked here again, with the signatures, not taken from the gateway. */
function assertAuthor(document: DossierEntry, rectification: DossierEntry, what: string): void {
  if (rectification.header.sender !== document.header.sender) {
    throw new GatewayError('sender_mismatch', `${what} was signed by ${rectification.header.sender}, not by ${document.header.sender}, the author of the document it corrects. It is refused; tell the gateway operator.`);
  }
}

/**
 * The corrected version of each document of a verified dossier (unpackDossier), with its history: its
 * rectifications applied in the order the dossier lists them (acceptance order), each checked to be
 * signed by the document's own author. Rectifications are not documents of their own in the answer.
 * @throws GatewayError when a rectification corrects a document the dossier does not carry, was not
 * signed by that document's author, or does not apply (the dossier is then refused as a whole).
 */
export function correctedDocuments(entries: readonly DossierEntry[]): CorrectedDocument[] {
  const documents = new Map<string, { entry: DossierEntry; corrected: CorrectedDocument }>();
  for (const [position, entry] of entries.entries()) {
    const what = `Document ${position} of the dossier`;
    if (entry.header.type !== 'rectification') {
      const original = parsed(entry, what);
      documents.set(entry.header.messageId, { entry, corrected: { header: entry.header, original, corrected: original, history: [] } });
      continue;
    }
    const { corrects, step } = rectificationOf(entry, what);
    const target = documents.get(corrects);
    if (target === undefined) throw new GatewayError('malformed_message', `${what} corrects a document that the dossier does not carry before it. The dossier is refused; tell the gateway operator.`);
    assertAuthor(target.entry, entry, what);
    target.corrected.corrected = applied(target.corrected.corrected, step, what);
    target.corrected.history.push(step);
  }
  return [...documents.values()].map((d) => d.corrected);
}

/**
 * The rectification a `correction` notice carries (already decrypted and verified as the gateway's,
 * receiveDelivery), verified with its author's own key: the author, not the gateway, vouches for it.
 */
export async function unpackCorrection(opts: { view: PartnerView; notice: unknown; maxDocumentBytes: number }): Promise<DossierEntry> {
  const outer = headerOf(opts.notice);
  if (outer?.['sender'] !== GATEWAY_ID || outer['type'] !== 'correction') refuse('A correction notice must come from the gateway itself.');
  const body = (opts.notice as { body?: { corrects?: unknown; rectification?: Record<string, unknown> } }).body;
  const listed = body?.rectification ?? {};
  const { messageId, sender, signedMessage, acceptedAt } = listed;
  if (typeof body?.corrects !== 'string' || typeof messageId !== 'string' || typeof sender !== 'string' || typeof signedMessage !== 'string' || !BASE64.test(signedMessage)) {
    refuse('The correction notice carries no listed signed rectification.');
  }
  if (sender === GATEWAY_ID) refuse('The rectification of a correction notice claims to be signed by the gateway.');
  const opened = await openSigned({ signedMessage: new Uint8Array(Buffer.from(signedMessage as string, 'base64')), senderKeys: await opts.view.senderKeys(sender as string), maxDocumentBytes: opts.maxDocumentBytes });
  const document = parseStrictJson(opened.document, { subject: 'The rectification of the correction notice', then: 'ask its author to send it again' }) as Json;
  const inner = headerOf(document);
  const corrects = (document['body'] as { corrects?: unknown } | undefined)?.corrects;
  if (inner?.['sender'] !== sender || inner['messageId'] !== messageId || inner['type'] !== 'rectification' || inner['beneficiaryRef'] !== outer!['beneficiaryRef'] || corrects !== body!.corrects || outer!['inReplyTo'] !== messageId) {
    throw new GatewayError('sender_mismatch', 'The rectification does not match what the correction notice lists (author, message id, type, person or corrected document differ). The notice is refused; tell the gateway operator.');
  }
  return { header: inner as unknown as MessageHeader, document: opened.document, attestedBy: 'author', signerFingerprint: opened.signerFingerprint, ...(typeof acceptedAt === 'string' ? { acceptedAt } : {}) };
}

/**
 * The document the agency holds (as its author signed it, or as corrected so far) with a verified
 * rectification applied (unpackCorrection). Apply the corrections of one document in the order they
 * arrive: each was checked by the gateway on top of the ones accepted before it.
 * @throws GatewayError when the rectification is not about this document or not by its author.
 */
export function applyCorrection(held: Json, rectification: DossierEntry): { corrected: Json; step: RectificationStep } {
  const header = (held['header'] ?? {}) as { messageId?: unknown; sender?: unknown };
  const { corrects, step } = rectificationOf(rectification, 'The rectification');
  if (header.messageId !== corrects) throw new GatewayError('malformed_message', `The rectification corrects ${corrects}, not the document given (${String(header.messageId)}). Apply it to the document it names.`);
  if (header.sender !== rectification.header.sender) {
    throw new GatewayError('sender_mismatch', `The rectification was signed by ${rectification.header.sender}, not by ${String(header.sender)}, the author of the document. It is refused; tell the gateway operator.`);
  }
  return { corrected: applied(held, step, 'The rectification'), step };
}
