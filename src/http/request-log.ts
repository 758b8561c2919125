/**
 * What every request gets on the way in and leaves on the way out, whichever path serves it (express,
 * or src/http/message-route.ts): an X-Request-Id, Cache-Control: no-store, and once answered one
 * `request` log line and the request metrics, with what the request noted of itself as it went.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Partner } from '../domain/partner.js';
import type { Logger } from '../log/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';

/**
 * What a request notes of itself for its log line: the request id, the route template (when not the
 * one the router matched), the partner, the message id, the audit index, the outcome and the problem
 * code. Express's res.locals on the express path.
 */
export type RequestNotes = Record<string, unknown>;

export interface RequestLogDependencies {
  logger: Logger;
  observability?: { metrics: Pick<GatewayMetrics, 'request'> } | undefined;
}

/** @param routeOf the route template the request matched, when it did not note one. */
export function startRequest(req: IncomingMessage, res: ServerResponse, notes: RequestNotes, routeOf: () => string, deps: RequestLogDependencies): void {
  const started = process.hrtime.bigint();
  const requestId = randomUUID();
  notes['requestId'] = requestId;
  res.setHeader('X-Request-Id', requestId);
  res.setHeader('Cache-Control', 'no-store');
  res.on('finish', () => {
    const route = (notes['route'] as string | undefined) ?? routeOf();
    deps.observability?.metrics.request({ route, method: req.method ?? '', status: res.statusCode, code: notes['code'] as string | undefined, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    deps.logger.info('request', {
      requestId,
      method: req.method,
      path: route,
      status: res.statusCode,
      durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
      ...(notes['partner'] ? { partner: (notes['partner'] as Partner).id } : {}),
      ...(notes['messageId'] ? { messageId: notes['messageId'] as string } : {}),
      ...(notes['auditIndex'] !== undefined ? { auditIndex: notes['auditIndex'] as number } : {}),
      ...(notes['outcome'] ? { outcome: notes['outcome'] as string } : {}),
      ...(notes['code'] ? { code: notes['code'] as string } : {}),
    });
  });
}
