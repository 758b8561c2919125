/**
 * The message envelope of the interface contract (section 3). Body types are generated from
 * schemas/ (see src/schema/generated/); the header is common to every type.
 */

export const MESSAGE_TYPES = ['orientation', 'acknowledgement', 'status-update'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const PARTNER_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

export interface MessageHeader {
  messageId: string;
  type: string;
  version: number;
  sender: string;
  recipient: string;
  sentAt: string;
  /** Personal data: never leaves the encrypted document in clear. */
  beneficiaryRef: string;
  inReplyTo?: string;
}

export interface MessageDocument {
  header: MessageHeader;
  body: Record<string, unknown>;
}

/** Lifecycle of an accepted message, as GET /v1/messages/{id} reports it. */
export type MessageStatus = 'accepted' | 'queued' | 'acknowledged' | 'dead-lettered';
