/**
 * Erasure (issue 3): `passerelle erase` on the gateway host crypto-shreds one person. Afterwards their
 * dossier cannot be decrypted (not even from a copy of its rows taken before), every agency that had
 * data about them gets a withdrawal notice, the audit log is byte for byte what it was plus appended
 * entries, and an earlier checkpoint, its consistency with the new one and an inclusion proof of an
 * entry about the person still verify.
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import path from 'node:path';
import { verifyCheckpoint, type SignedCheckpoint } from '../../src/audit/checkpoint.js';
import { verifyConsistency, verifyInclusion } from '../../src/audit/merkle.js';
import { queueName } from '../../src/broker/topology.js';
import { requestGateway } from '../../src/client/gateway-client.js';
import { receiveDelivery } from '../../src/client/receive.js';
import { GatewayError } from '../../src/domain/errors.js';
import { loadKeyEncryptionKey, openWithDataKey, unwrapDataKey } from '../../src/privacy/envelope.js';
import { runCli } from '../fixtures/cli.js';
import { acknowledgement, auditLog, dossiersOf, orientationTo, randomRef, referral } from '../fixtures/dossier.js';
import { drainQueue, EXAMPLE_CERTS, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { get, partner, send, type Json } from '../fixtures/partner.js';

interface SealedRow {
  message_id: string;
  beneficiary: string;
  sealed: Buffer;
}

async function checkpointNow(gw: TestGateway): Promise<SignedCheckpoint> {
  const view = await partner('auditor');
  const answer = await requestGateway({ baseUrl: gw.baseUrl, tls: view.tls, method: 'POST', path: '/v1/audit/checkpoint' });
  expect(answer.status, JSON.stringify(answer.body)).to.be.oneOf([200, 201]);
  return answer.body as unknown as SignedCheckpoint;
}

describe('@integration erasure: crypto-shredding one person, the log still verifies', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  let env: Record<string, string>;
  let db: Database.Database;

  before(async () => {
    gw = await startTestGateway();
    env = { PASSERELLE_CERTS_DIR: EXAMPLE_CERTS, PASSERELLE_DATA_DIR: gw.settings.dataDir, PASSERELLE_AMQP_PREFIX: gw.settings.amqpPrefix };
    // The test's own read-only view of the store file, as a backup or an auditor of the host would have.
    db = new Database(path.join(gw.settings.dataDir, 'passerelle.sqlite'), { readonly: true });
  });
  after(async () => {
    db?.close();
    await gw?.dispose();
  });

  const ref = randomRef();
  let orientation: Json;
  let beneficiary: string;
  let rowsBefore: Array<{ idx: number; entry: string; leaf_hash: string }>;
  let backup: SealedRow[];
  let checkpoint: SignedCheckpoint;

  it('before: the person is oriented, accepted and referred; a checkpoint is signed; the dossier rows are copied', async () => {
    orientation = orientationTo('france-travail-paris', ref);
    expect((await send(gw.baseUrl, 'ofii-paris', orientation)).status).to.equal(202);
    expect((await send(gw.baseUrl, 'france-travail-paris', acknowledgement('france-travail-paris', orientation, 'ACCEPTEE'))).status).to.equal(202);
    expect((await send(gw.baseUrl, 'france-travail-paris', referral('france-travail-paris', 'mission-locale-paris', ref))).status).to.equal(202);
    // Someone else, who must not be touched.
    expect((await send(gw.baseUrl, 'ofii-paris', orientationTo('epec-paris', randomRef()))).status).to.equal(202);
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    for (const id of ['france-travail-paris', 'mission-locale-paris', 'epec-paris', 'ofii-paris']) await drainQueue(queueName(gw.settings.amqpPrefix, id));

    beneficiary = (await gw.store.findMessage(orientation['header']['messageId']))!.beneficiary;
    expect(await dossiersOf(gw).readDossier(beneficiary)).to.have.length(3);
    checkpoint = await checkpointNow(gw);
    rowsBefore = db.prepare('SELECT idx, entry, leaf_hash FROM audit_log ORDER BY idx').all() as typeof rowsBefore;
    expect(checkpoint.treeSize).to.equal(rowsBefore.length);
    backup = db.prepare('SELECT message_id, beneficiary, sealed FROM dossier_documents').all() as SealedRow[];
    expect(backup.filter((r) => r.beneficiary === beneficiary)).to.have.length(3);
  });

  it('passerelle erase prints what it did in counts, never the person', async () => {
    const erased = await runCli(['erase', '--beneficiary-ref', ref, '--reason', 'art17-request'], env);
    expect(erased.code, erased.stderr).to.equal(0);
    expect(erased.stdout).to.include('erased one person: 3 dossier documents destroyed').and.include('2 withdrawal notices queued (france-travail-paris, mission-locale-paris)');
    expect(erased.stdout + erased.stderr).to.not.include(ref).and.not.include(beneficiary);

    const again = await runCli(['erase', '--beneficiary-ref', ref, '--reason', 'art17-request'], env);
    expect(again.code).to.equal(0);
    expect(again.stdout).to.include('holds nothing about this reference');
    const bad = await runCli(['erase', '--beneficiary-ref', ref, '--reason', 'Asked by Mrs Karimi'], env);
    expect(bad.code, 'a usage error').to.equal(2);
    expect(bad.stderr).to.include('--reason must be a code').and.not.include('Karimi');
  });

  it('afterwards the dossier cannot be decrypted, not even from the rows copied before', async () => {
    expect(await dossiersOf(gw).readDossier(beneficiary)).to.equal(undefined);
    expect(db.prepare('SELECT COUNT(*) AS n FROM subjects WHERE pseudonym = ?').get(beneficiary)).to.deep.equal({ n: 0 });
    const kek = loadKeyEncryptionKey(gw.settings.dataDir);
    const keysLeft = (db.prepare('SELECT wrapped_data_key FROM subjects WHERE wrapped_data_key IS NOT NULL').all() as Array<{ wrapped_data_key: Buffer }>).map((r) => unwrapDataKey(kek, r.wrapped_data_key));
    expect(keysLeft, 'the other person keeps their key').to.have.length(1);
    for (const row of backup.filter((r) => r.beneficiary === beneficiary)) {
      for (const key of keysLeft) {
        expect(() => openWithDataKey(key, row.sealed, `passerelle dossier document\n${beneficiary}\n${row.message_id}`)).to.throw(GatewayError);
      }
    }
    // The other person's document still opens with its key: the test can tell a readable row from a shredded one.
    const other = backup.find((r) => r.beneficiary !== beneficiary)!;
    expect(() => openWithDataKey(keysLeft[0]!, other.sealed, `passerelle dossier document\n${other.beneficiary}\n${other.message_id}`)).to.not.throw();
  });

  it('leaves every audit row byte-identical and appends the withdrawals and the erasure', async () => {
    const rowsAfter = db.prepare('SELECT idx, entry, leaf_hash FROM audit_log ORDER BY idx').all() as typeof rowsBefore;
    expect(rowsAfter.slice(0, rowsBefore.length)).to.deep.equal(rowsBefore);
    const appended = rowsAfter.slice(rowsBefore.length).map((row) => JSON.parse(row.entry) as Json);
    expect(appended.map((e) => e['event'])).to.include.members(['withdrawal-notified', 'withdrawal-notified', 'erased']);
    expect(appended.find((e) => e['event'] === 'erased')).to.include({ beneficiary, code: 'operator-art17-request', count: 3 });
    for (const row of rowsAfter) expect(row.entry).to.not.include(ref);
  });

  it('an earlier checkpoint, its consistency with a new one, and the inclusion of an entry about the person still verify', async () => {
    const gatewayKeys = [gw.trust.gateway.publicKey];
    await verifyCheckpoint(checkpoint, gatewayKeys);
    const later = await checkpointNow(gw);
    await verifyCheckpoint(later, gatewayKeys);
    expect(later.treeSize).to.be.greaterThan(checkpoint.treeSize);

    const consistency = await get(gw.baseUrl, 'auditor', `/v1/audit/proofs/consistency?first=${checkpoint.treeSize}&second=${later.treeSize}`);
    verifyConsistency({ first: checkpoint.treeSize, second: later.treeSize, firstHash: checkpoint.rootHash, secondHash: later.rootHash, proof: (consistency.body as Json)['proof'] as string[] });

    const accepted = (await auditLog(gw)).find((e) => e.entry['event'] === 'accepted' && e.entry['messageId'] === orientation['header']['messageId'])!;
    expect(accepted.entry['beneficiary']).to.equal(beneficiary);
    const inclusion = await get(gw.baseUrl, 'auditor', `/v1/audit/proofs/inclusion?index=${accepted.index}&treeSize=${checkpoint.treeSize}`);
    verifyInclusion({ index: accepted.index, treeSize: checkpoint.treeSize, leafHash: accepted.leafHash, auditPath: (inclusion.body as Json)['auditPath'] as string[], rootHash: checkpoint.rootHash });
  });

  it('delivers the withdrawal notices (reason EFFACEMENT) through the running gateway, and none to OFII', async () => {
    for (const id of ['france-travail-paris', 'mission-locale-paris']) {
      const [notice] = await eventually(async () => {
        const messages = await drainQueue(queueName(gw.settings.amqpPrefix, id));
        return messages.length > 0 ? messages : undefined;
      });
      const received = await receiveDelivery({
        view: await partner(id),
        delivery: { messageId: notice!.properties['messageId'] as string, sender: 'passerelle', body: notice!.body },
        maxDocumentBytes: gw.settings.maxDocumentBytes,
      });
      const document = JSON.parse(new TextDecoder().decode(received.document)) as Json;
      expect(document['header']).to.include({ type: 'withdrawal', recipient: id, beneficiaryRef: ref });
      expect(document['body']['reason']).to.equal('EFFACEMENT');
    }
    expect(await drainQueue(queueName(gw.settings.amqpPrefix, 'ofii-paris'))).to.have.length(0);
  });

  it('a new orientation for the same reference is refused by the erasure tombstone, under a new pseudonym unlinkable to the erased one', async () => {
    const fresh = orientationTo('france-travail-paris', ref);
    const answer = await send(gw.baseUrl, 'ofii-paris', fresh);
    expect(answer.status).to.equal(422);
    expect(answer.body).to.include({ code: 'rule_violation', rule: 'beneficiary-opted-out' });
    const refused = (await auditLog(gw)).find((e) => e.entry['event'] === 'rejected' && e.entry['messageId'] === fresh['header']['messageId'])!;
    expect(refused.entry['beneficiary']).to.match(/^[0-9a-f]{64}$/).and.not.equal(beneficiary);
  });
});
