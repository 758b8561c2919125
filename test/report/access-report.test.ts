/**
 * The access report's model, pages and verification, on hand-built audit entries: which entries become
 * lines (and which do not), one line per document a dossier carried, the names and rules, the proofs
 * against a checkpoint signed with the example gateway key, what the verification names when a line
 * was altered, and the HTML's structure (lang, headings in order, caption, th scope, nothing external).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { PrivateKey, PublicKey } from 'openpgp';
import { signCheckpoint, type PublishedCheckpoint } from '../../src/audit/checkpoint.js';
import { entryBytes, leafHash, toEntry, type AuditEvent, type AuditEventName } from '../../src/audit/entry.js';
import { inclusionPath, nodeSourceOf, rootOf } from '../../src/audit/merkle.js';
import { readPrivateKey, readPublicKeys } from '../../src/crypto/keys.js';
import { ACCESS_REPORT_FORMAT, buildAccessReport, reportedIndexes, type AccessReport, type StoredEntry } from '../../src/report/access-report.js';
import { accessReportHtml } from '../../src/report/access-report-html.js';
import { HEADINGS } from '../../src/report/access-report-text.js';
import { checkAccessReport, missingLines } from '../../src/report/access-report-verify.js';
import { EXAMPLE_CERTS } from '../fixtures/gateway.js';

const PERSON = 'ab'.repeat(32);
const OTHER = 'cd'.repeat(32);
const REF = '1234567890';
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const at = (n: number) => new Date(Date.UTC(2026, 10, 27, 9, 30, n)).toISOString();
const NAMES: Record<string, string> = {
  'ofii-paris': 'OFII, direction territoriale de Paris',
  'france-travail-paris': 'France Travail, direction territoriale de Paris',
  'cap-emploi-75': 'Cap emploi 75',
  'mission-locale-paris': 'Mission Locale de Paris',
};

// 'looked-up' comes with the agencies' lookups (issue 14, item 2); the report knows it already.
/** The whole log: the person's story, interleaved with someone else's and with events that are not disclosures. */
const LOG: AuditEvent[] = [
  { event: 'accepted', timestamp: at(0), messageId: id(1), type: 'orientation', sender: 'ofii-paris', recipient: 'france-travail-paris', beneficiary: PERSON },
  { event: 'accepted', timestamp: at(1), messageId: id(90), type: 'orientation', sender: 'ofii-paris', recipient: 'mission-locale-paris', beneficiary: OTHER },
  { event: 'queued', timestamp: at(2), messageId: id(1), type: 'orientation', sender: 'ofii-paris', recipient: 'france-travail-paris', beneficiary: PERSON },
  { event: 'accepted', timestamp: at(3), messageId: id(2), type: 'acknowledgement', sender: 'france-travail-paris', recipient: 'ofii-paris', beneficiary: PERSON },
  { event: 'acknowledged', timestamp: at(3), messageId: id(1), type: 'orientation', sender: 'ofii-paris', recipient: 'france-travail-paris', beneficiary: PERSON },
  { event: 'rejected', timestamp: at(4), sender: 'france-travail-paris', code: 'schema_invalid' },
  { event: 'accepted', timestamp: at(5), messageId: id(3), type: 'referral', sender: 'france-travail-paris', recipient: 'cap-emploi-75', beneficiary: PERSON },
  { event: 'referred', timestamp: at(5), messageId: id(3), type: 'referral', sender: 'france-travail-paris', recipient: 'cap-emploi-75', beneficiary: PERSON },
  { event: 'dossier-disclosed', timestamp: at(5), messageId: id(4), type: 'dossier', sender: 'passerelle', recipient: 'cap-emploi-75', beneficiary: PERSON, count: 2 },
  { event: 'looked-up' as AuditEventName, timestamp: at(6), messageId: id(5), sender: 'mission-locale-paris', code: 'known', beneficiary: PERSON },
  { event: 'looked-up' as AuditEventName, timestamp: at(7), messageId: id(6), sender: 'mission-locale-paris', code: 'unknown' },
  { event: 'accepted', timestamp: at(8), messageId: id(7), type: 'opt-out', sender: 'ofii-paris', recipient: 'passerelle', beneficiary: PERSON },
  { event: 'withdrawal-notified', timestamp: at(8), messageId: id(8), type: 'withdrawal', sender: 'passerelle', recipient: 'cap-emploi-75', beneficiary: PERSON },
];

const STORED: StoredEntry[] = LOG.map((event, index) => {
  const bytes = entryBytes(toEntry(index, event));
  return { index, entry: bytes.toString('utf8'), leafHash: leafHash(bytes) };
});
const OF_PERSON = STORED.filter((s) => (JSON.parse(s.entry) as { beneficiary?: string }).beneficiary === PERSON);

describe('access report: the model, its page and its verification', () => {
  let gatewayKey: PrivateKey;
  let gatewayKeys: PublicKey[];
  let otherKeys: PublicKey[];
  let checkpoint: PublishedCheckpoint;

  const build = async (overrides: { checkpoint?: PublishedCheckpoint | null; entries?: StoredEntry[]; treeSize?: number } = {}): Promise<AccessReport> => {
    const cp = overrides.checkpoint === undefined ? checkpoint : overrides.checkpoint;
    const entries = overrides.entries ?? OF_PERSON;
    const auditPaths = new Map<number, string[]>();
    const nodes = nodeSourceOf(STORED.map((s) => s.leafHash));
    if (cp) for (const index of reportedIndexes(entries)) if (index < cp.treeSize) auditPaths.set(index, await inclusionPath(nodes, index, cp.treeSize));
    return buildAccessReport({
      beneficiaryRef: REF,
      generatedAt: new Date(at(30)),
      partnerName: (partner) => NAMES[partner],
      controller: { operator: 'Exploitant de la passerelle', dataProtectionOfficer: 'Auditeur (délégué à la protection des données)', organisations: Object.values(NAMES) },
      person: {
        entries,
        disclosures: [
          { noticeId: id(4), documentId: id(1) },
          { noticeId: id(4), documentId: id(2) },
        ],
        documents: new Map([
          [id(1), { type: 'orientation', sender: 'ofii-paris' }],
          [id(2), { type: 'acknowledgement', sender: 'france-travail-paris' }],
        ]),
      },
      checkpoint: cp,
      auditPaths,
    });
  };

  before(async () => {
    const read = (file: string) => fs.readFileSync(path.join(EXAMPLE_CERTS, file), 'utf8');
    gatewayKey = await readPrivateKey({ armored: read('gateway/openpgp.key.asc'), source: 'gateway key' });
    gatewayKeys = await readPublicKeys({ armored: read('gateway/openpgp.asc'), source: 'gateway public key' });
    otherKeys = await readPublicKeys({ armored: read('partners/ofii-paris/openpgp.asc'), source: 'ofii key' });
    const signed = await signCheckpoint({ treeSize: STORED.length, rootHash: rootOf(STORED.map((s) => s.leafHash)), timestamp: at(20) }, gatewayKey);
    checkpoint = { ...signed, cosignatures: [] };
  });

  it('lists exactly the disclosures to organisations, one line per document a dossier carried, and the lookups that found the person', async () => {
    const report = await build();
    expect(report.format).to.equal(ACCESS_REPORT_FORMAT);
    expect(report.held).to.equal(true);
    expect(report.lines.map((l) => [l.number, l.section, l.organisation.id, l.index, l.document?.type])).to.deep.equal([
      [1, 'disclosure', 'france-travail-paris', 0, undefined],
      [2, 'disclosure', 'ofii-paris', 3, undefined],
      [3, 'disclosure', 'cap-emploi-75', 6, undefined],
      [4, 'disclosure', 'cap-emploi-75', 8, 'orientation'],
      [5, 'disclosure', 'cap-emploi-75', 8, 'acknowledgement'],
      [6, 'lookup', 'mission-locale-paris', 9, undefined],
      [7, 'disclosure', 'cap-emploi-75', 12, undefined],
    ]);
    const [orientation, , referral, carried] = report.lines;
    expect(orientation!.organisation.name).to.equal('France Travail, direction territoriale de Paris');
    expect(orientation!.label).to.match(/^Orientation/);
    expect(orientation!.basis).to.include('article 4').and.include('R.413-14');
    expect(referral!.label).to.equal('Transfert vers un autre organisme');
    expect(carried!.label).to.equal('Dossier transmis avec ses documents');
    expect(carried!.basis).to.include('personAgreed');
    expect(carried!.document!.author.name).to.equal('OFII, direction territoriale de Paris');
    expect(report.lines[6]!.basis).to.equal('RGPD art. 17 / art. 21');
    expect(report.uncovered).to.deep.equal([]);
    // Nothing of the other person, the refusal, the unanswered lookup or the opt-out sent to the gateway itself.
    expect(JSON.stringify(report)).to.not.include(OTHER);
    expect(report.lines.map((l) => l.index)).to.not.include.members([1, 5, 10, 11]);
  });

  it('an unknown or erased reference gives a report that holds nothing, and says why in plain French', async () => {
    const report = buildAccessReport({ beneficiaryRef: REF, generatedAt: new Date(at(30)), partnerName: () => undefined, controller: { operator: 'x', dataProtectionOfficer: 'y', organisations: ['z'] }, checkpoint: null, auditPaths: new Map() });
    expect(report).to.include({ held: false, checkpoint: null });
    expect(report.lines).to.deep.equal([]);
    const html = accessReportHtml(report);
    expect(html).to.include('ne détient aucune information').and.include('ne peuvent plus être reliées à vous');
    expect(await checkAccessReport(JSON.parse(JSON.stringify(report)), gatewayKeys)).to.deep.equal({ checkpoint: null, lines: [], uncovered: [] });
  });

  it('every line of the JSON annex verifies against the signed checkpoint', async () => {
    const annex = JSON.parse(JSON.stringify(await build())) as unknown;
    const check = await checkAccessReport(annex, gatewayKeys);
    expect(check.checkpoint!.treeSize).to.equal(STORED.length);
    expect(check.lines.filter((l) => l.failure !== undefined)).to.deep.equal([]);
    expect(check.lines).to.have.length(7);
  });

  it('names the line whose entry, proof, time or organisation was altered, and refuses a checkpoint signed by another key', async () => {
    const report = await build();
    const altered = (edit: (r: AccessReport) => void) => {
      const copy = JSON.parse(JSON.stringify(report)) as AccessReport;
      edit(copy);
      return copy;
    };
    const failures = async (r: AccessReport) => (await checkAccessReport(r, gatewayKeys)).lines.filter((l) => l.failure !== undefined).map((l) => [l.number, l.failure!]);

    // One byte of one entry.
    const byte = await failures(altered((r) => (r.lines[1]!.proof.entry = r.lines[1]!.proof.entry.replace('ofii-paris', 'ofii-pariz'))));
    expect(byte.map(([n]) => n)).to.deep.equal([2]);
    // The entry and its leaf hash changed together: the audit path no longer leads to the root.
    const both = await failures(
      altered((r) => {
        const line = r.lines[0]!;
        line.proof.entry = line.proof.entry.replace('france-travail-paris', 'mission-locale-paris');
        line.proof.leafHash = leafHash(Buffer.from(line.proof.entry));
        line.organisation.id = 'mission-locale-paris';
      }),
    );
    expect(both).to.have.length(1);
    expect(both[0]![0]).to.equal(1);
    expect(both[0]![1]).to.match(/inclusion proof/);
    // What the line says must be what its entry says.
    const time = await failures(altered((r) => (r.lines[2]!.at = at(59))));
    expect(time).to.deep.equal([[3, `the line says ${at(59)} but the log entry says ${at(5)}`]]);
    const who = await failures(altered((r) => (r.lines[0]!.organisation.id = 'epec-paris')));
    expect(who.map(([n]) => n)).to.deep.equal([1]);
    // A document line removed from a dossier of two.
    const dropped = await failures(
      altered((r) => {
        r.lines.splice(4, 1);
        r.lines.forEach((l, i) => (l.number = i + 1));
      }),
    );
    expect(dropped.map(([n]) => n)).to.deep.equal([4]);
    expect(dropped[0]![1]).to.include('dossier of 2 documents');

    try {
      await checkAccessReport(JSON.parse(JSON.stringify(report)), otherKeys);
      expect.fail('a checkpoint checked against another key must not verify');
    } catch (err) {
      expect((err as { code?: string }).code).to.equal('audit_invalid');
    }
  });

  it('completeness against an audit export: a disclosure left out of the report is named; nothing is for a complete report', async () => {
    const exported = STORED.map((s) => ({ ...(JSON.parse(s.entry) as Record<string, unknown>), leafHash: s.leafHash }));
    const report = await build();
    expect(missingLines(report, exported)).to.deep.equal([]);
    const shortened = JSON.parse(JSON.stringify(report)) as AccessReport;
    shortened.lines.splice(1, 1);
    shortened.lines.forEach((l, i) => (l.number = i + 1));
    // The annex alone still verifies: each remaining line is genuine.
    expect((await checkAccessReport(shortened, gatewayKeys)).lines.filter((l) => l.failure !== undefined)).to.deep.equal([]);
    expect(missingLines(shortened, exported)).to.deep.equal([3]);
  });

  it('marks the lines a checkpoint does not cover yet, and the verification does not count them as proven', async () => {
    const older = { ...(await signCheckpoint({ treeSize: 10, rootHash: rootOf(STORED.slice(0, 10).map((s) => s.leafHash)), timestamp: at(15) }, gatewayKey)), cosignatures: [] };
    const report = await build({ checkpoint: older });
    expect(report.uncovered).to.deep.equal([12]);
    expect(report.lines.find((l) => l.index === 12)!.proof.auditPath).to.equal(null);
    const check = await checkAccessReport(JSON.parse(JSON.stringify(report)), gatewayKeys);
    expect(check.uncovered).to.deep.equal([7]);
    expect(check.lines.filter((l) => l.failure !== undefined)).to.deep.equal([]);
    expect(accessReportHtml(report)).to.include('L&#39;entrée 12 est trop récente');
  });

  it('the HTML page: lang fr, one h1 then h2s in order, a captioned table with th scope, no external resource, the index and proof digest of each line', async () => {
    const report = await build();
    const html = accessReportHtml(report);
    expect(html).to.match(/^<!DOCTYPE html>\n<html lang="fr">/);
    const headings = [...html.matchAll(/<h([1-6])>([^<]*)<\/h\1>/g)].map(([, level, text]) => [Number(level), text]);
    expect(headings[0]).to.deep.equal([1, HEADINGS.title.replace("'", '&#39;')]);
    expect(headings.slice(1).every(([level]) => level === 2)).to.equal(true);
    expect(headings.map(([, text]) => text)).to.include.members(['Les documents transmis à votre sujet', 'Les organismes qui vous ont recherché', 'Comment vérifier ce rapport']);
    const tables = [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((m) => m[1]!);
    expect(tables).to.have.length(2);
    for (const table of tables) {
      expect(table).to.match(/^\n<caption>[^<]+<\/caption>/);
      const headers = [...table.matchAll(/<th( scope="(col|row)")?>/g)];
      expect(headers.length).to.be.greaterThan(0);
      expect(headers.every((m) => m[2] !== undefined)).to.equal(true);
    }
    expect(html).to.include('@media print');
    expect(html).to.not.match(/<(script|link|img|iframe)\b|url\(|src=|href=/i);
    for (const line of report.lines) expect(html).to.include(`<td>${line.index}</td><td>${line.proof.leafHash.slice(0, 16)}</td>`);
    expect(html).to.include('passerelle access-report verify rapport-acces.json').and.include(`GET /v1/audit/proofs/inclusion?index=N&amp;treeSize=${STORED.length}`);
  });
});
