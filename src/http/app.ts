/**
 * The HTTP API of docs/interface.md (section 4) as an express application. TLS and client
 * certificates are the server's business (server.ts); this module sees an authenticated socket.
 */
import { randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GatewayError, partnerFacing } from '../domain/errors.js';
import type { Ingest } from '../app/ingest.js';
import type { Logger } from '../log/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Observer, RequestObservation } from '../observability/observer.js';
import type { OperatorSnapshot } from '../observability/operator-status.js';
import type { PeerCertificates } from '../observability/peer-certificates.js';
import { UNOBSERVED } from '../observability/stages.js';
import { receivedTraceContext } from '../observability/trace-context.js';
import type { Store } from '../store/port.js';
import type { Partner } from '../domain/partner.js';
import { callerOf, permit, visibleMessage } from './authorization.js';
import { readBoundedBody } from './body.js';
import { messageAnswer } from './message-answer.js';
import { authenticatePartner, presentsCertificate } from './client-identity.js';
import { serveDocument, type InterfaceDocuments } from './interface-documents.js';
import { sendProblem } from './problem.js';
import type { RateLimiter } from './rate-limit.js';

export interface HttpDependencies {
  ingest: Ingest;
  store: Store;
  findPartner: (id: string) => Partner | undefined;
  logger: Logger;
  maxBodyBytes: number;
  rateLimiter: RateLimiter;
  brokerConnected: () => boolean;
  /** Called after a message was accepted, so the relay publishes it without waiting for its next poll. */
  onAccepted: () => void;
  /** The audit log endpoints (src/http/audit-routes.ts), mounted at /v1/audit behind authentication. */
  auditRouter?: express.Router;
  /** POST /v1/orientation/suggestions and GET /v1/stats (src/http/suggestion-routes.ts, stats-routes.ts). */
  suggestionRouter?: express.Router;
  statsRouter?: express.Router;
  /** GET /v1/withdrawals (src/http/withdrawal-routes.ts). */
  withdrawalsRouter?: express.Router;
  /** GET /v1/partners/{id}/openpgp-key (src/http/partner-key-routes.ts). */
  partnerKeyRouter?: express.Router;
  /** GET /openapi.json and /asyncapi.json, without a certificate (src/http/interface-documents.ts). */
  interfaceDocuments?: InterfaceDocuments;
  /**
   * The gateway's state for GET /v1/operator/status and /metrics (src/observability/operator-status.ts);
   * the gateway always gives it, tests of other routes may not (the route then answers 500).
   */
  operatorStatus?: () => Promise<OperatorSnapshot>;
  /** Metrics (GET /metrics), tracing of POST /v1/messages, the certificates partners present; absent in tests of the HTTP layer alone. */
  observability?: { metrics: GatewayMetrics; observer: Observer; peers: PeerCertificates };
  /** GET /v1/messages/{id}/timeline (src/http/timeline-routes.ts). */
  timelineRouter?: express.Router;
  /** POST /v1/beneficiary-lookups and GET /v1/beneficiary-lookups/summary (src/http/lookup-routes.ts). */
  lookupRouter?: express.Router;
  /** The web console (src/console), mounted at /console. */
  consoleRouter?: express.Router;
  /**
   * The partner a person's console session acts for (src/console/session.ts), asked only when the
   * request came without a client certificate; undefined without a valid session.
   */
  sessionPartner?: (req: Request) => Partner | undefined;
}

const MESSAGE_MEDIA_TYPES = ['application/pgp-encrypted', 'application/octet-stream'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function createHttpApp(deps: HttpDependencies): express.Express {
  const { logger } = deps;
  const operatorStatus =
    deps.operatorStatus ??
    (() => Promise.reject(new GatewayError('internal', 'This application was built without the operator status (a defect of its composition).')));
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.locals['requestId'] = randomUUID();
    res.setHeader('X-Request-Id', res.locals['requestId'] as string);
    res.setHeader('Cache-Control', 'no-store');
    res.on('finish', () => {
      const route = (res.locals['route'] as string | undefined) ?? routeOf(req);
      deps.observability?.metrics.request({ route, method: req.method, status: res.statusCode, code: res.locals['code'] as string | undefined, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
      logger.info('request', {
        requestId: res.locals['requestId'] as string,
        method: req.method,
        path: route,
        status: res.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        ...(res.locals['partner'] ? { partner: (res.locals['partner'] as Partner).id } : {}),
        ...(res.locals['messageId'] ? { messageId: res.locals['messageId'] as string } : {}),
        ...(res.locals['auditIndex'] !== undefined ? { auditIndex: res.locals['auditIndex'] as number } : {}),
        ...(res.locals['outcome'] ? { outcome: res.locals['outcome'] as string } : {}),
        ...(res.locals['code'] ? { code: res.locals['code'] as string } : {}),
      });
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'alive' });
  });

  // Ready means the store can take a write (keys and registry are loaded before the server listens).
  // Anyone may ask, without a certificate: the answer is ready or not, nothing of the gateway's state
  // (docs/interface.md, section 4); the details are GET /v1/operator/status.
  app.get('/readyz', async (_req, res) => {
    const ready = await storeWritable(deps.store);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not-ready' });
  });

  for (const [documentPath, build] of Object.entries(deps.interfaceDocuments ?? {})) {
    app.get(documentPath, serveDocument(build));
    app.all(documentPath, methodNotAllowed('GET'));
  }

  const authenticatedBy = (identify: (req: Request) => Partner) => (req: Request, res: Response, next: NextFunction) => {
    const partner = identify(req);
    res.locals['partner'] = partner;
    const machine = presentsCertificate(req);
    if (machine) deps.observability?.peers.record(partner.id, req.socket as TLSSocket);
    // People reading through a console session have a bucket of their own, so that browsing the log
    // never throttles the partner's machines sending messages.
    deps.rateLimiter.take(machine ? partner.id : `${partner.id} (console)`);
    next();
  };

  // Prometheus metrics, for the operator role only, on this listener: Prometheus scrapes with the
  // operator's client certificate (docs/monitoring.md). The figures are those of the operator status.
  if (deps.observability) {
    const { metrics } = deps.observability;
    app.get('/metrics', authenticatedBy((req) => authenticatePartner(req, deps.findPartner)), permit('operator.status'), async (_req, res) => {
      const text = await metrics.exposition(await operatorStatus());
      res.type(metrics.contentType).send(text);
    });
    app.all('/metrics', methodNotAllowed('GET'));
  }

  const v1 = express.Router();
  // A console session reads the API as the partner it acts for (src/console/session.ts); /metrics above takes certificates only.
  v1.use(authenticatedBy((req) => callerOfRequest(req, deps)));

  // A refused sender is recorded in the audit log like every refusal of an authenticated partner.
  v1.post('/messages', permit('message.send', (refusal, partner) => deps.ingest.rejectAtEdge(refusal, partner)), async (req, res, next) => {
    const partner = callerOf(res);
    let body: Buffer;
    try {
      if (!req.is(MESSAGE_MEDIA_TYPES)) {
        throw new GatewayError('unsupported_media_type', 'Send the OpenPGP message as application/pgp-encrypted (armored) or application/octet-stream (binary).');
      }
      // Not express.raw: it reads an oversized body to its end before refusing it (src/http/body.ts).
      body = await readBoundedBody(req, deps.maxBodyBytes);
    } catch (err) {
      const error = edgeError(err, deps.maxBodyBytes);
      if (!error) return next(err);
      return next(await deps.ingest.rejectAtEdge(error, partner));
    }
    // W3C Trace Context (https://www.w3.org/TR/trace-context/): the partner's trace continues into the
    // gateway's spans and, through the outbox, into the AMQP headers of the delivery.
    const received = receivedTraceContext(req.headers['traceparent'], req.headers['tracestate']);
    const observation: RequestObservation = deps.observability?.observer.beginMessage(received, partner.id) ?? { ...UNOBSERVED, traceContext: () => received, end: () => undefined };
    res.on('finish', () => observation.end({ status: res.statusCode, code: res.locals['code'] as string | undefined }));
    try {
      const result = await deps.ingest.submit(partner, body, observation);
      res.locals['messageId'] = result.answer.messageId;
      res.locals['outcome'] = result.outcome;
      res.status(result.status).json(result.answer);
      if (result.outcome === 'accepted') deps.onAccepted();
    } catch (err) {
      next(err);
    }
  });

  v1.get('/messages/:messageId', permit('message.read'), async (req, res) => {
    const id = String(req.params['messageId']);
    const record = visibleMessage(callerOf(res), UUID.test(id) ? await deps.store.findMessage(id) : undefined);
    res.locals['messageId'] = record.messageId;
    res.json(messageAnswer(record));
  });

  // What /readyz decides, and why: the broker may be away while the gateway is ready (messages wait in
  // the outbox, whose depth says how many).
  v1.get('/operator/status', permit('operator.status'), async (_req, res) => {
    const snapshot = await operatorStatus();
    res.status(snapshot.status === 'ready' ? 200 : 503).json(snapshot);
  });

  if (deps.auditRouter) v1.use('/audit', deps.auditRouter);
  for (const router of [deps.suggestionRouter, deps.statsRouter, deps.withdrawalsRouter, deps.partnerKeyRouter, deps.timelineRouter, deps.lookupRouter]) if (router) v1.use(router);
  v1.all('/messages', methodNotAllowed('POST'));
  v1.all('/messages/:messageId', methodNotAllowed('GET'));
  v1.all('/operator/status', methodNotAllowed('GET'));
  // Express restores req.baseUrl once an error leaves the router: the route is taken here, before.
  v1.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    res.locals['route'] = routeOf(req);
    next(err);
  });
  app.use('/v1', v1);
  if (deps.consoleRouter) app.use('/console', deps.consoleRouter);

  app.use((_req, _res, next) => {
    next(new GatewayError('not_found', 'No such endpoint. The paths of the API are in /openapi.json and in docs/interface.md of the repository.'));
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const requestId = res.locals['requestId'] as string;
    let error: GatewayError;
    if (err instanceof GatewayError) {
      error = err;
      // What a partner is not shown stays in the gateway's log (src/domain/errors.ts, partnerFacing).
      if (partnerFacing(error) !== error) logger.error('fault answered as internal', { requestId, code: error.code, reason: error.message });
    } else {
      error = edgeError(err, deps.maxBodyBytes) ?? new GatewayError('internal', 'An unexpected error ended the request; nothing was accepted.');
      if (error.code === 'internal') logger.error('unexpected error', { requestId, reason: (err as Error)?.name ?? 'unknown' });
    }
    if (error.rejection?.messageId) res.locals['messageId'] = error.rejection.messageId;
    if (error.rejection?.auditIndex !== undefined) res.locals['auditIndex'] = error.rejection.auditIndex;
    res.locals['outcome'] = 'rejected';
    res.locals['code'] = error.code;
    if (res.headersSent) return;
    sendProblem(res, error);
  });

  return app;
}

/** Methods a console session may use: the console only reads (machines write, with their certificate). */
const SESSION_METHODS = new Set(['GET', 'HEAD']);

/**
 * The partner of a /v1 request: its client certificate, or, without one, the partner a person's
 * console session acts for, on reading requests only.
 */
function callerOfRequest(req: Request, deps: Pick<HttpDependencies, 'findPartner' | 'sessionPartner'>): Partner {
  if (!presentsCertificate(req) && deps.sessionPartner) {
    const partner = deps.sessionPartner(req);
    if (partner) {
      if (!SESSION_METHODS.has(req.method)) {
        throw new GatewayError('unauthenticated', 'A console session only reads: machines must use the client certificate issued to their organisation to change anything.');
      }
      return partner;
    }
  }
  return authenticatePartner(req, deps.findPartner);
}

/** Whether the store takes a write now (the probe commits one: src/store, checkWritable). */
async function storeWritable(store: Pick<Store, 'checkWritable'>): Promise<boolean> {
  try {
    await store.checkWritable();
    return true;
  } catch {
    return false;
  }
}

function methodNotAllowed(allowed: string) {
  return (_req: Request, res: Response) => {
    res.setHeader('Allow', allowed);
    sendProblem(res, new GatewayError('method_not_allowed', `Use ${allowed} on this path.`));
  };
}

/** The route template a request matched (never the path as sent, which may hold identifiers). */
function routeOf(req: Request): string {
  return req.route ? `${req.baseUrl}${req.route.path as string}` : '(unmatched)';
}

/** Errors raised by express's body reader and router, translated to the contract's codes. */
function edgeError(err: unknown, maxBodyBytes: number): GatewayError | undefined {
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
