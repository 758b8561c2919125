/**
 * Forging a person's access report annex (rapport-acces.json) from genuine pieces: every part is a
 * real log entry with a real proof under a real signed checkpoint, yet the report must not verify.
 * - a line spliced in from another person's report (to make someone believe their data went somewhere);
 * - the checkpoint swapped for another genuine one (the proofs were made against the first).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { PublicKey } from 'openpgp';
import { signCheckpoint, type PublishedCheckpoint } from '../../src/audit/checkpoint.js';
import { entryBytes, leafHash, toEntry, type AuditEvent } from '../../src/audit/entry.js';
import { inclusionPath, nodeSourceOf, rootOf } from '../../src/audit/merkle.js';
import { readPrivateKey, readPublicKeys } from '../../src/crypto/keys.js';
import { buildAccessReport, reportedIndexes, type AccessReport, type StoredEntry } from '../../src/report/access-report.js';
import { checkAccessReport } from '../../src/report/access-report-verify.js';
import { EXAMPLE_CERTS } from '../fixtures/gateway.js';

const ALICE = 'a1'.repeat(32);
const BOB = 'b2'.repeat(32);
const at = (n: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, n)).toISOString();
const LOG: AuditEvent[] = [
  { event: 'accepted', timestamp: at(0), messageId: 'm-0', type: 'orientation', sender: 'ofii-paris', recipient: 'france-travail-paris', beneficiary: ALICE },
  { event: 'accepted', timestamp: at(1), messageId: 'm-1', type: 'orientation', sender: 'ofii-paris', recipient: 'ftda-paris', beneficiary: BOB },
  { event: 'accepted', timestamp: at(2), messageId: 'm-2', type: 'acknowledgement', sender: 'france-travail-paris', recipient: 'ofii-paris', beneficiary: ALICE },
  { event: 'accepted', timestamp: at(3), messageId: 'm-3', type: 'status-update', sender: 'ftda-paris', recipient: 'ofii-paris', beneficiary: BOB },
];
const STORED: StoredEntry[] = LOG.map((event, index) => {
  const bytes = entryBytes(toEntry(index, event));
  return { index, entry: bytes.toString('utf8'), leafHash: leafHash(bytes) };
});

async function reportOf(person: string, checkpoint: PublishedCheckpoint): Promise<AccessReport> {
  const entries = STORED.filter((s) => s.entry.includes(person));
  const nodes = nodeSourceOf(STORED.slice(0, checkpoint.treeSize).map((s) => s.leafHash));
  const auditPaths = new Map<number, string[]>();
  for (const index of reportedIndexes(entries)) auditPaths.set(index, await inclusionPath(nodes, index, checkpoint.treeSize));
  const report = buildAccessReport({
    beneficiaryRef: '1111111111', generatedAt: new Date(at(9)), partnerName: (id) => id, controller: { operator: 'o', dataProtectionOfficer: 'd', organisations: ['a'] },
    person: { entries, disclosures: [], documents: new Map() }, checkpoint, auditPaths,
  });
  return JSON.parse(JSON.stringify(report)) as AccessReport;
}

describe('security: a forged access report annex made of genuine pieces does not verify', () => {
  let keys: PublicKey[];
  let full: PublishedCheckpoint;
  let earlier: PublishedCheckpoint;

  before(async () => {
    const read = (file: string) => fs.readFileSync(path.join(EXAMPLE_CERTS, file), 'utf8');
    const key = await readPrivateKey({ armored: read('gateway/openpgp.key.asc'), source: 'gateway key' });
    keys = await readPublicKeys({ armored: read('gateway/openpgp.asc'), source: 'gateway public key' });
    const sign = async (size: number) => ({ ...(await signCheckpoint({ treeSize: size, rootHash: rootOf(STORED.slice(0, size).map((s) => s.leafHash)), timestamp: at(10 + size) }, key)), cosignatures: [] });
    full = await sign(4);
    earlier = await sign(3);
  });

  it("a line spliced in from another person's report, with its genuine entry and proof", async () => {
    const alice = await reportOf(ALICE, full);
    const bob = await reportOf(BOB, full);
    expect((await checkAccessReport(alice, keys)).lines.every((l) => l.failure === undefined)).to.equal(true);
    alice.lines.push({ ...bob.lines[0]!, number: alice.lines.length + 1 });
    const failed = (await checkAccessReport(alice, keys)).lines.filter((l) => l.failure !== undefined);
    expect(failed.map((l) => l.number)).to.deep.equal([1, 2, 3]);
    expect(failed[0]!.failure).to.include('not all about the same person');
  });

  it('the checkpoint swapped for another genuine, signed one', async () => {
    const alice = await reportOf(ALICE, earlier);
    alice.checkpoint = full;
    const failed = (await checkAccessReport(alice, keys)).lines.filter((l) => l.failure !== undefined);
    expect(failed.map((l) => l.number)).to.deep.equal([1, 2]);
    expect(failed[0]!.failure).to.include('inclusion proof');
  });
});
