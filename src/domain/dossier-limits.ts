/**
 * How much the gateway keeps about one person, and how much one orientation may be answered: bounds
 * on what an agency (hostile, or a faulty integration) can make the gateway store and later disclose.
 * Pure; the store checks them inside the acceptance transaction, on the rows as they are then.
 *
 * The figures are far above what the exchange needs (a person has a handful of orientations,
 * acknowledgements and status updates over the two years a dossier is kept; the largest document a
 * schema allows is about 20 KiB compact) and low enough that a referral's dossier, which discloses the
 * whole history, stays a few MiB: below the broker's largest message (OUTBOX_MAX_BODY_BYTES below)
 * and quick to build.
 */
import { GatewayError } from './errors.js';

/** Documents kept per person (orientations, acknowledgements, status updates, referrals). */
export const DOSSIER_MAX_DOCUMENTS = 200;
/** Bytes of signed documents kept per person. */
export const DOSSIER_MAX_BYTES = 2 * 1024 * 1024;
/** Acknowledgements and status updates answering one orientation or referral. */
export const MAX_ANSWERS_PER_MESSAGE = 100;

/**
 * The largest document of a `dossier` message the gateway composes: every kept byte base64-encoded
 * (4/3), with each document's fields and the header. A partner reading its deliveries allows this
 * much for a dossier, and its usual document limit for everything else.
 */
export const DOSSIER_MESSAGE_MAX_BYTES = 4 * 1024 * 1024;

/**
 * The largest message body the outbox takes, checked in the transaction that writes it: a body the
 * broker would refuse must be refused before it is accepted, never left in the outbox to fail forever.
 * Half of the 16 MiB `max_message_size` of RabbitMQ 4 (RabbitMQ 3.x allows 128 MiB); a dossier message
 * is at most DOSSIER_MESSAGE_MAX_BYTES before armor (4/3).
 */
export const OUTBOX_MAX_BODY_BYTES = 8 * 1024 * 1024;

export function assertOutboxBody(bytes: number): void {
  if (bytes > OUTBOX_MAX_BODY_BYTES) {
    throw new GatewayError('payload_too_large', `The message to deliver would be ${bytes} bytes, more than the ${OUTBOX_MAX_BODY_BYTES} the broker takes; nothing was accepted. Send smaller documents.`);
  }
}

export const DOSSIER_CAPACITY_RULE = 'dossier-capacity';
export const ANSWERS_RULE = 'answers-per-message';

export function assertDossierCapacity(kept: { documents: number; bytes: number }, adding: number): void {
  if (kept.documents + 1 > DOSSIER_MAX_DOCUMENTS || kept.bytes + adding > DOSSIER_MAX_BYTES) {
    throw new GatewayError(
      'rule_violation',
      `Rule ${DOSSIER_CAPACITY_RULE}: the gateway keeps at most ${DOSSIER_MAX_DOCUMENTS} documents and ${DOSSIER_MAX_BYTES} bytes about one person, and this person's dossier is full. Send only what the agreement requires (one status update per event), without padding; tell the gateway operator if a real follow-up needs more.`,
      { rule: DOSSIER_CAPACITY_RULE },
    );
  }
}

export function assertAnswerCapacity(answers: number): void {
  if (answers + 1 > MAX_ANSWERS_PER_MESSAGE) {
    throw new GatewayError(
      'rule_violation',
      `Rule ${ANSWERS_RULE}: the message answered already has ${answers} acknowledgements and status updates, the most the gateway accepts. Send one status update per event; tell the gateway operator if a real follow-up needs more.`,
      { rule: ANSWERS_RULE },
    );
  }
}
