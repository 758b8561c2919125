/**
 * Wiring of the beneficiary's dossier for the gateway and for the operator commands (`passerelle erase`,
 * `passerelle retention run`), which open the same store and secrets from PASSERELLE_DATA_DIR.
 */
import type { Settings } from '../config/settings.js';
import { INLINE_CRYPTO, type GatewayCrypto } from '../crypto/service.js';
import { loadKeyEncryptionKey } from '../privacy/envelope.js';
import { createIdentityKeys } from '../privacy/identity-key.js';
import { createLookupKeys, createPseudonymiser, pseudonymSecrets, type LookupKey, type Pseudonymiser } from '../privacy/pseudonym.js';
import type { DocumentValidator } from '../schema/validator.js';
import type { DossierPort, LookupsPort, SecretsPort, WithdrawalReceiptsPort } from '../store/port.js';
import { GATEWAY_ID, GATEWAY_PARTNER } from '../domain/gateway-partner.js';
import type { TrustStore } from '../trust/trust-store.js';
import { BeneficiaryLookups } from './beneficiary-lookups.js';
import { Dossiers } from './dossiers.js';
import { eraseBeneficiary, type ErasureReport } from './erasure.js';
import { GatewayNotices, releaseHeldNotices } from './gateway-notices.js';
import { runRetention, type RetentionProgress, type RetentionSummary } from './retention.js';
import { liftTombstone, type LiftReport } from './tombstones.js';

export interface DossierServices {
  lookup: LookupKey;
  pseudonymise: Pseudonymiser;
  notices: GatewayNotices;
  dossiers: Dossiers;
  /** POST /v1/beneficiary-lookups (src/app/beneficiary-lookups.ts). */
  beneficiaryLookups: BeneficiaryLookups;
  runRetention(progress?: RetentionProgress): Promise<RetentionSummary>;
  /** Seals and queues the held notices whose recipient now has a usable key. */
  releaseHeldNotices(): Promise<{ released: number; waiting: number }>;
  erase(opts: { beneficiaryRef: string; reason: string }): Promise<ErasureReport>;
  /** Re-admits a person erased or opted out by mistake (src/app/tombstones.ts). */
  liftTombstone(opts: { beneficiaryRef: string; reason: string }): Promise<LiftReport>;
}

export function createDossierServices(opts: {
  settings: Settings;
  trust: TrustStore;
  store: DossierPort & SecretsPort & LookupsPort & WithdrawalReceiptsPort;
  validator: DocumentValidator;
  now: () => Date;
  /** The gateway passes its worker pool; the operator commands sign and verify on their own thread. */
  crypto?: GatewayCrypto;
}): DossierServices {
  const { settings, trust, store, validator, now } = opts;
  const crypto = opts.crypto ?? INLINE_CRYPTO;
  const pseudonymRing = pseudonymSecrets(settings.dataDir);
  const lookups = createLookupKeys(pseudonymRing);
  const identityKeys = createIdentityKeys(pseudonymRing);
  const lookup = lookups.current;
  const previous = { lookups: lookups.previous, rekey: (current: string, older: readonly string[]) => store.rekeyLookups(current, older) };
  // Created at the first start, like the pseudonym secret, so that a data folder it cannot be written to stops the start.
  loadKeyEncryptionKey(settings.dataDir);
  const keysOf = (partnerId: string) => trust.partner(partnerId)?.publicKeys ?? [];
  // Every key a partner ever registered, revoked ones included: a kept document is judged as of its
  // acceptance, and openpgp weighs each revocation's reason (src/crypto/open.ts, openSigned).
  const archiveKeysOf = (partnerId: string) => trust.partner(partnerId)?.keyRing.map((entry) => entry.key) ?? [];
  const findPartner = (id: string) => (id === GATEWAY_ID ? GATEWAY_PARTNER : trust.registry.get(id));
  const notices = new GatewayNotices({ signingKey: () => trust.gateway.privateKey, recipientKeys: keysOf, validator, now, crypto });
  const dossiers = new Dossiers({ store, lookup, notices, findPartner, senderKeys: archiveKeysOf, maxDocumentBytes: settings.maxDocumentBytes, validator, crypto, identityKeys });
  const beneficiaryLookups = new BeneficiaryLookups({
    store,
    lookups,
    identityKeys,
    notices,
    findPartner,
    limits: { perHour: settings.lookupsPerHour, perDay: settings.lookupsPerDay },
    maxDocumentBytes: settings.maxDocumentBytes,
    now,
    crypto,
  });
  return {
    lookup,
    pseudonymise: createPseudonymiser({ lookup, subjects: store, now, previous }),
    notices,
    dossiers,
    beneficiaryLookups,
    runRetention: (progress) =>
      runRetention({
        ...(progress ? { progress } : {}),
        store,
        notices,
        findPartner,
        senderKeys: archiveKeysOf,
        policy: { orientationExpiryDays: settings.orientationExpiryDays, dossierRetentionDays: settings.dossierRetentionDays },
        reminders: { reminderDays: settings.withdrawalReminderDays, maxReminders: settings.withdrawalMaxReminders },
        maxDocumentBytes: settings.maxDocumentBytes,
        now,
        crypto,
      }),
    releaseHeldNotices: () => releaseHeldNotices({ store, notices }),
    erase: (request) => eraseBeneficiary({ store, lookup, previous, notices, dossiers, now }, request),
    liftTombstone: (request) => liftTombstone({ store, lookup, previous, now }, request),
  };
}
