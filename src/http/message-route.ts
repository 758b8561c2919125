/**
 * POST /v1/messages, the route every message comes through, served before express: the per-request
 * work express adds (its request and response objects, a router walk over every /v1 layer, promise
 * chains between middleware) costs more than the rest of the HTTP layer on this route. The steps are
 * those of the express route, in the same order and through the same functions (authentication,
 * admission, authorisation, the bounded body, the error answer, the request log line), so that a
 * client and an operator see the same answers, log lines, metrics and traces from both.
 *
 * Only `POST /v1/messages` exactly, from a client that presented a certificate, takes this path;
 * everything else (a query string, another spelling of the path, another method, a console session)
 * goes to express, which serves the same route with `receiveMessage` below.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import type { Ingest } from '../app/ingest.js';
import { GatewayError } from '../domain/errors.js';
import type { Partner } from '../domain/partner.js';
import type { Observer, RequestObservation } from '../observability/observer.js';
import { UNOBSERVED } from '../observability/stages.js';
import { receivedTraceContext } from '../observability/trace-context.js';
import { admit, type AdmissionDependencies } from './admission.js';
import { permitted } from './authorization.js';
import { readBoundedBody } from './body.js';
import { authenticatePartner, presentsCertificate } from './client-identity.js';
import { edgeError, errorAnswer } from './error-answer.js';
import { writeProblem } from './problem.js';
import { writeJson } from './raw-answer.js';
import { startRequest, type RequestLogDependencies, type RequestNotes } from './request-log.js';

export const MESSAGES_ROUTE = '/v1/messages';
const MESSAGE_MEDIA_TYPES = ['application/pgp-encrypted', 'application/octet-stream'];

export interface MessageRouteDependencies extends RequestLogDependencies, AdmissionDependencies {
  ingest: Pick<Ingest, 'submit' | 'rejectAtEdge'>;
  findPartner: (id: string) => Partner | undefined;
  maxBodyBytes: number;
  observability?: (NonNullable<RequestLogDependencies['observability']> & NonNullable<AdmissionDependencies['observability']> & { observer: Pick<Observer, 'beginMessage'> }) | undefined;
}

/** express's req.is, whose media-type matching (parameters, case, a request without a body) the route keeps. */
const requestIs = express.request.is as (this: IncomingMessage, types: string[]) => string | false | null;

/**
 * The message of an authenticated, admitted and permitted partner: its body read under the limit,
 * given to Ingest, answered. Refusals of the edge (media type, size, an incomplete body) are audited
 * through Ingest and thrown, as every other failure, to the caller's error answer.
 */
export async function receiveMessage(req: IncomingMessage, res: ServerResponse, notes: RequestNotes, partner: Partner, deps: MessageRouteDependencies): Promise<void> {
  let body: Buffer;
  try {
    if (!requestIs.call(req, MESSAGE_MEDIA_TYPES)) {
      throw new GatewayError('unsupported_media_type', 'Send the OpenPGP message as application/pgp-encrypted (armored) or application/octet-stream (binary).');
    }
    // Not express.raw: it reads an oversized body to its end before refusing it (src/http/body.ts).
    body = await readBoundedBody(req, deps.maxBodyBytes);
  } catch (err) {
    const error = edgeError(err, deps.maxBodyBytes);
    if (!error) throw err;
    throw await deps.ingest.rejectAtEdge(error, partner);
  }
  // W3C Trace Context (https://www.w3.org/TR/trace-context/): the partner's trace continues into the
  // gateway's spans and, through the outbox, into the AMQP headers of the delivery.
  const received = receivedTraceContext(req.headers['traceparent'], req.headers['tracestate']);
  const observation: RequestObservation = deps.observability?.observer.beginMessage(received, partner.id) ?? { ...UNOBSERVED, traceContext: () => received, end: () => undefined };
  res.on('finish', () => observation.end({ status: res.statusCode, code: notes['code'] as string | undefined }));
  const result = await deps.ingest.submit(partner, body, observation);
  notes['messageId'] = result.answer.messageId;
  notes['outcome'] = result.outcome;
  writeJson(res, result.status, result.answer);
}

/** The route before express: serves the request and returns true, or returns false for express to serve it. */
export function messageRoute(deps: MessageRouteDependencies): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== 'POST' || req.url !== MESSAGES_ROUTE || !presentsCertificate(req)) return false;
    // Express names a request refused before its route (authentication, rate limit) '(unmatched)'.
    const notes: RequestNotes = { route: '(unmatched)' };
    startRequest(req, res, notes, () => MESSAGES_ROUTE, deps);
    // serve() answers every failure itself; should the answer itself fail, the connection ends, not the process.
    serve(req, res, notes, deps).catch(() => res.destroy());
    return true;
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, notes: RequestNotes, deps: MessageRouteDependencies): Promise<void> {
  try {
    const partner = authenticatePartner(req, deps.findPartner);
    admit(req, notes, partner, deps);
    notes['route'] = MESSAGES_ROUTE;
    // A refused sender is recorded in the audit log like every refusal of an authenticated partner.
    await permitted(partner, 'message.send', (refusal, refused) => deps.ingest.rejectAtEdge(refusal, refused));
    await receiveMessage(req, res, notes, partner, deps);
  } catch (err) {
    const error = errorAnswer(err, notes, deps);
    if (!res.headersSent) writeProblem(res, error, notes['requestId'] as string);
  }
}
