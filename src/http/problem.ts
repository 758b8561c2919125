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

export function sendProblem(res: Response, error: GatewayError): void {
  const requestId = res.locals['requestId'] as string | undefined;
  if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  else if (error.code === 'rate_limited' || error.code === 'unavailable') res.setHeader('Retry-After', '5');
  res.status(error.status).type('application/problem+json').send(JSON.stringify(problemBody(error, requestId)));
}
