/**
 * Minimisation for every disclosure (issue 12, item 5): the recipient's rules apply to each document
 * a referral's dossier discloses, not only to the orientation. A document of the history that the
 * recipient may not receive is withheld; what it may receive still goes, signed as its sender signed
 * it. The rules judge each document as corrected by its rectifications, and a rectification goes only
 * with the document it corrects. Real OpenPGP, dossier services and SQLite store; the recipient's rules are given in the partner
 * entry, as the registry gives them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import * as openpgp from 'openpgp';
import { Dossiers } from '../../src/app/dossiers.js';
import { GatewayNotices } from '../../src/app/gateway-notices.js';
import { openDelivered } from '../../src/crypto/open.js';
import { INLINE_CRYPTO } from '../../src/crypto/service.js';
import type { MessageDocument } from '../../src/domain/message.js';
import type { Partner } from '../../src/domain/partner.js';
import { createLookupKey, createPseudonymiser } from '../../src/privacy/pseudonym.js';
import { createValidator, defaultSchemasDir } from '../../src/schema/validator.js';
import type { GatewayStore } from '../../src/store/gateway-store.js';
import { openSqliteStore } from '../../src/store/open.js';
import { loadTrustStore } from '../../src/trust/trust-store.js';
import { orientationTo, referral, statusUpdate } from '../fixtures/dossier.js';
import { EXAMPLE_CERTS } from '../fixtures/gateway.js';
import { example, type Json } from '../fixtures/partner.js';

const REF = '7503123456';

describe('security: minimisation applies to every document a dossier discloses', function () {
  this.timeout(30_000);
  let dir: string;
  let store: GatewayStore;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-minimisation-'));
    store = await openSqliteStore({ dataDir: dir });
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('withholds a status update the recipient may not receive, and discloses the rest of the history', async () => {
    const trust = await loadTrustStore({ dir: EXAMPLE_CERTS });
    const { privateKey: agencyKey } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'agencies' }], format: 'object' });
    const { privateKey: recipientKey } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'France Travail' }], format: 'object' });
    const lookupKey = createLookupKey(randomBytes(32));
    const beneficiary = await createPseudonymiser({ lookup: lookupKey, subjects: store, now: () => new Date() })(REF);
    const keep = async (document: Json, overrides: { type: string; sender: string; recipient: string; inReplyTo?: string }, follow: { starts?: string; takenInCharge: boolean }) => {
      const signedMessage = await openpgp.sign({ message: await openpgp.createMessage({ binary: new TextEncoder().encode(JSON.stringify(document)) }), signingKeys: agencyKey, format: 'binary' });
      await store.accept({
        messageId: document['header']['messageId'] as string,
        version: 1,
        inReplyTo: overrides.inReplyTo,
        beneficiary,
        payloadSha256: 'a'.repeat(64),
        acceptedAt: new Date().toISOString(),
        outboxBody: 'sealed',
        ...overrides,
        dossier: { lookup: lookupKey(REF), signedMessage, follow, notices: [] },
      });
    };
    const orientation = orientationTo('mission-locale-paris', REF);
    await keep(orientation, { type: 'orientation', sender: 'ofii-paris', recipient: 'mission-locale-paris' }, { starts: 'mission-locale-paris', takenInCharge: false });
    const absent = statusUpdate('mission-locale-paris', orientation, 'ABSENT_RDV');
    const interview = statusUpdate('mission-locale-paris', orientation, 'PREMIER_ENTRETIEN_REALISE');
    for (const update of [absent, interview]) {
      await keep(update, { type: 'status-update', sender: 'mission-locale-paris', recipient: 'ofii-paris', inReplyTo: orientation['header']['messageId'] as string }, { takenInCharge: true });
    }

    // France Travail, with a rule of its registry entry on status updates (as one on orientations).
    const franceTravail: Partner = {
      ...trust.registry.get('france-travail-paris')!,
      minimisation: [{ rule: 'no-missed-appointments', messageTypes: ['status-update'], forbiddenFields: ['/body/event/type'], forbiddenValues: ['ABSENT_RDV'] }],
    };
    const keysOf = (id: string) => (id === 'france-travail-paris' ? [recipientKey.toPublic()] : [agencyKey.toPublic()]);
    const notices = new GatewayNotices({ signingKey: () => trust.gateway.privateKey, recipientKeys: keysOf, validator: createValidator({ schemasDir: defaultSchemasDir() }), now: () => new Date(), crypto: INLINE_CRYPTO });
    const dossiers = new Dossiers({ store, lookup: lookupKey, notices, findPartner: (id) => (id === franceTravail.id ? franceTravail : trust.registry.get(id)), senderKeys: keysOf, maxDocumentBytes: 65_536, validator: createValidator({ schemasDir: defaultSchemasDir() }), crypto: INLINE_CRYPTO });

    const document = referral('mission-locale-paris', 'france-travail-paris', REF) as unknown as MessageDocument;
    const update = await dossiers.prepare({ document, signedMessage: new Uint8Array(0), recipient: franceTravail, beneficiary });
    const [notice] = update.notices;
    const opened = await openDelivered({ message: notice!.outboxBody!, decryptionKey: recipientKey, senderKeys: [trust.gateway.publicKey], maxDocumentBytes: 1_000_000 });
    const disclosed = (JSON.parse(new TextDecoder().decode(opened.document)) as { body: { documents: Array<{ messageId: string }> } }).body.documents.map((d) => d.messageId);
    expect(disclosed).to.deep.equal([orientation['header']['messageId'], interview['header']['messageId']]);
    expect(notice!.count).to.equal(2);
    expect(disclosed).not.to.include(absent['header']['messageId']);
  });

  it("withholds an end-of-CIR review the recipient may not receive under a rule of its registry entry, and discloses the other review", async () => {
    const trust = await loadTrustStore({ dir: EXAMPLE_CERTS });
    const { privateKey: signerKey } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'OFII' }], format: 'object' });
    const { privateKey: recipientKey } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'EPEC' }], format: 'object' });
    const lookupKey = createLookupKey(randomBytes(32));
    const beneficiary = await createPseudonymiser({ lookup: lookupKey, subjects: store, now: () => new Date() })(REF);
    const keep = async (document: Json, type: string, recipient: string, follow: { starts?: string; takenInCharge: boolean }) => {
      const signedMessage = await openpgp.sign({ message: await openpgp.createMessage({ binary: new TextEncoder().encode(JSON.stringify(document)) }), signingKeys: signerKey, format: 'binary' });
      await store.accept({
        messageId: document['header']['messageId'] as string, type, sender: 'ofii-paris', recipient, version: 1, inReplyTo: undefined, beneficiary,
        payloadSha256: 'a'.repeat(64), acceptedAt: new Date().toISOString(), outboxBody: 'sealed',
        dossier: { lookup: lookupKey(REF), signedMessage, follow, notices: [] },
      });
    };
    const orientation = orientationTo('france-travail-paris', REF);
    await keep(orientation, 'orientation', 'france-travail-paris', { starts: 'france-travail-paris', takenInCharge: false });
    const inactive = example('cir-review', { recipient: 'france-travail-paris', beneficiaryRef: REF }, { declaredSituation: 'INACTIF' });
    const seeking = example('cir-review', { recipient: 'france-travail-paris', beneficiaryRef: REF });
    for (const review of [inactive, seeking]) await keep(review, 'cir-review', 'france-travail-paris', { takenInCharge: false });

    // The example registry forbids nothing in a review; a registry that does is applied to the dossier.
    const epec: Partner = {
      ...trust.registry.get('epec-paris')!,
      minimisation: [{ rule: 'no-inactive-review-for-test', messageTypes: ['cir-review'], forbiddenFields: ['/body/declaredSituation'], forbiddenValues: ['INACTIF'] }],
    };
    const keysOf = (id: string) => (id === 'epec-paris' ? [recipientKey.toPublic()] : [signerKey.toPublic()]);
    const validator = createValidator({ schemasDir: defaultSchemasDir() });
    const notices = new GatewayNotices({ signingKey: () => trust.gateway.privateKey, recipientKeys: keysOf, validator, now: () => new Date(), crypto: INLINE_CRYPTO });
    const dossiers = new Dossiers({ store, lookup: lookupKey, notices, findPartner: (id) => (id === epec.id ? epec : trust.registry.get(id)), senderKeys: keysOf, maxDocumentBytes: 65_536, validator, crypto: INLINE_CRYPTO });

    const document = referral('france-travail-paris', 'epec-paris', REF) as unknown as MessageDocument;
    const [notice] = (await dossiers.prepare({ document, signedMessage: new Uint8Array(0), recipient: epec, beneficiary })).notices;
    const opened = await openDelivered({ message: notice!.outboxBody!, decryptionKey: recipientKey, senderKeys: [trust.gateway.publicKey], maxDocumentBytes: 1_000_000 });
    const disclosed = (JSON.parse(new TextDecoder().decode(opened.document)) as { body: { documents: Array<{ messageId: string; type: string }> } }).body.documents;
    expect(disclosed.map((d) => [d.type, d.messageId])).to.deep.equal([
      ['orientation', orientation['header']['messageId']],
      ['cir-review', seeking['header']['messageId']],
    ]);
    expect(notice!.count).to.equal(2);
  });

  it('judges each document on its corrected version, and withholds a rectification with the document it corrects', async () => {
    const trust = await loadTrustStore({ dir: EXAMPLE_CERTS });
    const { privateKey: agencyKey } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'agencies' }], format: 'object' });
    const { privateKey: recipientKey } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'France Travail' }], format: 'object' });
    const lookupKey = createLookupKey(randomBytes(32));
    const beneficiary = await createPseudonymiser({ lookup: lookupKey, subjects: store, now: () => new Date() })(REF);
    let tick = Date.now() + 1000;
    const keep = async (document: Json, overrides: { type: string; sender: string; recipient: string; inReplyTo?: string }, follow: { starts?: string; takenInCharge: boolean }) => {
      const signedMessage = await openpgp.sign({ message: await openpgp.createMessage({ binary: new TextEncoder().encode(JSON.stringify(document)) }), signingKeys: agencyKey, format: 'binary' });
      tick += 1000;
      await store.accept({ messageId: document['header']['messageId'] as string, version: 1, inReplyTo: overrides.inReplyTo, beneficiary, payloadSha256: 'a'.repeat(64), acceptedAt: new Date(tick).toISOString(), outboxBody: 'sealed', ...overrides, dossier: { lookup: lookupKey(REF), signedMessage, follow, notices: [] } });
    };
    const rectification = (sender: string, corrects: Json, changes: Json[]): Json => ({
      header: { messageId: randomUUID(), type: 'rectification', version: 1, sender, recipient: 'passerelle', sentAt: new Date().toISOString(), beneficiaryRef: REF },
      body: { corrects: corrects['header']['messageId'], changes, reason: 'ERREUR_DE_SAISIE', requestedOn: '2026-12-01' },
    });
    const orientation = orientationTo('mission-locale-paris', REF);
    await keep(orientation, { type: 'orientation', sender: 'ofii-paris', recipient: 'mission-locale-paris' }, { starts: 'mission-locale-paris', takenInCharge: false });
    const interview = statusUpdate('mission-locale-paris', orientation, 'PREMIER_ENTRETIEN_REALISE');
    await keep(interview, { type: 'status-update', sender: 'mission-locale-paris', recipient: 'ofii-paris', inReplyTo: orientation['header']['messageId'] as string }, { takenInCharge: true });
    const ofiiFix = rectification('ofii-paris', orientation, [{ op: 'replace', path: '/body/identity/givenNames/0', value: 'Daria' }]);
    // Kept directly: the store holds what acceptance checked; here only the dossier's judgement is under test.
    const mlFix = rectification('mission-locale-paris', interview, [{ op: 'replace', path: '/body/event/type', value: 'ABSENT_RDV' }]);
    for (const fix of [ofiiFix, mlFix]) await keep(fix, { type: 'rectification', sender: fix['header']['sender'] as string, recipient: 'passerelle' }, { takenInCharge: false });

    const franceTravail: Partner = {
      ...trust.registry.get('france-travail-paris')!,
      minimisation: [{ rule: 'no-missed-appointments', messageTypes: ['status-update'], forbiddenFields: ['/body/event/type'], forbiddenValues: ['ABSENT_RDV'] }],
    };
    const keysOf = (id: string) => (id === 'france-travail-paris' ? [recipientKey.toPublic()] : [agencyKey.toPublic()]);
    const validator = createValidator({ schemasDir: defaultSchemasDir() });
    const notices = new GatewayNotices({ signingKey: () => trust.gateway.privateKey, recipientKeys: keysOf, validator, now: () => new Date(), crypto: INLINE_CRYPTO });
    const dossiers = new Dossiers({ store, lookup: lookupKey, notices, findPartner: (id) => (id === franceTravail.id ? franceTravail : trust.registry.get(id)), senderKeys: keysOf, maxDocumentBytes: 65_536, validator, crypto: INLINE_CRYPTO });

    const document = referral('mission-locale-paris', 'france-travail-paris', REF) as unknown as MessageDocument;
    const [notice] = (await dossiers.prepare({ document, signedMessage: new Uint8Array(0), recipient: franceTravail, beneficiary })).notices;
    const opened = await openDelivered({ message: notice!.outboxBody!, decryptionKey: recipientKey, senderKeys: [trust.gateway.publicKey], maxDocumentBytes: 1_000_000 });
    const listed = (JSON.parse(new TextDecoder().decode(opened.document)) as { body: { documents: Array<{ messageId: string; type: string }> } }).body.documents;
    // The status update, allowed as first signed, is withheld on its corrected version, and its rectification with it.
    expect(listed.map((d) => [d.type, d.messageId])).to.deep.equal([
      ['orientation', orientation['header']['messageId']],
      ['rectification', ofiiFix['header']['messageId']],
    ]);
    expect(notice!.count).to.equal(2);
    expect(notice!.discloses).to.deep.equal([orientation['header']['messageId'], ofiiFix['header']['messageId']]);
  });
});
