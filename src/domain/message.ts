/**
 * The message envelope of docs/interface.md (section 3). The document types are generated from
 * schemas/ (src/schema/generated/), never written by hand; this module only names them for the rest
 * of the gateway.
 */
import type { KnownDocument } from '../schema/generated/index.js';

export const PARTNER_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** A document that passed its schema. */
export type MessageDocument = KnownDocument;
export type MessageHeader = KnownDocument['header'];

/** Lifecycle of an accepted message, as GET /v1/messages/{id} reports it. */
export type MessageStatus = 'accepted' | 'queued' | 'acknowledged' | 'dead-lettered' | 'expired';
