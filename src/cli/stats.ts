/**
 * `passerelle stats --as PARTNER [--format text|csv|json]`: the steering committee's statistics, as
 * the gateway publishes them (already under disclosure control), printed as grids (text, the
 * default), CSV or JSON. PARTNER is a partner with the statistics or auditor role.
 */
import { requestGateway } from '../client/gateway-client.js';
import { loadPartnerView } from '../client/partner-view.js';
import type { Settings } from '../config/settings.js';
import type { StatisticsReport } from '../stats/report.js';
import { statisticsText } from '../stats/text.js';
import { EXIT } from './exit-codes.js';
import { connectionHint, describeProblem, gatewayUrl } from './send.js';

export type StatsFormat = 'text' | 'csv' | 'json';

export async function runStats(opts: { settings: Settings; as: string; format: StatsFormat; gateway: string | undefined }): Promise<number> {
  const baseUrl = gatewayUrl(opts.settings, opts.gateway);
  const view = await loadPartnerView({ dir: opts.settings.certsDir, id: opts.as });
  const path = `/v1/stats?format=${opts.format === 'csv' ? 'csv' : 'json'}`;
  const answer = await connectionHint(baseUrl, () => requestGateway({ baseUrl, tls: view.tls, method: 'GET', path }));
  if (answer.status !== 200) {
    process.stderr.write(`passerelle: ${describeProblem(answer)}\n`);
    return EXIT.failure;
  }
  if (opts.format === 'csv') process.stdout.write(String(answer.body));
  else if (opts.format === 'json') process.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
  else process.stdout.write(statisticsText(answer.body as StatisticsReport));
  return EXIT.ok;
}
