/**
 * The main job, end to end, on the embedded defaults: a gateway on SQLite and the local RabbitMQ,
 * OFII orients a person to Mission Locale, Mission Locale reads and acknowledges, OFII reads the
 * acknowledgement. It runs on its own port, data folder and queue prefix, so it neither needs nor
 * disturbs a gateway already running. The person in the example document is fictional. It leaves
 * nothing behind: its data folder and its queues are deleted at the end, after a failure too, and on
 * Ctrl-C (SIGINT), which exits 130.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'amqplib';
import { brokerTlsOf } from '../broker/connection.js';
import { deleteGatewayTopology } from '../broker/teardown.js';
import type { Settings } from '../config/settings.js';
import { completeHeader, requestGateway, sendDocument } from '../client/gateway-client.js';
import { loadPartnerView } from '../client/partner-view.js';
import { GatewayError } from '../domain/errors.js';
import { startGateway } from '../gateway.js';
import { silentLogger } from '../log/logger.js';
import { defaultSchemasDir } from '../schema/validator.js';
import { recipientsOf } from './broker.js';
import { consumeAs } from './consume.js';
import { EXIT } from './exit-codes.js';
import { describeProblem } from './send.js';

/** Raised between two steps once Ctrl-C was pressed: the demo stops and cleans up. */
class Interrupted extends Error {}

const OFII = 'ofii-paris';
const AGENCY = 'mission-locale-paris';

function say(step: string, line: string): void {
  process.stdout.write(`${step.padEnd(4)} ${line}\n`);
}

async function waitForStatus(baseUrl: string, view: Awaited<ReturnType<typeof loadPartnerView>>, messageId: string, wanted: string, signal: AbortSignal): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (signal.aborted) throw new Interrupted();
    const answer = await requestGateway({ baseUrl, tls: view.tls, method: 'GET', path: `/v1/messages/${messageId}` });
    const body = answer.body as Record<string, unknown>;
    if (answer.status === 200 && body['status'] === wanted) return body;
    if (Date.now() > deadline) throw new GatewayError('unavailable', `Message ${messageId} did not reach status ${wanted} within 15 s (last: ${String(body['status'])}). Is RabbitMQ running?`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Deletes the queues and exchanges the demo's gateway declared (src/broker/topology.ts, dead-letter-watcher.ts). */
async function removeTopology(settings: Settings): Promise<void> {
  const tls = brokerTlsOf(settings);
  const connection = await connect(settings.amqpUrl, tls ? { ca: tls.caPem, cert: tls.certPem, key: tls.keyPem } : {});
  try {
    const channel = await connection.createChannel();
    await deleteGatewayTopology(channel, settings.amqpPrefix, recipientsOf(settings.certsDir));
    await channel.close();
  } finally {
    await connection.close();
  }
}

export async function runDemo(base: Settings): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-demo-'));
  const settings: Settings = Object.freeze({ ...base, port: 0, dataDir, amqpPrefix: `${base.amqpPrefix}-demo` });
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
  try {
    say('1.', `Starting the gateway: trust ${settings.certsDir}, SQLite store in ${dataDir}, RabbitMQ queues ${settings.amqpPrefix}.*`);
    gateway = await startGateway({ settings, logger: silentLogger });
    return await demonstrate(settings, dataDir, gateway.port, controller.signal);
  } catch (err) {
    if (err instanceof Interrupted || controller.signal.aborted) {
      process.stderr.write('passerelle: demo interrupted\n');
      return EXIT.interrupted;
    }
    throw err;
  } finally {
    process.off('SIGINT', interrupt);
    // A second Ctrl-C during the clean-up takes Node's default action: the person's way out.
    if (gateway) {
      await gateway.stop();
      say('8.', 'Gateway stopped.');
    }
    await removeTopology(settings).catch((err: unknown) =>
      process.stderr.write(`passerelle: could not delete the demo's queues ${settings.amqpPrefix}.* (${(err as Error).message}); delete them with rabbitmqctl delete_queue.\n`),
    );
    fs.rmSync(dataDir, { recursive: true, force: true });
    say('9.', `Removed ${dataDir} and the queues ${settings.amqpPrefix}.*.`);
  }
}

async function demonstrate(settings: Settings, dataDir: string, port: number, signal: AbortSignal): Promise<number> {
  const step = () => {
    if (signal.aborted) throw new Interrupted();
  };
  const baseUrl = `https://127.0.0.1:${port}`;
  step();
  say('', `listening on ${baseUrl} (mutual TLS)`);
  const ofii = await loadPartnerView({ dir: settings.certsDir, id: OFII });
  const agency = await loadPartnerView({ dir: settings.certsDir, id: AGENCY });

  const orientation = JSON.parse(fs.readFileSync(path.join(defaultSchemasDir(), 'examples', 'orientation.v1.json'), 'utf8')) as { header: Record<string, unknown> };
  delete orientation.header['messageId'];
  delete orientation.header['sentAt'];
  completeHeader(orientation);
  const orientationId = orientation.header['messageId'] as string;
  say('2.', `OFII signs an orientation for ${AGENCY} with its OpenPGP key, encrypts it to the gateway and posts it (message ${orientationId}).`);
  const sent = await sendDocument({ baseUrl, tls: ofii.tls, documentBytes: new TextEncoder().encode(JSON.stringify(orientation)), signingKey: ofii.privateKey, gatewayKeys: ofii.gatewayKeys });
  if (!sent.receipt) throw new GatewayError('internal', `The demo orientation was ${describeProblem(sent.answer)}`);
  say('', `accepted (HTTP ${sent.answer.status}), audit index ${sent.receipt.auditIndex}; OFII verified the gateway's signed receipt.`);

  await waitForStatus(baseUrl, ofii, orientationId, 'queued', signal);
  say('3.', `The gateway re-encrypted OFII's signed document to ${AGENCY}'s key and RabbitMQ confirmed it: status queued.`);

  const outDir = path.join(dataDir, 'inbox', AGENCY);
  const lines: string[] = [];
  const received = await consumeAs({ settings, as: AGENCY, out: outDir, follow: false, idleExitMs: 1500, signal, report: (l) => lines.push(l) });
  step();
  say('4.', `${AGENCY} reads its queue: ${received.written} message(s), each decrypted with its own key and OFII's original signature verified.`);
  for (const line of lines) say('', line);
  say('', `document written to ${path.join(outDir, `${orientationId}.json`)} (deleted with the demo's folder at the end)`);

  step();
  const ack = {
    header: { messageId: randomUUID(), type: 'acknowledgement', version: 1, sender: AGENCY, recipient: OFII, sentAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), beneficiaryRef: orientation.header['beneficiaryRef'], inReplyTo: orientationId },
    body: { status: 'ACCEPTEE' },
  };
  say('5.', `${AGENCY} acknowledges: the person is taken in charge (ACCEPTEE).`);
  const ackSent = await sendDocument({ baseUrl, tls: agency.tls, documentBytes: new TextEncoder().encode(JSON.stringify(ack)), signingKey: agency.privateKey, gatewayKeys: agency.gatewayKeys });
  if (!ackSent.receipt) throw new GatewayError('internal', `The demo acknowledgement was ${describeProblem(ackSent.answer)}`);
  say('', `accepted, audit index ${ackSent.receipt.auditIndex}; receipt verified.`);

  await waitForStatus(baseUrl, agency, ack.header.messageId, 'queued', signal);
  const ofiiLines: string[] = [];
  const back = await consumeAs({ settings, as: OFII, out: path.join(dataDir, 'inbox', OFII), follow: false, idleExitMs: 1500, signal, report: (l) => ofiiLines.push(l) });
  step();
  say('6.', `OFII reads its queue: ${back.written} acknowledgement(s), signed by ${AGENCY} and verified.`);
  for (const line of ofiiLines) say('', line);

  const status = await waitForStatus(baseUrl, ofii, orientationId, 'acknowledged', signal);
  say('7.', `The orientation's status for OFII: ${String(status['status'])} (accepted ${String(status['acceptedAt'])}, queued ${String(status['queuedAt'])}, acknowledged ${String(status['acknowledgedAt'])}).`);
  return back.written >= 1 && received.written >= 1 ? EXIT.ok : EXIT.failure;
}
