/**
 * Erasing one person on the operator's decision (`passerelle erase`, RGPD article 17): crypto-shredding.
 * The subject row goes, with the wrapped data key of the dossier and the key of the person's pseudonym:
 * the dossier can no longer be decrypted, from the store or from any copy of it taken afterwards, and
 * the pseudonym in earlier audit entries links to nobody. The audit log is only appended to (`erased`,
 * `withdrawal-notified`), so every earlier checkpoint and proof still verifies. Every agency that
 * received data about the person gets a withdrawal notice: they are controllers of their own copies.
 */
import { GatewayError } from '../domain/errors.js';
import type { LookupKey } from '../privacy/pseudonym.js';
import type { DossierStore, ErasureOutcome } from '../store/dossiers.js';
import type { Dossiers } from './dossiers.js';
import type { GatewayNotices } from './gateway-notices.js';

const BENEFICIARY_REF = /^[0-9]{10}$/;
/** The reason is written in the audit log: a code, never words that could name the person. */
const REASON_CODE = /^[a-z0-9][a-z0-9-]{1,62}$/;

export interface ErasureDependencies {
  store: DossierStore;
  lookup: LookupKey;
  notices: GatewayNotices;
  dossiers: Dossiers;
  now: () => Date;
}

export interface ErasureReport extends ErasureOutcome {
  /** The agencies notified (partner ids). */
  notified: string[];
}

export async function eraseBeneficiary(deps: ErasureDependencies, opts: { beneficiaryRef: string; reason: string }): Promise<ErasureReport> {
  if (!BENEFICIARY_REF.test(opts.beneficiaryRef)) {
    throw new GatewayError('config_invalid', '--beneficiary-ref must be the 10-digit reference OFII gave the person (header.beneficiaryRef).');
  }
  if (!REASON_CODE.test(opts.reason)) {
    throw new GatewayError('config_invalid', '--reason must be a code of lower-case letters, digits and dashes (e.g. art17-request), never free text: it goes into the audit log.');
  }
  const beneficiary = await deps.store.findSubject(deps.lookup(opts.beneficiaryRef));
  if (beneficiary === undefined) return { erased: false, documents: 0, notices: 0, auditIndex: undefined, notified: [] };
  const now = deps.now();
  const notified = deps.dossiers.withdrawalRecipients(await deps.store.recipientsOf(beneficiary));
  const notices = [];
  for (const recipient of notified) {
    notices.push(
      await deps.notices.compose({
        type: 'withdrawal',
        recipient,
        beneficiaryRef: opts.beneficiaryRef,
        body: { reason: 'EFFACEMENT', effectiveOn: now.toISOString().slice(0, 10) },
      }),
    );
  }
  const outcome = await deps.store.erase({ beneficiary, reason: `operator-${opts.reason}`, at: now.toISOString(), notices });
  return { ...outcome, notified: outcome.erased ? notified : [] };
}
