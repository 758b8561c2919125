/** RFC 9457 problem details, the one shape of every error the API answers. */
import type { Response } from 'express';
import { GatewayError } from '../domain/errors.js';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  rule?: string;
  errors?: Array<{ pointer: string; message: string }>;
  requestId?: string;
}

export function problemBody(error: GatewayError, requestId: string | undefined): ProblemBody {
  return {
    type: `/problems/${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(error.rule === undefined ? {} : { rule: error.rule }),
    ...(error.errors === undefined ? {} : { errors: error.errors }),
    ...(requestId === undefined ? {} : { requestId }),
  };
}

/** Largest unread request body drained to keep a connection alive after an error. */
const UNREAD_BODY_DRAIN_BYTES = 64 * 1024;

export function sendProblem(res: Response, error: GatewayError): void {
  const requestId = res.locals['requestId'] as string | undefined;
  if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  else if (error.code === 'rate_limited' || error.code === 'unavailable') res.setHeader('Retry-After', '5');
  // A request body not read to its end (refused before or while reading it) would be read and
  // discarded by Node before the connection serves another request: cheap for a few bytes, not for an
  // oversized, chunked or large one, whose connection closes after this answer instead.
  const { complete, headers } = res.req;
  const largeOrEndless = headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > UNREAD_BODY_DRAIN_BYTES;
  if (error.code === 'payload_too_large' || (!complete && largeOrEndless)) res.setHeader('Connection', 'close');
  res.status(error.status).type('application/problem+json').send(JSON.stringify(problemBody(error, requestId)));
}
