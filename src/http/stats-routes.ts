/**
 * GET /v1/stats: the steering committee's statistics (src/stats/report.ts), for the statistics and
 * auditor roles only (src/http/authorization.ts); agencies get 403. JSON by default, CSV with
 * `Accept: text/csv` or `?format=csv` (`?format=json` forces JSON whatever Accept says).
 *
 * The report is computed off the main thread and kept for a while (src/stats/service), and each role
 * has a rate of its own here, apart from the per-partner rate of every /v1 request: the statistics
 * role and the auditor cannot use up each other's, nor that of the messages.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { GatewayError } from '../domain/errors.js';
import { statisticsCsv } from '../stats/csv.js';
import { StatisticsService, type ComputeReport, type ReadFacts } from '../stats/service/statistics-service.js';
import type { Partner } from '../domain/partner.js';
import { callerOf, permit } from './authorization.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';

/**
 * Requests per role: a person or a dashboard reads the figures a few times an hour, and a burst of
 * refreshes is served from the kept report; what goes beyond this is a client looping.
 */
export const STATS_RATE_LIMIT: RateLimitOptions = Object.freeze({ perMinute: 30, burst: 15 });

export interface StatsRouterDependencies {
  facts: ReadFacts;
  /** Every registered partner, in registry order (recipients and message types to show). */
  partners: () => Iterable<Partner>;
  now: () => Date;
  /** Requests per minute and burst of each role; STATS_RATE_LIMIT by default. */
  rateLimit?: RateLimitOptions;
  /** Seconds a computed report is served; src/stats/service's REFRESH_SECONDS by default. */
  refreshSeconds?: number;
  /** Where the report is computed; a worker thread by default. */
  compute?: ComputeReport;
}

function format(req: Request): 'json' | 'csv' {
  const asked = req.query['format'];
  if (asked === undefined) return req.accepts(['application/json', 'text/csv']) === 'text/csv' ? 'csv' : 'json';
  if (asked === 'json' || asked === 'csv') return asked;
  throw new GatewayError('bad_request', 'format must be given once, as json or csv.');
}

export function createStatsRouter(deps: StatsRouterDependencies): express.Router {
  const router = express.Router();
  const rate = deps.rateLimit ?? STATS_RATE_LIMIT;
  const perRole = new RateLimiter({ ...rate, now: () => deps.now().getTime() });
  const statistics = new StatisticsService({
    facts: deps.facts,
    now: deps.now,
    ...(deps.refreshSeconds === undefined ? {} : { refreshSeconds: deps.refreshSeconds }),
    ...(deps.compute === undefined ? {} : { compute: deps.compute }),
  });

  router.get('/stats', permit('stats.read'), async (req: Request, res: Response, next: NextFunction) => {
    try {
      const { role } = callerOf(res);
      try {
        perRole.take(role);
      } catch (err) {
        if (!(err instanceof GatewayError) || err.code !== 'rate_limited') throw err;
        const wait = err.retryAfterSeconds ?? 1;
        throw new GatewayError('rate_limited', `The ${role} role asked for the statistics more than ${rate.perMinute} times a minute. Retry in ${wait} s; the figures change at most every few minutes.`, { retryAfterSeconds: wait });
      }
      const as = format(req);
      const partners = [...deps.partners()];
      const report = await statistics.report({
        recipients: partners.filter((p) => p.receives.includes('orientation')).map((p) => p.id),
        messageTypes: [...new Set(partners.flatMap((p) => p.sends))],
      });
      res.vary('Accept');
      if (as === 'csv') res.type('text/csv; charset=utf-8').send(statisticsCsv(report));
      else res.json(report);
    } catch (err) {
      next(err);
    }
  });

  router.all('/stats', (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Allow', 'GET');
    next(new GatewayError('method_not_allowed', 'Use GET on this path.'));
  });

  return router;
}
