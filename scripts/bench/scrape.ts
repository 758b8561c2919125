/**
 * The gateway's own figures at the end of the load: GET /metrics with the operator's certificate
 * (docs/monitoring.md), so that the bench shows what Prometheus would see and checks that the
 * gateway counted every message the bench sent.
 */
import { requestGateway } from '../../src/client/gateway-client.js';
import { loadPartnerView } from '../../src/client/partner-view.js';
import { parseExposition, valueOf } from '../../test/fixtures/prometheus-text.js';
import { CERTS } from './gateway.js';
import type { StageTotals } from './load.js';

export interface GatewayFigures {
  accepted: number;
  outboxDepth: number | undefined;
  /** Mean seconds per stage, from the histograms' sums and counts. */
  meanStageSeconds: Record<string, number>;
}

const STAGES = ['tls_handshake', 'crypto_open', 'validation', 'crypto_seal', 'store', 'receipt', 'publish'];

async function metricsSamples(port: number): Promise<ReturnType<typeof parseExposition>> {
  const operator = await loadPartnerView({ dir: CERTS, id: 'operator' });
  const answer = await requestGateway({ baseUrl: `https://127.0.0.1:${port}`, tls: operator.tls, method: 'GET', path: '/metrics' });
  if (answer.status !== 200 || typeof answer.body !== 'string') throw new Error(`GET /metrics answered ${answer.status}`);
  return parseExposition(answer.body);
}

/** The stage histograms' sums and counts now, to break a phase down by difference (load.ts). */
export async function stageTotals(port: number): Promise<StageTotals> {
  const samples = await metricsSamples(port);
  return Object.fromEntries(
    STAGES.map((stage) => [stage, { sum: valueOf(samples, 'passerelle_stage_duration_seconds_sum', { stage }) ?? 0, count: valueOf(samples, 'passerelle_stage_duration_seconds_count', { stage }) ?? 0 }]),
  );
}

/** How many times each stage ran between two readings (new TLS connections: tls_handshake). */
export function stageCounts(before: StageTotals, after: StageTotals): Record<string, number> {
  return Object.fromEntries(STAGES.map((stage) => [stage, (after[stage]?.count ?? 0) - (before[stage]?.count ?? 0)]));
}

/** Mean milliseconds per stage between two readings; stages that did not run are left out. */
export function meanStageMs(before: StageTotals, after: StageTotals): Record<string, number> {
  const means: Record<string, number> = {};
  for (const stage of STAGES) {
    const count = (after[stage]?.count ?? 0) - (before[stage]?.count ?? 0);
    const sum = (after[stage]?.sum ?? 0) - (before[stage]?.sum ?? 0);
    if (count > 0) means[stage] = Math.round((sum / count) * 1e5) / 100;
  }
  return means;
}

export async function scrapeGateway(port: number): Promise<GatewayFigures> {
  const samples = await metricsSamples(port);
  const meanStageSeconds: Record<string, number> = {};
  for (const stage of STAGES) {
    const count = valueOf(samples, 'passerelle_stage_duration_seconds_count', { stage }) ?? 0;
    const sum = valueOf(samples, 'passerelle_stage_duration_seconds_sum', { stage }) ?? 0;
    if (count > 0) meanStageSeconds[stage] = Math.round((sum / count) * 1e6) / 1e6;
  }
  return {
    accepted: valueOf(samples, 'passerelle_http_requests_total', { route: '/v1/messages', method: 'POST', status: '202', code: 'none' }) ?? 0,
    outboxDepth: valueOf(samples, 'passerelle_outbox_depth'),
    meanStageSeconds,
  };
}
