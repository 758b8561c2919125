/**
 * The one error type of Passerelle and its catalogue of stable codes.
 *
 * Each code has its HTTP status, its audience and a title and a default message for people (what went
 * wrong, what to do), so that neither the HTTP edge nor the command line decides a status or a wording
 * by itself.
 *
 * Audience `partner`: the codes of docs/interface.md (section 4, "Errors"; the generated problem-code reference), answered to partners. Audience `operator`: configuration, broker, store, command
 * line, receipts and audit verification; they end a process or a command with one readable line, and
 * the HTTP edge answers them to a partner as `internal` with the generic message (`partnerFacing`),
 * while the gateway's log keeps the real code.
 */

export type Audience = 'partner' | 'operator';

export interface ProblemDefinition {
  status: number;
  audience: Audience;
  title: string;
  /** The default sentence for people: what went wrong and what to do. */
  message: string;
}

export const PROBLEM_CATALOGUE = {
  malformed_message: {
    status: 400,
    audience: 'partner',
    title: 'Malformed message',
    message: 'The request body is not a message the gateway can read. Send one OpenPGP message, signed with your registered key then encrypted to the gateway key, whose content is a UTF-8 JSON object with "header" and "body".',
  },
  bad_request: {
    status: 400,
    audience: 'partner',
    title: 'Bad request',
    message: 'The request is not well-formed. Check its method, path, query parameters and body against /openapi.json or docs/interface.md.',
  },
  signature_invalid: {
    status: 400,
    audience: 'partner',
    title: 'Invalid signature',
    message: 'The signature does not verify with a key registered for your organisation. Sign with your current registered key, with SHA-256 or stronger.',
  },
  unauthenticated: {
    status: 401,
    audience: 'partner',
    title: 'Unauthenticated',
    message: 'No registered partner could be identified. Connect over TLS with the client certificate the partner CA issued to your organisation.',
  },
  forbidden: {
    status: 403,
    audience: 'partner',
    title: 'Forbidden',
    message: 'The role of your organisation does not allow this request. See "Who may call what" in docs/interface.md (section 4).',
  },
  sender_mismatch: {
    status: 403,
    audience: 'partner',
    title: 'Sender mismatch',
    message: 'header.sender is not the partner of your client certificate and signing key. Put your own partner id there.',
  },
  type_not_allowed: {
    status: 403,
    audience: 'partner',
    title: 'Message type not allowed for this sender',
    message: 'Your organisation may not send this message type. Ask the gateway operator to update the partner registry if your agreement allows it.',
  },
  not_found: {
    status: 404,
    audience: 'partner',
    title: 'Not found',
    message: 'Nothing visible to your organisation is at this path. Check the path and the identifier.',
  },
  method_not_allowed: {
    status: 405,
    audience: 'partner',
    title: 'Method not allowed',
    message: 'This path does not serve this method; the Allow header lists the methods it serves.',
  },
  // Answered by the HTTPS server itself, before express sees the request (src/http/client-error.ts).
  request_timeout: {
    status: 408,
    audience: 'partner',
    title: 'Request timeout',
    message: 'The request did not arrive in time; nothing was accepted. Send the whole request at once.',
  },
  request_header_fields_too_large: {
    status: 431,
    audience: 'partner',
    title: 'Request header fields too large',
    message: 'The request headers are too large. Send fewer or shorter headers.',
  },
  duplicate_conflict: {
    status: 409,
    audience: 'partner',
    title: 'Duplicate message identifier with different content',
    message: 'This message id was already used for another document. Use a new UUID for every new message.',
  },
  payload_too_large: {
    status: 413,
    audience: 'partner',
    title: 'Payload too large',
    message: 'The request body is too large. Large attachments are not part of the exchange.',
  },
  unsupported_media_type: {
    status: 415,
    audience: 'partner',
    title: 'Unsupported media type',
    message: 'The media type or the Content-Encoding of the request is not accepted. Send the media type the endpoint documents, without Content-Encoding.',
  },
  schema_invalid: {
    status: 422,
    audience: 'partner',
    title: 'Document does not match its schema',
    message: 'The document does not match its schema. Correct the fields listed in errors and send it again.',
  },
  stale_message: {
    status: 422,
    audience: 'partner',
    title: 'Message too old or in the future',
    message: 'header.sentAt is too old or in the future. Check your clock and send the message again with the current time.',
  },
  unknown_recipient: {
    status: 422,
    audience: 'partner',
    title: 'Unknown recipient',
    message: 'header.recipient is not a registered partner. Check the id of the recipient.',
  },
  recipient_not_allowed: {
    status: 422,
    audience: 'partner',
    title: 'Recipient may not receive this message type',
    message: 'The recipient may not receive this message now. Check the recipient and the message type against the partner registry.',
  },
  rule_violation: {
    status: 422,
    audience: 'partner',
    title: 'Business rule violated',
    message: 'A business rule is not met; the answer names it in "rule". Correct the document or choose another recipient.',
  },
  person_agreement_missing: {
    status: 422,
    audience: 'partner',
    title: "The person's agreement is missing",
    message: 'A beneficiary lookup needs the agreement of the person it is about. Give "personAgreement" with the date it was recorded ("recordedOn") and how ("channel"), then ask again.',
  },
  lookup_rate_limited: {
    status: 429,
    audience: 'partner',
    title: 'Too many beneficiary lookups',
    message: 'Your organisation made the most beneficiary lookups the gateway answers per hour or per day; this attempt was recorded in the audit log. Retry after the delay given in Retry-After.',
  },
  rate_limited: {
    status: 429,
    audience: 'partner',
    title: 'Too many requests',
    message: 'Your organisation sent too many requests. Retry after the delay given in Retry-After.',
  },
  internal: {
    status: 500,
    audience: 'partner',
    title: 'Internal error',
    message: 'The gateway failed to process the request; nothing was accepted. Retry later, and give the operator the request id (X-Request-Id) if it persists.',
  },
  // A write whose commit may or may not have reached the disk (a failed sync of the journal, a
  // connection lost during COMMIT): neither "accepted" nor "nothing was accepted" would be true.
  outcome_unknown: {
    status: 500,
    audience: 'partner',
    title: 'Outcome unknown',
    message: 'The gateway could not confirm that your request was stored: it may or may not have been accepted. Send the same message again, with the same message id: the answer then says which (200 with its receipt if it was accepted, 202 if it is accepted now).',
  },
  unavailable: {
    status: 503,
    audience: 'partner',
    title: 'Service unavailable',
    message: 'The gateway cannot take this request right now; nothing was accepted. Retry after the delay given in Retry-After.',
  },
  config_invalid: {
    status: 500,
    audience: 'operator',
    title: 'Invalid configuration',
    message: 'The configuration is invalid. Fix the setting or the file named in the message and start again.',
  },
  broker_unreachable: {
    status: 503,
    audience: 'operator',
    title: 'Message broker unreachable',
    message: 'RabbitMQ cannot be reached. Check PASSERELLE_AMQP_URL and that the broker is running.',
  },
  store_unavailable: {
    status: 503,
    audience: 'operator',
    title: 'Store unavailable',
    message: 'The store cannot be opened or written. Check PASSERELLE_DATA_DIR (or the PostgreSQL settings) and the free disk space.',
  },
  receipt_invalid: {
    status: 500,
    audience: 'operator',
    title: 'Receipt does not verify',
    message: "A receipt does not verify with the gateway's published keys. Keep the answer and its receipt, and tell the gateway operator.",
  },
  audit_invalid: {
    status: 500,
    audience: 'operator',
    title: 'Audit log does not verify',
    message: 'The audit log does not verify; the message names the first index at fault. Keep the export and tell the auditor.',
  },
  // The command line was called with unknown commands or options (exit code 2, src/cli/exit-codes.ts).
  usage_invalid: {
    status: 400,
    audience: 'operator',
    title: 'Invalid command line',
    message: 'The command line is not valid. Run "passerelle help" for the commands and their options.',
  },
} as const satisfies Record<string, ProblemDefinition>;

export type ProblemCode = keyof typeof PROBLEM_CATALOGUE;

export const PROBLEM_CODES = Object.keys(PROBLEM_CATALOGUE) as ProblemCode[];

export function isPartnerCode(code: ProblemCode): boolean {
  return PROBLEM_CATALOGUE[code].audience === 'partner';
}

export interface FieldError {
  /** JSON Pointer (RFC 6901) into the document. */
  pointer: string;
  message: string;
}

/** What the audit log recorded of a refused request: identifiers once proven, and the entry's index. */
export interface RejectionRecord {
  messageId?: string;
  type?: string;
  recipient?: string;
  /** Absent when the refusal could not be recorded (the store cannot write). */
  auditIndex?: number;
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
  /** Set once the refusal was written to the audit log (src/app/ingest.ts), for the request log. */
  rejection?: RejectionRecord;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly rule: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly index: number | undefined;
  readonly rejection: RejectionRecord | undefined;

  /**
   * @param detail a sentence for a person: what went wrong and what to do; the catalogue's message when
   *   absent. A partner-facing code's detail is sent to partners, so it must never contain personal
   *   data or payload content.
   */
  constructor(code: ProblemCode, detail: string = PROBLEM_CATALOGUE[code].message, options: GatewayErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = PROBLEM_CATALOGUE[code].status;
    this.rule = options.rule;
    this.errors = options.errors;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.index = options.index;
    this.rejection = options.rejection;
  }

  get title(): string {
    return PROBLEM_CATALOGUE[this.code].title;
  }

  get audience(): Audience {
    return PROBLEM_CATALOGUE[this.code].audience;
  }

  /** This error, with what the audit log recorded of the refusal. */
  recordedAs(rejection: RejectionRecord): GatewayError {
    const copy = new GatewayError(this.code, this.message, {
      ...(this.rule === undefined ? {} : { rule: this.rule }),
      ...(this.errors === undefined ? {} : { errors: this.errors }),
      ...(this.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: this.retryAfterSeconds }),
      ...(this.index === undefined ? {} : { index: this.index }),
      ...(this.cause === undefined ? {} : { cause: this.cause }),
      rejection,
    });
    if (this.stack !== undefined) copy.stack = this.stack;
    return copy;
  }
}

/**
 * An error as it crosses from a worker thread to the one that answers (a structured clone keeps
 * neither the class nor its fields): the crypto workers' (src/crypto/worker-pool.ts) and the store's
 * (src/store/store-thread.ts).
 */
export interface TransferredError {
  gateway: boolean;
  code?: ProblemCode;
  /** The class name of an error that is not a GatewayError (TypeError …), which the HTTP edge logs. */
  name?: string;
  message: string;
  rule?: string;
  retryAfterSeconds?: number;
  /** The message of the error's cause, when the sender says it may cross (see transferError). */
  cause?: string;
}

/**
 * `withCause`: the cause's message crosses too, for the operator's log. Only for a thread whose causes
 * hold no input of a partner (the store's: SQLite's and the file system's own messages); a crypto
 * worker's may quote the message it failed to parse.
 */
export function transferError(err: unknown, options: { withCause?: boolean } = {}): TransferredError {
  const cause = options.withCause === true && err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
  const because = cause === undefined ? {} : { cause };
  if (err instanceof GatewayError) {
    return {
      gateway: true,
      code: err.code,
      message: err.message,
      ...(err.rule === undefined ? {} : { rule: err.rule }),
      ...(err.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: err.retryAfterSeconds }),
      ...because,
    };
  }
  return { gateway: false, ...(err instanceof Error ? { name: err.name } : {}), message: err instanceof Error ? err.message : String(err), ...because };
}

/**
 * The error rebuilt on the receiving thread. A GatewayError stays one (its code decides the answer);
 * anything else is a failure the gateway did not foresee and comes back as the same kind of error
 * (name and message), so that the HTTP edge answers and logs it as unexpected, without its text
 * reaching a partner.
 */
export function reviveError(error: TransferredError): Error {
  const cause = error.cause === undefined ? undefined : new Error(error.cause);
  if (error.gateway && error.code !== undefined) {
    return new GatewayError(error.code, error.message, {
      ...(error.rule === undefined ? {} : { rule: error.rule }),
      ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
      ...(cause === undefined ? {} : { cause }),
    });
  }
  const unforeseen = new Error(error.message, cause === undefined ? undefined : { cause });
  if (error.name !== undefined) unforeseen.name = error.name;
  return unforeseen;
}

export function isGatewayError(err: unknown, code?: ProblemCode): err is GatewayError {
  return err instanceof GatewayError && (code === undefined || err.code === code);
}

/**
 * The error as a partner may see it. A partner-facing code is shown as it is, except `internal`,
 * whose detail explains a fault of the gateway to its operator; an operator-facing code becomes
 * `internal`. Both then carry the catalogue's message only, so no file, setting or state of the
 * gateway or of another partner reaches a partner.
 */
export function partnerFacing(error: GatewayError): GatewayError {
  if (error.audience === 'partner' && error.code !== 'internal') return error;
  return new GatewayError('internal', PROBLEM_CATALOGUE.internal.message);
}
