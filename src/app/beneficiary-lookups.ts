/**
 * Finding a beneficiary among an agency's job seekers (agreement, article 4: "mieux identifier les
 * bénéficiaires parmi les demandeurs d'emploi accompagnés par chaque acteur"): an agency asks, for a
 * person it supports and with that person's agreement, whether the person is known to the exchange as
 * a CIR beneficiary, by the OFII reference or by identity.
 *
 * - Matching is on keyed pseudonyms only: the reference's lookup keys (src/privacy/pseudonym.ts) or the
 *   identity keys (src/privacy/identity-key.ts), under the current pseudonym secret and every retired
 *   one still held. The gateway compares no name, date or reference in clear, and keeps none.
 * - The answer is known / not known, nothing else. Known: the gateway holds the person, with an
 *   accepted orientation, and the person did not opt out. Then the gateway asks the sender of the
 *   person's latest orientation (OFII) to share the dossier with the agency: a `dossier-request` it
 *   signs, carrying the agency, the orientation's id, the person's agreement and the lookup's id. OFII
 *   answers through the usual signed messages (an orientation to the agency, header.inReplyTo = the
 *   request).
 * - Every lookup is audited (`looked-up`: agency, time, lookup id, outcome; the person's pseudonym only
 *   when found), and counted per agency against an hourly and a daily limit in the store, so that a
 *   lookup cannot be used to enumerate foreigners: past a limit, the refusal is audited too.
 * The notice is prepared (signed) before the transaction, which finds the person again and answers
 * `stale` when what was prepared no longer holds; then it is prepared again.
 */
import { randomUUID } from 'node:crypto';
import { INLINE_CRYPTO, type GatewayCrypto } from '../crypto/service.js';
import { GatewayError } from '../domain/errors.js';
import type { Partner } from '../domain/partner.js';
import type { IdentityKeys } from '../privacy/identity-key.js';
import type { LookupKeys } from '../privacy/pseudonym.js';
import type { DossierPort, GatewayNotice, LookupBy, LookupLimits, LookupsPort, LookupTarget } from '../store/port.js';
import type { GatewayNotices } from './gateway-notices.js';

/** How the person agreed that the agency asks (schemas/beneficiary-lookup.v1.schema.json). */
export interface PersonAgreement {
  recordedOn: string;
  channel: string;
}

export type LookupRequest =
  | { by: 'reference'; beneficiaryRef: string; personAgreement: PersonAgreement }
  | {
      by: 'identity';
      identity: { birthName: string; givenNames: string[]; birthDate: string; countryOfBirth: string };
      personAgreement: PersonAgreement;
    };

export interface LookupAnswer {
  lookupId: string;
  known: boolean;
}

/** Times a lookup is prepared again when the store finds it stale; past this the agency gets 503 and retries. */
export const LOOKUP_PREPARATIONS = 3;

export interface BeneficiaryLookupsDependencies {
  store: LookupsPort & Pick<DossierPort, 'readDossier'>;
  lookups: LookupKeys;
  identityKeys: IdentityKeys;
  notices: GatewayNotices;
  findPartner: (id: string) => Partner | undefined;
  limits: LookupLimits;
  maxDocumentBytes: number;
  now: () => Date;
  crypto?: GatewayCrypto;
}

const HOUR_MS = 3_600_000;

export class BeneficiaryLookups {
  constructor(private readonly deps: BeneficiaryLookupsDependencies) {}

  /** What the keys of the request are: every secret's, so that a rotation loses nobody. */
  private keysOf(request: LookupRequest): LookupBy {
    if (request.by === 'reference') {
      const ref = request.beneficiaryRef;
      return { lookups: [this.deps.lookups.current(ref), ...this.deps.lookups.previous(ref)] };
    }
    const { identity } = request;
    // A name with nothing left after normalisation gives no key: not known, as any other miss.
    return { identityKeys: this.deps.identityKeys.candidates({ surname: identity.birthName, givenNames: identity.givenNames, birthDate: identity.birthDate, countryOfBirth: identity.countryOfBirth }) };
  }

  /** @throws GatewayError 'lookup_rate_limited' past the agency's limits (audited), 'unavailable' when the person's rows kept changing. */
  async lookUp(agency: Partner, request: LookupRequest): Promise<LookupAnswer> {
    const lookupId = randomUUID();
    const by = this.keysOf(request);
    for (let attempt = 0; attempt < LOOKUP_PREPARATIONS; attempt++) {
      const at = this.deps.now().toISOString();
      // Over a limit already: no need to find the person nor to sign a request (the store refuses anyway).
      const over = await this.overLimit(agency.id, at);
      const expected = over ? { kind: 'unknown' as const } : await this.deps.store.findLookupTarget(by);
      const notice = expected.kind === 'known' ? await this.dossierRequest(expected.target, agency, request, lookupId) : undefined;
      const outcome = await this.deps.store.recordLookup({ lookupId, agency: agency.id, at, by, limits: this.deps.limits, expected, ...(notice ? { notice } : {}) });
      if (outcome.kind === 'answered') return { lookupId, known: outcome.known };
      if (outcome.kind === 'rate-limited') {
        throw new GatewayError(
          'lookup_rate_limited',
          `${agency.id} made ${this.deps.limits.perHour} lookups in the last hour or ${this.deps.limits.perDay} in the last day, the most the gateway answers; this attempt was recorded in the audit log. Retry in ${outcome.retryAfterSeconds} s.`,
          { retryAfterSeconds: outcome.retryAfterSeconds, rejection: { messageId: lookupId, auditIndex: outcome.auditIndex } },
        );
      }
    }
    throw new GatewayError('unavailable', "The person's records changed while the lookup was being answered; nothing was recorded. Ask again.", { retryAfterSeconds: 1 });
  }

  private async overLimit(agency: string, at: string): Promise<boolean> {
    const now = Date.parse(at);
    const { perHour, perDay } = this.deps.limits;
    if ((await this.deps.store.lookupsSince(agency, new Date(now - HOUR_MS).toISOString())) >= perHour) return true;
    return (await this.deps.store.lookupsSince(agency, new Date(now - 24 * HOUR_MS).toISOString())) >= perDay;
  }

  /**
   * The request to the orientation's sender to share the dossier with the agency. Its header must name
   * the person (header.beneficiaryRef is required in every message): the gateway reads the reference
   * in the orientation it kept, as OFII signed it, since an identity lookup gives none.
   */
  private async dossierRequest(target: LookupTarget, agency: Partner, request: LookupRequest, lookupId: string): Promise<GatewayNotice | undefined> {
    const { orientation } = target;
    // A sender that does not take these requests (the registry says) is not asked; the answer stays "known".
    if (this.deps.findPartner(orientation.sender)?.receives.includes('dossier-request') !== true) return undefined;
    const kept = (await this.deps.store.readDossier(target.beneficiary))?.find((document) => document.messageId === orientation.messageId);
    if (kept === undefined) throw new GatewayError('unavailable', "The person's dossier changed while the lookup was being answered; nothing was recorded. Ask again.", { retryAfterSeconds: 1 });
    const bytes = await (this.deps.crypto ?? INLINE_CRYPTO).readKept({ signedMessage: kept.signedMessage, maxDocumentBytes: this.deps.maxDocumentBytes });
    const { header } = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as { header: { beneficiaryRef: string } };
    return this.deps.notices.compose({
      type: 'dossier-request',
      recipient: orientation.sender,
      beneficiaryRef: header.beneficiaryRef,
      body: { requestedBy: agency.id, orientationMessageId: orientation.messageId, personAgreement: { recordedOn: request.personAgreement.recordedOn, channel: request.personAgreement.channel }, lookupId },
    });
  }
}
