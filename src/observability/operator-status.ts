/**
 * The gateway's state for its operators, built once for GET /v1/operator/status (JSON) and for
 * /metrics (Prometheus): readiness, broker, outbox and relay, queue depths, dead letters, retention
 * sweeps, the audit log and its checkpoint, and the expiry of every partner certificate and OpenPGP
 * key (a warning 30 days ahead). Engine-neutral: the store answers through its port
 * (src/store/operations.ts), the broker through a passive queue check (src/broker/queue-depths.ts).
 *
 * Nothing personal: partner, queue and key identifiers, counts and dates.
 */
import { X509Certificate } from 'node:crypto';
import { newestCurrent, type RingKey } from '../crypto/key-ring.js';
import type { Partner } from '../domain/partner.js';
import type { AuditLogPort, OperationsPort, Store } from '../store/port.js';
import type { TrustStore } from '../trust/trust-store.js';
import type { PeerCertificates } from './peer-certificates.js';

/** A certificate or key that expires within this many days is flagged (as src/trust EXPIRY_NOTICE_DAYS). */
export const WARNING_DAYS = 30;
/** How long a queue check answer is reused: a burst of scrapes and status calls costs one check. */
export const QUEUE_CACHE_MS = 5_000;

const DAY_MS = 86_400_000;

export interface QueueDepth {
  partner: string;
  queue: string;
  /** Ready messages in the partner's queue; null when the broker did not answer. */
  messages: number | null;
  /** Messages in the partner's dead-letter queue; null when the broker did not answer. */
  deadLettered: number | null;
}

export interface Expiry {
  notAfter: string;
  daysLeft: number;
}

export interface KeyExpiry {
  fingerprint: string;
  /** null: the key never expires. */
  expiresAt: string | null;
  revoked: boolean;
  daysLeft: number | null;
}

export interface PartnerStatus {
  id: string;
  name: string;
  role: Partner['role'];
  /** The client certificate: as last presented on a connection, else partners/<id>/tls.crt; null when neither is known. */
  certificate: (Expiry & { source: 'presented' | 'trust-directory' }) | null;
  openpgpKeys: KeyExpiry[];
  /** A certificate or the newest key expires within WARNING_DAYS, or the partner needs a key and has none usable. */
  warning: boolean;
}

export interface OperatorSnapshot {
  status: 'ready' | 'not-ready';
  store: 'writable' | 'unavailable';
  broker: 'connected' | 'disconnected';
  /** Kept for the clients of the first version of this answer; the same as outbox.depth. */
  outboxDepth: number | null;
  outbox: { depth: number; oldestAgeSeconds: number | null; held: number } | null;
  relay: { lagSeconds: number | null };
  queues: QueueDepth[];
  deadLetters: { total: number } | null;
  /** Withdrawal notices no agency answered with an execution receipt yet (docs/interface.md). */
  withdrawalReceipts: { outstanding: number } | null;
  retention: { lastSweepAt: string | null; lastSweep: Readonly<Record<string, number>> | null };
  auditLog: { size: number; checkpoint: { treeSize: number; timestamp: string; ageSeconds: number; cosignatures: number } | null } | null;
  partners: PartnerStatus[];
  gateway: { tlsCertificate: Expiry; openpgpKeys: KeyExpiry[] };
  checkedAt: string;
}

export interface OperatorStatusDependencies {
  store: Pick<Store, 'checkWritable'> & OperationsPort & Pick<AuditLogPort, 'auditSize' | 'latestCheckpoint' | 'cosignatures'>;
  brokerConnected: () => boolean;
  /** The partners' queues checked on the broker (passive, bounded in time); rejects when it cannot. */
  checkQueues: () => Promise<QueueDepth[]>;
  trust: Pick<TrustStore, 'registry' | 'partner' | 'gateway'>;
  peers: PeerCertificates;
  now: () => Date;
  /** Seconds from acceptance to the broker's confirm of the last message the relay published; undefined before the first. */
  relayLagSeconds: () => number | undefined;
}

export class OperatorStatus {
  private queues: { at: number; depths: Promise<QueueDepth[]> } | undefined;
  private lastSweep: { at: Date; summary: Readonly<Record<string, number>> } | undefined;

  constructor(private readonly deps: OperatorStatusDependencies) {}

  /** A retention sweep ended (src/app/retention.ts): its counts, never whom they concern. */
  recordSweep(summary: object, at: Date = this.deps.now()): void {
    const counts = Object.fromEntries(Object.entries(summary).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
    this.lastSweep = { at, summary: Object.freeze(counts) };
  }

  async snapshot(): Promise<OperatorSnapshot> {
    const { deps } = this;
    const now = deps.now();
    const ready = await deps.store.checkWritable().then(
      () => true,
      () => false,
    );
    const connected = deps.brokerConnected();
    const [figures, audit, queues] = await Promise.all([
      ready ? deps.store.operationalFigures() : undefined,
      ready ? this.auditLog(now) : undefined,
      connected ? this.queueDepths() : Promise.resolve([]),
    ]);
    const lag = deps.relayLagSeconds();
    return {
      status: ready ? 'ready' : 'not-ready',
      store: ready ? 'writable' : 'unavailable',
      broker: connected ? 'connected' : 'disconnected',
      outboxDepth: figures?.outboxDepth ?? null,
      outbox: figures
        ? {
            depth: figures.outboxDepth,
            oldestAgeSeconds: figures.outboxOldestAcceptedAt === undefined ? null : Math.max(0, secondsBetween(new Date(figures.outboxOldestAcceptedAt), now)),
            held: figures.heldNotices,
          }
        : null,
      relay: { lagSeconds: lag ?? null },
      queues,
      deadLetters: figures ? { total: figures.deadLettered } : null,
      withdrawalReceipts: figures ? { outstanding: figures.outstandingWithdrawalReceipts } : null,
      retention: { lastSweepAt: this.lastSweep?.at.toISOString() ?? null, lastSweep: this.lastSweep?.summary ?? null },
      auditLog: audit ?? null,
      partners: [...deps.trust.registry.partners.values()].map((partner) => this.partnerStatus(partner, now)),
      gateway: {
        tlsCertificate: expiry(new X509Certificate(deps.trust.gateway.tlsCertPem).validTo, now),
        openpgpKeys: deps.trust.gateway.keyRing.map((entry) => keyExpiry(entry, now)),
      },
      checkedAt: now.toISOString(),
    };
  }

  private async auditLog(now: Date): Promise<NonNullable<OperatorSnapshot['auditLog']>> {
    const [size, checkpoint] = await Promise.all([this.deps.store.auditSize(), this.deps.store.latestCheckpoint()]);
    if (checkpoint === undefined) return { size, checkpoint: null };
    const cosignatures = await this.deps.store.cosignatures(checkpoint.treeSize);
    return {
      size,
      checkpoint: { treeSize: checkpoint.treeSize, timestamp: checkpoint.timestamp, ageSeconds: Math.max(0, secondsBetween(new Date(checkpoint.timestamp), now)), cosignatures: cosignatures.length },
    };
  }

  /** One check of every queue at most every QUEUE_CACHE_MS, shared by the callers meanwhile; a failed check is not kept. */
  private queueDepths(): Promise<QueueDepth[]> {
    const at = Date.now();
    if (this.queues === undefined || at - this.queues.at >= QUEUE_CACHE_MS) {
      const depths = this.deps.checkQueues();
      this.queues = { at, depths };
      depths.catch(() => {
        if (this.queues?.depths === depths) this.queues = undefined;
      });
    }
    // The broker did not answer in time: no figure rather than a stale one.
    return this.queues.depths.catch(() => []);
  }

  private partnerStatus(partner: Partner, now: Date): PartnerStatus {
    const trust = this.deps.trust.partner(partner.id);
    const presented = this.deps.peers.get(partner.id);
    let certificate: PartnerStatus['certificate'] = null;
    if (presented !== undefined) certificate = { ...expiry(presented.notAfter.toISOString(), now), source: 'presented' };
    else if (trust?.certificatePem !== undefined) certificate = { ...expiry(new X509Certificate(trust.certificatePem).validTo, now), source: 'trust-directory' };
    const ring = trust?.keyRing ?? [];
    const newest = newestCurrent(ring, now);
    // Agencies sign and receive: without a usable key nothing of theirs passes. Other roles may have none.
    const keyMissing = newest === undefined && (partner.role === 'agency' || ring.length > 0);
    const keyExpiring = newest?.expires !== undefined && newest.expires.getTime() - now.getTime() < WARNING_DAYS * DAY_MS;
    const certificateExpiring = certificate !== null && certificate.daysLeft < WARNING_DAYS;
    return {
      id: partner.id,
      name: partner.name,
      role: partner.role,
      certificate,
      openpgpKeys: ring.map((entry) => keyExpiry(entry, now)),
      warning: keyMissing || keyExpiring || certificateExpiring,
    };
  }
}

function secondsBetween(from: Date, to: Date): number {
  return (to.getTime() - from.getTime()) / 1000;
}

/** Whole days left, rounded down (negative once expired). */
function daysLeft(notAfter: Date, now: Date): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
}

function expiry(validTo: string, now: Date): Expiry {
  const notAfter = new Date(validTo);
  return { notAfter: notAfter.toISOString(), daysLeft: daysLeft(notAfter, now) };
}

function keyExpiry(entry: Pick<RingKey, 'fingerprint' | 'expires' | 'revoked'>, now: Date): KeyExpiry {
  return {
    fingerprint: entry.fingerprint,
    expiresAt: entry.expires?.toISOString() ?? null,
    revoked: entry.revoked,
    daysLeft: entry.expires === undefined ? null : daysLeft(entry.expires, now),
  };
}
