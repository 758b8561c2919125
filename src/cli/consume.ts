import path from 'node:path';
import type { Settings } from '../config/settings.js';
import { brokerTlsOf } from '../broker/connection.js';
import { consumeQueue, type Delivery, type DeliveryOutcome } from '../broker/consumer.js';
import { queueName } from '../broker/topology.js';
import { Inbox } from '../client/inbox.js';
import { loadPartnerView } from '../client/partner-view.js';
import { receiveDelivery } from '../client/receive.js';
import { GatewayError } from '../domain/errors.js';
import { silentLogger } from '../log/logger.js';
import { EXIT } from './exit-codes.js';

export interface ConsumeOptions {
  settings: Settings;
  as: string;
  /** Folder for the documents (<messageId>.json); stdout when absent. */
  out: string | undefined;
  follow: boolean;
  idleExitMs: number;
  /** Where progress lines go (stderr for the CLI). */
  report?: (line: string) => void;
  /** Where documents go when `out` is absent (stdout for the CLI). */
  write?: (document: Uint8Array) => void;
  signal?: AbortSignal;
}

export interface ConsumeSummary {
  written: number;
  duplicates: number;
  refused: number;
}

/**
 * Reads the partner's queue, verifies each original sender's signature, writes each new document, and
 * acknowledges only after it was written. A message id seen before is a duplicate of the at-least-once
 * delivery: acknowledged, not written again.
 */
export async function consumeAs(opts: ConsumeOptions): Promise<ConsumeSummary> {
  const report = opts.report ?? ((line) => process.stderr.write(`${line}\n`));
  const write = opts.write ?? ((document) => process.stdout.write(`${Buffer.from(document).toString('utf8')}\n`));
  const view = await loadPartnerView({ dir: opts.settings.certsDir, id: opts.as });
  // Without --out, only the ids seen are kept (empty marker files), never the documents.
  const inbox = new Inbox(opts.out ? path.resolve(opts.out) : path.join(opts.settings.dataDir, 'consumers', opts.as, 'seen'));
  const summary: ConsumeSummary = { written: 0, duplicates: 0, refused: 0 };
  /**
   * Deliveries are handled concurrently (prefetch), and two copies of one message can be in hand at
   * once (a republish after a gateway crash): the second waits for the first, then finds it in the inbox.
   */
  const inHand = new Map<string, Promise<unknown>>();
  const tls = brokerTlsOf(opts.settings);
  await consumeQueue({
    url: opts.settings.amqpUrl,
    ...(tls ? { tls } : {}),
    queue: queueName(opts.settings.amqpPrefix, opts.as),
    logger: silentLogger,
    ...(opts.follow ? {} : { idleExitMs: opts.idleExitMs }),
    ...(opts.signal ? { signal: opts.signal } : {}),
    handle: async (delivery) => {
      for (let earlier = inHand.get(delivery.messageId); earlier; earlier = inHand.get(delivery.messageId)) {
        await earlier.catch(() => undefined);
      }
      const handling = handleOne(delivery);
      inHand.set(delivery.messageId, handling);
      try {
        return await handling;
      } finally {
        if (inHand.get(delivery.messageId) === handling) inHand.delete(delivery.messageId);
      }
    },
  });
  return summary;

  async function handleOne(delivery: Delivery): Promise<DeliveryOutcome> {
    if (inbox.has(delivery.messageId)) {
      summary.duplicates++;
      report(`duplicate ${delivery.messageId} (already received): acknowledged`);
      return 'ack';
    }
    try {
      const received = await receiveDelivery({ view, delivery, maxDocumentBytes: opts.settings.maxDocumentBytes });
      // A dossier's documents first: the dossier itself in the inbox marks the delivery as handled.
      for (const entry of received.dossier ?? []) {
        if (opts.out) inbox.put(entry.header.messageId, entry.document);
        else write(entry.document);
        report(
          entry.attestedBy === 'author'
            ? `  dossier document ${entry.header.type} ${entry.header.messageId} from ${entry.header.sender}; signature of ${entry.header.sender} verified (key ${entry.signerFingerprint})`
            : `  dossier document ${entry.header.type} ${entry.header.messageId} from ${entry.header.sender}, a copy without ${entry.redaction!.removedFields.join(', ')} (health consent withdrawn); attested by the gateway's signature (key ${entry.signerFingerprint}), not by ${entry.header.sender}'s`,
        );
      }
      // A correction notice's rectification, signed by the corrected document's author: apply it with applyCorrection (src/client/dossier.ts).
      if (received.correction !== undefined) {
        const entry = received.correction;
        if (opts.out) inbox.put(entry.header.messageId, entry.document);
        else write(entry.document);
        report(`  rectification ${entry.header.messageId} from ${entry.header.sender}; signature of ${entry.header.sender} verified (key ${entry.signerFingerprint})`);
      }
      if (opts.out) {
        inbox.put(delivery.messageId, received.document);
      } else {
        write(received.document);
        inbox.put(delivery.messageId, new Uint8Array());
      }
      summary.written++;
      report(`received ${received.header.type} ${delivery.messageId} from ${delivery.sender}; signature of ${delivery.sender} verified (key ${received.signerFingerprint})`);
      return 'ack';
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      summary.refused++;
      report(`refused ${delivery.messageId} from ${delivery.sender}: ${err.message} It goes back to the queue, then to the dead-letter queue after the delivery limit.`);
      return 'reject';
    }
  }
}

export async function runConsume(opts: Omit<ConsumeOptions, 'signal' | 'report' | 'write'>): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const summary = await consumeAs({ ...opts, signal: controller.signal });
    process.stderr.write(`passerelle: ${summary.written} written, ${summary.duplicates} duplicates skipped, ${summary.refused} refused\n`);
    return summary.refused > 0 ? EXIT.refused : EXIT.ok;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
