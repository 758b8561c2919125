/**
 * The person's access report (issue 14, item 5; RGPD art. 15), end to end: partners seal with GnuPG
 * and post over mutual TLS to a real gateway (SQLite, RabbitMQ); OFII orients a person to France
 * Travail, which answers and reports to OFII, then refers the person to Cap emploi, which receives the
 * dossier and opens it with GnuPG; Mission Locale then finds the person by a beneficiary lookup, and
 * OFII is asked to share the dossier. `passerelle access-report` on the gateway host then lists exactly
 * the disclosures this test made and the one lookup (and nothing of a second person sent alongside), each line's proof
 * verifies with `passerelle access-report verify` and, independently here, with src/audit against the
 * checkpoint the gateway publishes; a changed byte fails naming the line; the PDF reads back with
 * pdftotext; an erased person's report says the exchange holds nothing.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { verifyCheckpoint } from '../../src/audit/checkpoint.js';
import { entryBytes, leafHash, type AuditEntry } from '../../src/audit/entry.js';
import { verifyEntryInclusion } from '../../src/audit/verify.js';
import { queueName } from '../../src/broker/topology.js';
import { readPublicKeys } from '../../src/crypto/keys.js';
import type { AccessReport } from '../../src/report/access-report.js';
import { runCli } from '../fixtures/cli.js';
import { acknowledgement, gpgAs, orientationTo, randomRef, readCert, referral, statusUpdate, fingerprintOf } from '../fixtures/dossier.js';
import { drainQueue, EXAMPLE_CERTS, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import type { GnupgHome } from '../fixtures/gpg.js';
import { get, post, postJson, type Json } from '../fixtures/partner.js';

const run = promisify(execFile);
const FILES = ['rapport-acces.html', 'rapport-acces.pdf', 'rapport-acces.json'];

describe('@integration access report: every disclosure about the person, each with its proof', function () {
  this.timeout(180_000);
  let gw: TestGateway;
  let work: string;
  let env: Record<string, string>;
  const homes = new Map<string, GnupgHome>();
  let gatewayFpr: string;

  /** Seals the document with GnuPG as `as` (sign with its key, encrypt to the gateway) and posts it. */
  async function sendWithGpg(as: string, document: Json): Promise<void> {
    const home = homes.get(as)!;
    const file = path.join(work, `${document['header']['messageId']}.json`);
    fs.writeFileSync(file, JSON.stringify(document));
    const sealed = await home.run(['--armor', '--sign', '--encrypt', '-u', await fingerprintOf(home, readCert('partners', as, 'openpgp.asc')), '-r', gatewayFpr, '--trust-model', 'always', '--output', '-', file]);
    const answer = await post(gw.baseUrl, as, sealed.stdout.toString('utf8'));
    expect(answer.status, `${as}: ${JSON.stringify(answer.body)}`).to.equal(202);
  }

  before(async () => {
    gw = await startTestGateway();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-access-report-'));
    env = { PASSERELLE_CERTS_DIR: EXAMPLE_CERTS, PASSERELLE_DATA_DIR: gw.settings.dataDir, PASSERELLE_AMQP_PREFIX: gw.settings.amqpPrefix, PASSERELLE_PORT: String(gw.port) };
    for (const id of ['ofii-paris', 'france-travail-paris', 'cap-emploi-75']) homes.set(id, await gpgAs(id, ['ofii-paris', 'france-travail-paris']));
    gatewayFpr = await fingerprintOf(homes.get('ofii-paris')!, readCert('gateway', 'openpgp.asc'));
  });
  after(async () => {
    await gw?.dispose();
    for (const home of homes.values()) await home.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const ref = randomRef();
  const otherRef = randomRef();
  /** What this test disclosed about the person: [organisation, type, message id], built from what it sent. */
  const disclosed: Array<[string, string, string]> = [];
  let out: string;
  let report: AccessReport;
  let lookupId: string;

  it('OFII orients, France Travail answers and reports, refers to Cap emploi, which opens the dossier with GnuPG; someone else is oriented too', async () => {
    // Cap emploi may take the person: a recognised disability, and consent to share health data.
    const orientation = orientationTo('france-travail-paris', ref, { disability: { rqth: 'OUI' }, consent: { healthData: true, healthDataGivenOn: '2026-11-26' } });
    await sendWithGpg('ofii-paris', orientation);
    disclosed.push(['france-travail-paris', 'orientation', orientation['header']['messageId']]);
    await sendWithGpg('ofii-paris', orientationTo('mission-locale-paris', otherRef));
    const ack = acknowledgement('france-travail-paris', orientation, 'ACCEPTEE');
    await sendWithGpg('france-travail-paris', ack);
    disclosed.push(['ofii-paris', 'acknowledgement', ack['header']['messageId']]);
    const update = statusUpdate('france-travail-paris', orientation, 'PREMIER_ENTRETIEN_REALISE');
    await sendWithGpg('france-travail-paris', update);
    disclosed.push(['ofii-paris', 'status-update', update['header']['messageId']]);
    const handOver = referral('france-travail-paris', 'cap-emploi-75', ref);
    await sendWithGpg('france-travail-paris', handOver);
    disclosed.push(['cap-emploi-75', 'referral', handOver['header']['messageId']]);

    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    const delivered = await drainQueue(queueName(gw.settings.amqpPrefix, 'cap-emploi-75'));
    const dossierDelivery = delivered.find((m) => m.properties['type'] === 'dossier')!;
    expect(dossierDelivery, 'Cap emploi received a dossier').to.not.equal(undefined);
    const opened = await homes.get('cap-emploi-75')!.run(['--decrypt'], { stdin: dossierDelivery.body });
    const dossier = JSON.parse(opened.stdout.toString('utf8')) as Json;
    expect(dossier['header']['beneficiaryRef']).to.equal(ref);
    for (const document of dossier['body']['documents'] as Json[]) disclosed.push(['cap-emploi-75', 'dossier', document['messageId'] as string]);
    expect(disclosed.filter(([, type]) => type === 'dossier')).to.have.length(3);
    // Mission Locale, which the person went to on their own, finds them: a lookup that found the person,
    // and the gateway's request to OFII to share the dossier (a disclosure to OFII: an agency found them).
    const lookup = await postJson(gw.baseUrl, 'mission-locale-paris', '/v1/beneficiary-lookups', { by: 'reference', beneficiaryRef: ref, personAgreement: { recordedOn: '2026-12-01', channel: 'ENTRETIEN_SPE' } });
    expect(lookup.status, JSON.stringify(lookup.body)).to.equal(200);
    expect(lookup.body).to.include({ known: true });
    lookupId = (lookup.body as { lookupId: string }).lookupId;
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    const requests = (await drainQueue(queueName(gw.settings.amqpPrefix, 'ofii-paris'))).filter((m) => m.properties['type'] === 'dossier-request');
    expect(requests).to.have.length(1);
    disclosed.push(['ofii-paris', 'dossier-request', String(requests[0]!.properties['messageId'])]);
    for (const id of ['france-travail-paris', 'mission-locale-paris']) await drainQueue(queueName(gw.settings.amqpPrefix, id));
  });

  it('passerelle access-report writes the three files, mode 0600, and prints counts without the person', async () => {
    out = path.join(work, 'report');
    const made = await runCli(['access-report', '--ref', ref, '--out', out], env);
    expect(made.code, made.stderr).to.equal(0);
    expect(made.stdout).to.include('8 disclosure lines').and.include('mode 0600').and.include('access-report verify');
    expect(made.stdout + made.stderr).to.not.include(ref);
    for (const file of FILES) expect(fs.statSync(path.join(out, file)).mode & 0o777, file).to.equal(0o600);
    report = JSON.parse(fs.readFileSync(path.join(out, 'rapport-acces.json'), 'utf8')) as AccessReport;
    expect(report).to.include({ held: true, beneficiaryRef: ref });
    // Who is responsible: the agencies of the registry, its operator and its data protection officer.
    expect(report.controller).to.deep.include({ operator: 'Exploitant de la passerelle', dataProtectionOfficer: 'Auditeur (délégué à la protection des données)' });
    expect(report.controller.organisations).to.include('OFII, direction territoriale de Paris').and.include('Cap emploi 75').and.not.include('Préfecture de Paris, comité de pilotage');
  });

  it('lists exactly the disclosures the test made, and nothing about the second person', async () => {
    const disclosures = report.lines.filter((line) => line.section === 'disclosure');
    const listed = disclosures.map((line) => {
      const entry = JSON.parse(line.proof.entry) as { type: string; messageId: string };
      return [line.organisation.id, entry.type, line.document?.messageId ?? entry.messageId];
    });
    // Who looked the person up: Mission Locale's lookup, and nothing else.
    const lookups = report.lines.filter((line) => line.section === 'lookup');
    expect(lookups.map((line) => [line.organisation.id, (JSON.parse(line.proof.entry) as { messageId: string }).messageId])).to.deep.equal([['mission-locale-paris', lookupId]]);
    expect(report.lines).to.have.length(disclosures.length + lookups.length);
    expect(listed).to.have.deep.members(disclosed);
    expect(listed).to.have.length(disclosed.length);
    const names = Object.fromEntries(report.lines.map((l) => [l.organisation.id, l.organisation.name]));
    expect(names).to.deep.equal({ 'france-travail-paris': 'France Travail, direction territoriale de Paris', 'ofii-paris': 'OFII, direction territoriale de Paris', 'cap-emploi-75': 'Cap emploi 75', 'mission-locale-paris': 'Mission Locale de Paris' });
    const other = (await gw.store.readAuditEntries(0, Number.MAX_SAFE_INTEGER, 10_000)).map((e) => JSON.parse(e.entry) as { recipient?: string; beneficiary?: string }).find((e) => e.recipient === 'mission-locale-paris')!;
    for (const file of FILES) {
      const bytes = fs.readFileSync(path.join(out, file));
      expect(bytes.includes(otherRef), file).to.equal(false);
      expect(bytes.includes(other.beneficiary!), file).to.equal(false);
    }
  });

  it('passerelle access-report verify checks every line; each proof verifies independently against GET /v1/audit/checkpoint', async () => {
    const verified = await runCli(['access-report', 'verify', path.join(out, 'rapport-acces.json')], env);
    expect(verified.code, verified.stderr).to.equal(0);
    expect(verified.stdout).to.include(`all ${report.lines.length} lines verified`);

    const keys = await readPublicKeys({ armored: readCert('gateway', 'openpgp.asc'), source: 'gateway key' });
    const published = await get(gw.baseUrl, 'auditor', '/v1/audit/checkpoint');
    expect(published.status).to.equal(200);
    const checkpoint = await verifyCheckpoint(published.body, keys);
    expect({ treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, signature: checkpoint.signature }).to.deep.equal({
      treeSize: report.checkpoint!.treeSize, rootHash: report.checkpoint!.rootHash, signature: report.checkpoint!.signature,
    });
    for (const line of report.lines) {
      const entry = JSON.parse(line.proof.entry) as AuditEntry;
      expect(leafHash(entryBytes(entry)), `line ${line.number}`).to.equal(line.proof.leafHash);
      verifyEntryInclusion({ entry, proof: { index: line.index, treeSize: checkpoint.treeSize, leafHash: line.proof.leafHash, auditPath: line.proof.auditPath }, checkpoint });
      const fromGateway = await get(gw.baseUrl, 'auditor', `/v1/audit/proofs/inclusion?index=${line.index}&treeSize=${checkpoint.treeSize}`);
      expect(fromGateway.body, `line ${line.number}`).to.deep.equal({ index: line.index, treeSize: checkpoint.treeSize, leafHash: line.proof.leafHash, auditPath: line.proof.auditPath });
    }
  });

  it("the auditor checks completeness against an audit export: a report that leaves out a disclosure fails, naming the entry", async () => {
    const exportFile = path.join(work, 'audit.json');
    const exported = await runCli(['audit', 'export', '--out', exportFile], env);
    expect(exported.code, exported.stderr).to.equal(0);
    const complete = await runCli(['access-report', 'verify', path.join(out, 'rapport-acces.json'), '--export', exportFile], env);
    expect(complete.code, complete.stderr).to.equal(0);
    expect(complete.stdout).to.include('complete: the export');

    const shortened = JSON.parse(fs.readFileSync(path.join(out, 'rapport-acces.json'), 'utf8')) as AccessReport;
    const [hidden] = shortened.lines.splice(0, 1);
    shortened.lines.forEach((line, i) => (line.number = i + 1));
    const file = path.join(work, 'shortened.json');
    fs.writeFileSync(file, JSON.stringify(shortened));
    // Each remaining line is genuine: the annex alone cannot tell.
    expect((await runCli(['access-report', 'verify', file], env)).code).to.equal(0);
    const incomplete = await runCli(['access-report', 'verify', file, '--export', exportFile], env);
    expect(incomplete.code).to.equal(1);
    expect(incomplete.stderr).to.include(`The report is incomplete: log entries ${hidden!.index} of the export`);
  });

  it('a byte changed in one entry of the annex fails verify, naming the line', async () => {
    const tampered = path.join(work, 'tampered.json');
    const text = fs.readFileSync(path.join(out, 'rapport-acces.json'), 'utf8');
    const altered = JSON.parse(text) as AccessReport;
    const target = altered.lines[2]!;
    target.proof.entry = target.proof.entry.replace('"sender":"france-travail-paris"', '"sender":"france-travail-parix"');
    expect(target.proof.entry).to.include('parix');
    fs.writeFileSync(tampered, JSON.stringify(altered, null, 2));
    const verified = await runCli(['access-report', 'verify', tampered], env);
    expect(verified.code).to.equal(1);
    expect(verified.stderr).to.include(`line 3 (log entry ${target.index})`).and.include('does not hash to its leaf hash');
    expect(verified.stdout).to.include('line 1 (log entry').and.include('holds');
  });

  it('the PDF, read back with pdftotext, holds the French headings and every line\'s log index', async () => {
    const { stdout } = await run('pdftotext', ['-enc', 'UTF-8', path.join(out, 'rapport-acces.pdf'), '-']);
    const text = stdout.replace(/\s+/g, ' ');
    for (const heading of ["Rapport d'accès à vos données", 'Qui est responsable de vos données', 'Les documents transmis à votre sujet', 'Comment vérifier ce rapport']) expect(text).to.include(heading);
    for (const line of report.lines) expect(text).to.include(`N° ${line.number} - ${line.organisation.name}`).and.include(`Entrée du journal : ${line.index}`);
    expect(text).to.include('Dossier transmis avec ses documents : Orientation');
    const html = fs.readFileSync(path.join(out, 'rapport-acces.html'), 'utf8');
    expect(html).to.match(/<html lang="fr">/);
    expect(html).to.include('<caption>');
  });

  it("an erased person's report says that the exchange holds nothing, and verify has nothing to prove", async () => {
    const erased = await runCli(['erase', '--beneficiary-ref', otherRef, '--reason', 'art17-request'], env);
    expect(erased.code, erased.stderr).to.equal(0);
    const dir = path.join(work, 'erased');
    const made = await runCli(['access-report', '--ref', otherRef, '--out', dir, '--json'], env);
    expect(made.code, made.stderr).to.equal(0);
    expect(JSON.parse(made.stdout)).to.include({ held: false, disclosures: 0, lookups: 0 });
    const erasedReport = JSON.parse(fs.readFileSync(path.join(dir, 'rapport-acces.json'), 'utf8')) as AccessReport;
    expect(erasedReport).to.include({ held: false });
    expect(erasedReport.lines).to.deep.equal([]);
    const { stdout } = await run('pdftotext', ['-enc', 'UTF-8', path.join(dir, 'rapport-acces.pdf'), '-']);
    expect(stdout.replace(/\s+/g, ' ')).to.include('La passerelle ne détient aucune information liée à cette référence');
    expect(fs.readFileSync(path.join(dir, 'rapport-acces.html'), 'utf8')).to.include('ne peuvent plus être reliées à vous');
    expect(fs.readFileSync(path.join(dir, 'rapport-acces.html'), 'utf8')).to.not.include(ref);
    const verified = await runCli(['access-report', 'verify', path.join(dir, 'rapport-acces.json')], env);
    expect(verified.code, verified.stderr).to.equal(0);
    expect(verified.stdout).to.include('nothing to prove');
  });

  it('refuses a reference that is not 10 digits, as a usage error', async () => {
    const bad = await runCli(['access-report', '--ref', 'Karimi', '--out', path.join(work, 'bad')], env);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('10-digit reference');
  });
});
