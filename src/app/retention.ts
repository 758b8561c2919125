/**
 * Retention (domain research notes, section 7.3; CASF R.263-8):
 * - an orientation that nobody acknowledged within PASSERELLE_ORIENTATION_EXPIRY_DAYS expires: status
 *   `expired`, its recipient stops following the person, an `expiry` notice goes to its sender, audited
 *   `expired`;
 * - a dossier is destroyed (crypto-shredding) at once when nobody follows the person and nobody ever took
 *   them in charge, and otherwise PASSERELLE_DOSSIER_RETENTION_DAYS after the person's last event;
 * - a subject that no accepted message names (everything about the person was refused) is forgotten a
 *   day after it was created.
 * - a withdrawal notice no agency answered is reminded (src/app/withdrawal-reminders.ts).
 * The sweep runs in the gateway every PASSERELLE_RETENTION_SWEEP_MINUTES and on demand
 * (`passerelle retention run`); runs never overlap.
 */
import type { PublicKey } from '../crypto/keys.js';
import { INLINE_CRYPTO, type GatewayCrypto } from '../crypto/service.js';
import { isGatewayError } from '../domain/errors.js';
import type { Logger } from '../log/logger.js';
import type { DossierPort, GatewayNotice, PendingOrientation, WithdrawalReceiptsPort } from '../store/port.js';
import type { Partner } from '../domain/partner.js';
import { releaseHeldNotices, type GatewayNotices } from './gateway-notices.js';
import { sendWithdrawalReminders, type ReminderPolicy } from './withdrawal-reminders.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A subject is created when a message about a new person passes its schema; one refused that long ago is forgotten. */
const IDLE_SUBJECT_DAYS = 1;

export interface RetentionPolicy {
  orientationExpiryDays: number;
  dossierRetentionDays: number;
}

export interface RetentionDependencies {
  store: DossierPort & WithdrawalReceiptsPort;
  notices: GatewayNotices;
  findPartner: (id: string) => Partner | undefined;
  /** Every key a partner registered, revoked ones included, to read its kept documents as of their acceptance. */
  senderKeys: (partnerId: string) => PublicKey[];
  policy: RetentionPolicy;
  /** Reminders of unanswered withdrawal notices; none when absent. */
  reminders?: ReminderPolicy;
  maxDocumentBytes: number;
  now: () => Date;
  /** Where the stored orientations are verified (the gateway's worker pool); on this thread when absent. */
  crypto?: GatewayCrypto;
  /** Told as each stage starts (with its size) and as each item starts: the operator's progress bar. */
  progress?: RetentionProgress;
}

export interface RetentionProgress {
  stage(stage: 'expiring orientations' | 'destroying dossiers', total: number): void;
  step(): void;
}

export interface RetentionSummary {
  /** Orientations that expired unanswered. */
  expired: number;
  /** Expiry notices queued for their senders. */
  expiryNotices: number;
  /** Dossiers destroyed because nobody follows the person and nobody took them in charge. */
  destroyedNotTakenInCharge: number;
  /** Dossiers destroyed because the person's last event is older than the retention period. */
  destroyedAfterRetention: number;
  /** Documents those dossiers held. */
  documentsDestroyed: number;
  /** Subjects forgotten because no accepted message names them. */
  subjectsForgotten: number;
  /** Gateway notices sealed and queued because their recipient now has a usable key. */
  heldNoticesReleased: number;
  /** Gateway notices still waiting for their recipient to register a usable key. */
  heldNoticesWaiting: number;
  /** Reminders of unanswered withdrawal notices queued. */
  withdrawalReminders: number;
}

function before(now: Date, days: number): string {
  return new Date(now.getTime() - days * DAY_MS).toISOString();
}

/** The person's reference, read from the orientation kept in the dossier; undefined when the dossier is gone. */
async function beneficiaryRefOf(deps: RetentionDependencies, orientation: PendingOrientation): Promise<string | undefined> {
  const stored = (await deps.store.readDossier(orientation.beneficiary))?.find((d) => d.messageId === orientation.messageId);
  if (stored === undefined) return undefined;
  try {
    const opened = await (deps.crypto ?? INLINE_CRYPTO).openSigned({
      signedMessage: stored.signedMessage,
      senderKeys: deps.senderKeys(stored.sender),
      maxDocumentBytes: deps.maxDocumentBytes,
      acceptedAt: new Date(stored.acceptedAt),
    });
    return (JSON.parse(new TextDecoder().decode(opened.document)) as { header: { beneficiaryRef: string } }).header.beneficiaryRef;
  } catch (err) {
    // The sender's key changed since (rotation, expiry): the orientation still expires, without a
    // notice. Any other failure (the crypto service stopping) fails the sweep, and the next one
    // expires the orientation with its notice.
    if (isGatewayError(err, 'signature_invalid') || isGatewayError(err, 'malformed_message')) return undefined;
    throw err;
  }
}

async function expiryNotice(deps: RetentionDependencies, orientation: PendingOrientation, now: Date): Promise<GatewayNotice | undefined> {
  if (deps.findPartner(orientation.sender)?.receives.includes('expiry') !== true) return undefined;
  const beneficiaryRef = await beneficiaryRefOf(deps, orientation);
  // Without the dossier (the person was erased or opted out) the sender already knows why nobody answered.
  if (beneficiaryRef === undefined) return undefined;
  return deps.notices.compose({
    type: 'expiry',
    recipient: orientation.sender,
    beneficiaryRef,
    inReplyTo: orientation.messageId,
    body: { agency: orientation.recipient, expiredOn: now.toISOString().slice(0, 10), delayDays: deps.policy.orientationExpiryDays },
  });
}

export async function runRetention(deps: RetentionDependencies): Promise<RetentionSummary> {
  const summary: RetentionSummary = {
    expired: 0,
    expiryNotices: 0,
    destroyedNotTakenInCharge: 0,
    destroyedAfterRetention: 0,
    documentsDestroyed: 0,
    subjectsForgotten: 0,
    heldNoticesReleased: 0,
    heldNoticesWaiting: 0,
    withdrawalReminders: 0,
  };
  const now = deps.now();
  const at = now.toISOString();
  for (;;) {
    const pending = await deps.store.unansweredOrientations(before(now, deps.policy.orientationExpiryDays));
    let progressed = false;
    if (pending.length > 0) deps.progress?.stage('expiring orientations', pending.length);
    for (const orientation of pending) {
      deps.progress?.step();
      const notice = await expiryNotice(deps, orientation, now);
      if (await deps.store.expireOrientation({ messageId: orientation.messageId, at, notice })) {
        summary.expired++;
        if (notice) summary.expiryNotices++;
        progressed = true;
      }
    }
    // The store answers in batches; stop when a batch changed nothing (answered meanwhile) or was the last.
    if (!progressed || pending.length === 0) break;
  }
  const lastEventBefore = before(now, deps.policy.dossierRetentionDays);
  const due = await deps.store.dueForDestruction(lastEventBefore);
  if (due.length > 0) deps.progress?.stage('destroying dossiers', due.length);
  for (const { beneficiary, reason } of due) {
    deps.progress?.step();
    // Checked again inside the destruction: a message accepted since the list was read keeps the dossier.
    const outcome = await deps.store.destroyIfDue({ beneficiary, reason, lastEventBefore, at });
    if (!outcome.destroyed) continue;
    summary.documentsDestroyed += outcome.documents;
    if (reason === 'retention') summary.destroyedAfterRetention++;
    else summary.destroyedNotTakenInCharge++;
  }
  summary.subjectsForgotten = await deps.store.forgetIdleSubjects(before(now, IDLE_SUBJECT_DAYS));
  if (deps.reminders !== undefined) {
    summary.withdrawalReminders = await sendWithdrawalReminders({ store: deps.store, notices: deps.notices, policy: deps.reminders, maxDocumentBytes: deps.maxDocumentBytes, now: deps.now, ...(deps.crypto ? { crypto: deps.crypto } : {}) });
  }
  const held = await releaseHeldNotices(deps);
  summary.heldNoticesReleased = held.released;
  summary.heldNoticesWaiting = held.waiting;
  return summary;
}

export interface RetentionScheduler {
  /** Runs a sweep now, after the one in progress if any. */
  runNow(): Promise<RetentionSummary>;
  /** Stops the timer and waits for the sweep in progress. */
  stop(): Promise<void>;
}

/** Runs the sweep at start and then every intervalMs; `onSwept` is told when notices were queued. */
export function scheduleRetention(opts: { run: () => Promise<RetentionSummary>; intervalMs: number; logger: Logger; onSwept: (summary: RetentionSummary) => void }): RetentionScheduler {
  let chain: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const runNow = (): Promise<RetentionSummary> => {
    const run = chain.then(async () => {
      const summary = await opts.run();
      opts.logger.info('retention.swept', { component: 'retention', ...summary });
      opts.onSwept(summary);
      return summary;
    });
    chain = run.catch(() => undefined);
    return run;
  };
  const tick = (): void => {
    if (stopped) return;
    runNow().catch((err: unknown) => {
      opts.logger.error('retention.failed', { component: 'retention', code: isGatewayError(err) ? err.code : undefined, reason: err instanceof Error ? err.name : 'unknown' });
    });
  };
  const timer = setInterval(tick, opts.intervalMs);
  timer.unref();
  setImmediate(tick);
  return {
    runNow,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await chain;
    },
  };
}
