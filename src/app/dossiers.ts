/**
 * Tell us once, opt-out and withdrawal at acceptance: what the beneficiary's dossier adds to the
 * acceptance of a message (src/app/ingest.ts).
 *
 * - Step 8 rules: a referral only from the agency that currently follows the person
 *   (`referrer-follows-beneficiary`), an end-of-CIR review only to the agency that follows the person
 *   or to the gateway for the statistics (`review-to-follower`), then no message about a person who
 *   opted out (`beneficiary-opted-out`).
 * - A referral carries the dossier to its recipient: OFII's latest orientation and the history of
 *   acknowledgements, status updates and end-of-CIR reviews, each as its sender signed it, in a
 *   `dossier` message that the gateway signs and encrypts to the recipient. Before anything is disclosed, the recipient's
 *   eligibility and minimisation rules for orientations are applied to that orientation: the dossier
 *   discloses it whole (its signature covers every field), so a field the recipient may not receive
 *   refuses the referral.
 * - A rectification (src/app/rectifications.ts) is kept next to the document it corrects and told to
 *   every partner that received that document; a later dossier carries the document AND its
 *   rectifications, each signed by its author, and the recipient's rules are judged on the corrected
 *   version (a rectification goes wherever its document goes, and is withheld with it).
 * - An opt-out queues a withdrawal notice for every agency that received data about the person, records
 *   a tombstone and destroys the dossier.
 * - An orientation indexes the person's keyed identities (birth name, and usage name), so that an
 *   agency supporting the person can find them (src/app/beneficiary-lookups.ts).
 *   a tombstone and destroys the dossier; except RETRAIT_ACCORD_SANTE (the person withdrew their consent
 *   to share health data, RGPD art. 9(2)(a), 7(3)), which records the withdrawal, keeps the dossier
 *   and the orientation going, and from then on refuses every message that carries a health field
 *   (`health-consent-withdrawn`, src/domain/health-fields.ts) and discloses OFII's orientation in a
 *   dossier as a copy without its health fields, which the gateway's signature of the dossier attests
 *   (the author's signature cannot cover a redacted copy).
 * - An execution receipt is none of the person's business: no rule of the dossier applies to it (it
 *   must be accepted after the opt-out or erasure it reports on), and it changes nothing in the dossier.
 * Everything is prepared here (signing is asynchronous) and written by the acceptance transaction,
 * which checks the opt-out and the referrer again, and answers `stale` when the recipients or the
 * dossier the notices were prepared from changed meanwhile (src/store/dossiers.ts): then the caller
 * prepares again.
 */
import { createHash } from 'node:crypto';
import type { PublicKey } from '../crypto/keys.js';
import { INLINE_CRYPTO, type GatewayCrypto } from '../crypto/service.js';
import { DOSSIER_MAX_DOCUMENTS } from '../domain/dossier-limits.js';
import { evaluateEligibility } from '../domain/eligibility.js';
import { GatewayError } from '../domain/errors.js';
import { assertFollows, assertNotOptedOut, assertReviewToFollower, followEffects, keptInDossier } from '../domain/follow.js';
import { GATEWAY_ID } from '../domain/gateway-partner.js';
import type { MessageDocument } from '../domain/message.js';
import { findForbiddenFields } from '../domain/minimisation.js';
import { identitiesOfOrientation, type IdentityKeys } from '../privacy/identity-key.js';
import { changedHealthField, findHealthFields, healthFieldRefusal, withoutHealthFields } from '../domain/health-fields.js';
import type { LookupKey } from '../privacy/pseudonym.js';
import type { OptOutV1, OrientationV1, RectificationV1 } from '../schema/generated/index.js';
import type { DocumentValidator } from '../schema/validator.js';
import type { DossierDocument, DossierPort, DossierUpdate, GatewayNotice } from '../store/port.js';
import type { Partner } from '../domain/partner.js';
import type { GatewayNotices } from './gateway-notices.js';
import { Rectifications, type KeptRectification } from './rectifications.js';

/** What a dossier discloses after the orientation, each document under the recipient's minimisation rules for its type. */
const HISTORY_TYPES = new Set(['acknowledgement', 'status-update', 'cir-review']);
/** Opt-out natures that keep the person: only health data goes (RGPD art. 9(2)(a), 7(3)). */
const KEEPS_THE_PERSON = new Set(['RETRAIT_ACCORD_SANTE']);
/** Messages about the person that answer the gateway, not the person's exchange (docs/interface.md). */
const OUTSIDE_THE_DOSSIER = new Set(['execution-receipt']);

export interface DossiersDependencies {
  store: DossierPort;
  lookup: LookupKey;
  notices: GatewayNotices;
  findPartner: (id: string) => Partner | undefined;
  /** Every key a partner registered, revoked ones included, to check its kept documents as of their acceptance. */
  senderKeys: (partnerId: string) => PublicKey[];
  maxDocumentBytes: number;
  /** Checks a rectification's corrected version against the corrected document's own schema. */
  validator: DocumentValidator;
  /** Where the stored documents are verified (the gateway's worker pool); on this thread when absent. */
  crypto?: GatewayCrypto;
  /**
   * Keys the identities of an accepted orientation for beneficiary lookups (src/app/beneficiary-lookups.ts);
   * the gateway always gives it, tests of other rules may not (then no identity is indexed).
   */
  identityKeys?: IdentityKeys;
}

/** A dossier item's redacted copy (schemas/dossier.v1.schema.json): OFII's orientation body without its health fields. */
interface Redaction {
  content: Record<string, unknown>;
  removedFields: string[];
  originalSha256: string;
}

function parse(bytes: Uint8Array): MessageDocument {
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as MessageDocument;
}

export class Dossiers {
  private readonly rectifications: Rectifications;

  constructor(private readonly deps: DossiersDependencies) {
    this.rectifications = new Rectifications(deps);
  }

  /**
   * Step 8: the rules of the dossier, the referrer's follow (a review's recipient's, a rectification's
   * authorship) before the opt-out, so that an agency that does not follow a person cannot learn whether
   * they opted out (an opt-out ends every follow); a rectification's corrected version after it.
   */
  async assertAllowed(opts: { document: MessageDocument; sender: string; beneficiary: string }): Promise<void> {
    const { header } = opts.document;
    if (OUTSIDE_THE_DOSSIER.has(header.type)) return;
    if (header.type === 'referral') {
      assertFollows({ follows: await this.deps.store.follows(opts.beneficiary, opts.sender), sender: opts.sender });
    }
    if (header.type === 'cir-review' && header.recipient !== GATEWAY_ID) {
      assertReviewToFollower({ follows: await this.deps.store.follows(opts.beneficiary, header.recipient), recipient: header.recipient });
    }
    const rectification = header.type === 'rectification' ? (opts.document as RectificationV1) : undefined;
    const found = rectification === undefined ? undefined : await this.rectifications.find({ document: rectification, beneficiary: opts.beneficiary });
    const lookup = this.deps.lookup(header.beneficiaryRef);
    assertNotOptedOut(await this.deps.store.isOptedOut(lookup));
    const [healthField] = findHealthFields(opts.document);
    if (healthField !== undefined && (await this.deps.store.isHealthConsentWithdrawn(lookup))) throw healthFieldRefusal(header.type, healthField);
    if (rectification !== undefined) {
      const checked = await this.rectifications.check({ document: rectification, found: found! });
      // After a withdrawal of health consent a correction may not put a health field back, nor change one.
      const asType = (document: { body: unknown }) => ({ header: { type: checked.target.type }, body: document.body });
      const changed = changedHealthField(asType(checked.current), asType(checked.corrected));
      if (changed !== undefined && (await this.deps.store.isHealthConsentWithdrawn(lookup))) throw healthFieldRefusal(header.type, changed);
    }
  }

  /** Whether accepting a message of this type changes anything in the person's dossier (prepare). */
  concerns(type: string): boolean {
    return !OUTSIDE_THE_DOSSIER.has(type);
  }

  /** What the acceptance transaction writes besides the message (NewMessage.dossier). */
  async prepare(opts: { document: MessageDocument; signedMessage: Uint8Array; recipient: Partner; beneficiary: string; acceptedAt?: string }): Promise<DossierUpdate> {
    const { document } = opts;
    const { header } = document;
    const [healthField] = findHealthFields(document);
    const update: DossierUpdate = {
      lookup: this.deps.lookup(header.beneficiaryRef),
      follow: followEffects(document),
      notices: [],
      ...(keptInDossier(header) ? { signedMessage: opts.signedMessage } : {}),
      ...(healthField === undefined ? {} : { healthField }),
    };
    // A review delivered to an agency: that agency must still follow the person when the transaction runs.
    if (header.type === 'cir-review' && header.recipient !== GATEWAY_ID) update.follower = header.recipient;
    if (document.header.type === 'orientation' && this.deps.identityKeys !== undefined) {
      update.identityKeys = this.deps.identityKeys.current(identitiesOfOrientation((document as OrientationV1).body.identity));
    }
    if (document.header.type === 'referral') {
      update.referrer = header.sender;
      const documents = (await this.deps.store.readDossier(opts.beneficiary)) ?? [];
      update.preparedFrom = { documents: documents.map((d) => d.messageId) };
      const healthWithdrawn = await this.deps.store.isHealthConsentWithdrawn(update.lookup);
      update.notices.push(await this.dossierFor(document, opts.recipient, documents, healthWithdrawn));
    }
    if (document.header.type === 'rectification') {
      Object.assign(update, await this.rectifications.prepare({ document: document as RectificationV1, signedMessage: opts.signedMessage, beneficiary: opts.beneficiary, acceptedAt: opts.acceptedAt }));
    }
    if (document.header.type === 'opt-out') {
      const { body } = document as OptOutV1;
      const recipients = await this.deps.store.recipientsOf(opts.beneficiary);
      if (KEEPS_THE_PERSON.has(body.kind)) update.healthConsentWithdrawn = true;
      else update.optOut = true;
      update.preparedFrom = { recipients };
      for (const recipient of this.withdrawalRecipients(recipients)) {
        update.notices.push(
          await this.deps.notices.compose({
            type: 'withdrawal',
            recipient,
            beneficiaryRef: header.beneficiaryRef,
            inReplyTo: header.messageId,
            body: { reason: body.kind, effectiveOn: body.effectiveOn },
          }),
        );
      }
    }
    return update;
  }

  /** Of the partners that received data about a person, those that take withdrawal notices (the registry says). */
  withdrawalRecipients(recipients: string[]): string[] {
    return recipients.filter((id) => this.deps.findPartner(id)?.receives.includes('withdrawal') === true);
  }

  private async dossierFor(referral: MessageDocument, recipient: Partner, documents: readonly DossierDocument[], healthWithdrawn: boolean): Promise<GatewayNotice> {
    const rectifications = await this.rectifications.ofDossier(documents);
    const orientation = documents.filter((d) => d.type === 'orientation').at(-1);
    const redaction = await this.assertMayReceive(referral, recipient, orientation, rectifications, healthWithdrawn);
    const history = await this.mayReceive(recipient, documents.filter((d) => HISTORY_TYPES.has(d.type)).slice(-(DOSSIER_MAX_DOCUMENTS - 1)), rectifications, healthWithdrawn);
    const corrected = [...(orientation ? [orientation] : []), ...history];
    // Each disclosed document's rectifications, after the documents, in acceptance order; the dossier
    // holds at most DOSSIER_MAX_DOCUMENTS documents in all (src/domain/dossier-limits.ts), so this does too.
    // A redacted orientation is its corrected version already: its rectifications, which may hold the
    // health fields the redaction removed, do not follow it.
    const disclosedIds = new Set(corrected.filter((d) => !(d === orientation && redaction !== undefined)).map((d) => d.messageId));
    const following = new Set([...rectifications.values()].flat().filter((r) => disclosedIds.has(r.corrects)).map((r) => r.document.messageId));
    const corrections = documents.filter((d) => following.has(d.messageId));
    const disclosed = [...corrected, ...corrections];
    const listed = (d: DossierDocument) => ({ messageId: d.messageId, type: d.type, sender: d.sender, acceptedAt: d.acceptedAt });
    const notice = await this.deps.notices.compose({
      type: 'dossier',
      recipient: recipient.id,
      beneficiaryRef: referral.header.beneficiaryRef,
      inReplyTo: referral.header.messageId,
      body: {
        documents: disclosed.map((d) =>
          d === orientation && redaction !== undefined
            ? { ...listed(d), redacted: redaction }
            : { ...listed(d), signedMessage: Buffer.from(d.signedMessage).toString('base64') },
        ),
      },
      count: disclosed.length,
    });
    return { ...notice, discloses: disclosed.map((d) => d.messageId) };
  }

  /**
   * Minimisation for every document a dossier discloses (RGPD art. 5(1)(c), 25): the recipient's rules
   * for each document's type, as for a message sent to it directly. A document of the history it may
   * not receive is withheld (the signer signed it whole, so a field cannot be removed); the rest of the
   * history still goes. The orientation is checked apart (assertMayReceive): without it there is no
   * dossier to disclose.
   */
  private async mayReceive(recipient: Partner, history: readonly DossierDocument[], rectifications: ReadonlyMap<string, KeptRectification[]>, healthWithdrawn: boolean): Promise<DossierDocument[]> {
    if (!healthWithdrawn && !recipient.minimisation.some((rule) => history.some((document) => rule.messageTypes.includes(document.type)))) return [...history];
    const allowed: DossierDocument[] = [];
    for (const document of history) {
      // The corrected version is what the recipient will read once it applies the rectifications.
      const kept = { header: { type: document.type }, body: await this.rectifications.correctedBody(document, rectifications.get(document.messageId)) };
      // After a withdrawal of health consent, a history document with a health field is withheld too.
      if (findForbiddenFields(kept, recipient).length === 0 && !(healthWithdrawn && findHealthFields(kept).length > 0)) allowed.push(document);
    }
    return allowed;
  }

  /**
   * The recipient's rules for orientations, applied to the orientation the dossier discloses, on the
   * referral's send date (Mission Locale: 16 to 25 on the day of the referral). After a withdrawal of
   * health consent, what is disclosed (and judged) is the orientation without its health fields: the
   * redacted copy is returned, to go in the dossier instead of OFII's signed message.
   */
  private async assertMayReceive(referral: MessageDocument, recipient: Partner, orientation: DossierDocument | undefined, rectifications: ReadonlyMap<string, KeptRectification[]>, healthWithdrawn: boolean): Promise<Redaction | undefined> {
    const appliesToOrientations = recipient.eligibility.some((rule) => rule.messageTypes.includes('orientation'));
    if (orientation === undefined) {
      if (!appliesToOrientations) return undefined;
      const rule = recipient.eligibility.find((r) => r.messageTypes.includes('orientation'))!.rule;
      throw new GatewayError('rule_violation', `Rule ${rule}: the gateway holds no orientation of this person to check ${recipient.id}'s eligibility on; ask OFII to orient the person instead.`, { rule });
    }
    const opened = await (this.deps.crypto ?? INLINE_CRYPTO).openSigned({
      signedMessage: orientation.signedMessage,
      senderKeys: this.deps.senderKeys(orientation.sender),
      maxDocumentBytes: this.deps.maxDocumentBytes,
      acceptedAt: new Date(orientation.acceptedAt),
    });
    // Judged on the corrected version: what the recipient reads once it applies OFII's rectifications.
    const signed = this.rectifications.corrected(parse(opened.document), rectifications.get(orientation.messageId));
    const { body: redactedBody, removed } = healthWithdrawn ? withoutHealthFields(signed) : { body: signed.body, removed: [] };
    const stored = { ...signed, body: redactedBody } as MessageDocument;
    const asOfReferral = { header: { type: 'orientation', sentAt: referral.header.sentAt }, body: stored.body };
    const failed = evaluateEligibility(asOfReferral, recipient).find((result) => !result.holds);
    if (failed) {
      throw new GatewayError('rule_violation', `Rule ${failed.rule}: ${recipient.id} cannot take this person on the referral date: ${failed.explanation} (checked on OFII's latest orientation). Refer the person to another agency.`, { rule: failed.rule });
    }
    const [forbidden] = findForbiddenFields({ header: { type: 'orientation' }, body: stored.body }, recipient);
    if (forbidden) {
      throw new GatewayError(
        'rule_violation',
        `Rule ${forbidden.rule}: the dossier would disclose OFII's orientation, which holds ${forbidden.field}, to ${recipient.id}, which may not receive it; the gateway cannot remove a field OFII signed. Refer the person to an agency that may receive it, or ask OFII for a new orientation.`,
        { rule: forbidden.rule },
      );
    }
    if (removed.length === 0) return undefined;
    return { content: redactedBody as unknown as Record<string, unknown>, removedFields: removed, originalSha256: createHash('sha256').update(opened.document).digest('hex') };
  }
}
