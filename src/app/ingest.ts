/**
 * Accepting a message: the eight checks of docs/interface.md (section 3), in its order, then one
 * durable transaction (message, outbox row, audit entry), then the signed receipt.
 *
 * Every rejection after step 1 is audited. What a rejection's audit entry names grows with what was
 * proven: before the signature is checked, only the authenticated partner and the code; before the
 * schema passed, nothing of the document's header (an invalid header may carry anything, even
 * personal data typed in the wrong field).
 */
import { createHash } from 'node:crypto';
import type { AuditEvent } from '../audit/entry.js';
import type { Dossiers } from './dossiers.js';
import type { AcceptedAnswer, ReceiptedAnswer } from '../crypto/receipt.js';
import { INLINE_CRYPTO, type GatewayCrypto } from '../crypto/service.js';
import { assertEligible } from '../domain/eligibility.js';
import { assertMinimised } from '../domain/minimisation.js';
import { GatewayError, isGatewayError, partnerFacing, type RejectionRecord } from '../domain/errors.js';
import type { Logger } from '../log/logger.js';
import { UNOBSERVED, type MessageObservation } from '../observability/stages.js';
import { assertFresh, type FreshnessPolicy } from '../domain/freshness.js';
import { assertReplyMatches } from '../domain/replies.js';
import { assertReceiptAnswersWithdrawal } from '../domain/execution-receipts.js';
import { parseStrictJson } from '../domain/strict-json.js';
import { encryptionKeysOf } from '../domain/recipient-keys.js';
import { assertRoutable } from '../domain/routing.js';
import type { Pseudonymiser } from '../privacy/pseudonym.js';
import type { ExecutionReceiptV1 } from '../schema/generated/index.js';
import { factOf } from '../stats/facts.js';
import { GATEWAY_ID, GATEWAY_PARTNER } from '../domain/gateway-partner.js';
import type { DocumentValidator } from '../schema/validator.js';
import type { AcceptOutcome, ExecutionReport, MessageRecord, NewMessage, Store } from '../store/port.js';
import type { Partner } from '../domain/partner.js';
import type { TrustStore } from '../trust/trust-store.js';

/**
 * How many times a message's dossier update (a referral's dossier, an opt-out's withdrawal notices) is
 * prepared again when the store finds it stale; past this the partner gets 503 and retries.
 */
export const ACCEPT_PREPARATIONS = 3;

/** Message types that answer an earlier message and must name it in header.inReplyTo. */
const ANSWER_TYPES = new Set(['acknowledgement', 'status-update']);

export interface IngestDependencies {
  trust: TrustStore;
  validator: DocumentValidator;
  store: Store;
  pseudonymise: Pseudonymiser;
  /** The beneficiary's dossier: its step-8 rules and what acceptance adds to it (src/app/dossiers.ts). */
  dossiers: Dossiers;
  freshness: FreshnessPolicy;
  maxDocumentBytes: number;
  now: () => Date;
  /** Where the per-message crypto runs (src/crypto/worker-pool.ts); on this thread when absent. */
  crypto?: GatewayCrypto;
  /** Where a fault after the commit is told to the operator (the partner's answer stays the acceptance). */
  logger?: Logger;
}

/**
 * The answer to an accepted message. `receipt` is absent only when the gateway could not sign it when
 * it answered (its key unusable, its crypto stopping): the message is accepted all the same, and the
 * same message sent again gets the answer with its receipt once the gateway can sign.
 */
export type IngestAnswer = AcceptedAnswer & Partial<Pick<ReceiptedAnswer, 'receipt'>>;

export type IngestResult =
  | { outcome: 'accepted'; status: 202; answer: IngestAnswer; recipient: string; type: string }
  | { outcome: 'replayed'; status: 200; answer: IngestAnswer; recipient: string; type: string };

/** What the log and the audit entry of a rejection may name: identifiers only, once proven. */
export type RejectionContext = Omit<RejectionRecord, 'auditIndex'>;

/** A parsed JSON object whose shape is not yet checked. */
type UncheckedDocument = Record<string, unknown>;

function parseDocument(bytes: Uint8Array): UncheckedDocument {
  // Strict: duplicate names, deep nesting, a BOM or lossy numbers would let two readers of one signed
  // document see two different documents (src/domain/strict-json.ts).
  const value = parseStrictJson(bytes);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new GatewayError('malformed_message', 'The signed content must be a JSON object with "header" and "body".');
  }
  return value as UncheckedDocument;
}

function claimedSender(document: UncheckedDocument): unknown {
  const header = document['header'];
  return header !== null && typeof header === 'object' ? (header as { sender?: unknown }).sender : undefined;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class Ingest {
  private readonly crypto: GatewayCrypto;

  constructor(private readonly deps: IngestDependencies) {
    this.crypto = deps.crypto ?? INLINE_CRYPTO;
  }

  /**
   * @param partner the partner named by the verified client certificate (step 1 done by the HTTP edge).
   * @param observation times each stage and gives the trace context kept with the outbox row (src/observability).
   * @throws GatewayError for every refusal, with what the audit log recorded of it (`rejection`).
   */
  async submit(partner: Partner, message: Uint8Array, observation: MessageObservation = UNOBSERVED): Promise<IngestResult> {
    const context: RejectionContext = {};
    let payloadSha256: string | undefined;
    let beneficiary: string | undefined;
    let committed: AcceptedAnswer;
    let recipientId: string;
    let type: string;
    try {
      const { trust, store, now } = this.deps;
      const senderKeys = trust.partner(partner.id)?.publicKeys ?? [];
      // Steps 2 and 3: only this partner's keys may verify, so a valid signature by any other partner fails.
      const opened = await observation.stage('crypto_open', () => this.crypto.openFromPartner({
        message,
        decryptionKey: trust.gateway.decryptionKeys,
        senderKeys,
        maxDocumentBytes: this.deps.maxDocumentBytes,
        // The crypto pool's share of this partner; the keys besides the gateway's the message may name (the final recipient's, its own).
        partner: partner.id,
        knownKeys: [...trust.gateway.publishedKeys, ...[...trust.registry.partners.keys()].flatMap((id) => trust.partner(id)?.publicKeys ?? [])],
      }));
      payloadSha256 = sha256Hex(opened.document);
      const document = parseDocument(opened.document);

      // Step 4.
      if (claimedSender(document) !== partner.id) {
        throw new GatewayError('sender_mismatch', `header.sender must be ${partner.id}, the partner named by your client certificate and signing key.`);
      }

      // Idempotency: the sender is proven, so its message id can be trusted to look up the original.
      const messageId = (document['header'] as { messageId?: unknown }).messageId;
      if (typeof messageId === 'string') {
        const existing = await store.findMessage(messageId);
        if (existing) return await this.replay(existing, payloadSha256, partner, observation);
      }

      // Step 5.
      const validated = observation.begin('validation');
      try {
        this.deps.validator.validate(document);
      } finally {
        validated();
      }
      const header = document.header;
      observation.identify({ messageId: header.messageId, type: header.type });
      context.messageId = header.messageId;
      context.type = header.type;
      // An unregistered recipient id is free text from the sender's point of view: not audited.
      if (header.recipient === GATEWAY_ID || trust.registry.get(header.recipient)) context.recipient = header.recipient;
      // An execution receipt is matched on the notice it answers, never on the person, whom the gateway
      // may have forgotten (opt-out, erasure): it is filed under the notice's pseudonym once step 8
      // proved the notice was the sender's, and no subject is created for it (src/domain/execution-receipts.ts).
      if (header.type !== 'execution-receipt') beneficiary = await this.deps.pseudonymise(header.beneficiaryRef);

      // Step 6.
      const acceptedAtDate = now();
      assertFresh(header.sentAt, acceptedAtDate, this.deps.freshness);

      // Step 7.
      const recipient = assertRoutable({
        sender: partner,
        type: header.type,
        recipientId: header.recipient,
        body: document.body,
        // Opt-outs, and end-of-CIR reviews for the statistics only, are addressed to the gateway itself.
        findPartner: (id) => (id === GATEWAY_ID ? GATEWAY_PARTNER : trust.registry.get(id)),
      });

      // Step 8. The sender's link with the person (the message it answers, the follow it refers from)
      // is proven before anything about the person is told (the opt-out, in assertAllowed), so that
      // the answer to an agency with no link says nothing of the person.
      assertEligible(document, recipient);
      assertMinimised(document, recipient);
      let execution: ExecutionReport | undefined;
      if (document.header.type === 'execution-receipt') {
        const named = header.inReplyTo === undefined ? undefined : await store.findMessage(header.inReplyTo);
        const state = named === undefined ? undefined : await store.withdrawalNotice(named.messageId);
        assertReceiptAnswersWithdrawal({ sender: partner.id, notice: named, state });
        beneficiary = named!.beneficiary;
        const { body } = document as ExecutionReceiptV1;
        execution = { noticeId: state!.noticeId, status: body.status, executedOn: body.executedOn, ...(body.legalGround === undefined ? {} : { legalGround: body.legalGround }) };
      }
      if (beneficiary === undefined) throw new GatewayError('internal', 'A message reached the transaction without the pseudonym of its beneficiary. This is a defect: report it.');
      if (ANSWER_TYPES.has(header.type)) {
        const original = header.inReplyTo === undefined ? undefined : await store.findMessage(header.inReplyTo);
        assertReplyMatches({ sender: partner.id, recipient: recipient.id, beneficiary, original });
      }
      await this.deps.dossiers.assertAllowed({ document, sender: partner.id, beneficiary });

      let outboxBody: string | undefined;
      if (recipient.id !== GATEWAY_ID) {
        const recipientKeys = encryptionKeysOf(recipient.id, trust.partner(recipient.id)?.publicKeys);
        outboxBody = await observation.stage('crypto_seal', () => this.crypto.sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys, ...(opened.sent === undefined ? {} : { sent: opened.sent }) }));
      }
      const acceptedAt = acceptedAtDate.toISOString();
      // A receipt's statistics row points at the original notice, whichever reminder it named.
      const facts = execution === undefined ? factOf(document, acceptedAt) : { ...factOf(document, acceptedAt), answers: execution.noticeId };
      let outcome: AcceptOutcome;
      const traceContext = observation.traceContext();
      for (let preparations = 1; ; preparations++) {
        const dossier = this.deps.dossiers.concerns(header.type) ? await this.deps.dossiers.prepare({ document, signedMessage: opened.signedMessage, recipient, beneficiary, acceptedAt }) : undefined;
        const accepted: NewMessage = {
          messageId: header.messageId,
          type: header.type,
          version: header.version,
          sender: partner.id,
          recipient: recipient.id,
          inReplyTo: header.inReplyTo,
          beneficiary,
          payloadSha256,
          acceptedAt,
          outboxBody,
          dossier,
          facts,
          ...(execution === undefined ? {} : { execution }),
          ...(traceContext === undefined ? {} : { traceContext }),
        };
        outcome = await observation.stage('store', () => store.accept(accepted));
        // Stale: messages about the person were accepted while its notices were signed; prepare again.
        if (outcome.kind !== 'stale') break;
        if (preparations >= ACCEPT_PREPARATIONS) {
          throw new GatewayError('unavailable', 'Messages about this beneficiary kept being accepted while this one was being prepared; nothing was accepted. Send it again.');
        }
      }
      if (outcome.kind === 'duplicate') return await this.replay(outcome.existing, payloadSha256, partner, observation);
      committed = { messageId: header.messageId, status: 'accepted', acceptedAt, auditIndex: outcome.auditIndex, payloadSha256 };
      recipientId = recipient.id;
      type = header.type;
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      throw await this.reject(err, partner, context, payloadSha256, beneficiary);
    }
    // Committed means accepted: from here on nothing is refused, and the relay delivers the message
    // whatever happens to its answer.
    return { outcome: 'accepted', status: 202, answer: await this.receipted(committed, undefined, observation), recipient: recipientId, type };
  }

  /**
   * The answer with its receipt: the stored one, or one signed now and kept for replays. A receipt that
   * cannot be signed or kept now leaves the answer without it (or keeps it unsaved), never a refusal.
   */
  private async receipted(fields: AcceptedAnswer, stored: string | undefined, observation: MessageObservation): Promise<IngestAnswer> {
    if (stored !== undefined) return { ...fields, receipt: stored };
    let receipt: string;
    try {
      receipt = await observation.stage('receipt', () => this.crypto.signReceipt(fields, this.deps.trust.gateway.privateKey));
    } catch (err) {
      this.deps.logger?.error('receipt not signed', { component: 'ingest', messageId: fields.messageId, auditIndex: fields.auditIndex, code: isGatewayError(err) ? err.code : undefined, reason: err instanceof Error ? err.message : 'unknown' });
      return { ...fields };
    }
    await this.deps.store.saveReceipt(fields.messageId, receipt).catch(() => undefined);
    return { ...fields, receipt };
  }

  /** Same message id again: the original answer if the signed document is the same, 409 otherwise. */
  private async replay(existing: MessageRecord, payloadSha256: string, partner: Partner, observation: MessageObservation): Promise<IngestResult> {
    if (existing.sender !== partner.id || existing.payloadSha256 !== payloadSha256) {
      throw new GatewayError('duplicate_conflict', `Message id ${existing.messageId} was already used for another document. Use a new UUID for every new message.`);
    }
    const fields: AcceptedAnswer = {
      messageId: existing.messageId,
      status: 'accepted',
      acceptedAt: existing.acceptedAt,
      auditIndex: existing.auditIndex,
      payloadSha256: existing.payloadSha256,
    };
    // No receipt stored: the first answer left without one, or never left (the process stopped between
    // the commit and the receipt); signed now.
    return { outcome: 'replayed', status: 200, answer: await this.receipted(fields, existing.receipt, observation), recipient: existing.recipient, type: existing.type };
  }

  private async reject(error: GatewayError, partner: Partner, context: RejectionContext, payloadSha256: string | undefined, beneficiary: string | undefined): Promise<GatewayError> {
    // A store that cannot write cannot audit either; the partner gets 503 and retries. A write whose
    // outcome is unknown was no refusal: the partner sends the same message again to learn which.
    if (error.code === 'unavailable' || error.code === 'outcome_unknown') return error.recordedAs(context);
    const event: AuditEvent = {
      event: 'rejected',
      timestamp: this.deps.now().toISOString(),
      sender: partner.id,
      // Partners read the entries that name them: the code recorded is the one they were answered.
      code: partnerFacing(error).code,
      ...context,
      ...(beneficiary === undefined ? {} : { beneficiary }),
      ...(payloadSha256 === undefined ? {} : { payloadSha256 }),
    };
    try {
      const auditIndex = await this.deps.store.recordEvent(event);
      return error.recordedAs({ ...context, auditIndex });
    } catch (auditError) {
      return new GatewayError('unavailable', 'The gateway cannot record this request right now; nothing was accepted. Retry later.', { cause: auditError, rejection: context });
    }
  }

  /**
   * Records a refusal made at the HTTP edge (authorisation, size, media type) for an authenticated
   * partner, and returns the error to answer.
   */
  async rejectAtEdge(error: GatewayError, partner: Partner): Promise<GatewayError> {
    return this.reject(error, partner, {}, undefined, undefined);
  }
}
