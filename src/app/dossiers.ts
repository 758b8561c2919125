/**
 * Tell us once, opt-out and withdrawal at acceptance: what the beneficiary's dossier adds to the
 * acceptance of a message (src/app/ingest.ts).
 *
 * - Step 8 rules: a referral only from the agency that currently follows the person
 *   (`referrer-follows-beneficiary`), then no message about a person who opted out
 *   (`beneficiary-opted-out`).
 * - A referral carries the dossier to its recipient: OFII's latest orientation and the history of
 *   acknowledgements and status updates, each as its sender signed it, in a `dossier` message that the
 *   gateway signs and encrypts to the recipient. Before anything is disclosed, the recipient's
 *   eligibility and minimisation rules for orientations are applied to that orientation: the dossier
 *   discloses it whole (its signature covers every field), so a field the recipient may not receive
 *   refuses the referral.
 * - An opt-out queues a withdrawal notice for every agency that received data about the person, records
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
import { assertFollows, assertNotOptedOut, DOSSIER_TYPES, followEffects } from '../domain/follow.js';
import type { MessageDocument } from '../domain/message.js';
import { findForbiddenFields } from '../domain/minimisation.js';
import { findHealthFields, healthFieldRefusal, withoutHealthFields } from '../domain/health-fields.js';
import type { LookupKey } from '../privacy/pseudonym.js';
import type { OptOutV1 } from '../schema/generated/index.js';
import type { DossierDocument, DossierPort, DossierUpdate, GatewayNotice } from '../store/port.js';
import type { Partner } from '../domain/partner.js';
import type { GatewayNotices } from './gateway-notices.js';


const HISTORY_TYPES = new Set(['acknowledgement', 'status-update']);
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
  /** Where the stored documents are verified (the gateway's worker pool); on this thread when absent. */
  crypto?: GatewayCrypto;
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
  constructor(private readonly deps: DossiersDependencies) {}

  /**
   * Step 8: the rules of the dossier, the referrer's follow before the opt-out, so that an agency that
   * does not follow a person cannot learn whether they opted out (an opt-out ends every follow).
   */
  async assertAllowed(opts: { document: MessageDocument; sender: string; beneficiary: string }): Promise<void> {
    const { header } = opts.document;
    if (OUTSIDE_THE_DOSSIER.has(header.type)) return;
    if (header.type === 'referral') {
      assertFollows({ follows: await this.deps.store.follows(opts.beneficiary, opts.sender), sender: opts.sender });
    }
    const lookup = this.deps.lookup(header.beneficiaryRef);
    assertNotOptedOut(await this.deps.store.isOptedOut(lookup));
    const [healthField] = findHealthFields(opts.document);
    if (healthField !== undefined && (await this.deps.store.isHealthConsentWithdrawn(lookup))) throw healthFieldRefusal(header.type, healthField);
  }

  /** What the acceptance transaction writes besides the message (NewMessage.dossier). */
  /** Whether accepting a message of this type changes anything in the person's dossier (prepare). */
  concerns(type: string): boolean {
    return !OUTSIDE_THE_DOSSIER.has(type);
  }

  async prepare(opts: { document: MessageDocument; signedMessage: Uint8Array; recipient: Partner; beneficiary: string }): Promise<DossierUpdate> {
    const { document } = opts;
    const { header } = document;
    const [healthField] = findHealthFields(document);
    const update: DossierUpdate = {
      lookup: this.deps.lookup(header.beneficiaryRef),
      follow: followEffects(document),
      notices: [],
      ...(DOSSIER_TYPES.includes(header.type) ? { signedMessage: opts.signedMessage } : {}),
      ...(healthField === undefined ? {} : { healthField }),
    };
    if (document.header.type === 'referral') {
      update.referrer = header.sender;
      const documents = (await this.deps.store.readDossier(opts.beneficiary)) ?? [];
      update.preparedFrom = { documents: documents.map((d) => d.messageId) };
      const healthWithdrawn = await this.deps.store.isHealthConsentWithdrawn(update.lookup);
      update.notices.push(await this.dossierFor(document, opts.recipient, documents, healthWithdrawn));
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
    const orientation = documents.filter((d) => d.type === 'orientation').at(-1);
    const redaction = await this.assertMayReceive(referral, recipient, orientation, healthWithdrawn);
    const history = await this.mayReceive(recipient, documents.filter((d) => HISTORY_TYPES.has(d.type)).slice(-(DOSSIER_MAX_DOCUMENTS - 1)), healthWithdrawn);
    const disclosed = [...(orientation ? [orientation] : []), ...history];
    const listed = (d: DossierDocument) => ({ messageId: d.messageId, type: d.type, sender: d.sender, acceptedAt: d.acceptedAt });
    return this.deps.notices.compose({
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
  }

  /**
   * Minimisation for every document a dossier discloses (RGPD art. 5(1)(c), 25): the recipient's rules
   * for each document's type, as for a message sent to it directly. A document of the history it may
   * not receive is withheld (the signer signed it whole, so a field cannot be removed); the rest of the
   * history still goes. The orientation is checked apart (assertMayReceive): without it there is no
   * dossier to disclose.
   */
  private async mayReceive(recipient: Partner, history: readonly DossierDocument[], healthWithdrawn: boolean): Promise<DossierDocument[]> {
    if (!healthWithdrawn && !recipient.minimisation.some((rule) => history.some((document) => rule.messageTypes.includes(document.type)))) return [...history];
    const allowed: DossierDocument[] = [];
    for (const document of history) {
      const bytes = await (this.deps.crypto ?? INLINE_CRYPTO).readKept({ signedMessage: document.signedMessage, maxDocumentBytes: this.deps.maxDocumentBytes });
      const kept = { header: { type: document.type }, body: parse(bytes).body };
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
  private async assertMayReceive(referral: MessageDocument, recipient: Partner, orientation: DossierDocument | undefined, healthWithdrawn: boolean): Promise<Redaction | undefined> {
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
    const signed = parse(opened.document);
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
