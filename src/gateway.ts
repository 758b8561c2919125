/**
 * The composition root: builds every part of the gateway from the settings, starts it, and stops it in
 * the order that loses nothing (stop taking requests, let in-flight ones finish, drain the relay,
 * close the broker, close the store).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Checkpointer } from './app/checkpointer.js';
import { createDossierServices, type DossierServices } from './app/dossier-services.js';
import { Ingest } from './app/ingest.js';
import { scheduleRetention, type RetentionSummary } from './app/retention.js';
import { brokerTlsOf, connectBroker, type BrokerConnection } from './broker/connection.js';
import { declareDeadLetterWatch, startDeadLetterWatcher } from './broker/dead-letter-watcher.js';
import { startRelay, type Relay } from './broker/relay.js';
import { declareTopology } from './broker/topology.js';
import type { Settings } from './config/settings.js';
import { GatewayError, isGatewayError } from './domain/errors.js';
import { createCryptoPool, CRYPTO_QUEUE_LIMIT } from './crypto/worker-pool.js';
import { checkQueueDepths } from './broker/queue-depths.js';
import { exchangeName } from './broker/topology.js';
import { GatewayMetrics } from './observability/metrics.js';
import { Observer } from './observability/observer.js';
import { OperatorStatus } from './observability/operator-status.js';
import { PeerCertificates } from './observability/peer-certificates.js';
import { Tracing } from './observability/tracing.js';
import { publishedEncryptionKey } from './crypto/published-key.js';
import { buildAsyncApi } from './api-description/asyncapi.js';
import { buildOpenApi, projectVersion } from './api-description/openapi.js';
import { consoleOf } from './console/start.js';
import { createHttpApp } from './http/app.js';
import { createAuditRouter } from './http/audit-routes.js';
import { createStatsRouter } from './http/stats-routes.js';
import { createWithdrawalsRouter } from './http/withdrawal-routes.js';
import { createPartnerKeyRouter } from './http/partner-key-routes.js';
import { createTimelineRouter } from './http/timeline-routes.js';
import { createSuggestionRouter } from './http/suggestion-routes.js';
import { createLookupRouter } from './http/lookup-routes.js';
import { RateLimiter } from './http/rate-limit.js';
import { startHttpsServer, type RunningServer } from './http/server.js';
import type { Logger } from './log/logger.js';
import { createValidator, defaultSchemasDir } from './schema/validator.js';
import { createRequestBodyValidator } from './schema/request-body.js';
import { openStore } from './store/open.js';
import type { Store } from './store/port.js';
import { GATEWAY_ID, GATEWAY_PARTNER } from './domain/gateway-partner.js';
import { refuseExamplePki } from './tls/example-pki.js';
import { loadTrustStore, type TrustStore } from './trust/trust-store.js';
import { loadRevocationList } from './trust/crl.js';
import { followRevocations } from './http/tls-revocation.js';
import { watchTrust } from './trust/trust-watch.js';
import type { TrustReload } from './trust/trust-store.js';

export interface RunningGateway {
  port: number;
  trust: TrustStore;
  store: Store;
  /** Runs a retention sweep now (expiry, destruction of dossiers), as the timer does. */
  runRetention(): Promise<RetentionSummary>;
  /** Graceful stop; resolves once everything is closed. */
  stop(): Promise<void>;
  /** Reads the trust directory's crl.pem again and applies it (what SIGHUP does; a file watch does it too). */
  reloadRevocations(): Promise<void>;
  /**
   * Reads the OpenPGP keys of the trust directory again (partners' and the gateway's) and swaps them in
   * (what SIGHUP does; a file watch does it too). Resolves undefined when the new files were refused
   * and the previous keys stay in force (the error is logged).
   */
  reloadTrust(): Promise<TrustReload | undefined>;
}

export interface StartOptions {
  settings: Settings;
  logger: Logger;
  /** Injected by tests that need another clock; the real one otherwise. */
  now?: () => Date;
  /** Sees every HTTP request and its response (the test suite checks every answer against the OpenAPI document). */
  observeHttp?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Tests: where spans go instead of PASSERELLE_TRACES_ENDPOINT's OTLP exporter (tracing on with it). */
  spanExporter?: ConstructorParameters<typeof Tracing>[0]['exporter'];
}

/** Every type a partner may send or receive must have a schema, or the registry promises what the gateway cannot check. */
function assertRegistryTypesKnown(trust: TrustStore, knownTypes: string[]): void {
  for (const partner of [...trust.registry.partners.values(), GATEWAY_PARTNER]) {
    for (const type of [...partner.sends, ...partner.receives]) {
      if (!knownTypes.includes(type)) {
        throw new GatewayError('config_invalid', `${trust.dir}/partners.json: partner ${partner.id} lists message type ${type}, which has no schema in schemas/. Remove it or add the schema.`);
      }
    }
  }
}

export async function startGateway(options: StartOptions): Promise<RunningGateway> {
  const { settings, logger } = options;
  const now = options.now ?? (() => new Date());
  const trust = await loadTrustStore({ dir: settings.certsDir });
  refuseExamplePki({ environment: settings.environment, caPem: trust.caPem, certsDir: settings.certsDir });
  const revocationList = await loadRevocationList({ dir: settings.certsDir, caPem: trust.caPem });
  const validator = createValidator({ schemasDir: defaultSchemasDir() });
  assertRegistryTypesKnown(trust, validator.knownTypes());
  // Before anything opens: a wrong console setting (role mapping, OIDC files) stops the start here.
  const webConsole = consoleOf(settings, { findPartner: (id) => trust.registry.get(id), logger, now });
  const store = await openStore(settings);
  const crypto = createCryptoPool({ size: settings.cryptoWorkers, log: logger });
  let personal: DossierServices;
  try {
    personal = createDossierServices({ settings, trust, store, validator, now, crypto });
  } catch (err) {
    // The pool's threads would keep the process alive after a refused start.
    await crypto.close();
    await store.close();
    throw err;
  }

  const recipients = [...trust.registry.partners.values()].filter((p) => p.receives.length > 0).map((p) => p.id);
  let broker: BrokerConnection;
  try {
    const tls = brokerTlsOf(settings);
    broker = await connectBroker({
      url: settings.amqpUrl,
      ...(tls ? { tls } : {}),
      logger,
      connectionName: 'passerelle-gateway',
      onReady: async (session) => {
        const channel = await session.createChannel();
        try {
          await declareTopology(channel, { prefix: settings.amqpPrefix, recipients, deliveryLimit: settings.deliveryLimit });
          await declareDeadLetterWatch(channel, settings.amqpPrefix);
        } finally {
          await channel.close().catch(() => undefined);
        }
      },
    });
  } catch (err) {
    await crypto.close();
    await store.close();
    throw err;
  }

  const metrics = new GatewayMetrics({ cryptoQueueLength: () => crypto.queueLength?.() ?? 0, cryptoQueueLimit: CRYPTO_QUEUE_LIMIT });
  const tracing = new Tracing({ endpoint: settings.tracesEndpoint, serviceName: settings.tracesServiceName, ...(options.spanExporter ? { exporter: options.spanExporter } : {}) });
  const observer = new Observer(metrics, tracing, exchangeName(settings.amqpPrefix));
  const peers = new PeerCertificates();
  const operations = new OperatorStatus({
    store,
    brokerConnected: () => broker.isConnected(),
    checkQueues: () => checkQueueDepths({ broker, prefix: settings.amqpPrefix, partners: recipients }),
    trust,
    peers,
    now,
    relayLagSeconds: () => observer.relayLagSeconds(),
  });
  const relay: Relay = startRelay({ outbox: store, broker, prefix: settings.amqpPrefix, logger, observation: observer });
  const deadLetters = startDeadLetterWatcher({ broker, store, prefix: settings.amqpPrefix, logger, now });
  const ingest = new Ingest({
    trust,
    validator,
    store,
    pseudonymise: personal.pseudonymise,
    dossiers: personal.dossiers,
    freshness: { maxFutureSeconds: settings.maxFutureSeconds, maxAgeSeconds: settings.maxAgeSeconds },
    maxDocumentBytes: settings.maxDocumentBytes,
    now,
    crypto,
    logger,
  });
  const checkpointer = new Checkpointer({ store, signingKey: () => trust.gateway.privateKey, crypto, now, logger, intervalMs: settings.checkpointIntervalSeconds * 1000 });
  const app = createHttpApp({
    ingest,
    store,
    findPartner: (id) => trust.registry.get(id),
    logger,
    maxBodyBytes: settings.maxBodyBytes,
    rateLimiter: new RateLimiter({ perMinute: settings.rateLimitPerMinute, burst: settings.rateLimitBurst }),
    brokerConnected: () => broker.isConnected(),
    operatorStatus: () => operations.snapshot(),
    observability: { metrics, observer, peers },
    auditRouter: createAuditRouter({
      store,
      checkpointer,
      partnerKeys: (id) => trust.partner(id)?.publicKeys ?? [],
      crypto,
      now,
      gatewayKeys: () => trust.gateway.publishedKeys.map((key) => ({ fingerprint: key.getFingerprint(), armored: key.armor() })),
    }),
    timelineRouter: createTimelineRouter({ store }),
    lookupRouter: createLookupRouter({
      lookups: personal.beneficiaryLookups,
      store,
      validator: createRequestBodyValidator({ schemasDir: defaultSchemasDir(), fileName: 'beneficiary-lookup.v1.schema.json' }),
      limits: { perHour: settings.lookupsPerHour, perDay: settings.lookupsPerDay },
      now,
    }),
    suggestionRouter: createSuggestionRouter({ validator, partners: () => trust.registry.partners.values(), maxBodyBytes: settings.maxBodyBytes, now }),
    statsRouter: createStatsRouter({ facts: (page) => store.statisticsFacts(page), partners: () => trust.registry.partners.values(), now }),
    withdrawalsRouter: createWithdrawalsRouter({ store, now }),
    interfaceDocuments: {
      '/openapi.json': () => buildOpenApi({ schemasDir: defaultSchemasDir() }),
      '/asyncapi.json': () =>
        buildAsyncApi({ prefix: settings.amqpPrefix, recipients, deliveryLimit: settings.deliveryLimit, schemasDir: defaultSchemasDir(), version: projectVersion(defaultSchemasDir()) }),
    },
    partnerKeyRouter: createPartnerKeyRouter({
      // The keys messages are sealed to: the gateway's, and those of the partners that receive messages.
      publishedKey: async (id) => {
        if (id === GATEWAY_ID) return publishedEncryptionKey(trust.gateway.publishedKeys, now());
        return trust.registry.get(id)?.receives.length ? publishedEncryptionKey(trust.partner(id)?.publicKeys ?? [], now()) : undefined;
      },
    }),
    consoleRouter: webConsole.router,
    sessionPartner: webConsole.sessionPartner,
  });

  let server: RunningServer;
  try {
    server = await startHttpsServer({
      app,
      host: settings.host,
      port: settings.port,
      certPem: trust.gateway.tlsCertPem,
      keyPem: trust.gateway.tlsKeyPem,
      caPem: trust.caPem,
      revocations: revocationList,
      headersTimeoutMs: settings.headersTimeoutMs,
      requestTimeoutMs: settings.requestTimeoutMs,
      onRequest: options.observeHttp,
      onHandshake: (seconds) => observer.tlsHandshake(seconds),
    });
  } catch (err) {
    await crypto.close();
    await relay.stop();
    await deadLetters.stop();
    await broker.close();
    await store.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new GatewayError(
      'config_invalid',
      code === 'EADDRINUSE'
        ? `Port ${settings.port} on ${settings.host} is already in use (PASSERELLE_PORT). Stop the other process or choose another port.`
        : `Cannot listen on ${settings.host}:${settings.port} (PASSERELLE_HOST, PASSERELLE_PORT): ${(err as Error).message}.`,
      { cause: err },
    );
  }
  checkpointer.start();
  const retention = scheduleRetention({
    run: personal.runRetention,
    intervalMs: settings.retentionSweepMinutes * 60_000,
    logger,
    onSwept: (summary) => {
      operations.recordSweep(summary);
      metrics.retentionSwept();
      if (summary.expiryNotices > 0 || summary.heldNoticesReleased > 0 || summary.withdrawalReminders > 0) relay.kick();
    },
  });
  logger.info('gateway started', { host: settings.host, port: server.port });

  const revocationWatch = followRevocations({ dir: settings.certsDir, caPem: trust.caPem, initial: revocationList, server, logger });
  const trustWatch = watchTrust({
    trust,
    logger,
    onReloaded: () =>
      void personal.releaseHeldNotices().then(
        (held) => {
          if (held.released > 0) relay.kick();
          logger.info('held notices released', { component: 'notices', ...held });
        },
        (err: unknown) => logger.error('held notices not released', { component: 'notices', code: isGatewayError(err) ? err.code : undefined, reason: err instanceof Error ? err.message : 'unknown' }),
      ),
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('gateway stopping', {});
      revocationWatch.close();
      trustWatch.close();
      await server.close(settings.shutdownTimeoutMs);
      await retention.stop();
      await relay.drain(settings.shutdownTimeoutMs);
      await relay.stop();
      await deadLetters.stop();
      await checkpointer.stop();
      // Last of the users of the crypto service: the sweep and the checkpoint above may still sign.
      await crypto.close();
      await broker.close();
      await store.close();
      // Last: the spans of the requests and publishes above are exported before the process ends.
      await tracing.shutdown().catch((err: unknown) => logger.warn('traces not exported', { component: 'tracing', reason: err instanceof Error ? err.message : 'unknown' }));
      logger.info('gateway stopped', {});
    })();
    return stopping;
  };
  return { port: server.port, trust, store, runRetention: () => retention.runNow(), stop, reloadRevocations: () => revocationWatch.reload(), reloadTrust: () => trustWatch.reload() };
}
