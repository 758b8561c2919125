/**
 * The error a failed request is answered with, whichever path served it (express's last handler, or
 * src/http/message-route.ts): errors of the body reader and the router translated to the contract's
 * codes, faults a partner is not shown kept in the gateway's log, and the request's notes filled for
 * its log line (src/http/request-log.ts).
 */
import { GatewayError, partnerFacing } from '../domain/errors.js';
import type { Logger } from '../log/logger.js';
import type { RequestNotes } from './request-log.js';

/** The error to answer for `err`; the caller writes it as problem+json unless the answer has started. */
export function errorAnswer(err: unknown, notes: RequestNotes, deps: { logger: Logger; maxBodyBytes: number }): GatewayError {
  const requestId = notes['requestId'] as string;
  let error: GatewayError;
  if (err instanceof GatewayError) {
    error = err;
    // What a partner is not shown stays in the gateway's log (src/domain/errors.ts, partnerFacing).
    if (partnerFacing(error) !== error) deps.logger.error('fault answered as internal', { requestId, code: error.code, reason: error.message });
  } else {
    error = edgeError(err, deps.maxBodyBytes) ?? new GatewayError('internal', 'An unexpected error ended the request; nothing was accepted.');
    if (error.code === 'internal') deps.logger.error('unexpected error', { requestId, reason: (err as Error)?.name ?? 'unknown' });
  }
  if (error.rejection?.messageId) notes['messageId'] = error.rejection.messageId;
  if (error.rejection?.auditIndex !== undefined) notes['auditIndex'] = error.rejection.auditIndex;
  notes['outcome'] = 'rejected';
  notes['code'] = error.code;
  return error;
}

/** Errors raised by express's body reader and router, translated to the contract's codes. */
export function edgeError(err: unknown, maxBodyBytes: number): GatewayError | undefined {
  if (err instanceof GatewayError) return err;
  // The router could not decode a path parameter (RFC 3986 section 2.1): the client's fault.
  if (err instanceof URIError) return new GatewayError('bad_request', 'The path holds a malformed percent-encoding. Encode the path again (RFC 3986, section 2.1).');
  const type = (err as { type?: string } | undefined)?.type;
  if (type === 'entity.too.large') {
    return new GatewayError('payload_too_large', `The request body exceeds ${maxBodyBytes} bytes. Large attachments are not part of the exchange.`);
  }
  if (type === 'encoding.unsupported') {
    return new GatewayError('unsupported_media_type', 'Content-Encoding is not accepted: send the body uncompressed (an OpenPGP message is compressed by OpenPGP itself).');
  }
  if (type === 'request.aborted' || type === 'request.size.invalid' || type === 'entity.verify.failed') {
    return new GatewayError('malformed_message', 'The request body was incomplete. Send it again.');
  }
  return undefined;
}
