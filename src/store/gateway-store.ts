/**
 * The store port (src/store/port.ts) over either engine: each operation is one transaction of the
 * engine-neutral business code (messages.ts, audit-log.ts, dossiers.ts, statistics.ts), run with the
 * durability and locking it needs (src/store/engine.ts). This is the only implementation of the port.
 */
import { GatewayError } from '../domain/errors.js';
import * as audit from './audit-log.js';
import { DossierKeys } from './dossier-keys.js';
import * as dossiers from './dossiers.js';
import * as lookups from './lookups.js';
import type { Engine, ReadOptions, WriteOptions } from './engine.js';
import * as messages from './messages.js';
import { operationalFigures } from './operations.js';
import type { CommittedOutbox, Store } from './port.js';
import * as secrets from './secrets.js';
import { recordSecrets } from './shared-secrets.js';
import * as receipts from './withdrawal-receipts.js';
import { statisticsFacts } from './statistics.js';
import type { Tx } from './transaction.js';

/** What nobody answers a partner on, and what appends nothing to the log: no sequencer, may share a later commit. */
const SIDE_WRITE: WriteOptions = { deferred: true, serialised: false };
/** An entry shown to an auditor must be on disk, or a crash could reuse its index and it would look like a fork of the log. */
const DURABLE: ReadOptions = { durable: true };

export class GatewayStore implements Store {
  private readonly keys: DossierKeys;
  /** Receipts being written: a replay reads its message only after them (see findMessage). */
  private readonly receipts = new Set<Promise<void>>();
  /** This process's relay, handed each accepted message's outbox row (onCommitted). */
  private committed: ((committed: CommittedOutbox) => void) | undefined;

  constructor(
    readonly engine: Engine,
    /** PASSERELLE_DATA_DIR: the dossier key-encryption key lives there (secrets/dossier.kek). */
    dataDir: string,
  ) {
    this.keys = new DossierKeys(dataDir);
  }

  private get sql() {
    return this.engine.sql;
  }

  private write<T>(tx: () => Tx<T>, options?: WriteOptions): Promise<T> {
    return this.engine.write(tx, options);
  }

  private read<T>(tx: () => Tx<T>, options?: ReadOptions): Promise<T> {
    return this.engine.read(tx, options);
  }

  // Messages and outbox

  readonly accept: Store['accept'] = async (message) => {
    const listener = this.committed;
    // Leased to this process only when its relay is there to publish it from memory.
    const lease = listener === undefined ? undefined : this.engine.writerLease;
    const outcome = await this.write(() => messages.accept(this.sql, this.keys, message, lease));
    if (outcome.kind === 'accepted' && listener !== undefined) {
      // Half the lease: a row handed late still has time to be published before another relay may take it.
      listener({ ...messages.committedOutbox(message, outcome.auditIndex), ...(lease === undefined ? {} : { heldForMs: (lease.seconds * 1000) / 2 }) });
    }
    return outcome;
  };
  readonly onCommitted: NonNullable<Store['onCommitted']> = (listener) => {
    this.committed = listener;
    return () => {
      if (this.committed === listener) this.committed = undefined;
    };
  };
  readonly markDeadLettered: Store['markDeadLettered'] = (id, at) => this.write(() => messages.markDeadLettered(this.sql, id, at));
  readonly recordEvent: Store['recordEvent'] = (event) => this.write(() => audit.appendAudit(this.sql, event));
  readonly statisticsFacts: Store['statisticsFacts'] = (page) => this.read(() => statisticsFacts(this.sql, page));
  readonly pendingOutbox: Store['pendingOutbox'] = async (limit) => (await this.engine.claimOutbox(limit)).map(messages.toOutboxEntry);
  readonly markQueued: Store['markQueued'] = (id, at) => this.write(() => messages.markQueued(this.sql, id, at), { deferred: true });
  readonly recordPublishFailure: Store['recordPublishFailure'] = (id) => this.write(() => messages.recordPublishFailure(this.sql, id), SIDE_WRITE);
  readonly outboxDepth: Store['outboxDepth'] = () => this.read(() => messages.outboxDepth(this.sql));
  readonly operationalFigures: Store['operationalFigures'] = () => this.read(() => operationalFigures(this.sql), { consistent: true });

  /** Kept for replays only, so nobody waits for it; one that could not be written is signed again by the replay. */
  readonly saveReceipt: Store['saveReceipt'] = async (id, receipt) => {
    const write = this.write(() => messages.saveReceipt(this.sql, id, receipt), SIDE_WRITE).catch(() => undefined);
    this.receipts.add(write);
    void write.finally(() => this.receipts.delete(write));
  };

  readonly findMessage: Store['findMessage'] = async (id) => {
    const find = () => messages.findMessage(this.sql, id);
    if ((await this.read(find)) === undefined) return undefined;
    // Found: what the caller answers about it (a replay's 200, a status) must be on disk, and its
    // receipt, if one was signed, written.
    await Promise.all([...this.receipts]);
    await this.engine.settle();
    return this.read(find);
  };

  /** Shown with audit indexes and leaf hashes to check: on disk, as the entries endpoint's. */
  readonly messageHistory: Store['messageHistory'] = (id) => this.read(() => messages.messageHistory(this.sql, id), DURABLE);

  readonly checkWritable: Store['checkWritable'] = async () => {
    try {
      await this.write(() => messages.probeWrite(this.sql, new Date().toISOString()), { serialised: false });
    } catch (err) {
      const reason = err instanceof GatewayError && err.cause instanceof Error ? err.cause.message : (err as Error).message;
      throw new GatewayError('store_unavailable', `The store cannot take writes: ${reason}.`, { cause: err });
    }
  };

  // Audit log

  readonly auditSize: Store['auditSize'] = () => this.read(() => audit.auditSize(this.sql), DURABLE);
  readonly readAuditEntries: Store['readAuditEntries'] = (start, end, limit) => this.read(() => audit.auditEntries(this.sql, { start, end, limit }), DURABLE);
  readonly readAuditEntriesNaming: Store['readAuditEntriesNaming'] = (naming, start, end, limit) => this.read(() => audit.auditEntries(this.sql, { start, end, limit, naming }), DURABLE);
  readonly findAuditEntries: Store['findAuditEntries'] = (filter, limit) => this.read(() => audit.filteredAuditEntries(this.sql, filter, limit), DURABLE);
  readonly auditNode: Store['auditNode'] = (level, index) => this.read(() => audit.auditNode(this.sql, level, index));
  readonly latestCheckpoint: Store['latestCheckpoint'] = () => this.read(() => audit.findCheckpoint(this.sql, 'latest'));
  readonly findCheckpoint: Store['findCheckpoint'] = (treeSize) => this.read(() => audit.findCheckpoint(this.sql, treeSize));
  readonly saveCheckpoint: Store['saveCheckpoint'] = (checkpoint) => this.write(() => audit.saveCheckpoint(this.sql, checkpoint), { serialised: false });
  readonly addCosignature: Store['addCosignature'] = (checkpoint, cosignature) => this.write(() => audit.addCosignature(this.sql, checkpoint, cosignature), { serialised: false });
  readonly cosignatures: Store['cosignatures'] = (treeSize) => this.read(() => audit.cosignatures(this.sql, treeSize));

  // Dossiers

  readonly pseudonymFor: Store['pseudonymFor'] = async (lookup, create) => {
    const known = await this.read(() => dossiers.findSubject(this.sql, lookup));
    if (known !== undefined) return known;
    // Not durable on its own: the acceptance that names the subject commits after it and makes it
    // durable; a subject that no accepted message names is forgotten a day later anyway.
    const subject = create();
    return this.write(() => dossiers.pseudonymFor(this.sql, lookup, subject), { durable: false, serialised: false });
  };

  readonly findSubject: Store['findSubject'] = (lookup) => this.read(() => dossiers.findSubject(this.sql, lookup));
  readonly isOptedOut: Store['isOptedOut'] = (lookup) => this.read(() => dossiers.isOptedOut(this.sql, lookup));
  readonly isHealthConsentWithdrawn: Store['isHealthConsentWithdrawn'] = (lookup) => this.read(() => dossiers.isHealthConsentWithdrawn(this.sql, lookup));
  readonly follows: Store['follows'] = async (beneficiary, partner) => (await this.followers(beneficiary)).includes(partner);
  readonly followers: Store['followers'] = (beneficiary) => this.read(() => dossiers.followers(this.sql, beneficiary));
  readonly recipientsOf: Store['recipientsOf'] = (beneficiary) => this.read(() => dossiers.recipientsOf(this.sql, beneficiary));
  readonly documentRecipients: Store['documentRecipients'] = (documentId) => this.read(() => dossiers.documentRecipients(this.sql, documentId));
  readonly disclosuresOf: Store['disclosuresOf'] = (beneficiary) => this.read(() => dossiers.disclosuresOf(this.sql, beneficiary));
  readonly readDossier: Store['readDossier'] = (beneficiary) => this.read(() => dossiers.readDossier(this.sql, this.keys, beneficiary), { consistent: true });
  readonly erase: Store['erase'] = (opts) => this.write(() => dossiers.erase(this.sql, this.keys, opts));
  readonly liftTombstone: Store['liftTombstone'] = (opts) => this.write(() => dossiers.liftTombstone(this.sql, opts));
  readonly unansweredOrientations: Store['unansweredOrientations'] = (before) => this.read(() => dossiers.unansweredOrientations(this.sql, before));
  readonly expireOrientation: Store['expireOrientation'] = (opts) => this.write(() => dossiers.expireOrientation(this.sql, this.keys, opts));
  readonly dueForDestruction: Store['dueForDestruction'] = (before) => this.read(() => dossiers.dueForDestruction(this.sql, before), { consistent: true });
  readonly destroyIfDue: Store['destroyIfDue'] = (opts) => this.write(() => dossiers.destroyIfDue(this.sql, opts));
  readonly forgetIdleSubjects: Store['forgetIdleSubjects'] = (before) => this.write(() => dossiers.forgetIdleSubjects(this.sql, before));
  readonly heldNotices: Store['heldNotices'] = (limit) => this.read(() => dossiers.heldNotices(this.sql, this.keys, limit));
  readonly releaseHeldNotice: Store['releaseHeldNotice'] = (id, body) => this.write(() => dossiers.releaseHeldNotice(this.sql, id, body), { serialised: false });
  readonly heldNoticeCounts: Store['heldNoticeCounts'] = () => this.read(() => dossiers.heldNoticeCounts(this.sql));

  // Beneficiary lookups

  readonly findLookupTarget: Store['findLookupTarget'] = (by) => this.read(() => lookups.findLookupTarget(this.sql, by), { consistent: true });
  readonly lookupsSince: Store['lookupsSince'] = (agency, since) => this.read(() => lookups.lookupsSince(this.sql, agency, since));
  readonly recordLookup: Store['recordLookup'] = (lookup) => this.write(() => lookups.recordLookup(this.sql, this.keys, lookup));
  readonly lookupSummary: Store['lookupSummary'] = (since) => this.read(() => lookups.lookupSummary(this.sql, since), { consistent: true });

  // Withdrawal execution receipts

  readonly withdrawalNotice: Store['withdrawalNotice'] = (id) => this.read(() => receipts.withdrawalNotice(this.sql, id));
  readonly withdrawalNotices: Store['withdrawalNotices'] = (opts) => this.read(() => receipts.withdrawalNotices(this.sql, opts), { consistent: true });
  readonly withdrawalNoticeCounts: Store['withdrawalNoticeCounts'] = () => this.read(() => receipts.withdrawalNoticeCounts(this.sql), { consistent: true });
  readonly dueWithdrawalReminders: Store['dueWithdrawalReminders'] = (opts) => this.read(() => receipts.dueReminders(this.sql, this.keys, opts));
  readonly sendWithdrawalReminder: Store['sendWithdrawalReminder'] = (opts) => this.write(() => dossiers.sendWithdrawalReminder(this.sql, this.keys, opts));

  // Secrets

  readonly rekeyLookups: Store['rekeyLookups'] = async (current, previous) => {
    // Read first: the write (and, with PostgreSQL, the sequencer) only for a person still under an old lookup.
    if (!(await this.read(() => secrets.underAny(this.sql, previous)))) return 0;
    return this.write(() => secrets.rekeyLookups(this.sql, current, previous));
  };
  readonly lookupCounts: Store['lookupCounts'] = () => this.read(() => secrets.lookupCounts(this.sql), { consistent: true });
  readonly rewrapDataKeys: Store['rewrapDataKeys'] = (limit) => this.write(() => secrets.rewrapDataKeys(this.sql, this.keys, limit));
  readonly wrappedKeyCounts: Store['wrappedKeyCounts'] = () => this.read(() => secrets.wrappedKeyCounts(this.sql), { consistent: true });
  readonly recordSecrets: Store['recordSecrets'] = (files) => this.write(() => recordSecrets(this.sql, files, new Date().toISOString()), { serialised: false });

  readonly close: Store['close'] = () => this.engine.close();
}
