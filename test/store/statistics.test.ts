/**
 * The store contract, statistics, on both engines: one row of categories per accepted message, written in
 * the acceptance transaction, with no identifier of the person.
 */
import { expect } from 'chai';
import pg from 'pg';
import { GatewayError } from '../../src/domain/errors.js';
import { factOf } from '../../src/stats/facts.js';
import { columnsOf, forEachEngine, newMessage, PG_TEST_URL, rawQuery, rawWrite, type TempStore } from '../fixtures/store.js';

const ORIENTATION = '8d4c2f9e-1b7a-4c3e-9f60-2a5b7d9e1c44';
const ACK = '9aa0eb3a-8da6-4446-8121-d15a7731e3eb';
const UPDATE = '3d644680-a4d7-41c2-9459-20855a08d724';


const orientation = newMessage({
  facts: factOf(
    {
      header: { type: 'orientation', sender: 'ofii-paris', recipient: 'mission-locale-paris', sentAt: '2026-11-02T09:30:00Z' },
      body: { residencePermit: { grounds: 'PI_REFUGIE' }, language: { initialLevel: 'A1' }, identity: { sex: 'F', birthDate: '2004-03-14' }, orientation: { pathway: 'SOCIO_PRO' } },
    },
    '2026-11-02T09:30:01.000Z',
  ),
});
const answer = { sender: 'mission-locale-paris', recipient: 'ofii-paris', sentAt: '2026-11-27T10:00:00Z', inReplyTo: ORIENTATION };
const acknowledgement = newMessage({
  messageId: ACK, type: 'acknowledgement', sender: 'mission-locale-paris', recipient: 'ofii-paris', inReplyTo: ORIENTATION,
  facts: factOf({ header: { ...answer, type: 'acknowledgement' }, body: { status: 'ACCEPTEE', localReference: 'ML75-2026-004512' } }, '2026-11-27T10:00:01.000Z'),
});
const statusUpdate = newMessage({
  messageId: UPDATE, type: 'status-update', sender: 'mission-locale-paris', recipient: 'ofii-paris', inReplyTo: ORIENTATION,
  facts: factOf({ header: { ...answer, type: 'status-update' }, body: { event: { type: 'PREMIER_ENTRETIEN_REALISE', effectiveOn: '2026-11-20' } } }, '2026-12-01T10:00:01.000Z'),
});

const REVIEW = '5e0c7a21-9b4d-4f3e-8a16-c2d9e7b1f034';
const DISPENSED = '6f1d8b32-ac5e-4a4f-9b27-d3eaf8c2a145';
const reviewHeader = { type: 'cir-review', sender: 'ofii-paris', recipient: 'france-travail-paris', sentAt: '2026-11-30T15:10:00Z' };
const reviewBody = {
  cir: { finalStatus: 'ACHEVE', endInterviewOn: '2026-11-30' },
  civicTraining: { status: 'TERMINEE', sessionsAttended: 4 },
  language: { prescribedCourse: 'A1_400H', hoursAttended: 372, attendanceRate: 93, levelReached: 'A2', certification: 'DELF_A2' },
  declaredSituation: 'EN_RECHERCHE',
  postCirNeeds: ['B1', 'MOBILITE'],
  postCirOrientation: { decision: 'ORIENTATION', recipientType: 'FRANCE_TRAVAIL', pathway: 'EMPLOI' },
};
const review = newMessage({ messageId: REVIEW, type: 'cir-review', recipient: 'france-travail-paris', facts: factOf({ header: reviewHeader, body: reviewBody }, '2026-12-01T09:00:00.000Z') });
const dispensed = newMessage({
  messageId: DISPENSED, type: 'cir-review', recipient: 'passerelle', outboxBody: undefined,
  facts: factOf(
    {
      header: { ...reviewHeader, recipient: 'passerelle' },
      body: { ...reviewBody, cir: { finalStatus: 'ROMPU', endInterviewOn: '2026-11-30' }, language: { prescribedCourse: 'A1_100H', levelReached: 'INFRA_A1' }, declaredSituation: 'INACTIF', postCirOrientation: { decision: 'DISPENSE' } },
    },
    '2026-12-02T09:00:00.000Z',
  ),
});

/** The latest-orientation query of src/store/statistics.ts, as the engine plans it (PostgreSQL told to prefer an index where it can). */
async function planOfCohortLookup(temp: TempStore): Promise<string> {
  const query = "SELECT message_id FROM messages WHERE beneficiary = 'x' AND type = 'orientation' ORDER BY audit_index DESC LIMIT 1";
  if (temp.engine === 'sqlite') return (await rawQuery<{ detail: string }>(temp, `EXPLAIN QUERY PLAN ${query}`)).map((r) => r.detail).join('\n');
  const client = new pg.Client({ connectionString: PG_TEST_URL, options: `-c search_path=${temp.schema} -c enable_seqscan=off` });
  await client.connect();
  try {
    return (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${query}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await client.end();
  }
}

forEachEngine('store contract: statistics', (current) => {
  it("finds a person's latest orientation (the cohort of an answer) by one index, without sorting the person's messages", async () => {
    const plan = await planOfCohortLookup(current());
    expect(plan).to.include('messages_beneficiary_type');
    expect(plan).not.to.match(/TEMP B-TREE|Sort/i);
  });

  it('keeps one row of categories per accepted message, and the delay instead of the date of a status update', async () => {
    const { store } = current();
    await store.accept(orientation);
    await store.accept(acknowledgement);
    await store.accept(statusUpdate);
    expect(await store.statisticsFacts()).to.deep.equal([
      { seq: 1, messageId: ORIENTATION, month: '2026-11', type: 'orientation', sender: 'ofii-paris', recipient: 'mission-locale-paris', permitFamily: 'PROTECTION_INTERNATIONALE', languageLevel: 'A1', sentOn: '2026-11-02', cohort: ORIENTATION, sex: 'F', ageBand: '16-25', pathway: 'SOCIO_PRO' },
      { seq: 2, messageId: ACK, month: '2026-11', type: 'acknowledgement', sender: 'mission-locale-paris', recipient: 'ofii-paris', answers: ORIENTATION, acknowledgementStatus: 'ACCEPTEE', cohort: ORIENTATION },
      { seq: 3, messageId: UPDATE, month: '2026-12', type: 'status-update', sender: 'mission-locale-paris', recipient: 'ofii-paris', answers: ORIENTATION, eventType: 'PREMIER_ENTRETIEN_REALISE', daysFromOrientation: 18, cohort: ORIENTATION },
    ]);
  });

  it('keeps the categories of an end-of-CIR review: final status, level reached, certified or not, declared situation, post-CIR orientation', async () => {
    const { store } = current();
    await store.accept(review);
    await store.accept(dispensed);
    expect(await store.statisticsFacts()).to.deep.equal([
      { seq: 1, messageId: REVIEW, month: '2026-12', type: 'cir-review', sender: 'ofii-paris', recipient: 'france-travail-paris', finalStatus: 'ACHEVE', levelReached: 'A2', certified: true, declaredSituation: 'EN_RECHERCHE', postCirOrientation: 'FRANCE_TRAVAIL' },
      { seq: 2, messageId: DISPENSED, month: '2026-12', type: 'cir-review', sender: 'ofii-paris', recipient: 'passerelle', finalStatus: 'ROMPU', levelReached: 'INFRA_A1', certified: false, declaredSituation: 'INACTIF', postCirOrientation: 'DISPENSE' },
    ]);
    const columns = await columnsOf(current(), 'stats_facts');
    expect(columns).to.include.members(['final_status', 'level_reached', 'certified', 'declared_situation', 'post_cir_orientation']);
    // Which certification, the hours, the needs and the interview's date are not statistics facts.
    const text = JSON.stringify(await rawQuery(current(), 'SELECT * FROM stats_facts'));
    for (const value of ['DELF_A2', '372', 'MOBILITE', '2026-11-30', 'A1_400H']) expect(text).not.to.include(value);
  });

  it("follows a person's path: every later fact about the person joins the latest orientation, a status update answering a referral counts its days from it, and an employment keeps its contract kind", async () => {
    const { store } = current();
    const other = 'c'.repeat(64);
    const second = '0b5f2c1e-6f4a-4d2b-9c8e-7a1d3e5f9b20';
    const strangers = '1c6e3d2f-7a5b-4e3c-8d9f-8b2e4f6a0c31';
    const referral = '2d7f4e3a-8b6c-4f4d-9e0a-9c3f5a7b1d42';
    const employment = '3e8a5f4b-9c7d-4a5e-8f1b-0d4a6b8c2e53';
    await store.accept(orientation);
    // Another person's orientation, accepted in between, starts another path.
    await store.accept(newMessage({ ...orientation, messageId: strangers, beneficiary: other }));
    await store.accept(acknowledgement);
    // OFII orients the person again (to France Travail): the path starts anew from it.
    const again = factOf(
      { header: { type: 'orientation', sender: 'ofii-paris', recipient: 'france-travail-paris', sentAt: '2027-01-10T09:00:00Z' }, body: { identity: { sex: 'F', birthDate: '1980-01-10' }, orientation: { pathway: 'EMPLOI' } } },
      '2027-01-10T09:00:01.000Z',
    );
    await store.accept(newMessage({ messageId: second, recipient: 'france-travail-paris', acceptedAt: '2027-01-10T09:00:01.000Z', facts: again }));
    const referred = factOf({ header: { type: 'referral', sender: 'france-travail-paris', recipient: 'cap-emploi-75', sentAt: '2027-02-01T09:00:00Z' }, body: {} }, '2027-02-01T09:00:01.000Z');
    await store.accept(newMessage({ messageId: referral, type: 'referral', sender: 'france-travail-paris', recipient: 'cap-emploi-75', facts: referred }));
    const hired = factOf(
      { header: { type: 'status-update', sender: 'cap-emploi-75', recipient: 'france-travail-paris', sentAt: '2027-03-01T09:00:00Z', inReplyTo: referral }, body: { event: { type: 'ENTREE_EMPLOI', effectiveOn: '2027-02-25' }, employment: { contractType: 'CDD_6M_PLUS', workingTime: 'PLEIN' } } },
      '2027-03-01T09:00:01.000Z',
    );
    await store.accept(newMessage({ messageId: employment, type: 'status-update', sender: 'cap-emploi-75', recipient: 'france-travail-paris', inReplyTo: referral, facts: hired }));
    const facts = new Map((await store.statisticsFacts()).map((f) => [f.messageId, f]));
    expect(facts.get(strangers)).to.include({ cohort: strangers });
    expect(facts.get(ACK)).to.include({ cohort: ORIENTATION });
    // 10 January 2027: born 10 January 1980, 47 years old that day.
    expect(facts.get(second)).to.include({ cohort: second, sex: 'F', ageBand: '45+', pathway: 'EMPLOI', sentOn: '2027-01-10' });
    expect(facts.get(referral)).to.include({ cohort: second });
    expect(facts.get(referral)).not.to.have.property('daysFromOrientation');
    // 10 January to 25 February: 46 days.
    expect(facts.get(employment)).to.deep.equal({
      seq: facts.get(employment)!.seq, messageId: employment, month: '2027-03', type: 'status-update', sender: 'cap-emploi-75', recipient: 'france-travail-paris',
      answers: referral, eventType: 'ENTREE_EMPLOI', contractKind: 'CDD_6M_PLUS', cohort: second, daysFromOrientation: 46,
    });
  });

  it('hands the rows over by pages, in order of acceptance, each page starting after the last row of the one before', async () => {
    const { store } = current();
    await store.accept(orientation);
    await store.accept(acknowledgement);
    await store.accept(statusUpdate);
    const first = await store.statisticsFacts({ limit: 2 });
    expect(first.map((f) => f.messageId)).to.deep.equal([ORIENTATION, ACK]);
    const second = await store.statisticsFacts({ afterSeq: first[1]!.seq, limit: 2 });
    expect(second.map((f) => f.messageId)).to.deep.equal([UPDATE]);
    expect(await store.statisticsFacts({ afterSeq: second[0]!.seq, limit: 2 })).to.deep.equal([]);
  });

  it('stores no identifier of the person, no pseudonym and no date of the person\'s life in its table', async () => {
    const { store } = current();
    await store.accept(orientation);
    await store.accept(statusUpdate);
    const columns = await columnsOf(current(), 'stats_facts');
    expect(columns).to.include('month');
    for (const column of ['beneficiary', 'beneficiary_ref', 'effective_on', 'birth_date']) expect(columns).not.to.include(column);
    expect(columns).to.include.members(['cohort', 'sex', 'age_band', 'pathway', 'contract_kind']);
    const text = JSON.stringify(await rawQuery(current(), 'SELECT * FROM stats_facts'));
    expect(text).to.include('PREMIER_ENTRETIEN_REALISE');
    for (const value of ['a'.repeat(64), '2004-03-14', '2026-11-20', 'ML75-2026-004512']) expect(text).not.to.include(value);
  });

  it('writes the fact in the acceptance transaction: a fact that cannot be written leaves no message either', async () => {
    const { store } = current();
    // A row already there: the insert of accept() will fail.
    await rawWrite(current(), "INSERT INTO stats_facts (message_id, month, type, sender, recipient) VALUES (?, '2026-11', 'orientation', 'ofii-paris', 'x')", [ORIENTATION]);
    let thrown: unknown;
    try {
      await store.accept(orientation);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(Error).and.not.be.instanceOf(GatewayError);
    expect(await store.findMessage(ORIENTATION)).to.equal(undefined);
    expect(await store.auditSize()).to.equal(0);
    expect(await store.outboxDepth()).to.equal(0);
  });

  it('writes nothing for a duplicate, nor for a message accepted without facts', async () => {
    const { store } = current();
    await store.accept(orientation);
    expect((await store.accept(orientation)).kind).to.equal('duplicate');
    await store.accept(newMessage({ messageId: ACK, facts: undefined }));
    expect((await store.statisticsFacts()).map((f) => f.messageId)).to.deep.equal([ORIENTATION]);
  });
});
