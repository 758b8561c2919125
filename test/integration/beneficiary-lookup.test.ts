/**
 * Finding a beneficiary among an agency's job seekers (issue 14, item 2), with real components: OFII
 * seals with GnuPG, Mission Locale asks with curl and its client certificate, the gateway on SQLite,
 * RabbitMQ, and OFII reading (with GnuPG) the dossier request the gateway signed.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { drainQueue, eventually, EXAMPLE_CERTS, PROJECT_ROOT, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { GnupgHome, validSignatures } from '../fixtures/gpg.js';
import { auditLog, fingerprintOf, gpgAs, optOut, orientationTo, randomRef, readCert } from '../fixtures/dossier.js';
import { get, post, send, type Json } from '../fixtures/partner.js';

const run = promisify(execFile);

async function curlJson(gw: TestGateway, as: string, pathname: string, body: Json): Promise<{ status: number; body: Json; retryAfter: string | undefined }> {
  const dir = path.join(EXAMPLE_CERTS, 'partners', as);
  const { stdout } = await run('curl', [
    '-sS', '-i', '--cert', path.join(dir, 'tls.crt'), '--key', path.join(dir, 'tls.key'), '--cacert', path.join(EXAMPLE_CERTS, 'ca.crt'),
    '-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(body), `${gw.baseUrl}${pathname}`,
  ]);
  const [head, ...rest] = stdout.split('\r\n\r\n');
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head!)![1]);
  const retryAfter = /^retry-after: *(\S+)/im.exec(head!)?.[1];
  return { status, body: JSON.parse(rest.join('\r\n\r\n')) as Json, retryAfter };
}

const AGREEMENT = { recordedOn: '2026-12-01', channel: 'ENTRETIEN_SPE' };

describe('@integration beneficiary lookup: an agency finds a CIR beneficiary, OFII is asked to share the dossier', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  let ofii: GnupgHome;
  let work: string;
  const ref = randomRef();
  const identity = { birthName: 'KARIMI', usageName: 'Benoît-Lefèvre', givenNames: ['Darya', 'Soraya'], sex: 'F', birthDate: '2004-03-14', birthPlace: { countryCode: '99212' }, nationality: 'AFG' };
  let orientation: Json;
  let notice: Json;
  const lookups: string[] = [];

  const lookUp = async (request: Json, as = 'mission-locale-paris') => {
    const answer = await curlJson(gw, as, '/v1/beneficiary-lookups', { ...request, personAgreement: AGREEMENT });
    if (answer.status === 200) lookups.push(answer.body['lookupId'] as string);
    return answer;
  };

  before(async () => {
    gw = await startTestGateway();
    ofii = await gpgAs('ofii-paris', []);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-lookup-'));
  });
  after(async () => {
    await gw?.dispose();
    await ofii?.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('before: OFII orients the person to France Travail, sealed with gpg --sign --encrypt', async () => {
    orientation = orientationTo('france-travail-paris', ref, { identity });
    const file = path.join(work, 'orientation.json');
    fs.writeFileSync(file, JSON.stringify(orientation));
    const ofiiFpr = await fingerprintOf(ofii, readCert('partners', 'ofii-paris', 'openpgp.asc'));
    const gatewayFpr = await fingerprintOf(ofii, readCert('gateway', 'openpgp.asc'));
    const sealed = await ofii.run(['--armor', '--sign', '--encrypt', '-u', ofiiFpr, '-r', gatewayFpr, '--trust-model', 'always', '--output', '-', file]);
    const answer = await post(gw.baseUrl, 'ofii-paris', sealed.stdout);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    await drainQueue(queueName(gw.settings.amqpPrefix, 'france-travail-paris'));
  });

  it('Mission Locale looks the person up by reference (curl, its client certificate): known, and nothing else', async () => {
    const answer = await lookUp({ by: 'reference', beneficiaryRef: ref });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    expect(Object.keys(answer.body).sort()).to.deep.equal(['known', 'lookupId']);
    expect(answer.body['known']).to.equal(true);
  });

  it("OFII's queue receives a dossier request signed by the gateway, naming Mission Locale, the orientation and the person's agreement", async () => {
    const queue = queueName(gw.settings.amqpPrefix, 'ofii-paris');
    const delivered = await eventually(async () => {
      const found = await drainQueue(queue);
      return found.length > 0 ? found : undefined;
    });
    expect(delivered).to.have.length(1);
    expect(delivered[0]!.properties).to.include({ type: 'dossier-request', appId: 'passerelle' });
    expect(delivered[0]!.fields['routingKey']).to.equal('ofii-paris.dossier-request');
    const gatewayFpr = await fingerprintOf(ofii, readCert('gateway', 'openpgp.asc'));
    const opened = await ofii.run(['--decrypt'], { stdin: delivered[0]!.body });
    expect(validSignatures(opened.status).map((s) => s.primaryFingerprint)).to.deep.equal([gatewayFpr]);
    notice = JSON.parse(opened.stdout.toString('utf8')) as Json;
    expect(notice['header']).to.include({ type: 'dossier-request', sender: 'passerelle', recipient: 'ofii-paris', beneficiaryRef: ref });
    expect(notice['body']).to.deep.equal({ requestedBy: 'mission-locale-paris', orientationMessageId: orientation['header']['messageId'], personAgreement: AGREEMENT, lookupId: lookups[0] });
  });

  it('finds the person by identity written with other accents, case and hyphens, and by the usage name', async () => {
    const spelled = await lookUp({ by: 'identity', identity: { birthName: 'karimi', givenNames: ['DÀRYA'], birthDate: '2004-03-14', countryOfBirth: '99212' } });
    expect(spelled.body).to.deep.include({ known: true });
    const usage = await lookUp({ by: 'identity', identity: { birthName: 'BENOIT LEFEVRE', givenNames: ['Darya'], birthDate: '2004-03-14', countryOfBirth: '99212' } });
    expect(usage.body).to.deep.include({ known: true });
  });

  it('answers unknown for another person, and for the same names with another birth date, without saying which field differs', async () => {
    const other = await lookUp({ by: 'reference', beneficiaryRef: randomRef() });
    expect(other.body).to.deep.include({ known: false });
    const wrongDate = await lookUp({ by: 'identity', identity: { birthName: 'Karimi', givenNames: ['Darya'], birthDate: '2004-03-15', countryOfBirth: '99212' } });
    expect(wrongDate.status).to.equal(200);
    expect(Object.keys(wrongDate.body).sort()).to.deep.equal(['known', 'lookupId']);
    expect(wrongDate.body['known']).to.equal(false);
    // The example of docs/interface.md, as written, from the project root, on the gateway's address.
    const guide = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'interface.md'), 'utf8');
    const section = guide.slice(guide.indexOf('### POST /v1/beneficiary-lookups'));
    const command = /```sh\n([\s\S]*?)\n```/.exec(section)![1]!.replace('https://127.0.0.1:8443', gw.baseUrl);
    const { stdout } = await run('bash', ['-c', command], { cwd: PROJECT_ROOT });
    const documented = JSON.parse(stdout) as Json;
    expect(Object.keys(documented).sort()).to.deep.equal(['known', 'lookupId']);
    expect(documented['known']).to.equal(false);
    lookups.push(documented['lookupId'] as string);
    // Only the known lookups asked OFII: three so far, the first already read.
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    expect(await drainQueue(queueName(gw.settings.amqpPrefix, 'ofii-paris'))).to.have.length(2);
  });

  it('refuses a lookup without the agreement (422 person_agreement_missing), and OFII and the auditor may not look up', async () => {
    const answer = await curlJson(gw, 'mission-locale-paris', '/v1/beneficiary-lookups', { by: 'reference', beneficiaryRef: ref });
    expect(answer.status).to.equal(422);
    expect(answer.body).to.include({ code: 'person_agreement_missing' });
    for (const caller of ['ofii-paris', 'auditor']) {
      const refused = await curlJson(gw, caller, '/v1/beneficiary-lookups', { by: 'reference', beneficiaryRef: ref, personAgreement: AGREEMENT });
      expect(refused.status, caller).to.equal(403);
    }
  });

  it('OFII shares the dossier with an orientation to Mission Locale answering the request (header.inReplyTo)', async () => {
    const shared = orientationTo('mission-locale-paris', ref, { identity });
    shared['header']['inReplyTo'] = notice['header']['messageId'];
    const answer = await send(gw.baseUrl, 'ofii-paris', shared);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    expect((await gw.store.findMessage(shared['header']['messageId']))!.inReplyTo).to.equal(notice['header']['messageId']);
  });

  it('audits every lookup, with no name, birth date or reference, and the auditor sees them and their counts', async () => {
    const entries = await get(gw.baseUrl, 'auditor', '/v1/audit/entries?event=looked-up');
    expect(entries.status).to.equal(200);
    const listed = (entries.body as Json)['entries'] as Json[];
    expect(listed.map((e) => e['messageId'])).to.deep.equal(lookups);
    expect(listed.map((e) => e['code'])).to.deep.equal(['known', 'known', 'known', 'unknown', 'unknown', 'unknown']);
    for (const entry of listed) expect(entry).to.include({ sender: 'mission-locale-paris' });
    const requested = (await auditLog(gw)).filter((e) => e.entry['event'] === 'dossier-requested');
    expect(requested).to.have.length(3);
    expect(requested[0]!.entry).to.include({ sender: 'passerelle', recipient: 'ofii-paris', messageId: notice['header']['messageId'] });

    const everything = JSON.stringify((await auditLog(gw)).map((e) => e.entry)) + JSON.stringify(gw.logLines);
    for (const clear of [ref, 'KARIMI', 'Karimi', 'karimi', 'Darya', 'DARYA', 'DÀRYA', 'Benoît', 'BENOIT', '2004-03-14', '2004-03-15']) {
      expect(everything, clear).to.not.include(clear);
    }

    // Mission Locale sees its own lookups in its view of the log.
    const own = await get(gw.baseUrl, 'mission-locale-paris', '/v1/audit/entries?event=looked-up');
    expect(((own.body as Json)['entries'] as Json[]).map((e) => e['messageId'])).to.deep.equal(lookups);

    const summary = await get(gw.baseUrl, 'auditor', '/v1/beneficiary-lookups/summary?days=7');
    expect(summary.status).to.equal(200);
    const today = new Date().toISOString().slice(0, 10);
    expect((summary.body as Json)['lookups']).to.deep.equal([{ agency: 'mission-locale-paris', day: today, known: 3, unknown: 3, refused: 0 }]);
    expect((summary.body as Json)['limits']).to.deep.equal({ perHour: 20, perDay: 100 });
  });

  it('answers unknown after the person opted out, by reference and by identity', async () => {
    expect((await send(gw.baseUrl, 'ofii-paris', optOut(ref, 'RETRAIT'))).status).to.equal(202);
    expect((await lookUp({ by: 'reference', beneficiaryRef: ref })).body).to.deep.include({ known: false });
    expect((await lookUp({ by: 'identity', identity: { birthName: 'Karimi', givenNames: ['Darya'], birthDate: '2004-03-14', countryOfBirth: '99212' } })).body).to.deep.include({ known: false });
  });

  it('answers not known for an identity two beneficiaries share (homonyms), audited as ambiguous, and asks OFII nothing; by reference each is found', async () => {
    const homonym = { birthName: 'DIALLO', givenNames: ['Aminata'], sex: 'F', birthDate: '1999-01-01', birthPlace: { countryCode: '99341' }, nationality: 'SEN' };
    const [first, second] = [randomRef(), randomRef()];
    for (const person of [first, second]) expect((await send(gw.baseUrl, 'ofii-paris', orientationTo('france-travail-paris', person, { identity: homonym }))).status).to.equal(202);
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    await drainQueue(queueName(gw.settings.amqpPrefix, 'ofii-paris'));
    const answer = await lookUp({ by: 'identity', identity: { birthName: 'Diallo', givenNames: ['Aminata'], birthDate: '1999-01-01', countryOfBirth: '99341' } });
    expect(answer.body).to.deep.include({ known: false });
    expect((await auditLog(gw)).at(-1)!.entry).to.include({ event: 'looked-up', messageId: answer.body['lookupId'], code: 'ambiguous' });
    expect((await auditLog(gw)).at(-1)!.entry).to.not.have.property('beneficiary');
    for (const person of [first, second]) expect((await lookUp({ by: 'reference', beneficiaryRef: person })).body).to.deep.include({ known: true });
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    const requests = await drainQueue(queueName(gw.settings.amqpPrefix, 'ofii-paris'));
    expect(requests).to.have.length(2);
  });

  it('answers the 21st lookup of the hour with 429 lookup_rate_limited and Retry-After, and audits the refusal', async () => {
    while (lookups.length < 20) expect((await lookUp({ by: 'reference', beneficiaryRef: randomRef() })).status).to.equal(200);
    const refused = await lookUp({ by: 'reference', beneficiaryRef: randomRef() });
    expect(refused.status).to.equal(429);
    expect(refused.body).to.include({ code: 'lookup_rate_limited' });
    expect(Number(refused.retryAfter)).to.be.within(3500, 3600);
    const last = (await auditLog(gw)).at(-1)!.entry;
    expect(last).to.include({ event: 'looked-up', sender: 'mission-locale-paris', code: 'lookup_rate_limited' });
    expect(last).to.not.have.property('beneficiary');
    // Another agency still has its own limit.
    expect((await lookUp({ by: 'reference', beneficiaryRef: randomRef() }, 'france-travail-paris')).status).to.equal(200);
  });
});
