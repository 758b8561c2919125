/**
 * The messages the gateway itself sends: the dossier that goes with a referral, withdrawal notices,
 * expiry notices. Same envelope and wire format as a partner's message (interface contract, sections 3
 * and 5): a JSON document with header.sender = "passerelle", valid against its own schema, signed inline
 * (one-pass) with the gateway's OpenPGP key and encrypted to the recipient's registered key. A recipient
 * verifies it exactly as any delivery, with the gateway's public key.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { PrivateKey, PublicKey } from '../crypto/keys.js';
import type { GatewayCrypto } from '../crypto/service.js';
import { GatewayError } from '../domain/errors.js';
import { encryptionKeysOf } from '../domain/recipient-keys.js';
import type { DocumentValidator } from '../schema/validator.js';
import type { GatewayNotice, NoticeType } from '../store/port.js';
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
      this.deps.validator.validate(document);
    } catch (err) {
      throw new GatewayError('internal', `The gateway built a ${draft.type} that does not match its own schema; nothing was sent. This is a defect: report it.`, { cause: err });
    }
    const recipientKeys = encryptionKeysOf(draft.recipient, this.deps.recipientKeys(draft.recipient));
    const bytes = new TextEncoder().encode(JSON.stringify(document));
    const outboxBody = await this.deps.crypto.signAndEncrypt({ document: bytes, signingKey: this.deps.signingKey(), encryptionKeys: recipientKeys });
    return {
      messageId,
      type: draft.type,
      recipient: draft.recipient,
      inReplyTo: draft.inReplyTo,
      payloadSha256: createHash('sha256').update(bytes).digest('hex'),
      outboxBody,
      ...(draft.count === undefined ? {} : { count: draft.count }),
    };
  }
}
