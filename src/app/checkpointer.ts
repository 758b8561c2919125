/**
 * Signs checkpoints of the audit log: periodically when the tree grew, and on demand (the auditor's
 * `POST /v1/audit/checkpoint`). One signer at a time, and at most one checkpoint per tree size: a
 * checkpoint is a public commitment, so two different ones for the same size would look like a
 * split view.
 */
import type { PrivateKey } from '../crypto/keys.js';
import type { GatewayCrypto } from '../crypto/service.js';
import { signCheckpoint, type PublishedCheckpoint, type SignedCheckpoint } from '../audit/checkpoint.js';
import { treeRoot, type NodeSource } from '../audit/merkle.js';
import type { Logger } from '../log/logger.js';
import type { AuditLogPort } from '../store/port.js';
import type { Store } from '../store/port.js';

export interface CheckpointerOptions {
  store: AuditLogPort & Pick<Store, 'auditSize'>;
  /** The gateway's signing key, or a function giving the current one (it changes when the gateway key is rotated while running). */
  signingKey: PrivateKey | (() => PrivateKey);
  /** Where the signature is made (the gateway's worker pool). */
  crypto: GatewayCrypto;
  now: () => Date;
  logger: Logger;
  /** Period of the automatic checkpoint; nothing is signed when the tree did not grow. */
  intervalMs: number;
}

export class Checkpointer {
  private readonly options: CheckpointerOptions;
  private readonly nodes: NodeSource;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(options: CheckpointerOptions) {
    this.options = options;
    this.nodes = { node: (level, index) => options.store.auditNode(level, index) };
  }

  /** A checkpoint of the whole tree as it is now: the latest one when it covers every entry, a new one otherwise. */
  checkpoint(): Promise<{ checkpoint: SignedCheckpoint; created: boolean }> {
    const run = this.queue.then(() => this.signIfGrown());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The latest checkpoint with its cosignatures; the first one is signed when none exists yet. */
  async latest(): Promise<PublishedCheckpoint> {
    const { store } = this.options;
    const checkpoint = (await store.latestCheckpoint()) ?? (await this.checkpoint()).checkpoint;
    return { ...checkpoint, cosignatures: await store.cosignatures(checkpoint.treeSize) };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.checkpoint().catch((err: unknown) => this.options.logger.warn('audit checkpoint failed', { component: 'checkpointer', reason: (err as Error)?.message ?? 'unknown' }));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a signature in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.queue;
  }

  private async signIfGrown(): Promise<{ checkpoint: SignedCheckpoint; created: boolean }> {
    const { store, signingKey, crypto, now, logger } = this.options;
    const treeSize = await store.auditSize();
    const latest = await store.latestCheckpoint();
    if (latest && latest.treeSize >= treeSize) return { checkpoint: latest, created: false };
    // Nodes inside [0, treeSize) never change once appended, so entries appended meanwhile do not matter.
    const rootHash = await treeRoot(this.nodes, treeSize);
    const key = typeof signingKey === 'function' ? signingKey() : signingKey;
    const signed = await signCheckpoint({ treeSize, rootHash, timestamp: now().toISOString() }, key, crypto);
    const saved = await store.saveCheckpoint(signed);
    // auditIndex: the last entry the checkpoint covers.
    if (saved.created) logger.info('audit checkpoint signed', { component: 'checkpointer', ...(treeSize > 0 ? { auditIndex: treeSize - 1 } : {}) });
    return saved;
  }
}
