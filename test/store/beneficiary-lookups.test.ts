/**
 * The store contract of beneficiary lookups, on both engines: the identity index written in the
 * orientation's acceptance transaction (and not at all when the acceptance writes nothing), replaced by
 * a later orientation, deleted with the subject (opt-out, erasure); who a lookup finds; the per-agency
 * limits counted in the store, each lookup and each refusal audited, the dossier request queued under
 * its own entry; the summary.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createLookupKey, createPseudonymiser } from '../../src/privacy/pseudonym.js';
import type { DossierUpdate, GatewayNotice, LookupFinding, NewLookup, NewMessage } from '../../src/store/port.js';
import { forEachEngine, newMessage, rawQuery } from '../fixtures/store.js';

const REF = '7503123456';
const DOCUMENT = new TextEncoder().encode('{"header":{"type":"orientation"},"body":{}}');
const SECRET_ID = '0123456789abcdef';
const identityKey = (n: number) => `${SECRET_ID}:${createHash('sha256').update(`identity ${n}`).digest('hex')}`;

function notice(recipient: string): GatewayNotice {
  const body = `dossier-request for ${recipient}`;
  return { messageId: randomUUID(), type: 'dossier-request', recipient, inReplyTo: undefined, payloadSha256: createHash('sha256').update(body).digest('hex'), outboxBody: body };
}

forEachEngine('store contract: beneficiary lookups', (current) => {
  let lookup: string;
  let beneficiary: string;
  let clock: number;
  const at = (minutes = 0) => new Date(clock + minutes * 60_000).toISOString();
  const update = (overrides: Partial<DossierUpdate> = {}): DossierUpdate => ({ lookup, signedMessage: DOCUMENT, follow: { starts: 'france-travail-paris', takenInCharge: false }, notices: [], ...overrides });
  const orientation = (overrides: Partial<NewMessage> = {}): NewMessage => newMessage({ messageId: randomUUID(), recipient: 'france-travail-paris', beneficiary, acceptedAt: at(), ...overrides });
  const indexRows = async () => (await rawQuery<{ identity_key: string; beneficiary: string }>(current(), 'SELECT identity_key, beneficiary FROM beneficiary_index ORDER BY identity_key')).map((r) => [r.identity_key, r.beneficiary]);
  const entries = async () => (await current().store.readAuditEntries(0, 10_000, 10_000)).map((e) => JSON.parse(e.entry) as Record<string, unknown>);
  const newLookup = (expected: LookupFinding, overrides: Partial<NewLookup> = {}): NewLookup => ({
    lookupId: randomUUID(),
    agency: 'mission-locale-paris',
    at: at(),
    by: { identityKeys: [identityKey(1)] },
    limits: { perHour: 3, perDay: 5 },
    expected,
    ...overrides,
  });

  beforeEach(async () => {
    clock = Date.parse('2026-12-01T09:00:00.000Z');
    const lookupKey = createLookupKey(randomBytes(32));
    lookup = lookupKey(REF);
    beneficiary = await createPseudonymiser({ lookup: lookupKey, subjects: current().store, now: () => new Date() })(REF);
  });

  it("writes the identity keys in the orientation's acceptance transaction, and finds the person by them and by the reference's lookup", async () => {
    const { store } = current();
    const accepted = orientation();
    expect((await store.accept({ ...accepted, dossier: update({ identityKeys: [identityKey(1), identityKey(2)] }) })).kind).to.equal('accepted');
    expect(await indexRows()).to.deep.equal([[identityKey(1), beneficiary], [identityKey(2), beneficiary]].sort());
    const known: LookupFinding = { kind: 'known', target: { beneficiary, orientation: { messageId: accepted.messageId, sender: 'ofii-paris' } } };
    expect(await store.findLookupTarget({ identityKeys: [identityKey(9), identityKey(2)] })).to.deep.equal(known);
    expect(await store.findLookupTarget({ lookups: ['not-a-lookup', lookup] })).to.deep.equal(known);
    expect(await store.findLookupTarget({ identityKeys: [identityKey(3)] })).to.deep.equal({ kind: 'unknown' });
    expect(await store.findLookupTarget({ identityKeys: [] })).to.deep.equal({ kind: 'unknown' });
  });

  it('writes no identity key when the acceptance writes nothing (stale)', async () => {
    const { store } = current();
    const outcome = await store.accept({ ...orientation(), dossier: update({ identityKeys: [identityKey(1)], preparedFrom: { recipients: ['cap-emploi-75'] } }) });
    expect(outcome.kind).to.equal('stale');
    expect(await indexRows()).to.deep.equal([]);
  });

  it("a person the gateway holds without an orientation (an acknowledgement only) is not known", async () => {
    const { store } = current();
    await store.accept({ ...orientation({ type: 'acknowledgement', sender: 'france-travail-paris', recipient: 'ofii-paris' }), dossier: update({ follow: { takenInCharge: false } }) });
    expect(await store.findLookupTarget({ lookups: [lookup] })).to.deep.equal({ kind: 'unknown' });
  });

  it("a later orientation replaces the person's keys (a corrected name) and becomes the one to share", async () => {
    const { store } = current();
    await store.accept({ ...orientation(), dossier: update({ identityKeys: [identityKey(1)] }) });
    clock += 60_000;
    const later = orientation();
    await store.accept({ ...later, dossier: update({ identityKeys: [identityKey(4)] }) });
    expect(await indexRows()).to.deep.equal([[identityKey(4), beneficiary]]);
    expect(await store.findLookupTarget({ identityKeys: [identityKey(4)] })).to.deep.equal({ kind: 'known', target: { beneficiary, orientation: { messageId: later.messageId, sender: 'ofii-paris' } } });
  });

  it('two people under one identity key (homonyms) are ambiguous', async () => {
    const { store } = current();
    await store.accept({ ...orientation(), dossier: update({ identityKeys: [identityKey(1)] }) });
    const otherLookup = createLookupKey(randomBytes(32));
    const other = await createPseudonymiser({ lookup: otherLookup, subjects: store, now: () => new Date() })('7503000009');
    await store.accept({ ...orientation({ beneficiary: other }), dossier: update({ lookup: otherLookup('7503000009'), identityKeys: [identityKey(1)] }) });
    expect(await store.findLookupTarget({ identityKeys: [identityKey(1)] })).to.deep.equal({ kind: 'ambiguous' });
  });

  it('deletes the keys with the subject: an opted-out person is not known, by identity or by reference', async () => {
    const { store } = current();
    await store.accept({ ...orientation(), dossier: update({ identityKeys: [identityKey(1)] }) });
    const request = orientation({ type: 'opt-out', recipient: 'passerelle', outboxBody: undefined });
    const outcome = await store.accept({ ...request, dossier: update({ signedMessage: undefined, follow: { takenInCharge: false }, optOut: true, notices: [], preparedFrom: { recipients: ['france-travail-paris'] } }) });
    expect(outcome.kind).to.equal('accepted');
    expect(await indexRows()).to.deep.equal([]);
    expect(await store.findLookupTarget({ identityKeys: [identityKey(1)] })).to.deep.equal({ kind: 'unknown' });
    expect(await store.findLookupTarget({ lookups: [lookup] })).to.deep.equal({ kind: 'unknown' });
  });

  it("deletes the keys at an erasure, and keeps another person's", async () => {
    const { store } = current();
    await store.accept({ ...orientation(), dossier: update({ identityKeys: [identityKey(1)] }) });
    const otherLookup = createLookupKey(randomBytes(32));
    const other = await createPseudonymiser({ lookup: otherLookup, subjects: store, now: () => new Date() })('7503000009');
    await store.accept({ ...orientation({ beneficiary: other }), dossier: update({ lookup: otherLookup('7503000009'), identityKeys: [identityKey(2)] }) });
    const erased = await store.erase({ beneficiary, reason: 'operator-art17', at: at(), notices: [], preparedFor: ['france-travail-paris'] });
    expect(erased.kind).to.equal('erased');
    expect(await indexRows()).to.deep.equal([[identityKey(2), other]]);
  });

  it('counts the identity keys under their secret for a rotation', async () => {
    const { store } = current();
    const before = await store.lookupCounts();
    await store.accept({ ...orientation(), dossier: update({ identityKeys: [identityKey(1), identityKey(2)] }) });
    const after = await store.lookupCounts();
    expect(after.find((c) => c.secret === SECRET_ID)?.rows).to.equal(2);
    expect(before.find((c) => c.secret === SECRET_ID)).to.equal(undefined);
  });

  it('records a known lookup, audits it with the pseudonym, and queues the dossier request under its own entry, in one transaction', async () => {
    const { store } = current();
    const accepted = orientation();
    await store.accept({ ...accepted, dossier: update({ identityKeys: [identityKey(1)] }) });
    const expected = await store.findLookupTarget({ identityKeys: [identityKey(1)] });
    const request = notice('ofii-paris');
    const known = newLookup(expected, { notice: request });
    const outcome = await store.recordLookup(known);
    expect(outcome).to.deep.include({ kind: 'answered', known: true });
    const logged = await entries();
    expect(logged.at(-2)).to.deep.include({ event: 'looked-up', messageId: known.lookupId, sender: 'mission-locale-paris', code: 'known', beneficiary, timestamp: known.at });
    expect(logged.at(-2)).to.not.have.property('recipient');
    expect(logged.at(-1)).to.deep.include({ event: 'dossier-requested', messageId: request.messageId, type: 'dossier-request', sender: 'passerelle', recipient: 'ofii-paris', beneficiary });
    expect(await store.findMessage(request.messageId)).to.deep.include({ type: 'dossier-request', sender: 'passerelle', recipient: 'ofii-paris', beneficiary, status: 'accepted' });
    expect((await store.pendingOutbox(10)).map((o) => o.messageId)).to.include(request.messageId);
  });

  it("a lookup's request to OFII does not keep the person's dossier past its retention", async () => {
    const { store } = current();
    await store.accept({ ...orientation(), dossier: update({ identityKeys: [identityKey(1)] }) });
    clock += 10 * 86_400_000;
    const expected = await store.findLookupTarget({ identityKeys: [identityKey(1)] });
    expect((await store.recordLookup(newLookup(expected, { notice: notice('ofii-paris') }))).kind).to.equal('answered');
    const cutoff = new Date(clock - 86_400_000).toISOString();
    expect(await store.dueForDestruction(cutoff)).to.deep.equal([{ beneficiary, reason: 'retention' }]);
    expect(await store.destroyIfDue({ beneficiary, reason: 'retention', lastEventBefore: cutoff, at: at() })).to.deep.include({ destroyed: true });
    expect(await indexRows()).to.deep.equal([]);
    expect(await store.findLookupTarget({ identityKeys: [identityKey(1)] })).to.deep.equal({ kind: 'unknown' });
  });

  it('records an unknown lookup without a pseudonym and without a notice', async () => {
    const { store } = current();
    const unknown = newLookup({ kind: 'unknown' });
    expect(await store.recordLookup(unknown)).to.deep.include({ kind: 'answered', known: false });
    const [entry] = (await entries()).filter((e) => e['event'] === 'looked-up');
    expect(entry).to.deep.equal({ index: entry!['index'], event: 'looked-up', timestamp: unknown.at, messageId: unknown.lookupId, sender: 'mission-locale-paris', code: 'unknown' });
    expect(await store.outboxDepth()).to.equal(0);
  });

  it('writes nothing when the person changed since the lookup was prepared (stale)', async () => {
    const { store } = current();
    await store.accept({ ...orientation(), dossier: update({ identityKeys: [identityKey(1)] }) });
    const size = await store.auditSize();
    expect(await store.recordLookup(newLookup({ kind: 'unknown' }))).to.deep.equal({ kind: 'stale' });
    const otherOrientation: LookupFinding = { kind: 'known', target: { beneficiary, orientation: { messageId: randomUUID(), sender: 'ofii-paris' } } };
    expect(await store.recordLookup(newLookup(otherOrientation, { notice: notice('ofii-paris') }))).to.deep.equal({ kind: 'stale' });
    expect(await store.auditSize()).to.equal(size);
    expect(await rawQuery(current(), 'SELECT lookup_id FROM beneficiary_lookups')).to.have.length(0);
  });

  it('refuses past the hourly limit, audits the refusal, says when a place frees, and counts per agency', async () => {
    const { store } = current();
    for (let i = 0; i < 3; i++) {
      expect((await store.recordLookup(newLookup({ kind: 'unknown' }, { at: at(i) }))).kind).to.equal('answered');
    }
    expect(await store.lookupsSince('mission-locale-paris', at(-1))).to.equal(3);
    const refused = await store.recordLookup(newLookup({ kind: 'unknown' }, { at: at(10) }));
    // The first lookup (minute 0) leaves the hour at minute 60: 50 minutes from minute 10.
    expect(refused).to.deep.include({ kind: 'rate-limited', retryAfterSeconds: 50 * 60 });
    const last = (await entries()).at(-1)!;
    expect(last).to.deep.include({ event: 'looked-up', sender: 'mission-locale-paris', code: 'lookup_rate_limited' });
    expect(last).to.not.have.property('beneficiary');
    // Refusals are not counted: the agency may look up again once the window moves.
    expect(await store.lookupsSince('mission-locale-paris', at(-1))).to.equal(3);
    expect((await store.recordLookup(newLookup({ kind: 'unknown' }, { at: at(61) }))).kind).to.equal('answered');
    // Another agency has its own count.
    expect((await store.recordLookup(newLookup({ kind: 'unknown' }, { agency: 'france-travail-paris', at: at(62) }))).kind).to.equal('answered');
  });

  it('refuses past the daily limit, with the wait until the oldest lookup of the day leaves it', async () => {
    const { store } = current();
    for (let i = 0; i < 5; i++) expect((await store.recordLookup(newLookup({ kind: 'unknown' }, { at: at(i * 120) }))).kind).to.equal('answered');
    const refused = await store.recordLookup(newLookup({ kind: 'unknown' }, { at: at(5 * 120) }));
    expect(refused).to.deep.include({ kind: 'rate-limited', retryAfterSeconds: (24 * 60 - 600) * 60 });
  });

  it('sums the lookups per agency per day by outcome, from a given day', async () => {
    const { store } = current();
    await store.recordLookup(newLookup({ kind: 'unknown' }, { at: '2026-11-30T23:00:00.000Z' }));
    await store.recordLookup(newLookup({ kind: 'unknown' }, { at: at(1) }));
    await store.recordLookup(newLookup({ kind: 'unknown' }, { agency: 'epec-paris', at: at(2) }));
    for (let i = 0; i < 4; i++) await store.recordLookup(newLookup({ kind: 'unknown' }, { at: at(3 + i) }));
    expect(await store.lookupSummary('2026-12-01')).to.deep.equal([
      { agency: 'epec-paris', day: '2026-12-01', known: 0, unknown: 1, refused: 0 },
      { agency: 'mission-locale-paris', day: '2026-12-01', known: 0, unknown: 3, refused: 2 },
    ]);
    expect((await store.lookupSummary('2026-11-30'))[0]).to.deep.equal({ agency: 'mission-locale-paris', day: '2026-11-30', known: 0, unknown: 1, refused: 0 });
  });
});
