/**
 * Lifting a tombstone on the operator's decision (`passerelle lift-tombstone`): a person erased or
 * opted out by mistake is re-admitted, so that OFII may orient them again. The tombstone holds the
 * person's lookup only, so the command takes their reference and computes it; the lift is audited
 * (`tombstone-lifted`, with the operator's reason code and the rows deleted, no pseudonym: the person
 * has no subject while tombstoned). The withdrawal notices already sent stand, and a withdrawal of
 * health consent (RETRAIT_ACCORD_SANTE) is not a tombstone: it stays.
 */
import { GatewayError } from '../domain/errors.js';
import type { LookupKey } from '../privacy/pseudonym.js';
import type { DossierPort } from '../store/port.js';

const BENEFICIARY_REF = /^[0-9]{10}$/;
/** The reason is written in the audit log: a code, never words that could name the person. */
const REASON_CODE = /^[a-z0-9][a-z0-9-]{1,62}$/;

export interface LiftReport {
  /** False when the gateway held no tombstone for the reference. */
  lifted: boolean;
  /** Index of the `tombstone-lifted` audit entry. */
  auditIndex: number | undefined;
}

export async function liftTombstone(
  deps: { store: DossierPort; lookup: LookupKey; previous?: { lookups: (beneficiaryRef: string) => string[]; rekey: (current: string, previous: readonly string[]) => Promise<number> }; now: () => Date },
  opts: { beneficiaryRef: string; reason: string },
): Promise<LiftReport> {
  if (!BENEFICIARY_REF.test(opts.beneficiaryRef)) {
    throw new GatewayError('usage_invalid', '--beneficiary-ref must be the 10-digit reference OFII gave the person (header.beneficiaryRef).');
  }
  if (!REASON_CODE.test(opts.reason)) {
    throw new GatewayError('usage_invalid', '--reason must be a code of lower-case letters, digits and dashes (e.g. erased-by-mistake), never free text: it goes into the audit log.');
  }
  const lookup = deps.lookup(opts.beneficiaryRef);
  // During a rotation of the pseudonym secret the tombstone may still be under an older lookup.
  if (deps.previous !== undefined) await deps.previous.rekey(lookup, deps.previous.lookups(opts.beneficiaryRef));
  const outcome = await deps.store.liftTombstone({ lookup, code: `operator-${opts.reason}`, at: deps.now().toISOString() });
  return { lifted: outcome.lifted > 0, auditIndex: outcome.auditIndex };
}
