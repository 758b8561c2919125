/**
 * Rectification (RGPD art. 16) at acceptance: the author of a kept document corrects fields of its
 * body; the gateway checks the corrected version, keeps the rectification in the person's dossier next
 * to the document, and tells every partner that received the document, with the author's own signed
 * rectification inside a `correction` notice that the gateway signs.
 *
 * Step 8 (src/app/dossiers.ts calls these in order):
 * - `rectification-by-author` (find): the corrected document is kept in the dossier of the person the
 *   rectification names, is of a type that can be corrected, and its sender is the rectification's.
 *   One answer for every failure, so that a partner learns nothing of a document it did not send.
 * - then the usual opt-out rule;
 * - then the corrected version (check): the kept document with its earlier rectifications and this
 *   one applied must be valid against the document's own schema (`schema_invalid`, pointers into the
 *   corrected document, never a value), no larger than the document size limit, and keep what the
 *   gateway acted on at acceptance (`rectification-keeps-effects`). The recipient's eligibility is NOT
 *   judged again: the document was delivered already, and a correction cannot undo a delivery.
 *
 * Delivery (prepare): one `correction` notice for each partner that received the document (its own
 * recipient, and each recipient of a dossier that disclosed it), unless that partner's minimisation
 * rules forbid a field the changes touch in the corrected version: it may not hold that field at all,
 * so the notice is withheld, and the withholding audited (`correction-withheld`).
 */
import { GatewayError, isGatewayError } from '../domain/errors.js';
import { findForbiddenFields } from '../domain/minimisation.js';
import type { Partner } from '../domain/partner.js';
import { applyChanges, assertKeepsEffects, authorRuleViolation, changedFindings, RECTIFIABLE_TYPES, type Change, type PatchableDocument } from '../domain/rectification.js';
import { INLINE_CRYPTO, type GatewayCrypto } from '../crypto/service.js';
import type { RectificationV1 } from '../schema/generated/index.js';
import type { DocumentValidator } from '../schema/validator.js';
import type { DossierDocument, DossierPort, DossierUpdate } from '../store/port.js';
import type { GatewayNotices } from './gateway-notices.js';

export interface RectificationsDependencies {
  store: DossierPort;
  validator: DocumentValidator;
  notices: GatewayNotices;
  findPartner: (id: string) => Partner | undefined;
  maxDocumentBytes: number;
  crypto?: GatewayCrypto;
}

/** A rectification kept in the dossier, read: what it changes in which document. */
export interface KeptRectification {
  document: DossierDocument;
  corrects: string;
  changes: Change[];
}

/** A rectification whose author is proven: the person's dossier as read, and the document it corrects. */
export interface FoundTarget {
  documents: DossierDocument[];
  target: DossierDocument;
}

/** The corrected version, checked. */
export interface CheckedCorrection extends FoundTarget {
  /** Rectifications of the same document accepted before this one, in acceptance order. */
  earlier: KeptRectification[];
  /** The document as its recipients hold it now: the kept one with the earlier rectifications applied. */
  current: PatchableDocument;
  corrected: PatchableDocument;
}

type Kept = PatchableDocument & { header: { type: string; sender: string; recipient: string; messageId: string } };

function parse(bytes: Uint8Array): unknown {
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
}

/** Acceptance order, as the dossier lists its documents (src/store/dossiers.ts readDossier). */
function after(a: DossierDocument, b: { acceptedAt: string; messageId: string }): boolean {
  return a.acceptedAt > b.acceptedAt || (a.acceptedAt === b.acceptedAt && a.messageId > b.messageId);
}

export class Rectifications {
  constructor(private readonly deps: RectificationsDependencies) {}

  private get crypto(): GatewayCrypto {
    return this.deps.crypto ?? INLINE_CRYPTO;
  }

  /** A kept document, read (it was verified when it was accepted; a recipient verifies it again). */
  async read(document: DossierDocument): Promise<Kept> {
    return parse(await this.crypto.readKept({ signedMessage: document.signedMessage, maxDocumentBytes: this.deps.maxDocumentBytes })) as Kept;
  }

  /** Every rectification of the dossier, read, by the document it corrects, in acceptance order. */
  async ofDossier(documents: readonly DossierDocument[]): Promise<Map<string, KeptRectification[]>> {
    const found = new Map<string, KeptRectification[]>();
    for (const document of documents) {
      if (document.type !== 'rectification') continue;
      const { body } = (await this.read(document)) as unknown as RectificationV1;
      const list = found.get(body.corrects) ?? [];
      list.push({ document, corrects: body.corrects, changes: body.changes as Change[] });
      found.set(body.corrects, list);
    }
    return found;
  }

  /** A kept document with its rectifications applied, in order. */
  corrected<T extends PatchableDocument>(original: T, rectifications: readonly KeptRectification[] = []): T {
    try {
      return rectifications.reduce((document, rectification) => applyChanges(document, rectification.changes), original);
    } catch (err) {
      // Each was checked on this same base when it was accepted.
      throw new GatewayError('internal', 'A kept rectification no longer applies to the document it corrects. This is a defect: report it.', { cause: err });
    }
  }

  /** Step 8, `rectification-by-author`: before anything about the person is told. */
  async find(opts: { document: RectificationV1; beneficiary: string }): Promise<FoundTarget> {
    const { header, body } = opts.document;
    const documents = (await this.deps.store.readDossier(opts.beneficiary)) ?? [];
    const target = documents.find((d) => d.messageId === body.corrects);
    if (target === undefined || !RECTIFIABLE_TYPES.includes(target.type) || target.sender !== header.sender) throw authorRuleViolation();
    return { documents, target };
  }

  /** Step 8, after the opt-out rule: the corrected version is a valid document that keeps what acceptance did. */
  async check(opts: { document: RectificationV1; found: FoundTarget }): Promise<CheckedCorrection> {
    const { document, found } = opts;
    const earlier = (await this.ofDossier(found.documents)).get(found.target.messageId) ?? [];
    const kept = await this.read(found.target);
    const current = this.corrected(kept, earlier);
    const corrected = applyChanges(current, document.body.changes as Change[]);
    const size = Buffer.byteLength(JSON.stringify(corrected));
    if (size > this.deps.maxDocumentBytes) {
      throw new GatewayError('payload_too_large', `The corrected ${found.target.type} would be ${size} bytes, more than the ${this.deps.maxDocumentBytes} a document may hold; nothing was accepted. Correct fewer or shorter fields.`);
    }
    try {
      this.deps.validator.validate(corrected);
    } catch (err) {
      if (!isGatewayError(err, 'schema_invalid')) throw err;
      throw new GatewayError(
        'schema_invalid',
        `The corrected ${found.target.type} (the document ${found.target.messageId} with its rectifications and these changes applied) would not match schemas/${found.target.type}.v1.schema.json: the pointers in errors name its fields. Correct the changes and send the rectification again.`,
        { errors: err.errors ?? [] },
      );
    }
    assertKeepsEffects({ header: kept.header, original: kept.body, corrected: corrected.body });
    return { ...found, earlier, current, corrected };
  }

  /** The correction notices and the withholdings, prepared outside the transaction (src/app/dossiers.ts prepare). */
  async prepare(opts: { document: RectificationV1; signedMessage: Uint8Array; beneficiary: string; acceptedAt: string | undefined }): Promise<Pick<DossierUpdate, 'notices' | 'withheld' | 'preparedFrom'>> {
    const { document } = opts;
    const { header, body } = document;
    if (opts.acceptedAt === undefined) throw new GatewayError('internal', 'A rectification was prepared without its acceptance time. This is a defect: report it.');
    const checked = await this.check({ document, found: await this.find({ document, beneficiary: opts.beneficiary }) });
    // Applied in acceptance order by every reader: one accepted meanwhile with a later time would be read after this one.
    if (checked.earlier.some((r) => after(r.document, { acceptedAt: opts.acceptedAt!, messageId: header.messageId }))) {
      throw new GatewayError('unavailable', 'Another rectification of the same document was accepted while this one was being checked; nothing was accepted. Send it again.');
    }
    const { target, corrected } = checked;
    const recipients = await this.deps.store.documentRecipients(target.messageId);
    const update: Pick<DossierUpdate, 'notices' | 'withheld' | 'preparedFrom'> = {
      notices: [],
      withheld: [],
      preparedFrom: { documents: checked.documents.map((d) => d.messageId), documentRecipients: { documentId: target.messageId, recipients } },
    };
    const signedMessage = Buffer.from(opts.signedMessage).toString('base64');
    for (const id of recipients) {
      const partner = this.deps.findPartner(id);
      // The author holds its own version; a partner whose registry entry takes no corrections is not sent one.
      if (id === header.sender || partner?.receives.includes('correction') !== true) continue;
      const [forbidden] = changedFindings(findForbiddenFields({ header: { type: target.type }, body: corrected.body }, partner), body.changes as Change[]);
      if (forbidden !== undefined) {
        update.withheld!.push({ rule: forbidden.rule });
        continue;
      }
      const notice = await this.deps.notices.compose({
        type: 'correction',
        recipient: id,
        beneficiaryRef: header.beneficiaryRef,
        inReplyTo: header.messageId,
        body: { corrects: target.messageId, rectification: { messageId: header.messageId, sender: header.sender, acceptedAt: opts.acceptedAt, signedMessage } },
      });
      update.notices!.push({ ...notice, discloses: [header.messageId] });
    }
    return update;
  }

  /**
   * For a referral's dossier: each disclosed document's rectifications follow it, and the recipient's
   * rules are judged on the corrected version (src/app/dossiers.ts).
   */
  async correctedBody(document: DossierDocument, rectifications: readonly KeptRectification[] | undefined): Promise<unknown> {
    return this.corrected(await this.read(document), rectifications).body;
  }
}
