/**
 * The one error type of Passerelle and its catalogue of stable codes.
 *
 * Partner-facing codes are those of the interface contract (section 4, "Errors"); each carries its
 * HTTP status so that the HTTP edge never decides a status by itself. Operator-facing codes
 * (configuration, broker, store at start) are never sent to partners: they end the process with one
 * readable line.
 */

export const PROBLEM_CATALOGUE = {
  malformed_message: { status: 400, title: 'Malformed message' },
  bad_request: { status: 400, title: 'Bad request' },
  signature_invalid: { status: 400, title: 'Invalid signature' },
  unauthenticated: { status: 401, title: 'Unauthenticated' },
  forbidden: { status: 403, title: 'Forbidden' },
  sender_mismatch: { status: 403, title: 'Sender mismatch' },
  type_not_allowed: { status: 403, title: 'Message type not allowed for this sender' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  // Answered by the HTTPS server itself, before express sees the request (src/http/server.ts).
  request_timeout: { status: 408, title: 'Request timeout' },
  request_header_fields_too_large: { status: 431, title: 'Request header fields too large' },
  duplicate_conflict: { status: 409, title: 'Duplicate message identifier with different content' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  schema_invalid: { status: 422, title: 'Document does not match its schema' },
  stale_message: { status: 422, title: 'Message too old or in the future' },
  unknown_recipient: { status: 422, title: 'Unknown recipient' },
  recipient_not_allowed: { status: 422, title: 'Recipient may not receive this message type' },
  rule_violation: { status: 422, title: 'Business rule violated' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Service unavailable' },
  // Operator-facing: raised at start or by the CLI, never answered to a partner.
  config_invalid: { status: 500, title: 'Invalid configuration' },
  broker_unreachable: { status: 503, title: 'Message broker unreachable' },
  store_unavailable: { status: 503, title: 'Store unavailable' },
  receipt_invalid: { status: 500, title: 'Receipt does not verify' },
  audit_invalid: { status: 500, title: 'Audit log does not verify' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEM_CATALOGUE;

export interface FieldError {
  /** JSON Pointer (RFC 6901) into the document. */
  pointer: string;
  message: string;
}

export interface GatewayErrorOptions {
  /** Name of the business rule that failed (rule_violation only). */
  rule?: string;
  /** Field errors (schema_invalid only). */
  errors?: FieldError[];
  /** How long the client should wait before retrying (rate_limited, unavailable). */
  retryAfterSeconds?: number;
  /** The first audit log index at fault (audit_invalid). */
  index?: number;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly rule: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly index: number | undefined;

  /**
   * @param detail a sentence for a person: what went wrong and what to do. It is sent to partners, so it
   *   must never contain personal data or payload content.
   */
  constructor(code: ProblemCode, detail: string, options: GatewayErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = PROBLEM_CATALOGUE[code].status;
    this.rule = options.rule;
    this.errors = options.errors;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.index = options.index;
  }

  get title(): string {
    return PROBLEM_CATALOGUE[this.code].title;
  }
}

export function isGatewayError(err: unknown, code?: ProblemCode): err is GatewayError {
  return err instanceof GatewayError && (code === undefined || err.code === code);
}
