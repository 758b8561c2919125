/**
 * RFC 9457 problem details, the one shape of every error the API answers, and the one writer of them:
 * every answer goes through `problemBody`, which shows a partner only what `partnerFacing` lets it see
 * (src/domain/errors.ts).
 */
import type { ServerResponse } from 'node:http';
import type { Response } from 'express';
import { partnerFacing, type GatewayError } from '../domain/errors.js';
import { writeText } from './raw-answer.js';

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
  const shown = partnerFacing(error);
  return {
    type: `/problems/${shown.code}`,
    title: shown.title,
    status: shown.status,
    detail: shown.message,
    code: shown.code,
    ...(shown.rule === undefined ? {} : { rule: shown.rule }),
    ...(shown.errors === undefined ? {} : { errors: shown.errors }),
    ...(requestId === undefined ? {} : { requestId }),
  };
}

/** Largest unread request body drained to keep a connection alive after an error. */
const UNREAD_BODY_DRAIN_BYTES = 64 * 1024;

/** Answers `error` as problem+json. The caller logs the error itself: the answer may hide its code. */
export function sendProblem(res: Response, error: GatewayError): void {
  const { status, text } = prepareProblem(res, error, res.locals['requestId'] as string | undefined);
  res.status(status).type('application/problem+json').send(text);
}

/** sendProblem on node's own response, for the route served without express (src/http/message-route.ts). */
export function writeProblem(res: ServerResponse, error: GatewayError, requestId: string): void {
  const { status, text } = prepareProblem(res, error, requestId);
  writeText(res, status, 'application/problem+json', text);
}

/** Sets the headers the problem calls for, and returns its status and body. */
function prepareProblem(res: ServerResponse, error: GatewayError, requestId: string | undefined): { status: number; text: string } {
  const body = problemBody(error, requestId);
  const shown = partnerFacing(error);
  if (shown.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(shown.retryAfterSeconds));
  else if (shown.code === 'rate_limited' || shown.code === 'unavailable') res.setHeader('Retry-After', '5');
  // A request body not read to its end (refused before or while reading it) would be read and
  // discarded by Node before the connection serves another request: cheap for a few bytes, not for an
  // oversized, chunked or large one, whose connection closes after this answer instead.
  const { complete, headers } = res.req;
  const largeOrEndless = headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > UNREAD_BODY_DRAIN_BYTES;
  if (shown.code === 'payload_too_large' || (!complete && largeOrEndless)) res.setHeader('Connection', 'close');
  return { status: body.status, text: JSON.stringify(body) };
}
