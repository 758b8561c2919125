/**
 * The HTTP API of the interface contract (section 4) as an express application. TLS and client
 * certificates are the server's business (server.ts); this module sees an authenticated socket.
 */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GatewayError } from '../domain/errors.js';
import { IngestRejection, type Ingest } from '../app/ingest.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import type { Partner } from '../trust/partner.js';
import { readBoundedBody } from './body.js';
import { authenticatePartner } from './client-identity.js';
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
}

const MESSAGE_MEDIA_TYPES = ['application/pgp-encrypted', 'application/octet-stream'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function partnerOf(res: Response): Partner {
  return res.locals['partner'] as Partner;
}

export function createHttpApp(deps: HttpDependencies): express.Express {
  const { logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.locals['requestId'] = randomUUID();
    res.setHeader('X-Request-Id', res.locals['requestId'] as string);
    res.setHeader('Cache-Control', 'no-store');
    res.on('finish', () => {
      logger.info('request', {
        requestId: res.locals['requestId'] as string,
        method: req.method,
        path: req.route ? `${req.baseUrl}${req.route.path as string}` : '(unmatched)',
        status: res.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        ...(res.locals['partner'] ? { partner: partnerOf(res).id } : {}),
        ...(res.locals['messageId'] ? { messageId: res.locals['messageId'] as string } : {}),
        ...(res.locals['outcome'] ? { outcome: res.locals['outcome'] as string } : {}),
        ...(res.locals['code'] ? { code: res.locals['code'] as string } : {}),
      });
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'alive' });
  });

  app.get('/readyz', async (_req, res) => {
    let storeState = 'writable';
    try {
      await deps.store.checkWritable();
    } catch {
      storeState = 'unavailable';
    }
    const ready = storeState === 'writable';
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not-ready',
      store: storeState,
      broker: deps.brokerConnected() ? 'connected' : 'disconnected',
      outboxDepth: ready ? await deps.store.outboxDepth() : null,
    });
  });

  const v1 = express.Router();
  v1.use((req, res, next) => {
    const partner = authenticatePartner(req, deps.findPartner);
    res.locals['partner'] = partner;
    deps.rateLimiter.take(partner.id);
    next();
  });

  v1.post('/messages', async (req, res, next) => {
    const partner = partnerOf(res);
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
      const rejection = await deps.ingest.rejectAtEdge(error, partner);
      return next(rejection);
    }
    try {
      const result = await deps.ingest.submit(partner, body);
      res.locals['messageId'] = result.answer.messageId;
      res.locals['outcome'] = result.outcome;
      res.status(result.status).json(result.answer);
      if (result.outcome === 'accepted') deps.onAccepted();
    } catch (err) {
      next(err);
    }
  });

  v1.get('/messages/:messageId', async (req, res) => {
    const partner = partnerOf(res);
    const id = String(req.params['messageId']);
    const record = UUID.test(id) ? await deps.store.findMessage(id) : undefined;
    // Anyone else than the sender and the recipient learns nothing, not even that the id exists.
    if (!record || (record.sender !== partner.id && record.recipient !== partner.id)) {
      throw new GatewayError('not_found', 'No message with this id is visible to your organisation.');
    }
    res.locals['messageId'] = record.messageId;
    res.json({
      messageId: record.messageId,
      type: record.type,
      sender: record.sender,
      recipient: record.recipient,
      status: record.status,
      acceptedAt: record.acceptedAt,
      ...(record.queuedAt ? { queuedAt: record.queuedAt } : {}),
      ...(record.acknowledgedAt ? { acknowledgedAt: record.acknowledgedAt } : {}),
      ...(record.deadLetteredAt ? { deadLetteredAt: record.deadLetteredAt } : {}),
      ...(record.expiredAt ? { expiredAt: record.expiredAt } : {}),
    });
  });

  if (deps.auditRouter) v1.use('/audit', deps.auditRouter);
  for (const router of [deps.suggestionRouter, deps.statsRouter]) if (router) v1.use(router);
  v1.all('/messages', methodNotAllowed('POST'));
  v1.all('/messages/:messageId', methodNotAllowed('GET'));
  app.use('/v1', v1);

  app.use((_req, _res, next) => {
    next(new GatewayError('not_found', 'No such endpoint. See the interface documentation for the paths of the API.'));
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    let error: GatewayError;
    if (err instanceof IngestRejection) {
      error = err.error;
      if (err.context.messageId) res.locals['messageId'] = err.context.messageId;
    } else if (err instanceof GatewayError) {
      error = err;
    } else {
      error = edgeError(err, deps.maxBodyBytes) ?? new GatewayError('internal', 'The gateway failed to process the request; nothing was accepted. Retry later, and tell the operator if it persists.');
      if (error.code === 'internal') logger.error('unexpected error', { requestId: res.locals['requestId'] as string, reason: (err as Error)?.name ?? 'unknown' });
    }
    res.locals['outcome'] = 'rejected';
    res.locals['code'] = error.code;
    if (res.headersSent) return;
    sendProblem(res, error);
  });

  return app;
}

function methodNotAllowed(allowed: string) {
  return (_req: Request, res: Response) => {
    res.setHeader('Allow', allowed);
    sendProblem(res, new GatewayError('method_not_allowed', `Use ${allowed} on this path.`));
  };
}

/** Errors raised by express's body reader, translated to the contract's codes. */
function edgeError(err: unknown, maxBodyBytes: number): GatewayError | undefined {
  if (err instanceof GatewayError) return err;
  const type = (err as { type?: string } | undefined)?.type;
  if (type === 'entity.too.large') {
    return new GatewayError('payload_too_large', `The request body exceeds ${maxBodyBytes} bytes. Large attachments are not part of the exchange.`);
  }
  if (type === 'encoding.unsupported') {
    return new GatewayError('unsupported_media_type', 'Content-Encoding is not accepted: send the OpenPGP message as it is (OpenPGP compresses by itself).');
  }
  if (type === 'request.aborted' || type === 'request.size.invalid' || type === 'entity.verify.failed') {
    return new GatewayError('malformed_message', 'The request body was incomplete. Send it again.');
  }
  return undefined;
}
