/**
 * The messages the gateway itself sends: the dossier that goes with a referral, withdrawal notices,
 * expiry notices. Same envelope and wire format as a partner's message (docs/interface.md, sections 3
 * and 5): a JSON document with header.sender = "passerelle", valid against its own schema, signed inline
 * (one-pass) with the gateway's OpenPGP key and encrypted to the recipient's registered key. A recipient
 * verifies it exactly as any delivery, with the gateway's public key.
 */
import { randomUUID } from 'node:crypto';
import type { PrivateKey, PublicKey } from '../crypto/keys.js';
import type { GatewayCrypto } from '../crypto/service.js';
import { GatewayError, isGatewayError } from '../domain/errors.js';
import { encryptionKeysOf } from '../domain/recipient-keys.js';
import type { DocumentValidator } from '../schema/validator.js';
import type { DossierPort, GatewayNotice, NoticeType } from '../store/port.js';
import { GATEWAY_ID } from '../domain/gateway-partner.js';

export interface NoticeDraft {
  type: NoticeType;
  recipient: string;
  /** The person the notice is about: the recipient must know whom it concerns. */
  beneficiaryRef: string;
  inReplyTo?: string;
  body: Record<string, unknown>;
  /** Documents carried, for the audit entry. */
  count?: number;
}

export interface GatewayNoticesDependencies {
  /** The gateway's current signing key: asked for each notice, so a key rotated while running signs at once. */
  signingKey: () => PrivateKey;
  /** The recipient's registered public keys; empty when it has none. */
  recipientKeys: (partnerId: string) => PublicKey[];
  validator: DocumentValidator;
  now: () => Date;
  /** Where the signing and encryption run (the gateway's worker pool, or INLINE_CRYPTO in the CLI). */
  crypto: GatewayCrypto;
}

/** Strings longer than this in a notice are base64 the gateway encoded itself (a dossier's documents). */
const LONG_STRING = 1024;

/**
 * The notice as the validator checks it: every long string replaced by a short one of the same kind.
 * A notice's long strings are the base64 of kept signed messages, which Buffer.toString('base64') made
 * and the schema's pattern accepts by construction; matching that pattern over a few MiB would hold
 * the main thread for tens of milliseconds. Their lengths are bounded by src/domain/dossier-limits.ts.
 */
function skeleton(value: unknown): unknown {
  if (typeof value === 'string') return value.length > LONG_STRING ? 'AAAA' : value;
  if (Array.isArray(value)) return value.map(skeleton);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, skeleton(inner)]));
  return value;
}

/** What the store keeps of a withdrawal notice to match its execution receipt and send its reminders. */
function withdrawalOf(body: Record<string, unknown>, signedMessage: Uint8Array): NonNullable<GatewayNotice['withdrawal']> {
  const { reason, reminderOf } = body as { reason: string; reminderOf?: string };
  return { reason, ...(reminderOf === undefined ? {} : { reminderOf }), signedMessage };
}

export class GatewayNotices {
  constructor(private readonly deps: GatewayNoticesDependencies) {}

  /** Builds, checks against its schema, signs and seals one notice. */
  async compose(draft: NoticeDraft): Promise<GatewayNotice> {
    const messageId = randomUUID();
    const document = {
      header: {
        messageId,
        type: draft.type,
        version: 1,
        sender: GATEWAY_ID,
        recipient: draft.recipient,
        sentAt: this.deps.now().toISOString(),
        beneficiaryRef: draft.beneficiaryRef,
        ...(draft.inReplyTo === undefined ? {} : { inReplyTo: draft.inReplyTo }),
      },
      body: draft.body,
    };
    try {
      // What the gateway signs must meet the contract it enforces on partners.
      this.deps.validator.validate(skeleton(document));
    } catch (err) {
      throw new GatewayError('internal', `The gateway built a ${draft.type} that does not match its own schema; nothing was sent. This is a defect: report it.`, { cause: err });
    }
    // Serialised, hashed and signed by the crypto service: off the main thread with the worker pool,
    // which matters for a referral's dossier (a person's whole history, up to a few MiB).
    const { signedMessage, payloadSha256 } = await this.deps.crypto.signJson({ value: document, signingKey: this.deps.signingKey() });
    return {
      messageId,
      type: draft.type,
      recipient: draft.recipient,
      inReplyTo: draft.inReplyTo,
      payloadSha256,
      ...(await this.sealOrHold(draft.recipient, signedMessage)),
      ...(draft.count === undefined ? {} : { count: draft.count }),
      ...(draft.type === 'withdrawal' ? { withdrawal: withdrawalOf(draft.body, signedMessage) } : {}),
    };
  }

  /**
   * Sealed for its recipient, or held: a recipient without a usable key (none registered, every one
   * expired or revoked) must not block the opt-out, erasure or expiry that the notice announces, nor
   * tell the partner who caused it anything about another partner's keys. The store keeps a held
   * notice encrypted until a key is registered (releaseHeldNotices).
   */
  async sealOrHold(recipient: string, signedMessage: Uint8Array): Promise<{ outboxBody: string } | { held: Uint8Array }> {
    const sealed = await this.seal(recipient, signedMessage);
    return sealed === undefined ? { held: signedMessage } : { outboxBody: sealed };
  }

  /** The signed message encrypted to the recipient's newest usable key; undefined when it has none. */
  async seal(recipient: string, signedMessage: Uint8Array): Promise<string | undefined> {
    try {
      const recipientKeys = encryptionKeysOf(recipient, this.deps.recipientKeys(recipient));
      return await this.deps.crypto.sealForRecipient({ signedMessage, recipientKeys });
    } catch (err) {
      if (isGatewayError(err, 'recipient_not_allowed')) return undefined;
      throw err;
    }
  }
}

/** A pass over the held notices: each one whose recipient now has a usable key goes to the outbox. */
export async function releaseHeldNotices(deps: { store: DossierPort; notices: GatewayNotices }): Promise<{ released: number; waiting: number }> {
  let released = 0;
  const held = await deps.store.heldNotices(HELD_NOTICES_PER_PASS);
  for (const notice of held) {
    const outboxBody = await deps.notices.seal(notice.recipient, notice.signedMessage);
    if (outboxBody !== undefined && (await deps.store.releaseHeldNotice(notice.messageId, outboxBody))) released++;
  }
  const waiting = (await deps.store.heldNoticeCounts()).reduce((sum, entry) => sum + entry.count, 0);
  return { released, waiting };
}

/** Held notices looked at per pass (a pass runs at each retention sweep and trust reload). */
export const HELD_NOTICES_PER_PASS = 1000;
