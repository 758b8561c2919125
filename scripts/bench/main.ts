/**
 * `npm run bench`: the whole message path against the crypto it cannot go below, in one run.
 *
 * Stages, one file each:
 *   options.ts  the command line;
 *   seal.ts     the messages, sealed beforehand by worker threads as the partner would (worker.ts), and
 *               the gateway's crypto alone on all cores, measured before and after the load;
 *   gateway.ts  the gateway as its own process on the embedded defaults, and the recipient's consumer;
 *   load.ts     the load phases: warm-up, lone messages, steady rate, throughput;
 *   measure.ts  CPU, memory and latency figures;
 *   report.ts   the JSON and the table, each target with its verdict (profile.ts: the CPU profile).
 * The bench client runs on the same cores as the gateway and RabbitMQ: its CPU is reported too.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPartnerView } from '../../src/client/partner-view.js';
import { createDatabase } from './database.js';
import { affinityOf, BENCH_RATE_LIMIT_PER_MINUTE, CERTS, consumeRecipient, deleteTopology, pin, ROOT, SENDER, startGatewayProcess, verifyAuditLog } from './gateway.js';
import { runLoad, splitMessages, WARMUP_MESSAGES, type MessageSource } from './load.js';
import { brokerPids, round, sampleRss, snapshot, statusKb } from './measure.js';
import { cpuCount, readOptions, SPOOL_ABOVE_MESSAGES } from './options.js';
import { scrapeGateway, stageTotals, type GatewayFigures } from './scrape.js';
import { summariseProfiles } from './profile.js';
import { buildReport, machineInfo, printTable } from './report.js';
import { CRYPTO_IN_FLIGHT, cryptoOnly, documentBytes, sealAll, sealToSpool, SpoolReader, startWorkers, stopWorkers } from './seal.js';

/** How often the gateway's RSS is sampled. */
const RSS_SAMPLE_MS = 1000;

async function main(): Promise<void> {
  const settings = readOptions();
  const machine = machineInfo();
  const date = new Date().toISOString();
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-bench-'));
  const steadyCount = settings.rate * settings.steadySeconds;
  const total = WARMUP_MESSAGES + settings.lone + steadyCount + settings.messages;
  const spooled = settings.spool || settings.messages > SPOOL_ABOVE_MESSAGES;
  const inMemory = spooled ? total - settings.messages : total;
  const brokers = brokerPids(settings.brokerNodes);
  if (brokers.length < Math.max(1, settings.brokerNodes.length)) {
    process.stderr.write(`bench: ${brokers.length} of the RabbitMQ nodes ${settings.brokerNodes.join(', ') || '(the default)'} answered with their process: the broker's CPU counts those only\n`);
  }
  // Pinned: the bench's workers measure the crypto alone on the gateway's cores, then the bench client moves to the others.
  const brokerAffinities = settings.pinOthers ? brokers.map((pid) => affinityOf(pid)) : [];
  const restoreBrokers = () => {
    brokerAffinities.forEach((cpus, i) => {
      if (cpus !== undefined) pin(brokers[i]!, cpus);
    });
  };
  if (settings.pinGateway) pin(process.pid, settings.pinGateway);
  if (!settings.fromSource) {
    process.stderr.write('bench: building dist/ (npm run build)...\n');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  process.stderr.write(`bench: ${machine.cores} cores (${machine.cpuModel}), load ${machine.loadAverageAtStart.join(' ')}; sealing ${total} messages...\n`);

  const workers = await startWorkers(settings.pinGateway ? cpuCount(settings.pinGateway) : machine.cores);
  const sealStart = performance.now();
  const sealed = await sealAll(workers, inMemory, settings.armor);
  const spool = spooled ? path.join(fs.mkdtempSync(path.join(settings.spoolDir, 'passerelle-bench-spool-')), 'sealed.bin') : undefined;
  if (spool) {
    process.stderr.write(`bench: sealing the ${settings.messages} messages of the throughput phase to ${spool}...\n`);
    await sealToSpool(workers, settings.messages, settings.armor, spool, inMemory);
  }
  const sealSeconds = (performance.now() - sealStart) / 1000;
  const reader = spool ? new SpoolReader(spool) : undefined;
  const bulkSource: MessageSource | undefined = reader ? { count: settings.messages, next: () => reader.next() } : undefined;
  const messages = splitMessages(sealed, { lone: settings.lone, steady: steadyCount }, bulkSource);

  process.stderr.write(`bench: sealed in ${round(sealSeconds, 1)} s; crypto alone on ${workers.length} workers...\n`);
  // Messages the gateway never sees twice: the end of what is held in memory (the spool's are read once).
  const cryptoSample = sealed.slice(-Math.min(settings.cryptoMessages, sealed.length));
  const cryptoBefore = await cryptoOnly(workers, cryptoSample);
  process.stderr.write(`bench: crypto alone ${cryptoBefore.perSecond}/s; starting the gateway (prefix ${prefix}, data ${dataDir})...\n`);

  const gateways: Array<Awaited<ReturnType<typeof startGatewayProcess>>> = [];
  const database = settings.postgresUrl ? await createDatabase(settings.postgresUrl, prefix.replace('-', '_')) : undefined;
  try {
    if (settings.pinOthers) {
      pin(process.pid, settings.pinOthers);
      for (const pid of brokers) pin(pid, settings.pinOthers);
    }
    for (let i = 0; i < settings.gateways; i++) {
      const instanceDir = settings.gateways === 1 ? dataDir : path.join(dataDir, `gateway-${i}`);
      fs.mkdirSync(instanceDir, { recursive: true });
      // Gateways sharing a store share its secrets (docs/operator.md): the first one's, created at its start.
      if (i > 0) fs.cpSync(path.join(dataDir, 'gateway-0', 'store', 'secrets'), path.join(instanceDir, 'store', 'secrets'), { recursive: true, preserveTimestamps: true });
      gateways.push(
        await startGatewayProcess({ dataDir: instanceDir, prefix, fromSource: settings.fromSource, cryptoWorkers: settings.cryptoWorkers, storeThread: settings.storeThread, cpuProfileDir: i === 0 ? settings.cpuProfileDir : undefined, pin: settings.pinGateway, databaseUrl: database?.url, amqpUrl: settings.amqpUrl }),
      );
    }
  } catch (err) {
    await Promise.all(gateways.map((g) => g.stop()));
    await database?.drop().catch(() => undefined);
    restoreBrokers();
    await stopWorkers(workers);
    await deleteTopology(prefix, undefined, settings.amqpUrl).catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const gateway = gateways[0]!;
  const recipient = await consumeRecipient(prefix, settings.amqpUrl);
  const view = await loadPartnerView({ dir: CERTS, id: SENDER });
  const rssStartedAt = performance.now();
  const rss = sampleRss(gateway.pid, RSS_SAMPLE_MS);

  let report: ReturnType<typeof buildReport>;
  let gatewayFigures: GatewayFigures | undefined;
  let phaseWindows: { lone: { fromUs: number; toUs: number }; steady: { fromUs: number; toUs: number } } | undefined;
  try {
    const load = await runLoad({
      port: gateway.port,
      bulkPorts: gateways.map((g) => g.port),
      tls: view.tls,
      messages,
      rate: settings.rate,
      concurrency: settings.concurrency,
      recipient,
      snapshot: () => snapshot(gateways.map((g) => g.pid), brokers, database !== undefined),
      stageTotals: () => stageTotals(gateway.port),
    });
    phaseWindows = { lone: load.loneWindow, steady: load.steadyWindow };
    // What the operator's Prometheus sees of the same run (GET /metrics).
    gatewayFigures = await scrapeGateway(gateway.port);
    process.stderr.write(`bench: /metrics counted ${gatewayFigures.accepted} messages accepted; mean seconds per stage ${JSON.stringify(gatewayFigures.meanStageSeconds)}\n`);
    const peakRssMb = round(Math.max(...gateways.map((g) => statusKb(g.pid, 'VmHWM'))) / 1024, 1);
    rss.stop();
    process.stderr.write('bench: the audit log, verified as an auditor does...\n');
    const audit = verifyAuditLog({ port: gateway.port, dataDir, fromSource: settings.fromSource });
    process.stderr.write('bench: crypto alone again...\n');
    if (settings.pinGateway) pin(process.pid, settings.pinGateway);
    const cryptoAfter = await cryptoOnly(workers, cryptoSample);
    report = buildReport({
      machine,
      date,
      settings: {
        messages: settings.messages,
        concurrency: settings.concurrency,
        steadyRate: settings.rate,
        steadySeconds: settings.steadySeconds,
        loneMessages: settings.lone,
        warmupMessages: WARMUP_MESSAGES,
        cryptoMessages: cryptoSample.length,
        cryptoWorkers: workers.length,
        cryptoInFlightPerWorker: CRYPTO_IN_FLIGHT,
        gatewayCryptoWorkers: settings.cryptoWorkers ?? 'default',
        storeThread: settings.storeThread,
        documentBytes: documentBytes(0).length,
        sealedBytes: sealed[0]?.length ?? 0,
        spooled,
        gateways: settings.gateways,
        store: database ? 'PostgreSQL (a database created for the run)' : 'SQLite',
        broker: `${settings.brokerNodes.length > 1 ? `RabbitMQ cluster of ${settings.brokerNodes.join(', ')}` : `RabbitMQ node ${settings.brokerNodes[0] ?? '(the default)'}`} (${brokers.length} measured), ${settings.amqpUrl.replace(/\/\/[^@/]*@/, '//')}`,
        pinGateway: settings.pinGateway ?? 'all cores',
        pinOthers: settings.pinOthers ?? 'all cores',
        armored: settings.armor,
        gatewayRuns: settings.fromSource ? 'TypeScript through tsx' : 'compiled (dist/)',
        rateLimitPerMinute: BENCH_RATE_LIMIT_PER_MINUTE,
        note: 'crypto alone = the gateway\'s own crypto calls per message (open with the session-key check, the recipient\'s copy as the gateway makes it, the receipt). gateway = passerelle serve (compiled, as npm start runs it, unless gatewayRuns says otherwise) on the embedded defaults (SQLite WAL synchronous=FULL, local RabbitMQ quorum queue, publisher confirms, log level info to a file); only the rate limit is raised. The bench client, its recipient consumer and RabbitMQ run on the same cores.',
      },
      load,
      cryptoBefore,
      cryptoAfter,
      totalMessages: total,
      peakRssMb,
      rss: rss.samples,
      rssStartedAt,
      sealSeconds,
      audit,
    });
  } finally {
    rss.stop();
    reader?.close();
    if (spool) fs.rmSync(path.dirname(spool), { recursive: true, force: true });
    restoreBrokers();
    await recipient.close();
    await Promise.all(gateways.map((g) => g.stop()));
    await database?.drop().catch((err: unknown) => process.stderr.write(`bench: could not drop the database ${database.name}: ${String(err)}\n`));
    await stopWorkers(workers);
    await deleteTopology(prefix, undefined, settings.amqpUrl).catch((err: unknown) => process.stderr.write(`bench: could not delete the topology ${prefix}: ${String(err)}\n`));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  if (settings.cpuProfileDir) {
    report.profile = summariseProfiles(settings.cpuProfileDir) ?? null;
    Object.assign(report, {
      loneProfile: phaseWindows ? (summariseProfiles(settings.cpuProfileDir, 25, phaseWindows.lone) ?? null) : null,
      steadyProfile: phaseWindows ? (summariseProfiles(settings.cpuProfileDir, 25, phaseWindows.steady) ?? null) : null,
    });
  }
  Object.assign(report, { gatewayMetrics: gatewayFigures ?? null });
  fs.writeFileSync(settings.out, `${JSON.stringify(report, null, 2)}\n`);
  printTable(report);
  process.stdout.write(`\nJSON written to ${settings.out}\n`);
}

await main();
