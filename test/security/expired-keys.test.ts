/**
 * Keys that expire or are revoked must not block a person's rights nor break history (issue 12,
 * item 3). Real OpenPGP (keys made for each test, with the validity each attack needs), the real dossier
 * services, notices, retention and SQLite store; the trust configuration is given as functions, the
 * port through which the gateway reads each partner's keys.
 *
 * - a kept document is verified as of its acceptance: a sender's key that expired, or that was retired
 *   or superseded, since still verifies it; one revoked as compromised does not;
 * - a notice to a partner without a usable key waits (encrypted) instead of refusing the opt-out,
 *   erasure or expiry that causes it, and leaves once a key is registered;
 * - the partner whose request caused the notice learns nothing of the other partner's keys.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import * as openpgp from 'openpgp';
import { Dossiers } from '../../src/app/dossiers.js';
import { eraseBeneficiary } from '../../src/app/erasure.js';
import { GatewayNotices, releaseHeldNotices } from '../../src/app/gateway-notices.js';
import { runRetention } from '../../src/app/retention.js';
import { openDelivered } from '../../src/crypto/open.js';
import { INLINE_CRYPTO } from '../../src/crypto/service.js';
import { GatewayError } from '../../src/domain/errors.js';
import { followEffects } from '../../src/domain/follow.js';
import type { MessageDocument } from '../../src/domain/message.js';
import { createLookupKey, createPseudonymiser } from '../../src/privacy/pseudonym.js';
import { createValidator, defaultSchemasDir } from '../../src/schema/validator.js';
import type { GatewayStore } from '../../src/store/gateway-store.js';
import { openSqliteStore } from '../../src/store/open.js';
import { loadTrustStore, type TrustStore } from '../../src/trust/trust-store.js';
import { orientationTo, referral } from '../fixtures/dossier.js';
import { EXAMPLE_CERTS } from '../fixtures/gateway.js';
import { newMessage } from '../fixtures/store.js';
import { example, type Json } from '../fixtures/partner.js';

const MINUTE = 60_000;
const REF = '7503123456';
const validator = createValidator({ schemasDir: defaultSchemasDir() });

type KeyPair = { privateKey: openpgp.PrivateKey; publicKey: openpgp.PublicKey };

async function keyPair(name: string, opts: { createdMsAgo?: number; validForSeconds?: number } = {}): Promise<KeyPair> {
  const { privateKey } = await openpgp.generateKey({
    type: 'curve25519',
    userIDs: [{ name }],
    date: new Date(Date.now() - (opts.createdMsAgo ?? MINUTE)),
    ...(opts.validForSeconds === undefined ? {} : { keyExpirationTime: opts.validForSeconds }),
    format: 'object',
  });
  return { privateKey, publicKey: privateKey.toPublic() };
}

async function signedAt(document: Json, key: openpgp.PrivateKey, date: Date): Promise<Uint8Array> {
  const message = await openpgp.createMessage({ binary: new TextEncoder().encode(JSON.stringify(document)) });
  return openpgp.sign({ message, signingKeys: key, date, format: 'binary' });
}

describe('security: expired and revoked keys block no right and break no history', function () {
  this.timeout(60_000);
  let dir: string;
  let store: GatewayStore;
  let trust: TrustStore;
  /** The keys the trust configuration holds for each partner now (the test changes them). */
  let keys: Map<string, openpgp.PublicKey[]>;
  let lookup: (ref: string) => string;
  let beneficiary: string;
  let ofii: KeyPair;
  let missionLocale: KeyPair;
  let franceTravail: KeyPair;

  const keysOf = (id: string) => keys.get(id) ?? [];
  function services() {
    const notices = new GatewayNotices({ signingKey: () => trust.gateway.privateKey, recipientKeys: keysOf, validator, now: () => new Date(), crypto: INLINE_CRYPTO });
    const findPartner = (id: string) => trust.registry.get(id);
    const dossiers = new Dossiers({ store, lookup, notices, findPartner, senderKeys: keysOf, maxDocumentBytes: 65_536, validator, crypto: INLINE_CRYPTO });
    return { notices, dossiers, findPartner };
  }

  /** OFII's orientation of the person to Mission Locale, signed (by `signer`, OFII's key by default) and accepted `msAgo` ago. */
  async function orientedAgo(msAgo: number, signer: openpgp.PrivateKey = ofii.privateKey): Promise<Json> {
    const document = orientationTo('mission-locale-paris', REF);
    const at = new Date(Date.now() - msAgo);
    await store.accept(
      newMessage({
        messageId: document['header']['messageId'] as string,
        beneficiary,
        acceptedAt: at.toISOString(),
        dossier: { lookup: lookup(REF), signedMessage: await signedAt(document, signer, at), follow: followEffects(document as never), notices: [] },
      }),
    );
    return document;
  }

  async function referralDossierTo(recipient: string): Promise<{ documents: Array<{ messageId: string; sender: string }> }> {
    const { dossiers, findPartner } = services();
    const document = referral('mission-locale-paris', recipient, REF) as unknown as MessageDocument;
    const update = await dossiers.prepare({ document, signedMessage: new Uint8Array(0), recipient: findPartner(recipient)!, beneficiary });
    const [notice] = update.notices;
    expect(notice, 'the dossier notice').to.include({ type: 'dossier', recipient });
    const opened = await openDelivered({ message: notice!.outboxBody!, decryptionKey: franceTravail.privateKey, senderKeys: [trust.gateway.publicKey], maxDocumentBytes: 1_000_000 });
    return (JSON.parse(new TextDecoder().decode(opened.document)) as { body: { documents: Array<{ messageId: string; sender: string }> } }).body;
  }

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-expired-keys-'));
    store = await openSqliteStore({ dataDir: dir });
    trust = await loadTrustStore({ dir: EXAMPLE_CERTS });
    const lookupKey = createLookupKey(randomBytes(32));
    lookup = lookupKey;
    beneficiary = await createPseudonymiser({ lookup: lookupKey, subjects: store, now: () => new Date() })(REF);
    ofii = await keyPair('OFII', { createdMsAgo: 10 * MINUTE, validForSeconds: 5 * 60 });
    missionLocale = await keyPair('Mission Locale');
    franceTravail = await keyPair('France Travail');
    keys = new Map([
      ['ofii-paris', [ofii.publicKey]],
      ['mission-locale-paris', [missionLocale.publicKey]],
      ['france-travail-paris', [franceTravail.publicKey]],
    ]);
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('OFII\'s key expired after it oriented the person: a referral still carries its orientation in the dossier', async () => {
    // Accepted 9 minutes ago, while OFII's key (valid from 10 to 5 minutes ago) was valid.
    await orientedAgo(9 * MINUTE);
    const dossier = await referralDossierTo('france-travail-paris');
    expect(dossier.documents.map((d) => d.sender)).to.include('ofii-paris');
  });

  it('a key its owner retired after the document was accepted still verifies it (a soft revocation)', async () => {
    await orientedAgo(9 * MINUTE);
    const { privateKey: retired } = await openpgp.revokeKey({ key: ofii.privateKey, reasonForRevocation: { flag: openpgp.enums.reasonForRevocation.keySuperseded, string: 'replaced' }, date: new Date(), format: 'object' });
    keys.set('ofii-paris', [retired.toPublic()]);
    expect((await referralDossierTo('france-travail-paris')).documents).to.have.length(1);
  });

  it('a key revoked as compromised verifies nothing, whenever it signed: the referral is refused, saying so', async () => {
    await orientedAgo(9 * MINUTE);
    const { privateKey: compromised } = await openpgp.revokeKey({ key: ofii.privateKey, reasonForRevocation: { flag: openpgp.enums.reasonForRevocation.keyCompromised, string: 'stolen' }, date: new Date(), format: 'object' });
    keys.set('ofii-paris', [compromised.toPublic()]);
    const refusal = await referralDossierTo('france-travail-paris').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refusal).to.be.instanceOf(GatewayError).with.property('code', 'signature_invalid');
    expect((refusal as GatewayError).message).to.match(/revoked/i);
  });

  it('a past recipient without a usable key does not block the opt-out, is not named to OFII, and gets its notice once it registers a key', async () => {
    await orientedAgo(9 * MINUTE);
    keys.set('mission-locale-paris', [(await keyPair('Mission Locale expired', { createdMsAgo: 10 * MINUTE, validForSeconds: 60 })).publicKey]);
    const { dossiers } = services();
    const document = example('opt-out', { beneficiaryRef: REF }, { kind: 'DISPENSE', effectiveOn: new Date().toISOString().slice(0, 10) }) as unknown as MessageDocument;
    const update = await dossiers.prepare({ document, signedMessage: new Uint8Array(0), recipient: trust.registry.get('ofii-paris')!, beneficiary });
    expect(update.notices.map((n) => ({ recipient: n.recipient, sealed: n.outboxBody !== undefined, held: n.held !== undefined }))).to.deep.equal([{ recipient: 'mission-locale-paris', sealed: false, held: true }]);
    const outcome = await store.accept(
      newMessage({ messageId: document.header.messageId, type: 'opt-out', recipient: 'passerelle', beneficiary, acceptedAt: new Date().toISOString(), outboxBody: undefined, dossier: update }),
    );
    expect(outcome.kind, 'the opt-out is accepted').to.equal('accepted');
    expect(await store.heldNoticeCounts()).to.deep.include.members([{ recipient: 'mission-locale-paris', count: 1, oldest: (await store.heldNotices(1))[0]!.heldAt }]);
    // At rest the held notice is ciphertext: the person's reference is nowhere in the store's file.
    await store.close();
    expect(fs.readFileSync(path.join(dir, 'passerelle.sqlite')).includes(Buffer.from(REF)), 'reference at rest').to.equal(false);
    store = await openSqliteStore({ dataDir: dir });

    const { notices } = services();
    expect(await releaseHeldNotices({ store, notices }), 'no usable key yet').to.deep.equal({ released: 0, waiting: 1 });
    keys.set('mission-locale-paris', [missionLocale.publicKey]);
    expect(await releaseHeldNotices({ store, notices })).to.deep.equal({ released: 1, waiting: 0 });
    const queued = (await store.pendingOutbox(10)).find((entry) => entry.type === 'withdrawal');
    const opened = await openDelivered({ message: queued!.body, decryptionKey: missionLocale.privateKey, senderKeys: [trust.gateway.publicKey], maxDocumentBytes: 65_536 });
    const header = (JSON.parse(new TextDecoder().decode(opened.document)) as { header: Json }).header;
    expect(header).to.include({ type: 'withdrawal', sender: 'passerelle', recipient: 'mission-locale-paris', beneficiaryRef: REF, inReplyTo: document.header.messageId });
    expect(await releaseHeldNotices({ store, notices }), 'released once').to.deep.equal({ released: 0, waiting: 0 });
  });

  it('an erasure goes through when an agency\'s key was revoked, its notice held', async () => {
    await orientedAgo(9 * MINUTE);
    // Revoked: the trust configuration keeps no unrevoked key for Mission Locale (src/trust/trust-store.ts).
    keys.set('mission-locale-paris', []);
    const { notices, dossiers } = services();
    const report = await eraseBeneficiary({ store, lookup, notices, dossiers, now: () => new Date() }, { beneficiaryRef: REF, reason: 'art17-request' });
    expect(report).to.include({ erased: true });
    expect(report.held).to.deep.equal(['mission-locale-paris']);
    expect(await store.readDossier(beneficiary)).to.equal(undefined);
  });

  it('an expiry notice to OFII whose key expired is held, not dropped, and the sweep completes', async () => {
    const DAY = 24 * 60 * MINUTE;
    const lapsed = await keyPair('OFII, a year ago', { createdMsAgo: 41 * DAY, validForSeconds: DAY / 1000 });
    await orientedAgo(40.5 * DAY, lapsed.privateKey);
    keys.set('ofii-paris', [lapsed.publicKey]);
    const { notices, findPartner } = services();
    const summary = await runRetention({
      store,
      notices,
      findPartner,
      senderKeys: keysOf,
      policy: { orientationExpiryDays: 30, dossierRetentionDays: 730 },
      maxDocumentBytes: 65_536,
      now: () => new Date(),
      crypto: INLINE_CRYPTO,
    });
    expect(summary).to.include({ expired: 1, expiryNotices: 1, heldNoticesWaiting: 1 });
    expect((await store.heldNotices(10)).map((n) => n.recipient)).to.deep.equal(['ofii-paris']);
  });
});
