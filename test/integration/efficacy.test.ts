/**
 * The efficacy statistics through a real gateway: GnuPG, as OFII, orients 11 people to France
 * Travail; France Travail refers each to the Mission Locale, which reports a CDI answering the referral.
 * The gateway's clock is injected (startTestGateway's `now`) and runs ahead, never behind, since the
 * example keys are recent and a kept document's signature may not postdate its acceptance: the
 * orientations are accepted today, the referrals 10 days later, the employment reported 60 days later
 * (effective on day 55), each with sentAt on that clock as freshness requires, and the statistics are
 * read on the last day of the sixth month after this one, when this month is 6 months old but not 12.
 * The facts are written by the gateway itself at acceptance; nothing is written to the store directly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { requestGateway } from '../../src/client/gateway-client.js';
import type { StatisticsReport } from '../../src/stats/report.js';
import { fingerprintOf, gpgAs, orientationTo, randomRef, readCert, referral } from '../fixtures/dossier.js';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import type { GnupgHome } from '../fixtures/gpg.js';
import { example, partner, post, send, type Json } from '../fixtures/partner.js';

const PEOPLE = 11;

describe('@integration efficacy statistics: a path followed across a referral', function () {
  this.timeout(180_000);
  let gw: TestGateway;
  let ofii: GnupgHome;
  // Set when mocha loads this file, which in the whole suite is many minutes before this test runs; GnuPG
  // signs with the real time, which must not be after the gateway's clock: the clock starts 2 hours ahead.
  const start = new Date(Date.now() + 2 * 3_600_000);
  const later = (days: number) => new Date(start.getTime() + days * 86_400_000);
  const day = (date: Date) => date.toISOString().slice(0, 10);
  let clock = start;
  const month = day(start).slice(0, 7);
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  // The last day of the sixth month after this one (Date.UTC rolls the month over; day 0 is the last of the month before).
  const reportDay = day(new Date(Date.UTC(year, monthNumber - 1 + 7, 0, 12)));
  const twelveThrough = day(new Date(Date.UTC(year, monthNumber - 1 - 6, 1))).slice(0, 7);
  const quarter = `${year}-Q${Math.floor((monthNumber - 1) / 3) + 1}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'efficacy-'));
  const orientations: Json[] = [];
  const updates: Json[] = [];

  /** gpg --sign --encrypt as OFII, then a POST with OFII's certificate. */
  async function sendWithGnupg(document: Json): Promise<void> {
    const ofiiFpr = await fingerprintOf(ofii, readCert('partners', 'ofii-paris', 'openpgp.asc'));
    const gatewayFpr = await fingerprintOf(ofii, readCert('gateway', 'openpgp.asc'));
    const file = path.join(work, `${document['header']['messageId']}.json`);
    fs.writeFileSync(file, JSON.stringify(document));
    const sealed = await ofii.run(['--armor', '--sign', '--encrypt', '-u', ofiiFpr, '-r', gatewayFpr, '--trust-model', 'always', '--output', '-', file]);
    const answer = await post(gw.baseUrl, 'ofii-paris', sealed.stdout.toString('utf8'));
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
  }

  async function accepted(as: string, document: Json): Promise<void> {
    const answer = await send(gw.baseUrl, as, document);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
  }

  before(async () => {
    gw = await startTestGateway({}, () => clock);
    ofii = await gpgAs('ofii-paris', []);
    for (let i = 0; i < PEOPLE; i++) {
      const ref = randomRef();
      clock = start;
      const orientation = orientationTo('france-travail-paris', ref);
      orientation['header']['sentAt'] = clock.toISOString();
      await sendWithGnupg(orientation);
      orientations.push(orientation);

      clock = later(10);
      const handOver = referral('france-travail-paris', 'mission-locale-paris', ref);
      handOver['header']['sentAt'] = clock.toISOString();
      await accepted('france-travail-paris', handOver);

      clock = later(60);
      const update = example('status-update', { sender: 'mission-locale-paris', recipient: 'ofii-paris', beneficiaryRef: ref, inReplyTo: handOver['header']['messageId'], sentAt: clock.toISOString() });
      update['body'] = { event: { type: 'ENTREE_EMPLOI', effectiveOn: day(later(55)) }, employment: { contractType: 'CDI', workingTime: 'PLEIN' } };
      await accepted('mission-locale-paris', update);
      updates.push(update);
    }
    clock = new Date(`${reportDay}T12:00:00.000Z`);
  });
  after(async () => {
    await gw?.dispose();
    await ofii?.remove();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("joins the Mission Locale's report on the referral to the person's orientation, with its delay and contract kind, and no pseudonym", async () => {
    const facts = await gw.store.statisticsFacts();
    const first = orientations[0]!['header']['messageId'] as string;
    expect(facts.find((f) => f.messageId === first)).to.include({ cohort: first, sex: 'F', ageBand: '16-25', sentOn: day(start), month });
    // 55 days from the orientation's send date, though the update answers the referral, not the orientation.
    const report = facts.find((f) => f.messageId === updates[0]!['header']['messageId'])!;
    expect(report).to.include({ cohort: first, eventType: 'ENTREE_EMPLOI', contractKind: 'CDI', daysFromOrientation: 55, recipient: 'ofii-paris', sender: 'mission-locale-paris' });
    expect(facts.filter((f) => f.type === 'referral').map((f) => f.cohort).sort()).to.deep.equal(orientations.map((o) => o['header']['messageId']).sort());
    const beneficiary = (await gw.store.findMessage(first))!.beneficiary;
    expect(JSON.stringify(facts)).not.to.include(beneficiary);
  });

  it('publishes the situation 6 months after the orientation in /v1/stats on the report date: 11 people in durable employment, counted for the actor they were oriented to', async () => {
    const view = await partner('prefecture-paris');
    const answer = await requestGateway({ baseUrl: gw.baseUrl, tls: view.tls, method: 'GET', path: '/v1/stats' });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    const { efficacy } = answer.body as StatisticsReport;
    expect(efficacy.reportDate).to.equal(reportDay);
    expect(efficacy.observedThrough).to.deep.equal({ sixMonths: month, twelveMonths: twelveThrough });
    const cell = (name: string, row: string, column: string) => efficacy.tables.find((t) => t.name === name)!.cells.find((c) => c.row === row && c.column === column)!.count;
    expect(cell('outcomes-at-6-months-by-actor', 'france-travail-paris', 'EMPLOI_DURABLE')).to.equal(PEOPLE);
    expect(cell('outcomes-at-6-months-by-actor', 'france-travail-paris', 'SANS_NOUVELLES')).to.equal(0);
    expect(cell('outcomes-at-6-months-by-actor', 'mission-locale-paris', 'TOTAL')).to.equal(0);
    expect(cell('outcomes-at-6-months-by-period', quarter, 'EMPLOI_DURABLE')).to.equal(PEOPLE);
    expect(cell('outcomes-at-6-months-by-sex', 'F', 'EMPLOI_DURABLE')).to.equal(PEOPLE);
    // Not yet 12 months on the report date.
    expect(cell('outcomes-at-12-months-by-actor', 'france-travail-paris', 'MOINS_DE_12_MOIS')).to.equal(PEOPLE);
    expect(cell('outcomes-at-12-months-by-actor', 'france-travail-paris', 'EMPLOI_DURABLE')).to.equal(0);
  });
});
