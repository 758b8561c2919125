/**
 * deploy/prometheus and deploy/grafana against the gateway: promtool accepts the alert rules and
 * their unit tests pass (promtool is Debian's package prometheus, installed by .ci/run), and every
 * metric the rules and the dashboard query is one the gateway exports (src/observability/metrics.ts).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { GatewayMetrics } from '../../src/observability/metrics.js';
import { PROJECT_ROOT } from '../fixtures/gateway.js';

const run = promisify(execFile);
const PROMETHEUS = path.join(PROJECT_ROOT, 'deploy', 'prometheus');
const DASHBOARD = path.join(PROJECT_ROOT, 'deploy', 'grafana', 'passerelle.json');

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: PROMETHEUS });
    return stdout + stderr;
  } catch (err) {
    const failure = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (failure.code === 'ENOENT') throw new Error('promtool is not installed: install the Debian package prometheus (.ci/run does).');
    throw new Error(`promtool ${args.join(' ')} failed:\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
  }
}

/** The metric names a PromQL expression reads: identifiers outside strings, label matchers and function calls. */
export function metricsOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = new Set<string>();
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    // A function call (sum, rate, histogram_quantile, time) or an operator keyword is not a metric.
    if (/^\s*\(/.test(bare.slice(match.index + name.length))) continue;
    if (/^(and|or|unless|offset|bool|inf|nan)$/i.test(name)) continue;
    names.add(name);
  }
  return [...names];
}

/** What the gateway exports: every metric of its registry, with the series names of its histograms. */
async function exported(): Promise<Set<string>> {
  const metrics = new GatewayMetrics();
  const names = new Set<string>(['up']);
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

function ruleExpressions(): string[] {
  // A small reader of alerts.yml's `expr:` entries (plain or block scalars), enough for this file.
  const lines = fs.readFileSync(path.join(PROMETHEUS, 'alerts.yml'), 'utf8').split('\n');
  const exprs: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const match = /^(\s*)expr:\s*(.*)$/.exec(lines[i]!);
    if (!match) continue;
    if (match[2] !== '|') {
      exprs.push(match[2]!);
      continue;
    }
    const block: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1]!.trim() === '' || lines[i + 1]!.search(/\S/) > match[1]!.length)) block.push(lines[++i]!.trim());
    exprs.push(block.join(' '));
  }
  return exprs;
}

describe('deploy: Prometheus alert rules and the Grafana dashboard', function () {
  this.timeout(60_000);

  it('promtool check rules accepts deploy/prometheus/alerts.yml', async () => {
    expect(await promtool('check', 'rules', 'alerts.yml')).to.match(/SUCCESS: \d+ rules found/);
  });

  it('promtool test rules passes the unit tests of deploy/prometheus/alerts.test.yml', async () => {
    expect(await promtool('test', 'rules', 'alerts.test.yml')).to.include('SUCCESS');
  });

  it('reads the metric names of an expression, and nothing else (the check below can fail)', () => {
    expect(metricsOf('sum by (instance, partner) (rate(passerelle_http_requests_total{status=~"5.."}[5m])) / passerelle_crypto_queue_limit > 0.8')).to.deep.equal([
      'passerelle_http_requests_total',
      'passerelle_crypto_queue_limit',
    ]);
    expect(metricsOf('histogram_quantile(0.95, sum by (le) (rate(passerelle_no_such_metric_bucket[5m])))')).to.deep.equal(['passerelle_no_such_metric_bucket']);
  });

  it('the alert rules query only metrics the gateway exports', async () => {
    const names = await exported();
    const exprs = ruleExpressions();
    expect(exprs).to.have.length.greaterThan(10);
    for (const expr of exprs) for (const name of metricsOf(expr)) expect(names.has(name), `${name} in ${expr}`).to.equal(true);
  });

  it('the dashboard queries only metrics the gateway exports, and shows each of the operator figures', async () => {
    const names = await exported();
    const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const queried = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        for (const name of metricsOf(target.expr)) {
          expect(names.has(name), `${name} in panel "${panel.title}"`).to.equal(true);
          queried.add(name);
        }
      }
    }
    for (const figure of ['passerelle_outbox_depth', 'passerelle_queue_messages', 'passerelle_certificate_expiry_seconds', 'passerelle_openpgp_key_expiry_seconds', 'passerelle_audit_checkpoint_age_seconds', 'passerelle_stage_duration_seconds_bucket']) {
      expect(queried.has(figure), figure).to.equal(true);
    }
  });
});
