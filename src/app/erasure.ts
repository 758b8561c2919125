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
import type { DossierPort, GatewayNotice } from '../store/port.js';
import type { Dossiers } from './dossiers.js';
import type { GatewayNotices } from './gateway-notices.js';

const BENEFICIARY_REF = /^[0-9]{10}$/;
/** The reason is written in the audit log: a code, never words that could name the person. */
const REASON_CODE = /^[a-z0-9][a-z0-9-]{1,62}$/;

export interface ErasureDependencies {
  store: DossierPort;
  lookup: LookupKey;
  /** During a rotation of the pseudonym secret: the person's rows move to the current lookup first. */
  previous?: { lookups: (beneficiaryRef: string) => string[]; rekey: (current: string, previous: readonly string[]) => Promise<number> };
  notices: GatewayNotices;
  dossiers: Dossiers;
  now: () => Date;
}

export interface ErasureReport {
  /** False when the gateway held nothing about the person. */
  erased: boolean;
  /** Dossier documents destroyed. */
  documents: number;
  /** Withdrawal notices queued. */
  notices: number;
  /** Index of the `erased` audit entry. */
  auditIndex: number | undefined;
  /** The agencies notified (partner ids). */
  notified: string[];
  /** Of those, the agencies without a usable key: their notice waits until they register one. */
  held: string[];
}

/**
 * How many times the notices are prepared again when messages about the person are accepted while
 * they are signed; past this the erasure stops with nothing done, to be run again.
 */
export const ERASURE_PREPARATIONS = 5;

export async function eraseBeneficiary(deps: ErasureDependencies, opts: { beneficiaryRef: string; reason: string }): Promise<ErasureReport> {
  if (!BENEFICIARY_REF.test(opts.beneficiaryRef)) {
    throw new GatewayError('usage_invalid', '--beneficiary-ref must be the 10-digit reference OFII gave the person (header.beneficiaryRef).');
  }
  if (!REASON_CODE.test(opts.reason)) {
    throw new GatewayError('usage_invalid', '--reason must be a code of lower-case letters, digits and dashes (e.g. art17-request), never free text: it goes into the audit log.');
  }
  const nothing: ErasureReport = { erased: false, documents: 0, notices: 0, auditIndex: undefined, notified: [], held: [] };
  const lookup = deps.lookup(opts.beneficiaryRef);
  if (deps.previous !== undefined) await deps.previous.rekey(lookup, deps.previous.lookups(opts.beneficiaryRef));
  const beneficiary = await deps.store.findSubject(lookup);
  if (beneficiary === undefined) return nothing;
  const now = deps.now();
  const composed = new Map<string, GatewayNotice>();
  let recipients = await deps.store.recipientsOf(beneficiary);
  for (let attempt = 0; attempt < ERASURE_PREPARATIONS; attempt++) {
    const notified = deps.dossiers.withdrawalRecipients(recipients);
    for (const recipient of notified.filter((id) => !composed.has(id))) {
      composed.set(
        recipient,
        await deps.notices.compose({ type: 'withdrawal', recipient, beneficiaryRef: opts.beneficiaryRef, body: { reason: 'EFFACEMENT', effectiveOn: now.toISOString().slice(0, 10) } }),
      );
    }
    const notices = notified.map((id) => composed.get(id)!);
    const outcome = await deps.store.erase({ beneficiary, reason: `operator-${opts.reason}`, at: now.toISOString(), notices, preparedFor: recipients });
    if (outcome.kind === 'unknown') return nothing;
    if (outcome.kind === 'erased') {
      const held = notices.filter((notice) => notice.held !== undefined).map((notice) => notice.recipient);
      return { erased: true, documents: outcome.documents, notices: outcome.notices, auditIndex: outcome.auditIndex, notified, held };
    }
    recipients = outcome.recipients;
  }
  throw new GatewayError('unavailable', `Messages about this person kept being accepted while the erasure was prepared (${ERASURE_PREPARATIONS} times); nothing was erased. Run the command again.`);
}
