/**
 * The steering committee's statistics through a real gateway: facts written at acceptance in SQLite,
 * GET /v1/stats over mutual TLS (JSON, CSV by format or by Accept with curl), the roles, and the
 * `passerelle stats` command. The published tables are attacked with the exhaustive checker.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { requestGateway, type HttpAnswer } from '../../src/client/gateway-client.js';
import { STATS_RATE_LIMIT } from '../../src/http/stats-routes.js';
import type { StatisticsReport } from '../../src/stats/report.js';
import { runCli } from '../fixtures/cli.js';
import { parseCsv } from '../fixtures/csv.js';
import { EXAMPLE_CERTS, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { example, partner, send, type Json } from '../fixtures/partner.js';
import { attackerView, recoveredFromReport, trueCounts } from '../fixtures/stats-attacker.js';

const run = promisify(execFile);

async function stats(gw: TestGateway, as: string, query = ''): Promise<HttpAnswer> {
  const view = await partner(as);
  return requestGateway({ baseUrl: gw.baseUrl, tls: view.tls, method: 'GET', path: `/v1/stats${query}` });
}

function beneficiaryRef(): string {
  return String(Math.floor(Math.random() * 1e10)).padStart(10, '0');
}

function daysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

function cell(report: StatisticsReport, table: string, row: string, column: string) {
  return report.tables.find((t) => t.name === table)!.cells.find((c) => c.row === row && c.column === column)!;
}

describe('@integration statistics', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  const month = new Date().toISOString().slice(0, 7);

  /** OFII orients to `recipient`; the recipient acknowledges with `status` and reports a first interview. */
  async function orient(recipient: string, body: Json = {}, answers: { status?: string; interviewDaysAgo?: number } = {}): Promise<void> {
    const ref = beneficiaryRef();
    const orientation = example('orientation', { recipient, beneficiaryRef: ref }, body);
    const accepted = await send(gw.baseUrl, 'ofii-paris', orientation);
    expect(accepted.status, JSON.stringify(accepted.body)).to.equal(202);
    const reply = { sender: recipient, recipient: 'ofii-paris', beneficiaryRef: ref, inReplyTo: orientation['header']['messageId'] };
    if (answers.status) {
      const ack = example('acknowledgement', reply, { status: answers.status });
      expect((await send(gw.baseUrl, recipient, ack)).status).to.equal(202);
    }
    if (answers.interviewDaysAgo !== undefined) {
      const update = example('status-update', reply, { event: { type: 'PREMIER_ENTRETIEN_REALISE', effectiveOn: daysAgo(answers.interviewDaysAgo) } });
      delete update['body']['appointment'];
      const answer = await send(gw.baseUrl, recipient, update);
      expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    }
  }

  before(async () => {
    gw = await startTestGateway();
    // France Travail: 12 orientations of refugees (the example), 11 accepted, each with a first interview.
    for (let i = 0; i < 12; i++) await orient('france-travail-paris', {}, i < 11 ? { status: 'ACCEPTEE', interviewDaysAgo: 0 } : {});
    // Mission Locale: 2 orientations, one acknowledged as received.
    await orient('mission-locale-paris', {}, { status: 'RECUE' });
    await orient('mission-locale-paris');
    // Ville de Paris: 1 orientation on family grounds, at level B1.
    await orient('ville-de-paris', { residencePermit: { ...(example('orientation')['body'] as Json)['residencePermit'], grounds: 'FAM_CONJOINT_FR' }, language: { initialLevel: 'B1' } });
    // A refusal is not counted.
    expect((await send(gw.baseUrl, 'ofii-paris', example('orientation', {}, { comment: 'x' }))).status).to.equal(422);
  });
  after(async () => {
    await gw?.dispose();
  });

  it('records one fact of categories per accepted message, none for a refusal', async () => {
    const facts = await gw.store.statisticsFacts();
    const of = (type: string) => facts.filter((f) => f.type === type);
    expect(of('orientation')).to.have.length(15);
    expect(of('orientation').filter((f) => f.recipient === 'france-travail-paris' && f.permitFamily === 'PROTECTION_INTERNATIONALE' && f.languageLevel === 'INFRA_A1')).to.have.length(12);
    expect(of('orientation').filter((f) => f.recipient === 'ville-de-paris').map((f) => [f.permitFamily, f.languageLevel])).to.deep.equal([['FAMILLE', 'B1']]);
    expect(of('acknowledgement').map((f) => f.acknowledgementStatus).sort()).to.deep.equal([...Array(11).fill('ACCEPTEE'), 'RECUE']);
    expect(of('status-update').map((f) => [f.eventType, f.daysFromOrientation])).to.deep.equal(Array(11).fill(['PREMIER_ENTRETIEN_REALISE', 0]));
    expect(facts.every((f) => f.month === month)).to.equal(true);
  });

  it('publishes the counts by month, recipient, type, permit family, language level and outcome, withholding the small ones', async () => {
    const answer = await stats(gw, 'prefecture-paris');
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    expect(answer.contentType).to.match(/^application\/json/);
    const report = answer.body as StatisticsReport;
    expect(report.tables.map((t) => t.name)).to.deep.equal([
      'messages-by-month-and-type',
      'orientations-by-month-and-recipient',
      'orientations-by-recipient-and-permit-family',
      'orientations-by-recipient-and-language-level',
      'orientations-by-recipient-and-outcome',
      'cir-reviews-by-month-and-final-status',
      'cir-reviews-by-final-status-and-level-reached',
      'withdrawal-notices-by-recipient-and-execution',
      'withdrawal-notices-by-month-and-execution',
    ]);
    expect(cell(report, 'messages-by-month-and-type', month, 'acknowledgement').count).to.equal(12);
    expect(cell(report, 'messages-by-month-and-type', 'TOTAL', 'TOTAL').count).to.equal(38);
    expect(cell(report, 'orientations-by-recipient-and-permit-family', 'france-travail-paris', 'PROTECTION_INTERNATIONALE').count).to.equal(12);
    expect(cell(report, 'orientations-by-recipient-and-language-level', 'france-travail-paris', 'INFRA_A1').count).to.equal(12);
    expect(cell(report, 'orientations-by-recipient-and-outcome', 'cap-emploi-75', 'ACCEPTEE').count).to.equal(0);
    // Small counts are withheld, flagged, and never printed.
    for (const [table, row, column] of [
      ['orientations-by-month-and-recipient', month, 'mission-locale-paris'],
      ['orientations-by-recipient-and-permit-family', 'ville-de-paris', 'FAMILLE'],
      ['orientations-by-recipient-and-language-level', 'ville-de-paris', 'B1'],
      ['orientations-by-recipient-and-outcome', 'mission-locale-paris', 'RECUE'],
      ['orientations-by-recipient-and-outcome', 'france-travail-paris', 'SANS_REPONSE'],
    ] as const) {
      expect(cell(report, table, row, column), `${table} ${row} ${column}`).to.deep.equal({ row, column, count: null, suppressed: true });
    }
    // Under 30: no rate, no median.
    expect(report.rates[0]!.cells.every((c) => c.rate === null && c.flag === 'denominator-under-30')).to.equal(true);
    expect(report.medians[0]!.cells.every((c) => c.medianDays === null && c.flag === 'fewer-than-30-observations')).to.equal(true);
  });

  it('publishes only true counts, and none of the withheld ones can be worked out from the published tables', async () => {
    const report = (await stats(gw, 'auditor')).body as StatisticsReport;
    const facts = await gw.store.statisticsFacts();
    const view = attackerView(report);
    const truth = trueCounts(view, facts);
    for (const [id, value] of view.published) if (value !== null) expect(value, id).to.equal(truth.get(id));
    for (const [id, value] of truth) if (value >= 1 && value <= 10) expect(view.published.get(id), id).to.equal(null);
    expect(recoveredFromReport(report, facts)).to.deep.equal([]);
  });

  it('answers CSV for ?format=csv and for Accept: text/csv (curl), the same figures as the JSON', async () => {
    const json = (await stats(gw, 'prefecture-paris', '?format=json')).body as StatisticsReport;
    const answer = await stats(gw, 'prefecture-paris', '?format=csv');
    expect(answer.status).to.equal(200);
    expect(answer.contentType).to.match(/^text\/csv/);
    const rows = parseCsv(answer.body as string);
    expect(rows[0]).to.deep.equal(['table', 'row', 'column', 'measure', 'value', 'flag']);
    const counts = rows.filter((r) => r[3] === 'count');
    expect(counts).to.have.length([...json.tables, ...json.efficacy.tables].reduce((n, t) => n + t.cells.length, 0));
    expect(counts).to.deep.include(['messages-by-month-and-type', month, 'acknowledgement', 'count', '12', '']);
    expect(counts).to.deep.include(['orientations-by-month-and-recipient', month, 'mission-locale-paris', 'count', '', 'suppressed']);

    const dir = path.join(EXAMPLE_CERTS, 'partners', 'prefecture-paris');
    const { stdout } = await run('curl', [
      '-sS', '--cert', path.join(dir, 'tls.crt'), '--key', path.join(dir, 'tls.key'), '--cacert', path.join(EXAMPLE_CERTS, 'ca.crt'),
      '-H', 'Accept: text/csv', `${gw.baseUrl}/v1/stats`,
    ]);
    expect(parseCsv(stdout).filter((r) => r[3] === 'count')).to.deep.equal(counts);
  });

  it('refuses agencies with 403 forbidden, an unknown format with 400, and other methods with 405', async () => {
    for (const as of ['ofii-paris', 'mission-locale-paris', 'france-travail-paris']) {
      const answer = await stats(gw, as);
      expect(answer.status, as).to.equal(403);
      expect(answer.contentType).to.match(/^application\/problem\+json/);
      expect(answer.body, as).to.include({ code: 'forbidden' });
    }
    expect((await stats(gw, 'prefecture-paris', '?format=xml')).body).to.include({ code: 'bad_request' });
    const view = await partner('prefecture-paris');
    const post = await requestGateway({ baseUrl: gw.baseUrl, tls: view.tls, method: 'POST', path: '/v1/stats', body: '{}', contentType: 'application/json' });
    expect(post.status).to.equal(405);
    expect(post.headers['allow']).to.equal('GET');
  });

  it('serves a burst from one computation, and refuses a role past its statistics rate with 429 and Retry-After, the other role still served', async () => {
    const answers: HttpAnswer[] = [];
    for (let i = 0; i < 2 * STATS_RATE_LIMIT.burst && answers.at(-1)?.status !== 429; i++) answers.push(await stats(gw, 'auditor'));
    const served = answers.filter((a) => a.status === 200);
    expect(served.length).to.be.at.least(STATS_RATE_LIMIT.burst - 2);
    expect(new Set(served.map((a) => (a.body as StatisticsReport).generatedAt)).size, 'reports computed for the burst').to.equal(1);
    const refused = answers.at(-1)!;
    expect(refused.status).to.equal(429);
    expect(refused.body).to.include({ code: 'rate_limited' });
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
    expect((await stats(gw, 'prefecture-paris')).status, 'the statistics role has its own rate').to.equal(200);
  });

  it('`passerelle stats` prints the grids, or the CSV, and refuses an agency', async () => {
    const env = { PASSERELLE_CERTS_DIR: EXAMPLE_CERTS, PASSERELLE_PORT: String(gw.port) };
    const text = await runCli(['stats', '--as', 'prefecture-paris'], env);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.match(/^orientations-by-recipient-and-outcome: /m);
    expect(text.stdout).to.match(/^france-travail-paris( +(\d+|\*))+$/m).and.match(/^france-travail-paris .*\*/m);
    const csv = await runCli(['stats', '--as', 'prefecture-paris', '--format', 'csv'], env);
    expect(csv.code, csv.stderr).to.equal(0);
    expect(parseCsv(csv.stdout)[0]).to.deep.equal(['table', 'row', 'column', 'measure', 'value', 'flag']);
    const refused = await runCli(['stats', '--as', 'ofii-paris'], env);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include('403 forbidden');
  });
});
