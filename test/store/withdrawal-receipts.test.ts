/**
 * The store contract, withdrawal execution receipts, on both engines: one row per withdrawal notice
 * written with the notice (opt-out and erasure), the receipt recorded once by the notice's recipient
 * (in the acceptance transaction, which rolls back otherwise), reminders counted and mapped to their
 * notice, the sealed copy of the notice kept only while a reminder may come, the erasure tombstone,
 * the withdrawal of health consent, and no personal data in any of these tables.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { GatewayError } from '../../src/domain/errors.js';
import { createLookupKey, createPseudonymiser } from '../../src/privacy/pseudonym.js';
import type { DossierUpdate, GatewayNotice, NewMessage } from '../../src/store/port.js';
import { forEachEngine, newMessage, rawQuery, thrownBy } from '../fixtures/store.js';

const REF = '7503123456';
const DOCUMENT = new TextEncoder().encode('{"header":{"type":"orientation"},"body":{"identity":{"birthName":"KARIMI"}}}');
const day = (n: number) => new Date(Date.UTC(2026, 11, 1) + n * 86_400_000).toISOString();

function withdrawal(recipient: string, opts: { reason?: string; reminderOf?: string } = {}): GatewayNotice {
  const signed = new TextEncoder().encode(JSON.stringify({ header: { recipient, beneficiaryRef: REF }, body: { reason: opts.reason ?? 'OPPOSITION_ART21', effectiveOn: '2026-12-01' } }));
  return {
    messageId: randomUUID(),
    type: 'withdrawal',
    recipient,
    inReplyTo: opts.reminderOf,
    payloadSha256: createHash('sha256').update(signed).digest('hex'),
    outboxBody: `sealed for ${recipient}`,
    withdrawal: { reason: opts.reason ?? 'OPPOSITION_ART21', ...(opts.reminderOf === undefined ? {} : { reminderOf: opts.reminderOf }), signedMessage: signed },
  };
}

forEachEngine('store contract: withdrawal execution receipts', (current) => {
  let lookup: string;
  let beneficiary: string;
  const update = (overrides: Partial<DossierUpdate> = {}): DossierUpdate => ({ lookup, signedMessage: DOCUMENT, follow: { starts: 'france-travail-paris', takenInCharge: false }, notices: [], ...overrides });
  const message = (overrides: Partial<NewMessage> = {}) => newMessage({ messageId: randomUUID(), recipient: 'france-travail-paris', beneficiary, acceptedAt: day(0), ...overrides });
  const receipt = (noticeId: string, named: string, sender = 'france-travail-paris'): NewMessage =>
    newMessage({
      messageId: randomUUID(),
      type: 'execution-receipt',
      sender,
      recipient: 'passerelle',
      inReplyTo: named,
      beneficiary,
      acceptedAt: day(2),
      outboxBody: undefined,
      execution: { noticeId, status: 'REFUSE_MOTIF_LEGAL', legalGround: 'CONTENTIEUX_EN_COURS', executedOn: '2026-12-03' },
    });

  beforeEach(async () => {
    const lookupKey = createLookupKey(randomBytes(32));
    lookup = lookupKey(REF);
    beneficiary = await createPseudonymiser({ lookup: lookupKey, subjects: current().store, now: () => new Date() })(REF);
  });

  /** An orientation, then an opt-out whose withdrawal notice goes to France Travail; returns the notice. */
  async function optedOut(reason = 'OPPOSITION_ART21', optOut: Partial<DossierUpdate> = { optOut: true }): Promise<GatewayNotice> {
    const { store } = current();
    await store.accept({ ...message(), dossier: update() });
    const sent = withdrawal('france-travail-paris', { reason });
    await store.accept({ ...message({ type: 'opt-out', recipient: 'passerelle', outboxBody: undefined, acceptedAt: day(1) }), dossier: update({ signedMessage: undefined, follow: { takenInCharge: false }, notices: [sent], ...optOut, preparedFrom: { recipients: ['france-travail-paris'] } }) });
    return sent;
  }

  it('writes one row per withdrawal notice with the opt-out, without any personal data, and its sealed copy', async () => {
    const temp = current();
    const sent = await optedOut();
    const row = await temp.store.withdrawalNotice(sent.messageId);
    expect(row).to.deep.include({ noticeId: sent.messageId, recipient: 'france-travail-paris', reason: 'OPPOSITION_ART21', sentAt: day(1), answeredAt: undefined, status: undefined, reminders: 0 });
    const columns = Object.keys((await rawQuery<Record<string, unknown>>(temp, 'SELECT * FROM withdrawal_receipts'))[0]!);
    expect(columns).to.not.include('beneficiary');
    expect(columns.join(' ')).to.not.match(/lookup|pseudonym|reference/);
    const [{ sealed }] = (await rawQuery<{ sealed: Buffer }>(temp, 'SELECT sealed FROM withdrawal_notice_copies')) as [{ sealed: Buffer }];
    expect(sealed.includes(Buffer.from(REF))).to.equal(false);
    expect(await temp.store.withdrawalNoticeCounts()).to.deep.equal([{ recipient: 'france-travail-paris', status: 'EN_ATTENTE', count: 1 }]);
    expect((await temp.store.operationalFigures()).outstandingWithdrawalReceipts).to.equal(1);
  });

  it("records the recipient's receipt once, in its acceptance, and forgets the notice's copy", async () => {
    const temp = current();
    const { store } = temp;
    const sent = await optedOut();
    const answer = receipt(sent.messageId, sent.messageId);
    expect((await store.accept(answer)).kind).to.equal('accepted');
    expect(await store.withdrawalNotice(sent.messageId)).to.deep.include({ answeredAt: day(2), status: 'REFUSE_MOTIF_LEGAL', legalGround: 'CONTENTIEUX_EN_COURS', receiptId: answer.messageId, executedOn: '2026-12-03' });
    expect(await rawQuery(temp, 'SELECT notice_id FROM withdrawal_notice_copies')).to.have.length(0);
    expect(await store.withdrawalNotices({ state: 'outstanding', offset: 0, limit: 10 })).to.deep.equal([]);
    expect((await store.withdrawalNotices({ state: 'answered', offset: 0, limit: 10 })).map((n) => n.noticeId)).to.deep.equal([sent.messageId]);
    expect(await store.withdrawalNoticeCounts()).to.deep.equal([{ recipient: 'france-travail-paris', status: 'REFUSE_MOTIF_LEGAL', count: 1 }]);

    const size = await store.auditSize();
    const second = await thrownBy(() => store.accept(receipt(sent.messageId, sent.messageId)));
    expect(second).to.be.instanceOf(GatewayError).with.property('rule', 'receipt-answers-withdrawal');
    expect(await store.auditSize()).to.equal(size);
  });

  it("refuses, inside the transaction, a receipt from an agency the notice was not sent to, and writes nothing", async () => {
    const { store } = current();
    const sent = await optedOut();
    const size = await store.auditSize();
    const thrown = await thrownBy(() => store.accept(receipt(sent.messageId, sent.messageId, 'cap-emploi-75')));
    expect(thrown).to.be.instanceOf(GatewayError).with.property('rule', 'receipt-answers-withdrawal');
    expect(await store.auditSize()).to.equal(size);
    expect((await store.withdrawalNotice(sent.messageId))!.answeredAt).to.equal(undefined);
  });

  it('reminds an unanswered notice when due, maps the reminder to it, and stops at the last one', async () => {
    const temp = current();
    const { store } = temp;
    const sent = await optedOut();
    expect(await store.dueWithdrawalReminders({ before: day(1), maxReminders: 2, limit: 10 })).to.deep.equal([]);
    const [due] = await store.dueWithdrawalReminders({ before: day(16), maxReminders: 2, limit: 10 });
    expect(due!.notice.noticeId).to.equal(sent.messageId);
    expect(due!.beneficiary).to.equal(beneficiary);
    expect(JSON.parse(new TextDecoder().decode(due!.signedMessage)).header.beneficiaryRef).to.equal(REF);

    const first = withdrawal('france-travail-paris', { reminderOf: sent.messageId });
    expect(await store.sendWithdrawalReminder({ noticeId: sent.messageId, reminders: 0, maxReminders: 2, notice: first, beneficiary, at: day(16) })).to.equal(true);
    // What the caller saw is stale: nothing is sent twice.
    expect(await store.sendWithdrawalReminder({ noticeId: sent.messageId, reminders: 0, maxReminders: 2, notice: withdrawal('france-travail-paris', { reminderOf: sent.messageId }), beneficiary, at: day(16) })).to.equal(false);
    expect(await store.withdrawalNotice(first.messageId)).to.deep.include({ noticeId: sent.messageId, reminders: 1, lastRemindedAt: day(16) });
    expect(await store.dueWithdrawalReminders({ before: day(16), maxReminders: 2, limit: 10 })).to.deep.equal([]);
    expect(await store.dueWithdrawalReminders({ before: day(31), maxReminders: 2, limit: 10 })).to.have.length(1);

    const second = withdrawal('france-travail-paris', { reminderOf: sent.messageId });
    expect(await store.sendWithdrawalReminder({ noticeId: sent.messageId, reminders: 1, maxReminders: 2, notice: second, beneficiary, at: day(31) })).to.equal(true);
    expect(await rawQuery(temp, 'SELECT notice_id FROM withdrawal_notice_copies')).to.have.length(0);
    expect(await store.dueWithdrawalReminders({ before: day(99), maxReminders: 5, limit: 10 })).to.deep.equal([]);
    const events = (await store.readAuditEntries(0, 1000, 1000)).map((e) => JSON.parse(e.entry) as { event: string; messageId?: string });
    expect(events.filter((e) => e.event === 'withdrawal-reminded').map((e) => e.messageId)).to.deep.equal([first.messageId, second.messageId]);

    // A receipt naming the reminder answers the original.
    expect((await store.accept(receipt(sent.messageId, second.messageId))).kind).to.equal('accepted');
    expect(await store.withdrawalNotice(sent.messageId)).to.deep.include({ status: 'REFUSE_MOTIF_LEGAL', reminders: 2 });
  });

  it("records the operator's erasure as a tombstone (lookup, date, nature) and its notices as rows", async () => {
    const temp = current();
    const { store } = temp;
    await store.accept({ ...message(), dossier: update() });
    const sent = withdrawal('france-travail-paris', { reason: 'EFFACEMENT' });
    expect(await store.isOptedOut(lookup)).to.equal(false);
    expect((await store.erase({ beneficiary, reason: 'operator-art17', at: day(3), notices: [sent], preparedFor: ['france-travail-paris'] })).kind).to.equal('erased');
    expect(await store.isOptedOut(lookup)).to.equal(true);
    expect(await rawQuery(temp, 'SELECT lookup, nature, recorded_at FROM erasure_tombstones')).to.deep.equal([{ lookup, nature: 'EFFACEMENT', recorded_at: day(3) }]);
    expect(await store.withdrawalNotice(sent.messageId)).to.deep.include({ reason: 'EFFACEMENT', recipient: 'france-travail-paris' });
    // Checked again inside a later acceptance about the person.
    const thrown = await thrownBy(() => store.accept({ ...message({ acceptedAt: day(4) }), dossier: update() }));
    expect(thrown).to.be.instanceOf(GatewayError).with.property('rule', 'beneficiary-opted-out');
  });

  it('lifts the tombstones under a lookup on the operator\'s decision, audited without the person, and only once', async () => {
    const { store } = current();
    await optedOut('DISPENSE');
    expect(await store.isOptedOut(lookup)).to.equal(true);
    const lifted = await store.liftTombstone({ lookup, code: 'operator-opted-out-by-mistake', at: day(3) });
    expect(lifted.lifted).to.equal(1);
    const [entry] = (await store.readAuditEntries(lifted.auditIndex!, lifted.auditIndex! + 1, 1)).map((e) => JSON.parse(e.entry) as Record<string, unknown>);
    expect(entry).to.deep.equal({ index: lifted.auditIndex, event: 'tombstone-lifted', timestamp: day(3), code: 'operator-opted-out-by-mistake', count: 1 });
    expect(await store.isOptedOut(lookup)).to.equal(false);
    const size = await store.auditSize();
    expect(await store.liftTombstone({ lookup, code: 'operator-opted-out-by-mistake', at: day(3) })).to.deep.equal({ lifted: 0, auditIndex: undefined });
    expect(await store.auditSize()).to.equal(size);
  });

  it('records a withdrawal of health consent without destroying the dossier, and refuses a health field inside the transaction', async () => {
    const temp = current();
    const { store } = temp;
    await optedOut('RETRAIT_ACCORD_SANTE', { healthConsentWithdrawn: true });
    expect(await store.isHealthConsentWithdrawn(lookup)).to.equal(true);
    expect(await store.isOptedOut(lookup)).to.equal(false);
    expect(await store.readDossier(beneficiary)).to.have.length(1);
    const events = (await store.readAuditEntries(0, 1000, 1000)).map((e) => JSON.parse(e.entry) as { event: string });
    expect(events.map((e) => e.event)).to.include('health-consent-withdrawn').and.not.include('erased');
    const thrown = await thrownBy(() => store.accept({ ...message({ acceptedAt: day(4) }), dossier: update({ healthField: '/body/disability' }) }));
    expect(thrown).to.be.instanceOf(GatewayError).with.property('rule', 'health-consent-withdrawn');
    expect((thrown as GatewayError).message).to.include('/body/disability');
    expect((await store.accept({ ...message({ acceptedAt: day(4) }), dossier: update() })).kind).to.equal('accepted');
  });
});
