import { expect } from 'chai';
import { statisticsCsv } from '../../src/stats/csv.js';
import { ageBand, daysBetween, factOf, permitFamily, type StoredFact } from '../../src/stats/facts.js';
import { buildStatistics, type CountTable, type StatisticsReport } from '../../src/stats/report.js';
import { statisticsText } from '../../src/stats/text.js';
import { parseCsv } from '../fixtures/csv.js';
import { exactlyRecoverable } from '../fixtures/disclosure-checker.js';
import { attackerView, recoveredFromReport, trueCounts } from '../fixtures/stats-attacker.js';

const RECIPIENTS = ['france-travail-paris', 'mission-locale-paris', 'cap-emploi-75'];
const OPTIONS = { generatedAt: '2026-11-27T12:00:00.000Z', recipients: RECIPIENTS, messageTypes: ['orientation', 'acknowledgement', 'status-update'] };

/** Builds facts as the store keeps them, in order of acceptance. */
class Facts {
  readonly list: StoredFact[] = [];
  private seq = 0;

  orient(n: number, fields: { month?: string; recipient: string; permitFamily?: string; languageLevel?: string }): string[] {
    return Array.from({ length: n }, () => {
      const messageId = `o-${this.seq}`;
      this.list.push({ seq: this.seq++, messageId, month: fields.month ?? '2026-11', type: 'orientation', sender: 'ofii-paris', recipient: fields.recipient, permitFamily: fields.permitFamily ?? 'FAMILLE', languageLevel: fields.languageLevel ?? 'A1', sentOn: '2026-11-02' });
      return messageId;
    });
  }

  acknowledge(orientations: string[], status: string, recipient: string): void {
    for (const answers of orientations) {
      this.list.push({ seq: this.seq, messageId: `a-${this.seq++}`, month: '2026-11', type: 'acknowledgement', sender: recipient, recipient: 'ofii-paris', answers, acknowledgementStatus: status });
    }
  }

  review(n: number, fields: { month?: string; finalStatus: string; levelReached: string; recipient?: string }): void {
    for (let i = 0; i < n; i++) {
      this.list.push({
        seq: this.seq, messageId: `r-${this.seq++}`, month: fields.month ?? '2026-11', type: 'cir-review', sender: 'ofii-paris', recipient: fields.recipient ?? 'france-travail-paris',
        finalStatus: fields.finalStatus, levelReached: fields.levelReached, certified: false, declaredSituation: 'EN_RECHERCHE', postCirOrientation: 'FRANCE_TRAVAIL',
      });
    }
  }

  interview(orientations: string[], days: (index: number) => number, recipient: string): void {
    orientations.forEach((answers, index) => {
      this.list.push({ seq: this.seq, messageId: `s-${this.seq++}`, month: '2026-11', type: 'status-update', sender: recipient, recipient: 'ofii-paris', answers, eventType: 'PREMIER_ENTRETIEN_REALISE', daysFromOrientation: days(index) });
    });
  }
}

function table(report: StatisticsReport, name: string): CountTable {
  return report.tables.find((t) => t.name === name)!;
}

function cell(report: StatisticsReport, name: string, row: string, column: string) {
  const found = table(report, name).cells.find((c) => c.row === row && c.column === column);
  if (!found) throw new Error(`${name} has no cell ${row} × ${column}`);
  return found;
}

describe('stats/facts', () => {
  it('groups the residence-permit grounds into the four families of the agreement', () => {
    expect(['FAM_CONJOINT_FR', 'FAM_AUTRE', 'PRO_SALARIE', 'PI_REFUGIE', 'PI_FAMILLE_BPI', 'APS'].map(permitFamily)).to.deep.equal([
      'FAMILLE', 'FAMILLE', 'PROFESSIONNEL', 'PROTECTION_INTERNATIONALE', 'PROTECTION_INTERNATIONALE', 'APS',
    ]);
  });

  it('keeps categories of an orientation and nothing that names the person', () => {
    const fact = factOf(
      {
        header: { type: 'orientation', sender: 'ofii-paris', recipient: 'mission-locale-paris', sentAt: '2026-11-27T09:30:00+01:00' },
        body: { identity: { birthName: 'KARIMI', sex: 'F', birthDate: '2004-03-14' }, residencePermit: { grounds: 'PI_REFUGIE' }, language: { initialLevel: 'INFRA_A1' }, orientation: { pathway: 'EMPLOI', reasonCode: 'AGE_MOINS_26' } },
      },
      '2026-11-27T08:30:01.000Z',
    );
    expect(fact).to.deep.equal({
      month: '2026-11', type: 'orientation', sender: 'ofii-paris', recipient: 'mission-locale-paris', permitFamily: 'PROTECTION_INTERNATIONALE', languageLevel: 'INFRA_A1', sentOn: '2026-11-27',
      sex: 'F', ageBand: '16-25', pathway: 'EMPLOI',
    });
  });

  it('places an age in its band on the day of the orientation, the birthday counting from its day', () => {
    expect(ageBand('2001-03-14', '2026-03-13')).to.equal('16-25'); // 24
    expect(ageBand('2000-03-14', '2026-03-13')).to.equal('16-25'); // 25, the day before 26
    expect(ageBand('2000-03-14', '2026-03-14')).to.equal('26-44');
    expect(ageBand('1981-11-27', '2026-11-26')).to.equal('26-44'); // 44
    expect(ageBand('1981-11-27', '2026-11-27')).to.equal('45+');
    expect(ageBand('2010-06-01', '2026-05-31')).to.equal('MOINS_16');
    expect(ageBand('2010-06-01', '2026-06-01')).to.equal('16-25');
    expect(ageBand('2008-02-29', '2024-02-28')).to.equal('MOINS_16'); // 15
    expect(ageBand('2008-02-29', '2024-02-29')).to.equal('16-25');
    // Born on 29 February, 45 on 1 March of a common year.
    expect(ageBand('1980-02-29', '2025-02-28')).to.equal('26-44');
    expect(ageBand('1980-02-29', '2025-03-01')).to.equal('45+');
  });

  it('keeps the contract kind of an employment, and nothing of a training but its event', () => {
    const header = { sender: 'france-travail-paris', recipient: 'ofii-paris', sentAt: '2027-03-01T10:00:00Z', inReplyTo: 'o-1', type: 'status-update' };
    expect(factOf({ header, body: { event: { type: 'ENTREE_EMPLOI', effectiveOn: '2027-02-25' }, employment: { contractType: 'CDI', workingTime: 'PARTIEL', romeCode: 'G1603' } } }, '2027-03-01T10:00:01.000Z')).to.deep.equal({
      month: '2027-03', type: 'status-update', sender: 'france-travail-paris', recipient: 'ofii-paris', answers: 'o-1', eventType: 'ENTREE_EMPLOI', effectiveOn: '2027-02-25', contractKind: 'CDI',
    });
    expect(factOf({ header, body: { event: { type: 'ENTREE_FORMATION', effectiveOn: '2027-02-25' }, training: { type: 'QUALIFIANTE', durationHours: 400 } } }, '2027-03-01T10:00:01.000Z')).not.to.have.property('contractKind');
  });

  it('keeps the status of an acknowledgement and the event of a status update, with the message they answer', () => {
    const header = { sender: 'mission-locale-paris', recipient: 'ofii-paris', sentAt: '2026-11-27T10:00:00Z', inReplyTo: 'o-1' };
    expect(factOf({ header: { ...header, type: 'acknowledgement' }, body: { status: 'ACCEPTEE', localReference: 'ML75-1' } }, '2026-12-01T00:00:00.000Z')).to.deep.equal({
      month: '2026-12', type: 'acknowledgement', sender: 'mission-locale-paris', recipient: 'ofii-paris', answers: 'o-1', acknowledgementStatus: 'ACCEPTEE',
    });
    expect(factOf({ header: { ...header, type: 'status-update' }, body: { event: { type: 'PREMIER_ENTRETIEN_REALISE', effectiveOn: '2026-11-30' } } }, '2026-12-01T00:00:00.000Z')).to.include({
      eventType: 'PREMIER_ENTRETIEN_REALISE', effectiveOn: '2026-11-30', answers: 'o-1',
    });
  });

  it('keeps the categories of an end-of-CIR review, whether a certification was obtained but not which, and nothing of the hours, the needs or the dates', () => {
    const header = { type: 'cir-review', sender: 'ofii-paris', recipient: 'passerelle', sentAt: '2026-11-30T15:10:00Z' };
    const body = {
      cir: { finalStatus: 'ACHEVE', endInterviewOn: '2026-11-30' },
      civicTraining: { status: 'TERMINEE', sessionsAttended: 4 },
      language: { prescribedCourse: 'A1_400H', hoursAttended: 372, attendanceRate: 93, levelReached: 'A2', certification: 'DELF_A2' },
      declaredSituation: 'EN_EMPLOI',
      postCirNeeds: ['B1'],
      postCirOrientation: { decision: 'ORIENTATION', recipientType: 'CAP_EMPLOI', pathway: 'EMPLOI' },
    };
    expect(factOf({ header, body }, '2026-12-01T00:00:00.000Z')).to.deep.equal({
      month: '2026-12', type: 'cir-review', sender: 'ofii-paris', recipient: 'passerelle', finalStatus: 'ACHEVE', levelReached: 'A2', certified: true, declaredSituation: 'EN_EMPLOI', postCirOrientation: 'CAP_EMPLOI',
    });
    const dispensed = { ...body, language: { prescribedCourse: 'A1_100H', levelReached: 'A1' }, postCirOrientation: { decision: 'DISPENSE' } };
    expect(factOf({ header, body: dispensed }, '2026-12-01T00:00:00.000Z')).to.include({ certified: false, postCirOrientation: 'DISPENSE' });
  });

  it('counts days between calendar dates across months and years', () => {
    expect(daysBetween('2026-11-02', '2026-11-30')).to.equal(28);
    expect(daysBetween('2026-12-20', '2027-01-10')).to.equal(21);
    expect(daysBetween('2026-11-30', '2026-11-02')).to.equal(-28);
  });
});

describe('stats/report', () => {
  it('counts messages by month and type, and orientations by recipient, permit family, language level and outcome', () => {
    const facts = new Facts();
    const ft = [
      ...facts.orient(25, { recipient: 'france-travail-paris', permitFamily: 'PROTECTION_INTERNATIONALE', languageLevel: 'A1' }),
      ...facts.orient(14, { recipient: 'france-travail-paris', permitFamily: 'FAMILLE', languageLevel: 'A2', month: '2026-10' }),
    ];
    facts.orient(12, { recipient: 'mission-locale-paris' });
    facts.acknowledge(ft.slice(0, 25), 'RECUE', 'france-travail-paris');
    facts.acknowledge(ft.slice(0, 13), 'ACCEPTEE', 'france-travail-paris'); // the latest answer counts
    const report = buildStatistics(facts.list, OPTIONS);

    // Nothing is small here, so everything is published.
    expect(report.tables.flatMap((t) => t.cells).filter((c) => c.suppressed)).to.deep.equal([]);
    expect(cell(report, 'messages-by-month-and-type', '2026-11', 'orientation').count).to.equal(37);
    expect(cell(report, 'messages-by-month-and-type', '2026-11', 'acknowledgement').count).to.equal(38);
    expect(cell(report, 'messages-by-month-and-type', '2026-10', 'orientation').count).to.equal(14);
    expect(cell(report, 'messages-by-month-and-type', '2026-11', 'status-update').count).to.equal(0);
    expect(cell(report, 'messages-by-month-and-type', 'TOTAL', 'TOTAL').count).to.equal(89);
    expect(cell(report, 'orientations-by-month-and-recipient', '2026-11', 'france-travail-paris').count).to.equal(25);
    expect(cell(report, 'orientations-by-month-and-recipient', '2026-11', 'cap-emploi-75').count).to.equal(0);
    expect(cell(report, 'orientations-by-recipient-and-permit-family', 'france-travail-paris', 'PROTECTION_INTERNATIONALE').count).to.equal(25);
    expect(cell(report, 'orientations-by-recipient-and-permit-family', 'france-travail-paris', 'FAMILLE').count).to.equal(14);
    expect(cell(report, 'orientations-by-recipient-and-permit-family', 'france-travail-paris', 'TOTAL').count).to.equal(39);
    expect(cell(report, 'orientations-by-recipient-and-language-level', 'france-travail-paris', 'A1').count).to.equal(25);
    expect(cell(report, 'orientations-by-recipient-and-outcome', 'france-travail-paris', 'ACCEPTEE').count).to.equal(13);
    expect(cell(report, 'orientations-by-recipient-and-outcome', 'france-travail-paris', 'RECUE').count).to.equal(12);
    expect(cell(report, 'orientations-by-recipient-and-outcome', 'france-travail-paris', 'SANS_REPONSE').count).to.equal(14);
    expect(cell(report, 'orientations-by-recipient-and-outcome', 'mission-locale-paris', 'SANS_REPONSE').count).to.equal(12);
    // Every category of the code lists and every registered recipient has its row or column.
    expect([...new Set(table(report, 'orientations-by-recipient-and-language-level').cells.map((c) => c.column))]).to.deep.equal(['INFRA_A1', 'A1', 'A2', 'B1', 'B2', 'C1', 'C2', 'TOTAL']);
    expect([...new Set(table(report, 'orientations-by-recipient-and-outcome').cells.map((c) => c.row))]).to.deep.equal([...RECIPIENTS, 'TOTAL']);
  });

  it('counts end-of-CIR reviews by month and final status, and by final status and level reached, sharing their margins with the messages table', () => {
    const facts = new Facts();
    facts.orient(12, { recipient: 'france-travail-paris' });
    facts.review(14, { finalStatus: 'ACHEVE', levelReached: 'A2' });
    facts.review(11, { finalStatus: 'ACHEVE', levelReached: 'A1', recipient: 'passerelle' });
    facts.review(12, { finalStatus: 'ROMPU', levelReached: 'A1', month: '2026-10' });
    const report = buildStatistics(facts.list, { ...OPTIONS, messageTypes: [...OPTIONS.messageTypes, 'cir-review'] });
    expect(report.tables.flatMap((t) => t.cells).filter((c) => c.suppressed)).to.deep.equal([]);
    expect(cell(report, 'cir-reviews-by-month-and-final-status', '2026-11', 'ACHEVE').count).to.equal(25);
    expect(cell(report, 'cir-reviews-by-month-and-final-status', '2026-11', 'ROMPU').count).to.equal(0);
    expect(cell(report, 'cir-reviews-by-month-and-final-status', '2026-10', 'ROMPU').count).to.equal(12);
    expect(cell(report, 'cir-reviews-by-month-and-final-status', 'TOTAL', 'TOTAL').count).to.equal(37);
    expect(cell(report, 'cir-reviews-by-final-status-and-level-reached', 'ACHEVE', 'A2').count).to.equal(14);
    expect(cell(report, 'cir-reviews-by-final-status-and-level-reached', 'ACHEVE', 'A1').count).to.equal(11);
    expect(cell(report, 'cir-reviews-by-final-status-and-level-reached', 'ROMPU', 'A1').count).to.equal(12);
    expect(cell(report, 'cir-reviews-by-final-status-and-level-reached', 'TOTAL', 'A1').count).to.equal(23);
    // A review's month is the messages table's column: one count, published alike in both tables.
    expect(cell(report, 'messages-by-month-and-type', '2026-11', 'cir-review').count).to.equal(25);
    expect([...new Set(table(report, 'cir-reviews-by-final-status-and-level-reached').cells.map((c) => c.column))]).to.deep.equal(['INFRA_A1', 'A1', 'A2', 'B1', 'B2', 'C1', 'C2', 'TOTAL']);
    expect([...new Set(table(report, 'cir-reviews-by-final-status-and-level-reached').cells.map((c) => c.row))]).to.deep.equal(['ACHEVE', 'ROMPU', 'TOTAL']);
    // Orientations are not reviews: the orientation tables do not count them.
    expect(cell(report, 'orientations-by-month-and-recipient', 'TOTAL', 'TOTAL').count).to.equal(12);
  });

  it('withholds small counts of end-of-CIR reviews, and no withheld count can be worked out from all the tables together (exhaustive search)', function () {
    this.timeout(60_000);
    const facts = new Facts();
    facts.orient(15, { recipient: 'france-travail-paris' });
    facts.review(13, { finalStatus: 'ACHEVE', levelReached: 'A2' });
    facts.review(3, { finalStatus: 'ROMPU', levelReached: 'A1' });
    facts.review(12, { finalStatus: 'ACHEVE', levelReached: 'A1', month: '2026-10' });
    facts.review(1, { finalStatus: 'ROMPU', levelReached: 'INFRA_A1', month: '2026-10' });
    const report = buildStatistics(facts.list, { ...OPTIONS, messageTypes: [...OPTIONS.messageTypes, 'cir-review'] });
    expect(cell(report, 'cir-reviews-by-month-and-final-status', '2026-11', 'ROMPU')).to.include({ count: null, suppressed: true });
    expect(cell(report, 'cir-reviews-by-final-status-and-level-reached', 'ROMPU', 'INFRA_A1')).to.include({ count: null, suppressed: true });
    for (const t of report.tables) for (const c of t.cells) if (c.count !== null) expect(c.count === 0 || c.count >= 11, `${t.name} ${c.row} × ${c.column}`).to.equal(true);
    expect(recoveredFromReport(report, facts.list)).to.deep.equal([]);
  });

  it('withholds every count from 1 to 10 in every table, margins included, publishes 0, and every published count is true', () => {
    const facts = new Facts();
    facts.orient(12, { recipient: 'france-travail-paris' });
    facts.orient(1, { recipient: 'cap-emploi-75' });
    facts.orient(10, { recipient: 'mission-locale-paris', permitFamily: 'APS' });
    const report = buildStatistics(facts.list, OPTIONS);
    const view = attackerView(report);
    const truth = trueCounts(view, facts.list);
    for (const t of report.tables) {
      for (const c of t.cells) {
        if (c.count !== null) expect(c.count === 0 || c.count >= 11, `${t.name} ${c.row} × ${c.column} = ${c.count}`).to.equal(true);
        else expect(c.suppressed).to.equal(true);
      }
    }
    for (const [id, value] of view.published) if (value !== null) expect(value, id).to.equal(truth.get(id));
    for (const [id, value] of truth) if (value >= 1 && value <= 10) expect(view.published.get(id), id).to.equal(null);
    // Nobody has a professional permit: a column of zeros with a total of 0 hides nothing and is published.
    expect(cell(report, 'orientations-by-recipient-and-permit-family', 'cap-emploi-75', 'PROFESSIONNEL').count).to.equal(0);
  });

  it('withholds more counts so that no withheld count can be worked out from the totals of all tables (exhaustive search)', function () {
    this.timeout(60_000);
    const facts = new Facts();
    const ft = facts.orient(31, { recipient: 'france-travail-paris', permitFamily: 'PROTECTION_INTERNATIONALE' });
    facts.orient(12, { recipient: 'france-travail-paris', permitFamily: 'APS', languageLevel: 'B1', month: '2026-10' });
    facts.orient(4, { recipient: 'france-travail-paris', permitFamily: 'PROFESSIONNEL', languageLevel: 'B1' });
    facts.orient(16, { recipient: 'mission-locale-paris', permitFamily: 'FAMILLE' });
    facts.orient(2, { recipient: 'mission-locale-paris', permitFamily: 'APS', languageLevel: 'INFRA_A1' });
    facts.orient(11, { recipient: 'cap-emploi-75', permitFamily: 'FAMILLE', month: '2026-10' });
    facts.acknowledge(ft.slice(0, 25), 'ACCEPTEE', 'france-travail-paris');
    facts.acknowledge(ft.slice(25, 28), 'REFUSEE', 'france-travail-paris');
    const report = buildStatistics(facts.list, OPTIONS);
    expect(report.tables.flatMap((t) => t.cells).filter((c) => c.suppressed).length).to.be.greaterThan(0);
    expect(recoveredFromReport(report, facts.list)).to.deep.equal([]);
    // The same publication with primary suppression only would give counts away: the check can fail.
    const view = attackerView(report);
    const truth = trueCounts(view, facts.list);
    const primaryOnly = new Map([...truth].map(([id, v]) => [id, v >= 1 && v <= 10 ? null : v]));
    expect(exactlyRecoverable(primaryOnly, view.relations, truth)).to.not.deep.equal([]);
  });

  it('gives a rate only over 30 orientations or more, and a median only over 30 observations or more', () => {
    const facts = new Facts();
    const ft = facts.orient(42, { recipient: 'france-travail-paris' });
    const ml = facts.orient(29, { recipient: 'mission-locale-paris' });
    facts.acknowledge(ft.slice(0, 30), 'ACCEPTEE', 'france-travail-paris');
    facts.acknowledge(ml.slice(0, 18), 'ACCEPTEE', 'mission-locale-paris');
    facts.interview(ft.slice(0, 31), (i) => (i < 16 ? 10 : 20), 'france-travail-paris');
    facts.interview(ml.slice(0, 29), () => 5, 'mission-locale-paris');
    facts.interview(ft.slice(31, 32), () => -3, 'france-travail-paris'); // before the orientation: a data error, left out
    const report = buildStatistics(facts.list, OPTIONS);
    const rates = new Map(report.rates[0]!.cells.map((c) => [c.row, c]));
    expect(rates.get('france-travail-paris')).to.deep.equal({ row: 'france-travail-paris', rate: Math.round((30 / 42) * 10_000) / 10_000 });
    expect(rates.get('mission-locale-paris')).to.deep.equal({ row: 'mission-locale-paris', rate: null, flag: 'denominator-under-30' });
    expect(rates.get('cap-emploi-75')).to.deep.equal({ row: 'cap-emploi-75', rate: null, flag: 'denominator-under-30' });
    expect(rates.get('TOTAL')).to.deep.equal({ row: 'TOTAL', rate: Math.round((48 / 71) * 10_000) / 10_000 });
    const medians = new Map(report.medians[0]!.cells.map((c) => [c.row, c]));
    expect(medians.get('france-travail-paris')).to.deep.equal({ row: 'france-travail-paris', medianDays: 10 });
    expect(medians.get('mission-locale-paris')).to.deep.equal({ row: 'mission-locale-paris', medianDays: null, flag: 'fewer-than-30-observations' });
    // 60 delays: 29 × 5, 16 × 10, 15 × 20; the middle pair is (10, 10).
    expect(medians.get('TOTAL')!.medianDays).to.equal(10);
  });

  it('keeps a rate back when its numerator is withheld, even over 30 orientations', () => {
    const facts = new Facts();
    const ft = facts.orient(35, { recipient: 'france-travail-paris' });
    facts.acknowledge(ft.slice(0, 4), 'ACCEPTEE', 'france-travail-paris');
    const report = buildStatistics(facts.list, OPTIONS);
    expect(report.rates[0]!.cells.find((c) => c.row === 'france-travail-paris')).to.deep.equal({ row: 'france-travail-paris', rate: null, flag: 'count-suppressed' });
  });

  it('renders one CSV line per published figure that a CSV reader parses back, and a text grid', () => {
    const facts = new Facts();
    facts.orient(12, { recipient: 'france-travail-paris' });
    facts.orient(2, { recipient: 'mission-locale-paris' });
    const report = buildStatistics(facts.list, OPTIONS);
    const rows = parseCsv(statisticsCsv(report));
    expect(rows[0]).to.deep.equal(['table', 'row', 'column', 'measure', 'value', 'flag']);
    const expected = [
      ...report.tables.flatMap((t) => t.cells.map((c) => [t.name, c.row, c.column, 'count', c.count === null ? '' : String(c.count), c.suppressed ? 'suppressed' : ''])),
      ...report.rates.flatMap((t) => t.cells.map((c) => [t.name, c.row, '', 'rate', c.rate === null ? '' : String(c.rate), c.flag ?? ''])),
      ...report.medians.flatMap((t) => t.cells.map((c) => [t.name, c.row, '', 'median-days', c.medianDays === null ? '' : String(c.medianDays), c.flag ?? ''])),
    ];
    // The efficacy figures follow (test/stats/efficacy.test.ts).
    expect(rows.slice(1, 1 + expected.length)).to.deep.equal(expected);
    expect(rows.slice(1).filter((r) => r[5] === 'suppressed').length).to.be.greaterThan(0);
    const text = statisticsText(report);
    expect(text).to.match(/^orientations-by-month-and-recipient: /m).and.match(/^2026-11 .*\*/m);
  });
});
