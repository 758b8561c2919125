/**
 * GET /v1/stats: the steering committee's statistics (src/stats/report.ts), for the statistics and
 * auditor roles only (src/http/authorization.ts); agencies get 403. JSON by default, CSV with
 * `Accept: text/csv` or `?format=csv` (`?format=json` forces JSON whatever Accept says).
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { GatewayError } from '../domain/errors.js';
import { statisticsCsv } from '../stats/csv.js';
import type { StoredFact } from '../stats/facts.js';
import { buildStatistics } from '../stats/report.js';
import type { Partner } from '../domain/partner.js';
import { permit } from './authorization.js';

export interface StatsRouterDependencies {
  facts: () => Promise<StoredFact[]>;
  /** Every registered partner, in registry order (recipients and message types to show). */
  partners: () => Iterable<Partner>;
  now: () => Date;
}

function format(req: Request): 'json' | 'csv' {
  const asked = req.query['format'];
  if (asked === undefined) return req.accepts(['application/json', 'text/csv']) === 'text/csv' ? 'csv' : 'json';
  if (asked === 'json' || asked === 'csv') return asked;
  throw new GatewayError('bad_request', 'format must be given once, as json or csv.');
}

export function createStatsRouter(deps: StatsRouterDependencies): express.Router {
  const router = express.Router();

  router.get('/stats', permit('stats.read'), async (req: Request, res: Response, next: NextFunction) => {
    try {
      const as = format(req);
      const partners = [...deps.partners()];
      const report = buildStatistics(await deps.facts(), {
        generatedAt: deps.now().toISOString(),
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
