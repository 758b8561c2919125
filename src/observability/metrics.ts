/**
 * The gateway's Prometheus metrics (prom-client), served by GET /metrics to the operator role. Event
 * metrics (requests, stage durations, sweeps) are recorded as they happen; state metrics are set from
 * the operator snapshot (src/observability/operator-status.ts) at each scrape, so that /metrics and
 * GET /v1/operator/status never disagree.
 *
 * Labels are bounded sets, never a value a caller chooses: the route template (not the path, which
 * holds message ids), the method (GET, POST or OTHER), the status and the problem code (the catalogue
 * of src/domain/errors.ts), the stage, and partner ids, queue kinds and key fingerprints of the trust
 * directory. No message id, no document field (docs/monitoring.md, "Cardinality").
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OperatorSnapshot } from './operator-status.js';
import type { Stage } from './stages.js';

/** The label of the gateway's own certificate and keys (no partner has this id: src/domain/gateway-partner.ts). */
export const GATEWAY_LABEL = 'passerelle';

const STAGE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsOptions {
  /** Node.js process metrics (CPU, memory, event loop lag, handles): on in the gateway, off in tests that build several. */
  processMetrics?: boolean;
  /** Tasks waiting for a crypto worker now (src/crypto/worker-pool.ts). */
  cryptoQueueLength?: () => number;
  cryptoQueueLimit?: number;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'method' | 'status' | 'code'>;
  private readonly requestSeconds: Histogram<'route'>;
  private readonly stageSeconds: Histogram<'stage'>;
  private readonly relayDelaySeconds: Histogram;
  private readonly sweeps: Counter;
  private readonly gauges: Record<string, Gauge<string>>;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({ name: 'passerelle_http_requests_total', help: 'HTTP requests answered, by route template, method, status and problem code ("none" when the answer is no problem).', labelNames: ['route', 'method', 'status', 'code'], registers });
    this.requestSeconds = new Histogram({ name: 'passerelle_http_request_duration_seconds', help: 'Time from the request to the end of the answer, by route template.', labelNames: ['route'], buckets: STAGE_BUCKETS, registers });
    this.stageSeconds = new Histogram({ name: 'passerelle_stage_duration_seconds', help: 'Time a message spends in each stage: tls_handshake, crypto_open, validation, crypto_seal, store, receipt, publish.', labelNames: ['stage'], buckets: STAGE_BUCKETS, registers });
    this.relayDelaySeconds = new Histogram({ name: 'passerelle_relay_delay_seconds', help: "Time from a message's acceptance to the broker's confirm of its publish.", buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 3600], registers });
    this.sweeps = new Counter({ name: 'passerelle_retention_sweeps_total', help: 'Retention sweeps run by this process.', registers });
    const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers });
    this.gauges = {
      ready: gauge('passerelle_ready', '1 when the store takes writes (what /readyz answers), 0 otherwise.'),
      broker: gauge('passerelle_broker_connected', '1 while the connection to RabbitMQ is up, 0 otherwise.'),
      outboxDepth: gauge('passerelle_outbox_depth', 'Accepted messages not yet confirmed by the broker.'),
      outboxAge: gauge('passerelle_outbox_oldest_age_seconds', 'Age of the oldest message in the outbox (0 when empty).'),
      held: gauge('passerelle_outbox_held_notices', 'Gateway notices held until their recipient publishes a usable OpenPGP key.'),
      relayLag: gauge('passerelle_relay_lag_seconds', "Time from acceptance to the broker's confirm of the last message published by this process."),
      queue: gauge('passerelle_queue_messages', "Messages waiting in a partner's queue (queue=delivery) or its dead-letter queue (queue=dead-letter).", ['partner', 'queue']),
      deadLettered: gauge('passerelle_dead_lettered_messages', 'Messages RabbitMQ dead-lettered since the store began.'),
      outstandingReceipts: gauge('passerelle_withdrawal_receipts_outstanding', 'Withdrawal notices (reminders aside) that no agency answered with an execution receipt yet.'),
      auditSize: gauge('passerelle_audit_log_entries', 'Entries in the audit log.'),
      checkpointAge: gauge('passerelle_audit_checkpoint_age_seconds', "Age of the latest signed checkpoint of the audit log (absent before the first)."),
      checkpointSize: gauge('passerelle_audit_checkpoint_tree_size', 'Entries covered by the latest signed checkpoint.'),
      lastSweep: gauge('passerelle_retention_last_sweep_timestamp_seconds', 'End of the last retention sweep of this process, Unix time (absent before the first).'),
      certificate: gauge('passerelle_certificate_expiry_seconds', "Seconds until a TLS certificate expires (partner=passerelle: the gateway's own).", ['partner']),
      key: gauge('passerelle_openpgp_key_expiry_seconds', 'Seconds until an unrevoked OpenPGP key expires (keys without expiry are absent).', ['partner', 'fingerprint']),
      cryptoQueue: gauge('passerelle_crypto_queue_length', 'Messages waiting for a crypto worker thread.'),
      cryptoLimit: gauge('passerelle_crypto_queue_limit', 'Queue length past which new messages are refused with 503.'),
    };
    const cryptoQueueLength = options.cryptoQueueLength;
    if (cryptoQueueLength !== undefined) this.gauges['cryptoQueue']!.set(0);
    this.cryptoQueueLength = cryptoQueueLength;
    if (options.cryptoQueueLimit !== undefined) this.gauges['cryptoLimit']!.set(options.cryptoQueueLimit);
  }

  private readonly cryptoQueueLength: (() => number) | undefined;

  get contentType(): string {
    return this.registry.contentType;
  }

  request(fields: { route: string; method: string; status: number; code: string | undefined; seconds: number }): void {
    const method = fields.method === 'GET' || fields.method === 'POST' ? fields.method : 'OTHER';
    this.requests.inc({ route: fields.route, method, status: String(fields.status), code: fields.code ?? 'none' });
    this.requestSeconds.observe({ route: fields.route }, fields.seconds);
  }

  stage(stage: Stage, seconds: number): void {
    this.stageSeconds.observe({ stage }, seconds);
  }

  relayDelay(seconds: number): void {
    this.relayDelaySeconds.observe(seconds);
  }

  retentionSwept(): void {
    this.sweeps.inc();
  }

  /** The exposition text, state metrics set from `snapshot` first. */
  async exposition(snapshot: OperatorSnapshot): Promise<string> {
    this.apply(snapshot);
    return this.registry.metrics();
  }

  private apply(s: OperatorSnapshot): void {
    const g = this.gauges;
    const now = Date.parse(s.checkedAt);
    g['ready']!.set(s.status === 'ready' ? 1 : 0);
    g['broker']!.set(s.broker === 'connected' ? 1 : 0);
    if (s.outbox) {
      g['outboxDepth']!.set(s.outbox.depth);
      g['outboxAge']!.set(s.outbox.oldestAgeSeconds ?? 0);
      g['held']!.set(s.outbox.held);
    }
    if (s.relay.lagSeconds !== null) g['relayLag']!.set(s.relay.lagSeconds);
    // Partners come and go only with a restart, but a queue the broker did not answer for is dropped, not left at its last value.
    g['queue']!.reset();
    for (const q of s.queues) {
      if (q.messages !== null) g['queue']!.set({ partner: q.partner, queue: 'delivery' }, q.messages);
      if (q.deadLettered !== null) g['queue']!.set({ partner: q.partner, queue: 'dead-letter' }, q.deadLettered);
    }
    if (s.deadLetters) g['deadLettered']!.set(s.deadLetters.total);
    if (s.withdrawalReceipts) g['outstandingReceipts']!.set(s.withdrawalReceipts.outstanding);
    if (s.auditLog) {
      g['auditSize']!.set(s.auditLog.size);
      if (s.auditLog.checkpoint) {
        g['checkpointAge']!.set(s.auditLog.checkpoint.ageSeconds);
        g['checkpointSize']!.set(s.auditLog.checkpoint.treeSize);
      }
    }
    if (s.retention.lastSweepAt !== null) g['lastSweep']!.set(Date.parse(s.retention.lastSweepAt) / 1000);
    // Keys are reloaded live: a key removed from the trust directory must leave the exposition.
    g['certificate']!.reset();
    g['key']!.reset();
    g['certificate']!.set({ partner: GATEWAY_LABEL }, (Date.parse(s.gateway.tlsCertificate.notAfter) - now) / 1000);
    const keys = (partner: string, list: OperatorSnapshot['gateway']['openpgpKeys']) => {
      for (const key of list) if (!key.revoked && key.expiresAt !== null) g['key']!.set({ partner, fingerprint: key.fingerprint }, (Date.parse(key.expiresAt) - now) / 1000);
    };
    keys(GATEWAY_LABEL, s.gateway.openpgpKeys);
    for (const partner of s.partners) {
      if (partner.certificate) g['certificate']!.set({ partner: partner.id }, (Date.parse(partner.certificate.notAfter) - now) / 1000);
      keys(partner.id, partner.openpgpKeys);
    }
    if (this.cryptoQueueLength) g['cryptoQueue']!.set(this.cryptoQueueLength());
  }
}
