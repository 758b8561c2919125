/**
 * The store contract, the person's dossier, on both engines: encryption at rest, the checks the
 * acceptance transaction repeats (opt-out, referrer, what the notices were prepared from) with
 * everything rolled back or nothing written when they fail, erasure, expiry and the retention sweep,
 * each decided on the rows as they are when its transaction runs.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { GatewayError } from '../../src/domain/errors.js';
import { createLookupKey, createPseudonymiser } from '../../src/privacy/pseudonym.js';
import type { DossierUpdate, GatewayNotice, NewMessage } from '../../src/store/port.js';
import { forEachEngine, newMessage, rawQuery, reopenTempStore, thrownBy } from '../fixtures/store.js';

const REF = '7503123456';
const DOCUMENT = new TextEncoder().encode('{"header":{"type":"orientation"},"body":{"identity":{"birthName":"KARIMI"}}}');

function message(beneficiary: string, overrides: Partial<NewMessage> = {}): NewMessage {
  return newMessage({ messageId: randomUUID(), recipient: 'france-travail-paris', beneficiary, acceptedAt: new Date().toISOString(), ...overrides });
}

function notice(type: GatewayNotice['type'], recipient: string): GatewayNotice {
  const body = `${type} for ${recipient}`;
  return { messageId: randomUUID(), type, recipient, inReplyTo: undefined, payloadSha256: createHash('sha256').update(body).digest('hex'), outboxBody: body };
}

forEachEngine('store contract: dossiers', (current) => {
  let lookup: string;
  let beneficiary: string;
  const update = (overrides: Partial<DossierUpdate> = {}): DossierUpdate => ({ lookup, signedMessage: DOCUMENT, follow: { starts: 'france-travail-paris', takenInCharge: false }, notices: [], ...overrides });
  const events = async () => (await current().store.readAuditEntries(0, 1000, 1000)).map((e) => JSON.parse(e.entry) as { event: string; recipient?: string; code?: string });

  beforeEach(async () => {
    const lookupKey = createLookupKey(randomBytes(32));
    lookup = lookupKey(REF);
    beneficiary = await createPseudonymiser({ lookup: lookupKey, subjects: current().store, now: () => new Date() })(REF);
  });

  it('gives one person one subject, also when two requests see the person first at once', async () => {
    const { store } = current();
    const lookupKey = createLookupKey(randomBytes(32));
    const pseudonymise = createPseudonymiser({ lookup: lookupKey, subjects: store, now: () => new Date() });
    const [a, b] = await Promise.all([pseudonymise('7503000001'), pseudonymise('7503000001')]);
    expect(a).to.equal(b);
    expect(await store.findSubject(lookupKey('7503000001'))).to.equal(a);
    expect(await store.findSubject(lookupKey('7503000002'))).to.equal(undefined);
  });

  it('keeps the signed message encrypted at rest and gives it back byte for byte', async () => {
    const temp = current();
    const accepted = message(beneficiary);
    await temp.store.accept({ ...accepted, dossier: update() });
    const [document] = (await temp.store.readDossier(beneficiary))!;
    expect(Buffer.from(document!.signedMessage).equals(Buffer.from(DOCUMENT))).to.equal(true);
    expect(document).to.include({ messageId: accepted.messageId, type: 'orientation', sender: 'ofii-paris', recipient: 'france-travail-paris' });
    expect(await temp.store.followers(beneficiary)).to.deep.equal(['france-travail-paris']);
    expect(await temp.store.follows(beneficiary, 'france-travail-paris')).to.equal(true);

    const [{ sealed }] = (await rawQuery<{ sealed: Buffer }>(temp, 'SELECT sealed FROM dossier_documents')) as [{ sealed: Buffer }];
    const [{ wrapped }] = (await rawQuery<{ wrapped: Buffer }>(temp, 'SELECT wrapped_data_key AS wrapped FROM subjects')) as [{ wrapped: Buffer }];
    expect(sealed.includes(Buffer.from('KARIMI'))).to.equal(false);
    expect(wrapped).to.have.length(40);

    // Another key-encryption key file beside the store: it refuses to open rather than return garbage.
    fs.writeFileSync(path.join(temp.dir, 'secrets', 'dossier.kek'), randomBytes(32), { mode: 0o600 });
    const thrown = await thrownBy(() => reopenTempStore(temp));
    expect(thrown).to.be.instanceOf(GatewayError).with.property('code', 'config_invalid');
    expect((thrown as GatewayError).message).to.include('dossier.kek');
  });

  it('rolls the whole acceptance back when the referrer no longer follows the person at commit time', async () => {
    const { store } = current();
    await store.accept({ ...message(beneficiary), dossier: update() });
    const size = await store.auditSize();
    const handOver = message(beneficiary, { type: 'referral', sender: 'cap-emploi-75', recipient: 'epec-paris' });
    const thrown = await thrownBy(() =>
      store.accept({ ...handOver, dossier: update({ referrer: 'cap-emploi-75', follow: { starts: 'epec-paris', stops: 'cap-emploi-75', takenInCharge: false }, notices: [notice('dossier', 'epec-paris')] }) }),
    );
    expect(thrown).to.be.instanceOf(GatewayError).with.property('rule', 'referrer-follows-beneficiary');
    expect(await store.findMessage(handOver.messageId)).to.equal(undefined);
    expect(await store.auditSize()).to.equal(size);
    expect(await store.outboxDepth()).to.equal(1);
    expect(await store.readDossier(beneficiary)).to.have.length(1);
  });

  it('rolls an end-of-CIR review back when its recipient no longer follows the person at commit time, and keeps it when it does', async () => {
    const { store } = current();
    await store.accept({ ...message(beneficiary), dossier: update() });
    const size = await store.auditSize();
    const review = (recipient: string) => message(beneficiary, { type: 'cir-review', recipient });
    const stopped = review('mission-locale-paris');
    const thrown = await thrownBy(() => store.accept({ ...stopped, dossier: update({ follower: 'mission-locale-paris', follow: { takenInCharge: false } }) }));
    expect(thrown).to.be.instanceOf(GatewayError).with.property('rule', 'review-to-follower');
    expect(await store.findMessage(stopped.messageId)).to.equal(undefined);
    expect(await store.auditSize()).to.equal(size);
    expect(await store.outboxDepth()).to.equal(1);

    const delivered = review('france-travail-paris');
    expect((await store.accept({ ...delivered, dossier: update({ follower: 'france-travail-paris', follow: { takenInCharge: false } }) })).kind).to.equal('accepted');
    expect((await store.readDossier(beneficiary))!.map((d) => [d.type, d.recipient])).to.deep.equal([['orientation', 'france-travail-paris'], ['cir-review', 'france-travail-paris']]);
    expect(await store.followers(beneficiary)).to.deep.equal(['france-travail-paris']);
  });

  it('refuses, inside the transaction, a message about a person whose opt-out committed meanwhile', async () => {
    const { store } = current();
    await store.accept({ ...message(beneficiary), dossier: update() });
    const request = message(beneficiary, { type: 'opt-out', recipient: 'passerelle', outboxBody: undefined });
    const outcome = await store.accept({
      ...request,
      dossier: update({ signedMessage: undefined, follow: { takenInCharge: false }, optOut: true, notices: [notice('withdrawal', 'france-travail-paris')], preparedFrom: { recipients: ['france-travail-paris'] } }),
    });
    expect(outcome.kind).to.equal('accepted');
    expect(await store.outboxDepth(), 'the withdrawal notice, besides the orientation').to.equal(2);
    expect(await store.isOptedOut(lookup)).to.equal(true);
    expect(await store.readDossier(beneficiary)).to.equal(undefined);
    expect((await events()).map((e) => e.event)).to.deep.equal(['accepted', 'accepted', 'withdrawal-notified', 'opted-out', 'erased']);

    const thrown = await thrownBy(() => store.accept({ ...message(beneficiary), dossier: update() }));
    expect(thrown).to.be.instanceOf(GatewayError).with.property('rule', 'beneficiary-opted-out');
  });

  it('writes nothing of an opt-out whose withdrawal notices were prepared before another agency received data (stale)', async () => {
    const { store } = current();
    await store.accept({ ...message(beneficiary), dossier: update() });
    const prepared = { recipients: ['france-travail-paris'] };
    // Mission Locale receives an orientation after the notices were prepared for France Travail alone.
    await store.accept({ ...message(beneficiary, { recipient: 'mission-locale-paris' }), dossier: update({ follow: { starts: 'mission-locale-paris', takenInCharge: false } }) });
    const size = await store.auditSize();
    const request = message(beneficiary, { type: 'opt-out', recipient: 'passerelle', outboxBody: undefined });
    const outcome = await store.accept({
      ...request,
      dossier: update({ signedMessage: undefined, follow: { takenInCharge: false }, optOut: true, notices: [notice('withdrawal', 'france-travail-paris')], preparedFrom: prepared }),
    });
    expect(outcome).to.deep.equal({ kind: 'stale' });
    expect(await store.findMessage(request.messageId)).to.equal(undefined);
    expect(await store.auditSize()).to.equal(size);
    expect(await store.isOptedOut(lookup)).to.equal(false);
    expect(await store.readDossier(beneficiary)).to.have.length(2);
  });

  it('writes nothing of a referral whose dossier was read before another document joined it (stale)', async () => {
    const { store } = current();
    const orientation = message(beneficiary);
    await store.accept({ ...orientation, dossier: update() });
    const read = (await store.readDossier(beneficiary))!.map((d) => d.messageId);
    await store.accept({
      ...message(beneficiary, { type: 'status-update', sender: 'france-travail-paris', recipient: 'ofii-paris', inReplyTo: orientation.messageId }),
      dossier: update({ follow: { takenInCharge: true } }),
    });
    const referral = message(beneficiary, { type: 'referral', sender: 'france-travail-paris', recipient: 'epec-paris' });
    const referralUpdate = update({ referrer: 'france-travail-paris', follow: { starts: 'epec-paris', stops: 'france-travail-paris', takenInCharge: false }, notices: [notice('dossier', 'epec-paris')] });
    expect(await store.accept({ ...referral, dossier: { ...referralUpdate, preparedFrom: { documents: read } } })).to.deep.equal({ kind: 'stale' });
    expect(await store.findMessage(referral.messageId)).to.equal(undefined);

    const now = (await store.readDossier(beneficiary))!.map((d) => d.messageId);
    expect((await store.accept({ ...referral, dossier: { ...referralUpdate, preparedFrom: { documents: now } } })).kind).to.equal('accepted');
    expect(await store.followers(beneficiary)).to.deep.equal(['epec-paris']);
    expect((await events()).map((e) => e.event).slice(-3)).to.deep.equal(['accepted', 'referred', 'dossier-disclosed']);
  });

  it('records which documents a dossier disclosed, names every partner that received a document, and forgets both at destruction', async () => {
    const { store } = current();
    const orientation = message(beneficiary);
    await store.accept({ ...orientation, dossier: update() });
    const answer = message(beneficiary, { type: 'status-update', sender: 'france-travail-paris', recipient: 'ofii-paris', inReplyTo: orientation.messageId });
    await store.accept({ ...answer, dossier: update({ follow: { takenInCharge: true } }) });
    const kept = (await store.readDossier(beneficiary))!.map((d) => d.messageId);
    // The dossier discloses the orientation only (the status update withheld from EPEC, say).
    const dossier = { ...notice('dossier', 'epec-paris'), discloses: [orientation.messageId] };
    const referral = message(beneficiary, { type: 'referral', sender: 'france-travail-paris', recipient: 'epec-paris' });
    await store.accept({ ...referral, dossier: update({ referrer: 'france-travail-paris', follow: { starts: 'epec-paris', stops: 'france-travail-paris', takenInCharge: false }, notices: [dossier], preparedFrom: { documents: kept } }) });

    expect(await store.disclosuresOf(beneficiary)).to.deep.equal([{ noticeId: dossier.messageId, documentId: orientation.messageId }]);
    expect(await store.documentRecipients(orientation.messageId)).to.deep.equal(['epec-paris', 'france-travail-paris']);
    expect(await store.documentRecipients(answer.messageId)).to.deep.equal(['ofii-paris']);
    expect(await store.documentRecipients(randomUUID())).to.deep.equal([]);

    const erased = await store.erase({ beneficiary, reason: 'operator-art17', at: new Date().toISOString(), notices: [notice('withdrawal', 'epec-paris'), notice('withdrawal', 'france-travail-paris'), notice('withdrawal', 'ofii-paris')], preparedFor: ['epec-paris', 'france-travail-paris', 'ofii-paris'] });
    expect(erased.kind).to.equal('erased');
    expect(await store.disclosuresOf(beneficiary)).to.deep.equal([]);
    expect(await rawQuery(current(), 'SELECT notice_id FROM dossier_disclosures')).to.deep.equal([]);
  });

  it('writes a rectification with its correction notices and withholdings, or nothing when the document reached another partner meanwhile (stale)', async () => {
    const { store } = current();
    const orientation = message(beneficiary);
    await store.accept({ ...orientation, dossier: update() });
    const kept = (await store.readDossier(beneficiary))!.map((d) => d.messageId);
    // Prepared when the orientation had reached nobody else than France Travail; EPEC got it since.
    const epec = { ...notice('dossier', 'epec-paris'), discloses: [orientation.messageId] };
    await store.accept({ ...message(beneficiary, { type: 'status-update', sender: 'france-travail-paris', recipient: 'ofii-paris', inReplyTo: orientation.messageId }), dossier: update({ follow: { takenInCharge: true }, notices: [epec] }) });
    const rectification = message(beneficiary, { type: 'rectification', sender: 'ofii-paris', recipient: 'passerelle', outboxBody: undefined });
    const correction = { ...notice('correction', 'france-travail-paris'), inReplyTo: rectification.messageId, discloses: [rectification.messageId] };
    const rectificationUpdate = update({ follow: { takenInCharge: false }, notices: [correction], withheld: [{ rule: 'health-data-cap-emploi-france-travail-only' }] });
    const stale = { documents: (await store.readDossier(beneficiary))!.map((d) => d.messageId), documentRecipients: { documentId: orientation.messageId, recipients: ['france-travail-paris'] } };
    expect(kept).to.have.length(1);
    expect(await store.accept({ ...rectification, dossier: { ...rectificationUpdate, preparedFrom: stale } })).to.deep.equal({ kind: 'stale' });
    expect(await store.findMessage(rectification.messageId)).to.equal(undefined);

    const fresh = { ...stale, documentRecipients: { documentId: orientation.messageId, recipients: await store.documentRecipients(orientation.messageId) } };
    expect(fresh.documentRecipients.recipients).to.deep.equal(['epec-paris', 'france-travail-paris']);
    expect((await store.accept({ ...rectification, dossier: { ...rectificationUpdate, preparedFrom: fresh } })).kind).to.equal('accepted');
    const written = (await events()).slice(-3);
    expect(written.map((e) => e.event)).to.deep.equal(['accepted', 'correction-notified', 'correction-withheld']);
    expect(written[1]).to.include({ recipient: 'france-travail-paris' });
    expect(written[2]).to.include({ code: 'health-data-cap-emploi-france-travail-only' }).and.not.have.property('recipient');
    // Kept in the dossier, next to the document; the notice recorded as disclosing the rectification.
    expect((await store.readDossier(beneficiary))!.map((d) => d.type)).to.deep.equal(['orientation', 'status-update', 'rectification']);
    expect(await store.documentRecipients(rectification.messageId)).to.deep.equal(['france-travail-paris']);
  });

  it('destroys a dossier nobody follows and nobody took in charge at once, with the refusal that ends it', async () => {
    const { store } = current();
    const orientation = message(beneficiary);
    await store.accept({ ...orientation, dossier: update() });
    await store.accept({
      ...message(beneficiary, { type: 'acknowledgement', sender: 'france-travail-paris', recipient: 'ofii-paris', inReplyTo: orientation.messageId }),
      dossier: update({ follow: { stops: 'france-travail-paris', takenInCharge: false } }),
    });
    expect(await store.readDossier(beneficiary)).to.equal(undefined);
    expect((await events()).at(-1)).to.include({ event: 'erased', code: 'not-taken-in-charge' });
  });

  it('erases with a withdrawal notice to every agency that received data, or answers stale when one is missing', async () => {
    const { store } = current();
    await store.accept({ ...message(beneficiary), dossier: update() });
    await store.accept({ ...message(beneficiary, { recipient: 'mission-locale-paris' }), dossier: update({ follow: { starts: 'mission-locale-paris', takenInCharge: false } }) });
    const at = new Date().toISOString();
    const size = await store.auditSize();
    const stale = await store.erase({ beneficiary, reason: 'operator-art17', at, notices: [notice('withdrawal', 'france-travail-paris')], preparedFor: ['france-travail-paris'] });
    expect(stale).to.deep.equal({ kind: 'stale', recipients: ['france-travail-paris', 'mission-locale-paris'] });
    expect(await store.auditSize()).to.equal(size);
    expect(await store.readDossier(beneficiary)).to.have.length(2);

    const notices = [notice('withdrawal', 'france-travail-paris'), notice('withdrawal', 'mission-locale-paris')];
    const erased = await store.erase({ beneficiary, reason: 'operator-art17', at, notices, preparedFor: stale.kind === 'stale' ? stale.recipients : [] });
    expect(erased).to.deep.include({ kind: 'erased', documents: 2, notices: 2 });
    expect(await store.readDossier(beneficiary)).to.equal(undefined);
    expect(await store.findSubject(lookup)).to.equal(undefined);
    expect((await events()).slice(-3).map((e) => [e.event, e.recipient ?? e.code])).to.deep.equal([
      ['withdrawal-notified', 'france-travail-paris'],
      ['withdrawal-notified', 'mission-locale-paris'],
      ['erased', 'operator-art17'],
    ]);
    expect(await store.erase({ beneficiary, reason: 'operator-art17', at, notices: [], preparedFor: [] })).to.deep.equal({ kind: 'unknown' });
  });

  it('expires an unanswered orientation once, with its notice under the same audit entry, and never an answered one', async () => {
    const { store } = current();
    const unanswered = message(beneficiary, { acceptedAt: '2026-01-01T00:00:00.000Z' });
    const answered = message(beneficiary, { acceptedAt: '2026-01-02T00:00:00.000Z', recipient: 'mission-locale-paris' });
    await store.accept({ ...unanswered, dossier: update() });
    await store.accept({ ...answered, dossier: update({ follow: { starts: 'mission-locale-paris', takenInCharge: false } }) });
    await store.accept({ ...message(beneficiary, { type: 'acknowledgement', sender: 'mission-locale-paris', recipient: 'ofii-paris', inReplyTo: answered.messageId }), dossier: update({ follow: { takenInCharge: true } }) });
    expect((await store.unansweredOrientations('2026-06-01T00:00:00.000Z')).map((o) => o.messageId)).to.deep.equal([unanswered.messageId]);

    const expiry = notice('expiry', 'ofii-paris');
    expect(await store.expireOrientation({ messageId: unanswered.messageId, at: '2026-06-01T00:00:00.000Z', notice: expiry })).to.equal(true);
    expect(await store.expireOrientation({ messageId: unanswered.messageId, at: '2026-06-01T00:00:01.000Z', notice: expiry })).to.equal(false);
    expect(await store.expireOrientation({ messageId: answered.messageId, at: '2026-06-01T00:00:01.000Z', notice: undefined })).to.equal(false);
    expect(await store.findMessage(unanswered.messageId)).to.include({ status: 'expired', expiredAt: '2026-06-01T00:00:00.000Z' });
    expect(await store.followers(beneficiary)).to.deep.equal(['mission-locale-paris']);
    const expired = (await events()).findIndex((e) => e.event === 'expired');
    expect((await store.findMessage(expiry.messageId))?.auditIndex).to.equal(expired);
    expect(await store.unansweredOrientations('2026-06-01T00:00:00.000Z')).to.deep.equal([]);
  });

  it('keeps a dossier the sweep listed when a message about the person is accepted before the destruction runs', async () => {
    const { store } = current();
    const old = message(beneficiary, { acceptedAt: '2020-01-01T00:00:00.000Z' });
    await store.accept({ ...old, dossier: update({ follow: { starts: 'france-travail-paris', takenInCharge: true } }) });
    const lastEventBefore = '2024-01-01T00:00:00.000Z';
    expect(await store.dueForDestruction(lastEventBefore)).to.deep.equal([{ beneficiary, reason: 'retention' }]);
    // The person comes back between the sweep's list and its destruction.
    await store.accept({ ...message(beneficiary, { recipient: 'mission-locale-paris' }), dossier: update({ follow: { starts: 'mission-locale-paris', takenInCharge: false } }) });
    expect(await store.destroyIfDue({ beneficiary, reason: 'retention', lastEventBefore, at: new Date().toISOString() })).to.deep.equal({ destroyed: false, documents: 0 });
    expect(await store.readDossier(beneficiary)).to.have.length(2);

    expect(await store.destroyIfDue({ beneficiary, reason: 'retention', lastEventBefore: '2100-01-01T00:00:00.000Z', at: new Date().toISOString() })).to.deep.equal({ destroyed: true, documents: 2 });
    expect((await events()).at(-1)).to.include({ event: 'erased', code: 'retention' });
  });

  it('forgets a subject that no accepted message names, and only such a subject', async () => {
    const { store } = current();
    const lookupKey = createLookupKey(randomBytes(32));
    await createPseudonymiser({ lookup: lookupKey, subjects: store, now: () => new Date('2026-01-01T00:00:00.000Z') })('7503000009');
    await store.accept({ ...message(beneficiary), dossier: update() });
    expect(await store.forgetIdleSubjects('2100-01-01T00:00:00.000Z')).to.equal(1);
    expect(await store.findSubject(lookupKey('7503000009'))).to.equal(undefined);
    expect(await store.findSubject(lookup)).to.equal(beneficiary);
  });
});
