/**
 * The HTTP API of docs/interface.md (section 4): an express application, with POST /v1/messages
 * served before it (src/http/message-route.ts). TLS and client certificates are the server's business
 * (server.ts); this module sees an authenticated socket.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GatewayError } from '../domain/errors.js';
import type { Ingest } from '../app/ingest.js';
import type { Logger } from '../log/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Observer } from '../observability/observer.js';
import type { OperatorSnapshot } from '../observability/operator-status.js';
import type { PeerCertificates } from '../observability/peer-certificates.js';
import type { Store } from '../store/port.js';
import type { Partner } from '../domain/partner.js';
import { admit } from './admission.js';
import { callerOf, permit, visibleMessage } from './authorization.js';
import { messageAnswer } from './message-answer.js';
import { authenticatePartner, presentsCertificate } from './client-identity.js';
import { errorAnswer } from './error-answer.js';
import { serveDocument, type InterfaceDocuments } from './interface-documents.js';
import { messageRoute, receiveMessage } from './message-route.js';
import { sendProblem } from './problem.js';
import type { RateLimiter } from './rate-limit.js';
import { startRequest } from './request-log.js';

export interface HttpDependencies {
  ingest: Ingest;
  store: Store;
  findPartner: (id: string) => Partner | undefined;
  logger: Logger;
  maxBodyBytes: number;
  rateLimiter: RateLimiter;
  brokerConnected: () => boolean;
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The API as the request listener of the HTTPS server (src/http/server.ts). */
export type HttpApp = (req: IncomingMessage, res: ServerResponse) => void;

export function createHttpApp(deps: HttpDependencies): HttpApp {
  const app = expressApp(deps);
  const messages = messageRoute(deps);
  return (req, res) => {
    if (!messages(req, res)) app(req, res);
  };
}

function expressApp(deps: HttpDependencies): express.Express {
  const operatorStatus =
    deps.operatorStatus ??
    (() => Promise.reject(new GatewayError('internal', 'This application was built without the operator status (a defect of its composition).')));
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req: Request, res: Response, next: NextFunction) => {
    startRequest(req, res, res.locals, () => routeOf(req), deps);
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
    admit(req, res.locals, identify(req), deps);
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

  // The requests src/http/message-route.ts leaves to express (a query string, no certificate, another
  // spelling of the path). A refused sender is recorded in the audit log like every refusal of an
  // authenticated partner.
  v1.post('/messages', permit('message.send', (refusal, partner) => deps.ingest.rejectAtEdge(refusal, partner)), (req, res) =>
    receiveMessage(req, res, res.locals, callerOf(res), deps),
  );

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
    const error = errorAnswer(err, res.locals, deps);
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
