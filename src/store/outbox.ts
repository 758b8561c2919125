/**
 * The outbox port: what the relay needs from the store. A row is written in the same transaction as
 * the accepted message and its audit entry; the relay removes it only after the broker confirmed it.
 */

export interface OutboxEntry {
  messageId: string;
  /** Routing: the recipient partner id and the message type give the key `<recipient>.<type>`. */
  recipient: string;
  type: string;
  sender: string;
  /** Index of the audit entry that recorded the acceptance (AMQP header x-passerelle-audit-index). */
  auditIndex: number;
  /**
   * The armored OpenPGP message to publish: the sender's original signed document, encrypted to the
   * recipient's key at acceptance. The store never holds the document in clear.
   */
  body: string;
  /** RFC 3339 time of acceptance, used as the AMQP timestamp. */
  acceptedAt: string;
  /** Publish attempts so far (failed or unconfirmed). */
  attempts: number;
}

export interface OutboxPort {
  /** Rows not yet confirmed by the broker, oldest first. */
  pendingOutbox(limit: number): Promise<OutboxEntry[]>;
  /** The broker confirmed the publish: the row goes, the message becomes `queued`, audited. */
  markQueued(messageId: string, queuedAt: string): Promise<void>;
  /** A publish was returned, nacked or unconfirmed: counted, retried later. */
  recordPublishFailure(messageId: string): Promise<void>;
  /** Rows waiting, for /readyz. */
  outboxDepth(): Promise<number>;
}
