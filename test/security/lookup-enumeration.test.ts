/**
 * Enumeration through beneficiary lookups: an agency (or whoever holds its client certificate) sweeps
 * OFII references, one after the other, to learn who among foreigners is a CIR beneficiary. The sweep
 * stops at the agency's limit, counted in the store and therefore shared by every gateway instance on
 * one PostgreSQL database (two instances here, asked at once), and every attempt, answered or refused,
 * is in the audit log for the auditor to see. Real gateways, real PostgreSQL, real RabbitMQ.
 */
import { expect } from 'chai';
import { requestGateway, type HttpAnswer } from '../../src/client/gateway-client.js';
import { auditLog, orientationTo } from '../fixtures/dossier.js';
import { eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { get, partner, send } from '../fixtures/partner.js';
import { createSchema, dropSchema, PG_TEST_URL } from '../fixtures/store.js';

const ATTACKER = 'mission-locale-paris';
const PER_HOUR = 5;
const SWEEP = 14;

describe('@integration security: an agency sweeping references through lookups stops at its limit, on every instance, and is audited', function () {
  this.timeout(120_000);
  let schema: string;
  let first: TestGateway;
  let second: TestGateway;
  const answers: HttpAnswer[] = [];

  const lookUp = async (gw: TestGateway, beneficiaryRef: string): Promise<HttpAnswer> => {
    const view = await partner(ATTACKER);
    const body = JSON.stringify({ by: 'reference', beneficiaryRef, personAgreement: { recordedOn: '2026-12-01', channel: 'COURRIER' } });
    return requestGateway({ baseUrl: gw.baseUrl, tls: view.tls, method: 'POST', path: '/v1/beneficiary-lookups', body, contentType: 'application/json' });
  };

  before(async () => {
    schema = await createSchema();
    const url = new URL(PG_TEST_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const limits = { PASSERELLE_DATABASE_URL: url.toString(), PASSERELLE_LOOKUPS_PER_HOUR: String(PER_HOUR), PASSERELLE_LOOKUPS_PER_DAY: '50' };
    first = await startTestGateway(limits);
    // One deployment: the same secrets (data folder) and broker prefix, another process's worth of state.
    second = await startTestGateway({ ...limits, PASSERELLE_DATA_DIR: first.settings.dataDir, PASSERELLE_AMQP_PREFIX: first.settings.amqpPrefix });
  });
  after(async () => {
    await second?.stop();
    await first?.dispose();
    if (schema) await dropSchema(schema);
  });

  it('answers only the first lookups of a sweep spread over two instances at once, whatever it looks for', async () => {
    // A real beneficiary hides in the sweep: past the limit, the sweep learns nothing of them.
    const references = Array.from({ length: SWEEP }, (_, i) => String(7_500_000_000 + i));
    expect((await send(first.baseUrl, 'ofii-paris', orientationTo('france-travail-paris', references[SWEEP - 1]!))).status).to.equal(202);
    answers.push(...(await Promise.all(references.map((ref, i) => lookUp(i % 2 === 0 ? first : second, ref)))));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200), statuses.join(' ')).to.have.length(PER_HOUR);
    expect(statuses.filter((s) => s === 429)).to.have.length(SWEEP - PER_HOUR);
    for (const refused of answers.filter((a) => a.status === 429)) {
      expect(refused.body).to.include({ code: 'lookup_rate_limited' });
      expect(Number(refused.headers['retry-after'])).to.be.within(3590, 3600);
    }
    // Later, on either instance, still refused.
    expect((await lookUp(second, references[SWEEP - 1]!)).status).to.equal(429);
    expect((await lookUp(first, references[SWEEP - 1]!)).status).to.equal(429);
  });

  it('audits every attempt: the answered ones known or unknown, the refused ones with their code, none with a reference', async () => {
    const entries = await eventually(async () => {
      const found = (await auditLog(first)).filter((e) => e.entry['event'] === 'looked-up');
      return found.length === SWEEP + 2 ? found : undefined;
    });
    const codes = entries.map((e) => e.entry['code'] as string);
    expect(codes.filter((c) => c === 'lookup_rate_limited')).to.have.length(SWEEP - PER_HOUR + 2);
    expect(codes.filter((c) => c === 'known' || c === 'unknown')).to.have.length(PER_HOUR);
    for (const entry of entries) expect(entry.entry).to.include({ sender: ATTACKER });
    const text = JSON.stringify(entries.map((e) => e.entry));
    expect(text).to.not.match(/75000000\d\d/);
    // The answered lookups' ids are the entries' message ids.
    const answered = answers.filter((a) => a.status === 200).map((a) => (a.body as { lookupId: string }).lookupId);
    expect(entries.map((e) => e.entry['messageId'])).to.include.members(answered);

    // The auditor sees the sweep in the day's counts.
    const summary = await get(second.baseUrl, 'auditor', '/v1/beneficiary-lookups/summary?days=1');
    expect((summary.body as { lookups: unknown[] }).lookups).to.deep.equal([
      { agency: ATTACKER, day: new Date().toISOString().slice(0, 10), known: codes.filter((c) => c === 'known').length, unknown: codes.filter((c) => c === 'unknown').length, refused: SWEEP - PER_HOUR + 2 },
    ]);
  });
});
