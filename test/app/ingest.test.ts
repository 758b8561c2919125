/**
 * Ingest (src/app/ingest.ts) on its own, with fakes at its ports: the store (test/fixtures/memory-store.ts),
 * the crypto service (below: "opening" a message gives back the document and the signer chosen by the
 * test, and refuses as the real one does when the message is not for the gateway or not signed by one
 * of the keys it was given), the trust store (a small registry and opaque keys) and the pseudonymiser.
 * The schema validator, the domain rules, Dossiers and GatewayNotices are the real ones: they are pure
 * or run on these ports.
 *
 * What is proven here: the order of the checks of docs/interface.md (section 3), told apart by
 * documents that fail two checks at once; what each refusal's audit entry may name at the step it was
 * refused; idempotency; the answers to store faults and to a dossier update that went stale. The same
 * path with the real OpenPGP, store and HTTPS runs in test/integration/ and test/security/.
 */
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { Dossiers } from '../../src/app/dossiers.js';
import { GatewayNotices } from '../../src/app/gateway-notices.js';
import { ACCEPT_PREPARATIONS, Ingest } from '../../src/app/ingest.js';
import type { AuditEvent } from '../../src/audit/entry.js';
import type { PrivateKey, PublicKey } from '../../src/crypto/keys.js';
import type { OpenedMessage, SignedDocument } from '../../src/crypto/open.js';
import { receiptBytes, type AcceptedAnswer } from '../../src/crypto/receipt.js';
import type { GatewayCrypto, OpenArguments, OpenSignedArguments, SealArguments, SignAndEncryptArguments } from '../../src/crypto/service.js';
import { GatewayError } from '../../src/domain/errors.js';
import { GATEWAY_ID } from '../../src/domain/gateway-partner.js';
import type { OrganisationType, Partner } from '../../src/domain/partner.js';
import { createValidator, defaultSchemasDir } from '../../src/schema/validator.js';
import type { DossierPort, Store } from '../../src/store/port.js';
import type { TrustStore } from '../../src/trust/trust-store.js';
import { MemoryStore } from '../fixtures/memory-store.js';
import { example, organisationTypeOf, type Json } from '../fixtures/partner.js';

const NOW = new Date('2026-11-27T10:00:00.000Z');
const SENT_AT = '2026-11-27T09:55:00Z';
const TWO_DAYS_AGO = '2026-11-25T09:55:00Z';
const FRESHNESS = { maxFutureSeconds: 300, maxAgeSeconds: 86_400 };
const MAX_DOCUMENT_BYTES = 256 * 1024;
const REF = '7503123456';
const OTHER_REF = '7509999999';

// ---------------------------------------------------------------------------------------------------
// The registry and the keys

function agency(id: string, sends: string[], receives: string[], rules: Partial<Pick<Partner, 'eligibility' | 'minimisation'>> = {}): Partner {
  // A receiver of orientations has the type of its namesake in certs.example (step 7 checks it).
  const typed = receives.includes('orientation') ? { organisationType: organisationTypeOf(id) as OrganisationType } : {};
  return { id, name: id, role: 'agency', ...typed, sends, receives, eligibility: rules.eligibility ?? [], minimisation: rules.minimisation ?? [] };
}

const AGENCY_SENDS = ['acknowledgement', 'status-update', 'referral'];
const AGENCY_RECEIVES = ['orientation', 'referral', 'dossier', 'withdrawal', 'cir-review'];
const OFII = agency('ofii-paris', ['orientation', 'opt-out', 'cir-review'], ['acknowledgement', 'status-update', 'expiry']);
const MISSION_LOCALE = agency('mission-locale-paris', AGENCY_SENDS, AGENCY_RECEIVES, {
  eligibility: [{ rule: 'mission-locale-age', kind: 'age-between', min: 16, max: 25, messageTypes: ['orientation'] }],
  minimisation: [{ rule: 'income-support-rights', messageTypes: ['orientation'], forbiddenFields: ['/body/situation/rsaBeneficiary'], forbiddenValues: [true] }],
});
const FRANCE_TRAVAIL = agency('france-travail-paris', AGENCY_SENDS, AGENCY_RECEIVES);
/** Registered, receives orientations, but holds no OpenPGP key. */
const KEYLESS = agency('ville-de-paris', AGENCY_SENDS, AGENCY_RECEIVES);
const STATISTICS: Partner = { id: 'prefecture-paris', name: 'Préfecture', role: 'statistics', sends: [], receives: [], eligibility: [], minimisation: [] };
const PARTNERS = [OFII, MISSION_LOCALE, FRANCE_TRAVAIL, KEYLESS, STATISTICS];

/** A key of the fake crypto: opaque to Ingest, read only by FakeCrypto. */
interface FakeKey {
  owner: string;
}
const keyOf = (owner: string): FakeKey => ({ owner });
const GATEWAY_KEY = keyOf(GATEWAY_ID);
const PUBLIC_KEYS = new Map<string, FakeKey[]>([OFII, MISSION_LOCALE, FRANCE_TRAVAIL].map((p) => [p.id, [keyOf(p.id)]]));

function trustStore(): TrustStore {
  const byId = new Map(PARTNERS.map((p) => [p.id, p]));
  const trust = {
    registry: { partners: byId, get: (id: string) => byId.get(id) },
    gateway: { privateKey: GATEWAY_KEY, decryptionKeys: [GATEWAY_KEY], publishedKeys: [GATEWAY_KEY] },
    partner: (id: string) => {
      const partner = byId.get(id);
      return partner === undefined ? undefined : { partner, publicKeys: PUBLIC_KEYS.get(id) ?? [], keyRing: [], certificatePem: undefined };
    },
  };
  // The parts of the trust store Ingest, Dossiers and GatewayNotices read; anything else is undefined and fails loudly.
  return trust as unknown as TrustStore;
}

// ---------------------------------------------------------------------------------------------------
// The crypto service, faked at its port

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const owners = (keys: readonly unknown[]) => (keys as FakeKey[]).map((k) => k.owner);

/** The fake's wire format: who signed which document, for whom it was encrypted. */
interface FakeSealed {
  signer: string;
  encryptedTo: string;
  document: string;
}

/** What a partner posts: `document` signed by `signer` and encrypted to the gateway. */
function sealed(signer: string, document: Json | string, encryptedTo = GATEWAY_ID): Uint8Array {
  return encode(JSON.stringify({ signer, encryptedTo, document: typeof document === 'string' ? document : JSON.stringify(document) } satisfies FakeSealed));
}

/** The bytes whose SHA-256 is the payload digest: the signed document. */
const documentText = (document: Json) => JSON.stringify(document);

function fakeReceipt(fields: AcceptedAnswer, key: FakeKey): string {
  return `receipt by ${key.owner} over ${decode(receiptBytes(fields))}`;
}

class FakeCrypto implements GatewayCrypto {
  readonly opened: OpenArguments[] = [];
  readonly sealedFor: SealArguments[] = [];
  readonly receiptsSigned: AcceptedAnswer[] = [];

  async openFromPartner(opts: OpenArguments): Promise<OpenedMessage> {
    this.opened.push(opts);
    let message: FakeSealed;
    try {
      message = JSON.parse(decode(opts.message)) as FakeSealed;
    } catch {
      throw new GatewayError('malformed_message', 'fake: not a sealed message');
    }
    const decryptionKeys = Array.isArray(opts.decryptionKey) ? opts.decryptionKey : [opts.decryptionKey];
    if (!owners(decryptionKeys).includes(message.encryptedTo)) throw new GatewayError('malformed_message', 'fake: not encrypted to a key given');
    if (!owners(opts.senderKeys).includes(message.signer)) throw new GatewayError('signature_invalid', 'fake: not signed by a key given');
    return { document: encode(message.document), signedMessage: encode(`signed by ${message.signer}: ${message.document}`), signerFingerprint: `fpr-${message.signer}` };
  }

  async openSigned(opts: OpenSignedArguments): Promise<SignedDocument> {
    const [, signer, document] = /^signed by ([^:]+): (.*)$/s.exec(decode(opts.signedMessage)) ?? [];
    if (signer === undefined || document === undefined || !owners(opts.senderKeys).includes(signer)) throw new GatewayError('signature_invalid', 'fake: not signed by a key given');
    return { document: encode(document), signerFingerprint: `fpr-${signer}` };
  }

  async sealForRecipient(opts: SealArguments): Promise<string> {
    this.sealedFor.push(opts);
    return `sealed for ${owners(opts.recipientKeys).join(',')}: ${decode(opts.signedMessage)}`;
  }

  async signAndEncrypt(opts: SignAndEncryptArguments): Promise<string> {
    return `signed by ${(opts.signingKey as unknown as FakeKey).owner} for ${owners(opts.encryptionKeys).join(',')}: ${decode(opts.document)}`;
  }

  async readKept(opts: { signedMessage: Uint8Array }): Promise<Uint8Array> {
    return (await this.openSigned({ signedMessage: opts.signedMessage, senderKeys: [...PUBLIC_KEYS.values()].flat() as unknown as PublicKey[], maxDocumentBytes: MAX_DOCUMENT_BYTES })).document;
  }

  async signJson(opts: { value: unknown; signingKey: PrivateKey }): Promise<{ signedMessage: Uint8Array; payloadSha256: string }> {
    const text = JSON.stringify(opts.value);
    return { signedMessage: await this.signInline({ document: encode(text), signingKey: opts.signingKey }), payloadSha256: sha256(text) };
  }

  async signInline(opts: { document: Uint8Array; signingKey: PrivateKey }): Promise<Uint8Array> {
    return encode(`signed by ${(opts.signingKey as unknown as FakeKey).owner}: ${decode(opts.document)}`);
  }

  async signReceipt(answer: AcceptedAnswer, gatewayKey: PrivateKey): Promise<string> {
    this.receiptsSigned.push(answer);
    return fakeReceipt(answer, gatewayKey as unknown as FakeKey);
  }

  async signDetached(): Promise<string> {
    throw new Error('fake: Ingest signs no detached signature but receipts');
  }

  async verifyDetached(): Promise<void> {
    throw new Error('fake: Ingest verifies no detached signature');
  }

  async close(): Promise<void> {}
}

// ---------------------------------------------------------------------------------------------------
// The bed

const validator = createValidator({ schemasDir: defaultSchemasDir() });
const pseudonymOf = (ref: string) => sha256(`pseudonym of ${ref}`);
const lookupOf = (ref: string) => sha256(`lookup of ${ref}`);

interface Bed {
  ingest: Ingest;
  store: MemoryStore;
  crypto: FakeCrypto;
  /** Every beneficiaryRef the pseudonymiser was asked for. */
  pseudonymised: string[];
  clock: { now: Date };
}

function bed(): Bed {
  const store = new MemoryStore();
  const crypto = new FakeCrypto();
  const trust = trustStore();
  const clock = { now: NOW };
  const now = () => clock.now;
  const pseudonymised: string[] = [];
  const publicKeys = (id: string) => (trust.partner(id)?.publicKeys ?? []) as PublicKey[];
  const notices = new GatewayNotices({ signingKey: () => GATEWAY_KEY as unknown as PrivateKey, recipientKeys: publicKeys, validator, now, crypto });
  // The fake implements the operations these call; a call to any other is a TypeError that fails the test.
  const ports = store as unknown as Store & DossierPort;
  const dossiers = new Dossiers({ store: ports, lookup: lookupOf, notices, findPartner: (id) => trust.registry.get(id), senderKeys: publicKeys, maxDocumentBytes: MAX_DOCUMENT_BYTES, validator, crypto });
  const ingest = new Ingest({
    trust,
    validator,
    store: ports,
    pseudonymise: async (ref) => {
      pseudonymised.push(ref);
      return pseudonymOf(ref);
    },
    dossiers,
    freshness: FRESHNESS,
    maxDocumentBytes: MAX_DOCUMENT_BYTES,
    now,
    crypto,
  });
  return { ingest, store, crypto, pseudonymised, clock };
}

function orientation(header: Json = {}, body: Json = {}): Json {
  return example('orientation', { sentAt: SENT_AT, sender: OFII.id, recipient: MISSION_LOCALE.id, beneficiaryRef: REF, ...header }, body);
}

/** An orientation's body that breaks its schema (identity is required). */
function withoutIdentity(document: Json): Json {
  delete document['body']['identity'];
  return document;
}

async function refusal(attempt: Promise<unknown>): Promise<GatewayError> {
  try {
    await attempt;
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('expected a refusal, the message was accepted');
}

/** A refusal's audit entry, as Ingest writes it (the store adds nothing to a recordEvent). */
function rejected(fields: Omit<AuditEvent, 'event' | 'timestamp'>): AuditEvent {
  return { event: 'rejected', timestamp: NOW.toISOString(), ...fields };
}

/** The person's reference in clear appears nowhere the store keeps outside ciphertext. */
function expectNoReference(store: MemoryStore): void {
  expect(JSON.stringify(store.audit)).not.to.include(REF);
}

// ---------------------------------------------------------------------------------------------------

describe('app/ingest', () => {
  describe('acceptance', () => {
    it('accepts a valid orientation: one accept() with the proven facts, a receipt over the answer, the receipt kept (202)', async () => {
      const { ingest, store, crypto } = bed();
      const document = orientation();
      const id = document['header']['messageId'] as string;

      const result = await ingest.submit(OFII, sealed(OFII.id, document));

      const fields: AcceptedAnswer = { messageId: id, status: 'accepted', acceptedAt: NOW.toISOString(), auditIndex: 0, payloadSha256: sha256(documentText(document)) };
      expect(result).to.deep.equal({ outcome: 'accepted', status: 202, answer: { ...fields, receipt: fakeReceipt(fields, GATEWAY_KEY) }, recipient: MISSION_LOCALE.id, type: 'orientation' });
      // Steps 2 and 3 with the gateway's keys and only the authenticated partner's keys.
      expect(crypto.opened).to.have.length(1);
      expect(owners(crypto.opened[0]!.senderKeys)).to.deep.equal([OFII.id]);
      expect(owners([crypto.opened[0]!.decryptionKey].flat())).to.deep.equal([GATEWAY_ID]);
      expect(crypto.opened[0]!.maxDocumentBytes).to.equal(MAX_DOCUMENT_BYTES);

      expect(store.acceptCalls).to.have.length(1);
      const accepted = store.acceptCalls[0]!;
      expect(accepted).to.include({ messageId: id, type: 'orientation', version: 1, sender: OFII.id, recipient: MISSION_LOCALE.id, inReplyTo: undefined, beneficiary: pseudonymOf(REF), payloadSha256: fields.payloadSha256, acceptedAt: fields.acceptedAt });
      // Re-encrypted, unchanged, to the recipient's keys only.
      expect(accepted.outboxBody).to.equal(`sealed for ${MISSION_LOCALE.id}: signed by ${OFII.id}: ${documentText(document)}`);
      expect(accepted.dossier).to.deep.include({ lookup: lookupOf(REF), follow: { starts: MISSION_LOCALE.id, takenInCharge: false }, notices: [] });
      expect(accepted.facts).to.be.an('object');
      expect(store.messages.get(id)?.receipt).to.equal(result.answer.receipt);
      expect(store.rejections()).to.deep.equal([]);
    });

    it('an opt-out is addressed to the gateway itself: accepted with nothing sealed for the outbox', async () => {
      const { ingest, store, crypto } = bed();
      const document = example('opt-out', { sentAt: SENT_AT, beneficiaryRef: REF });
      const result = await ingest.submit(OFII, sealed(OFII.id, document));
      expect(result).to.include({ status: 202, recipient: GATEWAY_ID, type: 'opt-out' });
      expect(crypto.sealedFor).to.deep.equal([]);
      expect(store.acceptCalls[0]).to.include({ recipient: GATEWAY_ID, outboxBody: undefined });
      expect(store.acceptCalls[0]!.dossier).to.include({ optOut: true });
    });
  });

  describe('the end-of-CIR review', () => {
    it('to the agency that follows the person: sealed for it, kept in the dossier, the follow checked again at commit, no follow changed', async () => {
      const { ingest, store, crypto } = bed();
      store.seedFollower(pseudonymOf(REF), FRANCE_TRAVAIL.id);
      const document = example('cir-review', { sentAt: SENT_AT, recipient: FRANCE_TRAVAIL.id, beneficiaryRef: REF });
      const result = await ingest.submit(OFII, sealed(OFII.id, document));
      expect(result).to.include({ status: 202, recipient: FRANCE_TRAVAIL.id, type: 'cir-review' });
      expect(crypto.sealedFor.map((s) => owners(s.recipientKeys))).to.deep.equal([[FRANCE_TRAVAIL.id]]);
      const { dossier, facts } = store.acceptCalls[0]!;
      expect(dossier).to.include({ follower: FRANCE_TRAVAIL.id });
      expect(dossier!.signedMessage).to.not.equal(undefined);
      expect(dossier!.follow).to.deep.equal({ takenInCharge: false });
      expect(facts).to.include({ type: 'cir-review', finalStatus: 'ACHEVE', levelReached: 'A2', certified: true, declaredSituation: 'EN_RECHERCHE', postCirOrientation: 'FRANCE_TRAVAIL' });
    });

    it('to the gateway: accepted for the statistics only, nothing sealed, nothing kept in the dossier, no follow asked for', async () => {
      const { ingest, store, crypto } = bed();
      const document = example('cir-review', { sentAt: SENT_AT, recipient: GATEWAY_ID, beneficiaryRef: REF });
      const result = await ingest.submit(OFII, sealed(OFII.id, document));
      expect(result).to.include({ status: 202, recipient: GATEWAY_ID, type: 'cir-review' });
      expect(crypto.sealedFor).to.deep.equal([]);
      expect(store.acceptCalls[0]).to.include({ recipient: GATEWAY_ID, outboxBody: undefined });
      expect(store.acceptCalls[0]!.dossier).to.not.have.any.keys('signedMessage', 'follower', 'optOut');
      expect(store.acceptCalls[0]!.facts).to.include({ recipient: GATEWAY_ID, finalStatus: 'ACHEVE' });
    });
  });

  describe('the checks run in the order of the contract; the first that fails decides the code', () => {
    it('step 2: a body that does not open is malformed_message, audited with the partner and the code only', async () => {
      const { ingest, store } = bed();
      const error = await refusal(ingest.submit(OFII, encode('this is not OpenPGP')));
      expect(error).to.include({ code: 'malformed_message', status: 400 });
      expect(store.audit).to.deep.equal([rejected({ sender: OFII.id, code: 'malformed_message' })]);
      expect(error.rejection).to.deep.equal({ auditIndex: 0 });
    });

    it('step 2: a message encrypted to another key than the gateway\'s is malformed_message', async () => {
      const { ingest, store } = bed();
      const error = await refusal(ingest.submit(OFII, sealed(OFII.id, orientation(), FRANCE_TRAVAIL.id)));
      expect(error.code).to.equal('malformed_message');
      expect(store.acceptCalls).to.deep.equal([]);
    });

    it('step 3 before step 4: signed by another registered partner that the header names as sender gets signature_invalid, not sender_mismatch', async () => {
      const { ingest, store } = bed();
      const document = orientation({ sender: FRANCE_TRAVAIL.id });
      const error = await refusal(ingest.submit(OFII, sealed(FRANCE_TRAVAIL.id, document)));
      expect(error).to.include({ code: 'signature_invalid', status: 400 });
      // Nothing that was signed is proven: not even the digest is audited.
      expect(store.audit).to.deep.equal([rejected({ sender: OFII.id, code: 'signature_invalid' })]);
    });

    it('step 4 before step 5: another partner as header.sender in a document that breaks its schema gets sender_mismatch; the digest is audited, nothing of the header', async () => {
      const { ingest, store, pseudonymised } = bed();
      const document = withoutIdentity(orientation({ sender: FRANCE_TRAVAIL.id }));
      const error = await refusal(ingest.submit(OFII, sealed(OFII.id, document)));
      expect(error).to.include({ code: 'sender_mismatch', status: 403 });
      expect(store.audit).to.deep.equal([rejected({ sender: OFII.id, code: 'sender_mismatch', payloadSha256: sha256(documentText(document)) })]);
      expect(pseudonymised).to.deep.equal([]);
    });

    it('step 5 before step 6: a stale document that breaks its schema gets schema_invalid; nothing of its header is audited and the beneficiaryRef is not even pseudonymised', async () => {
      const { ingest, store, pseudonymised } = bed();
      const document = withoutIdentity(orientation({ sentAt: TWO_DAYS_AGO }));
      const error = await refusal(ingest.submit(OFII, sealed(OFII.id, document)));
      expect(error).to.include({ code: 'schema_invalid', status: 422 });
      expect(error.errors?.map((e) => e.pointer)).to.include('/body/identity');
      expect(store.audit).to.deep.equal([rejected({ sender: OFII.id, code: 'schema_invalid', payloadSha256: sha256(documentText(document)) })]);
      expect(error.rejection).to.deep.equal({ auditIndex: 0 });
      expect(pseudonymised).to.deep.equal([]);
    });

    it('step 6 before step 7: a stale document addressed to an unregistered recipient gets stale_message; the header is audited, the unregistered id is not', async () => {
      const { ingest, store, pseudonymised } = bed();
      const document = orientation({ sentAt: TWO_DAYS_AGO, recipient: 'nobody-registered' });
      const id = document['header']['messageId'] as string;
      const error = await refusal(ingest.submit(OFII, sealed(OFII.id, document)));
      expect(error).to.include({ code: 'stale_message', status: 422 });
      expect(store.audit).to.deep.equal([rejected({ sender: OFII.id, code: 'stale_message', messageId: id, type: 'orientation', beneficiary: pseudonymOf(REF), payloadSha256: sha256(documentText(document)) })]);
      expect(error.rejection).to.deep.equal({ messageId: id, type: 'orientation', auditIndex: 0 });
      expect(pseudonymised).to.deep.equal([REF]);
      expectNoReference(store);
    });

    it('step 6 before step 7: a stale document of a type the sender may not send gets stale_message', async () => {
      const { ingest } = bed();
      const document = example('status-update', { sentAt: TWO_DAYS_AGO, sender: OFII.id, recipient: MISSION_LOCALE.id, beneficiaryRef: REF });
      expect((await refusal(ingest.submit(OFII, sealed(OFII.id, document)))).code).to.equal('stale_message');
    });

    it('step 7: a registered recipient that may not receive the type gets recipient_not_allowed, audited with that recipient', async () => {
      const { ingest, store } = bed();
      const document = orientation({ recipient: STATISTICS.id });
      const error = await refusal(ingest.submit(OFII, sealed(OFII.id, document)));
      expect(error).to.include({ code: 'recipient_not_allowed', status: 422 });
      expect(store.audit[0]).to.include({ recipient: STATISTICS.id, code: 'recipient_not_allowed' });
    });

    it('step 7 before step 8: a type the sender may not send, about a person who opted out, gets type_not_allowed', async () => {
      const { ingest, store } = bed();
      store.seedOptOut(lookupOf(REF));
      // OFII sends orientations and opt-outs, never status updates; the answer rule would fail too.
      const document = example('status-update', { sentAt: SENT_AT, sender: OFII.id, recipient: MISSION_LOCALE.id, beneficiaryRef: REF });
      const error = await refusal(ingest.submit(OFII, sealed(OFII.id, document)));
      expect(error).to.include({ code: 'type_not_allowed', status: 403 });
      expect(store.audit[0]).to.include({ code: 'type_not_allowed', type: 'status-update', recipient: MISSION_LOCALE.id, beneficiary: pseudonymOf(REF) });
    });

    it("step 8, eligibility first: an orientation for a 40-year-old with income support rights, who opted out, names the recipient's eligibility rule", async () => {
      const { ingest, store } = bed();
      store.seedOptOut(lookupOf(REF));
      const document = orientation({}, {});
      document['body']['identity'] = { ...document['body']['identity'], birthDate: '1986-05-04' };
      document['body']['situation'] = { ...document['body']['situation'], rsaBeneficiary: true };
      const error = await refusal(ingest.submit(OFII, sealed(OFII.id, document)));
      expect(error).to.include({ code: 'rule_violation', rule: 'mission-locale-age' });
      expect(store.audit[0]).to.include({ code: 'rule_violation', messageId: document['header']['messageId'], recipient: MISSION_LOCALE.id, beneficiary: pseudonymOf(REF) });
      expect(JSON.stringify(store.audit)).not.to.include('1986');
    });

    it('step 8, minimisation before the dossier rules: a field the recipient may not receive, about a person who opted out, names the minimisation rule', async () => {
      const { ingest, store } = bed();
      store.seedOptOut(lookupOf(REF));
      const document = orientation();
      document['body']['situation'] = { ...document['body']['situation'], rsaBeneficiary: true };
      expect(await refusal(ingest.submit(OFII, sealed(OFII.id, document)))).to.include({ code: 'rule_violation', rule: 'income-support-rights' });
    });

    it('step 8: the answer rule before the opt-out, so that an agency with no link to a person cannot learn that they opted out', async () => {
      const { ingest, store } = bed();
      store.seedOptOut(lookupOf(REF));
      // An acknowledgement naming a message the gateway never saw: the opt-out rule would fail too.
      const document = example('acknowledgement', { sentAt: SENT_AT, sender: MISSION_LOCALE.id, recipient: OFII.id, beneficiaryRef: REF, inReplyTo: '00000000-0000-4000-8000-000000000000' });
      expect(await refusal(ingest.submit(MISSION_LOCALE, sealed(MISSION_LOCALE.id, document)))).to.include({ code: 'rule_violation', rule: 'reply-matches-original' });
      expect(store.acceptCalls).to.deep.equal([]);
    });

    it('step 8: a referral by an agency that does not follow the person gets referrer-follows-beneficiary', async () => {
      const { ingest, store } = bed();
      const document = example('referral', { sentAt: SENT_AT, sender: MISSION_LOCALE.id, recipient: FRANCE_TRAVAIL.id, beneficiaryRef: REF });
      expect(await refusal(ingest.submit(MISSION_LOCALE, sealed(MISSION_LOCALE.id, document)))).to.include({ code: 'rule_violation', rule: 'referrer-follows-beneficiary' });
      expect(store.acceptCalls).to.deep.equal([]);
    });

    it('step 8: an end-of-CIR review to an agency that does not follow the person gets review-to-follower, before the opt-out is told', async () => {
      const { ingest, store } = bed();
      store.seedOptOut(lookupOf(REF));
      const document = example('cir-review', { sentAt: SENT_AT, recipient: FRANCE_TRAVAIL.id, beneficiaryRef: REF });
      expect(await refusal(ingest.submit(OFII, sealed(OFII.id, document)))).to.include({ code: 'rule_violation', rule: 'review-to-follower' });
      // The same review to the agency that follows the person reaches the opt-out rule.
      store.seedFollower(pseudonymOf(REF), FRANCE_TRAVAIL.id);
      expect(await refusal(ingest.submit(OFII, sealed(OFII.id, { ...document, header: { ...document['header'], messageId: '0b7e6a52-2222-4aaa-8bbb-00000000c1e1' } })))).to.include({ code: 'rule_violation', rule: 'beneficiary-opted-out' });
      expect(store.acceptCalls).to.deep.equal([]);
    });

    it('after step 8: a recipient with no key to encrypt to gets recipient_not_allowed, and nothing is accepted', async () => {
      const { ingest, store } = bed();
      const error = await refusal(ingest.submit(OFII, sealed(OFII.id, orientation({ recipient: KEYLESS.id }))));
      expect(error).to.include({ code: 'recipient_not_allowed' });
      expect(store.acceptCalls).to.deep.equal([]);
      expect(store.audit[0]).to.include({ recipient: KEYLESS.id, code: 'recipient_not_allowed' });
    });
  });

  describe('who may send', () => {
    for (const code of ['forbidden', 'payload_too_large', 'unsupported_media_type'] as const) {
      it(`a refusal at the HTTP edge (${code}) is audited with the partner and the code only, and answered with its audit index`, async () => {
        const { ingest, store } = bed();
        const error = await ingest.rejectAtEdge(new GatewayError(code), STATISTICS);
        expect(error.code).to.equal(code);
        expect(error.rejection).to.deep.equal({ auditIndex: 0 });
        expect(store.audit).to.deep.equal([rejected({ sender: STATISTICS.id, code })]);
      });
    }

    it('an agency sending a type its registry entry does not list gets type_not_allowed (403), audited', async () => {
      const { ingest, store } = bed();
      // Mission Locale sends answers and referrals, not orientations.
      const document = orientation({ sender: MISSION_LOCALE.id, recipient: FRANCE_TRAVAIL.id });
      const error = await refusal(ingest.submit(MISSION_LOCALE, sealed(MISSION_LOCALE.id, document)));
      expect(error).to.include({ code: 'type_not_allowed', status: 403 });
      expect(store.audit[0]).to.include({ sender: MISSION_LOCALE.id, code: 'type_not_allowed', type: 'orientation' });
    });
  });

  describe('answers (acknowledgements, status updates) must answer a message their sender received', () => {
    const ORIENTATION_ID = '8d4c2f9e-1b7a-4c3e-9f60-2a5b7d9e1c44';
    function acknowledgement(header: Json = {}): Json {
      return example('acknowledgement', { sentAt: SENT_AT, sender: MISSION_LOCALE.id, recipient: OFII.id, beneficiaryRef: REF, inReplyTo: ORIENTATION_ID, ...header });
    }
    function seedOrientation(store: MemoryStore, fields: Json = {}): void {
      store.seedMessage({ messageId: ORIENTATION_ID, type: 'orientation', sender: OFII.id, recipient: MISSION_LOCALE.id, beneficiary: pseudonymOf(REF), payloadSha256: 'a'.repeat(64), ...fields });
    }

    it('an acknowledgement of the orientation its sender received is accepted, naming it in inReplyTo', async () => {
      const { ingest, store } = bed();
      seedOrientation(store);
      const result = await ingest.submit(MISSION_LOCALE, sealed(MISSION_LOCALE.id, acknowledgement()));
      expect(result).to.include({ status: 202, recipient: OFII.id, type: 'acknowledgement' });
      expect(store.acceptCalls[0]).to.include({ inReplyTo: ORIENTATION_ID });
    });

    it('an acknowledgement naming a message the gateway does not know is refused (reply-matches-original)', async () => {
      const { ingest, store } = bed();
      expect(await refusal(ingest.submit(MISSION_LOCALE, sealed(MISSION_LOCALE.id, acknowledgement())))).to.include({ code: 'rule_violation', rule: 'reply-matches-original' });
      expect(store.acceptCalls).to.deep.equal([]);
    });

    it("an acknowledgement of another agency's orientation is refused (reply-matches-original)", async () => {
      const { ingest, store } = bed();
      seedOrientation(store, { recipient: FRANCE_TRAVAIL.id });
      expect(await refusal(ingest.submit(MISSION_LOCALE, sealed(MISSION_LOCALE.id, acknowledgement())))).to.include({ code: 'rule_violation', rule: 'reply-matches-original' });
    });

    it('an acknowledgement filed under another beneficiary than the orientation it names is refused (reply-matches-original)', async () => {
      const { ingest, store } = bed();
      seedOrientation(store, { beneficiary: pseudonymOf(OTHER_REF) });
      expect(await refusal(ingest.submit(MISSION_LOCALE, sealed(MISSION_LOCALE.id, acknowledgement())))).to.include({ code: 'rule_violation', rule: 'reply-matches-original' });
    });

    it('an answer addressed to another partner than the sender of the (non-referral) message it names is refused (reply-matches-original)', async () => {
      const { ingest, store } = bed();
      seedOrientation(store, { sender: 'ofii-lyon' });
      expect(await refusal(ingest.submit(MISSION_LOCALE, sealed(MISSION_LOCALE.id, acknowledgement())))).to.include({ code: 'rule_violation', rule: 'reply-matches-original' });
    });

    it('a status update on a referral the agency received reports to OFII, which did not send the referral', async () => {
      const { ingest, store } = bed();
      const referralId = '5f0b8c1e-7d2a-4e63-a1b9-0c4d2e8f6a17';
      store.seedMessage({ messageId: referralId, type: 'referral', sender: FRANCE_TRAVAIL.id, recipient: MISSION_LOCALE.id, beneficiary: pseudonymOf(REF), payloadSha256: 'b'.repeat(64) });
      const document = example('status-update', { sentAt: SENT_AT, sender: MISSION_LOCALE.id, recipient: OFII.id, beneficiaryRef: REF, inReplyTo: referralId });
      const result = await ingest.submit(MISSION_LOCALE, sealed(MISSION_LOCALE.id, document));
      expect(result).to.include({ status: 202, recipient: OFII.id, type: 'status-update' });
    });
  });

  describe('the same message id again', () => {
    it('the same document again answers 200 with the original answer and the stored receipt; nothing is accepted or signed twice', async () => {
      const { ingest, store, crypto } = bed();
      const message = sealed(OFII.id, orientation());
      const first = await ingest.submit(OFII, message);
      const again = await ingest.submit(OFII, message);
      expect(again).to.deep.equal({ ...first, outcome: 'replayed', status: 200 });
      expect(store.acceptCalls).to.have.length(1);
      expect(crypto.receiptsSigned).to.have.length(1);
      expect(store.rejections()).to.deep.equal([]);
    });

    it('the same document a day later, when it would now be stale, still gets the original answer (the id is looked up before step 5)', async () => {
      const { ingest, clock } = bed();
      const message = sealed(OFII.id, orientation());
      const first = await ingest.submit(OFII, message);
      clock.now = new Date(NOW.getTime() + 2 * 86_400_000);
      const again = await ingest.submit(OFII, message);
      expect(again).to.include({ status: 200, outcome: 'replayed' });
      expect(again.answer).to.deep.equal(first.answer);
    });

    it('the same id with another document answers 409 duplicate_conflict, audited with the new digest only, nothing written', async () => {
      const { ingest, store } = bed();
      const document = orientation();
      await ingest.submit(OFII, sealed(OFII.id, document));
      document['body']['wantsSpeSupport'] = !document['body']['wantsSpeSupport'];
      const error = await refusal(ingest.submit(OFII, sealed(OFII.id, document)));
      expect(error).to.include({ code: 'duplicate_conflict', status: 409 });
      expect(store.rejections()).to.deep.equal([rejected({ sender: OFII.id, code: 'duplicate_conflict', payloadSha256: sha256(documentText(document)) })]);
      expect(store.acceptCalls).to.have.length(1);
    });

    it('the same id and the same document bytes under another partner answer 409: an id belongs to its sender', async () => {
      const { ingest, store } = bed();
      const document = orientation();
      store.seedMessage({ messageId: document['header']['messageId'] as string, type: 'orientation', sender: FRANCE_TRAVAIL.id, recipient: MISSION_LOCALE.id, beneficiary: pseudonymOf(REF), payloadSha256: sha256(documentText(document)) });
      expect((await refusal(ingest.submit(OFII, sealed(OFII.id, document)))).code).to.equal('duplicate_conflict');
    });

    it('a message committed without its receipt (the process stopped before signing) gets a receipt signed on the replay, and kept', async () => {
      const { ingest, store, crypto } = bed();
      const document = orientation();
      const id = document['header']['messageId'] as string;
      const original = store.seedMessage({ messageId: id, type: 'orientation', sender: OFII.id, recipient: MISSION_LOCALE.id, beneficiary: pseudonymOf(REF), payloadSha256: sha256(documentText(document)), acceptedAt: '2026-11-27T09:56:00.000Z' });
      const result = await ingest.submit(OFII, sealed(OFII.id, document));
      const fields: AcceptedAnswer = { messageId: id, status: 'accepted', acceptedAt: original.acceptedAt, auditIndex: original.auditIndex, payloadSha256: original.payloadSha256 };
      expect(result).to.deep.equal({ outcome: 'replayed', status: 200, answer: { ...fields, receipt: fakeReceipt(fields, GATEWAY_KEY) }, recipient: MISSION_LOCALE.id, type: 'orientation' });
      expect(crypto.receiptsSigned).to.deep.equal([fields]);
      expect(store.messages.get(id)?.receipt).to.equal(result.answer.receipt);
    });

    /** A request that commits `document`'s id with `theirs` while this one is between its checks and accept(). */
    function committedMeanwhile(store: MemoryStore, document: Json, theirs: string): void {
      store.beforeAccept = () => {
        store.seedMessage({ messageId: document['header']['messageId'] as string, type: 'orientation', sender: OFII.id, recipient: MISSION_LOCALE.id, beneficiary: pseudonymOf(REF), payloadSha256: sha256(theirs), receipt: 'their receipt' });
      };
    }

    it('a concurrent request committed the same document first (accept answers duplicate): 200 with the answer and receipt it got', async () => {
      const { ingest, store } = bed();
      const document = orientation();
      committedMeanwhile(store, document, documentText(document));
      const result = await ingest.submit(OFII, sealed(OFII.id, document));
      expect(result).to.include({ status: 200, outcome: 'replayed' });
      expect(result.answer.receipt).to.equal('their receipt');
      expect(store.acceptCalls).to.have.length(1);
    });

    it('a concurrent request committed another document under the same id first: 409 duplicate_conflict', async () => {
      const { ingest, store } = bed();
      const document = orientation();
      committedMeanwhile(store, document, documentText({ ...document, body: { ...document['body'], wantsSpeSupport: !document['body']['wantsSpeSupport'] } }));
      expect((await refusal(ingest.submit(OFII, sealed(OFII.id, document)))).code).to.equal('duplicate_conflict');
      expect(store.acceptCalls).to.have.length(1);
    });
  });

  describe('store faults', () => {
    const UNAVAILABLE = new GatewayError('unavailable', 'The gateway cannot store messages right now; nothing was accepted. Retry later.');

    it('the store cannot write at acceptance: 503 unavailable, nothing audited, and the refusal names what was proven without an audit index', async () => {
      const { ingest, store } = bed();
      store.fail('accept', UNAVAILABLE);
      const document = orientation();
      const error = await refusal(ingest.submit(OFII, sealed(OFII.id, document)));
      expect(error).to.include({ code: 'unavailable', status: 503 });
      expect(error.rejection).to.deep.equal({ messageId: document['header']['messageId'], type: 'orientation', recipient: MISSION_LOCALE.id });
      expect(store.calls).not.to.include('recordEvent');
      expect(store.audit).to.deep.equal([]);
      expect(store.messages.size).to.equal(0);
    });

    it('the store cannot read at the idempotency look-up: 503 unavailable, nothing audited', async () => {
      const { ingest, store } = bed();
      store.fail('findMessage', UNAVAILABLE);
      expect((await refusal(ingest.submit(OFII, sealed(OFII.id, orientation())))).code).to.equal('unavailable');
      expect(store.calls).not.to.include('recordEvent');
      expect(store.calls).not.to.include('accept');
    });

    it('a refusal that cannot be audited is answered 503 unavailable, not with its own code: the partner must retry', async () => {
      const { ingest, store } = bed();
      const fault = new Error('disk I/O error');
      store.fail('recordEvent', fault);
      const document = orientation({ sentAt: TWO_DAYS_AGO });
      const error = await refusal(ingest.submit(OFII, sealed(OFII.id, document)));
      expect(error).to.include({ code: 'unavailable', status: 503 });
      expect(error.cause).to.equal(fault);
      expect(error.rejection).to.deep.equal({ messageId: document['header']['messageId'], type: 'orientation', recipient: MISSION_LOCALE.id });
    });

    it('a fault after the commit (the receipt cannot be kept) still answers 202 with a signed receipt; a retry gets 200 and a receipt over the same answer', async () => {
      const { ingest, store } = bed();
      store.fail('saveReceipt', UNAVAILABLE);
      const message = sealed(OFII.id, orientation());
      const first = await ingest.submit(OFII, message);
      expect(first).to.include({ status: 202, outcome: 'accepted' });
      expect(first.answer.receipt).to.equal(fakeReceipt(first.answer, GATEWAY_KEY));
      expect(store.messages.get(first.answer.messageId)?.receipt).to.equal(undefined);
      expect(store.rejections()).to.deep.equal([]);

      store.heal('saveReceipt');
      const retry = await ingest.submit(OFII, message);
      expect(retry).to.include({ status: 200, outcome: 'replayed' });
      expect(retry.answer).to.deep.equal(first.answer);
    });

    it("the store's own check at commit (an opt-out committed after step 8) refuses with rule_violation, audited, nothing written", async () => {
      const { ingest, store } = bed();
      store.beforeAccept = () => store.seedOptOut(lookupOf(REF));
      const document = orientation();
      const error = await refusal(ingest.submit(OFII, sealed(OFII.id, document)));
      expect(error).to.include({ code: 'rule_violation', rule: 'beneficiary-opted-out' });
      expect(store.messages.size).to.equal(0);
      expect(store.rejections()).to.deep.equal([
        rejected({ sender: OFII.id, code: 'rule_violation', messageId: document['header']['messageId'], type: 'orientation', recipient: MISSION_LOCALE.id, beneficiary: pseudonymOf(REF), payloadSha256: sha256(documentText(document)) }),
      ]);
    });

    it('an unexpected error (not a GatewayError) is no refusal: it reaches the caller as it is, and nothing is audited', async () => {
      const { ingest, store } = bed();
      const defect = new TypeError('defect');
      store.fail('accept', defect);
      let thrown: unknown;
      try {
        await ingest.submit(OFII, sealed(OFII.id, orientation()));
      } catch (err) {
        thrown = err;
      }
      expect(thrown).to.equal(defect);
      expect(store.audit).to.deep.equal([]);
    });
  });

  describe('a dossier update that went stale is prepared again', () => {
    const optOut = () => example('opt-out', { sentAt: SENT_AT, beneficiaryRef: REF });

    it("an opt-out whose withdrawal notices went stale (Mission Locale received data meanwhile) is prepared again from the current recipients, then accepted", async () => {
      const { ingest, store } = bed();
      store.seedRecipient(pseudonymOf(REF), FRANCE_TRAVAIL.id);
      store.beforeAccept = () => {
        if (store.acceptCalls.length === 1) store.seedRecipient(pseudonymOf(REF), MISSION_LOCALE.id);
      };
      const result = await ingest.submit(OFII, sealed(OFII.id, optOut()));
      expect(result.status).to.equal(202);
      expect(store.acceptCalls).to.have.length(2);
      const [first, second] = store.acceptCalls.map((call) => call.dossier!);
      expect(first!.preparedFrom).to.deep.equal({ recipients: [FRANCE_TRAVAIL.id] });
      expect(first!.notices.map((n) => n.recipient)).to.deep.equal([FRANCE_TRAVAIL.id]);
      expect(second!.preparedFrom).to.deep.equal({ recipients: [FRANCE_TRAVAIL.id, MISSION_LOCALE.id] });
      expect(second!.notices.map((n) => n.recipient)).to.deep.equal([FRANCE_TRAVAIL.id, MISSION_LOCALE.id]);
    });

    /** Each accept() finds one more recipient than the update was prepared from, the first `times` times. */
    function staleFor(store: MemoryStore, times: number): void {
      store.beforeAccept = () => {
        if (store.acceptCalls.length <= times) store.seedRecipient(pseudonymOf(REF), `agency-${store.acceptCalls.length}`);
      };
    }

    it(`stale ${ACCEPT_PREPARATIONS - 1} times, then accepted at preparation ${ACCEPT_PREPARATIONS}`, async () => {
      const { ingest, store } = bed();
      staleFor(store, ACCEPT_PREPARATIONS - 1);
      expect((await ingest.submit(OFII, sealed(OFII.id, optOut()))).status).to.equal(202);
      expect(store.acceptCalls).to.have.length(ACCEPT_PREPARATIONS);
    });

    it(`stale ${ACCEPT_PREPARATIONS} times: 503 unavailable, nothing written, nothing audited`, async () => {
      const { ingest, store } = bed();
      staleFor(store, ACCEPT_PREPARATIONS);
      const error = await refusal(ingest.submit(OFII, sealed(OFII.id, optOut())));
      expect(error).to.include({ code: 'unavailable', status: 503 });
      expect(store.acceptCalls).to.have.length(ACCEPT_PREPARATIONS);
      expect(store.messages.size).to.equal(0);
      expect(store.audit).to.deep.equal([]);
    });
  });
});
