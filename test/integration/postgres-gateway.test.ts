/**
 * The gateway on PostgreSQL (PASSERELLE_DATABASE_URL), end to end: an orientation, its
 * acknowledgement and a referral with the dossier go through one transaction each into the database
 * and out to the queues, `passerelle erase` works on the same database, and the audit log read back
 * through the gateway's audit endpoints verifies against a signed checkpoint. The schema is chosen
 * in the URL (`?options=-c search_path=...`), as an operator may do.
 */
import { expect } from 'chai';
import { verifyCheckpoint, type SignedCheckpoint } from '../../src/audit/checkpoint.js';
import { rootOf } from '../../src/audit/merkle.js';
import { queueName } from '../../src/broker/topology.js';
import { requestGateway } from '../../src/client/gateway-client.js';
import type { GatewayStore } from '../../src/store/gateway-store.js';
import { PgEngine } from '../../src/store/postgres/engine.js';
import { runCli } from '../fixtures/cli.js';
import { acknowledgement, orientationTo, randomRef, referral } from '../fixtures/dossier.js';
import { drainQueue, EXAMPLE_CERTS, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { partner, send, type Json } from '../fixtures/partner.js';
import { createSchema, dropSchema, PG_TEST_URL, pgQuery } from '../fixtures/store.js';

describe('@integration the gateway on PostgreSQL', function () {
  this.timeout(120_000);
  let schema: string;
  let databaseUrl: string;
  let gw: TestGateway;
  let store: GatewayStore;

  before(async () => {
    schema = await createSchema();
    const url = new URL(PG_TEST_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    databaseUrl = url.toString();
    gw = await startTestGateway({ PASSERELLE_DATABASE_URL: databaseUrl });
    store = gw.store as GatewayStore;
    expect(store.engine).to.be.instanceOf(PgEngine);
  });
  after(async () => {
    await gw?.dispose();
    if (schema) await dropSchema(schema);
  });

  const ref = randomRef();
  let orientation: Json;
  let beneficiary: string;

  it('accepts, relays and keeps the dossier in the schema named by the URL', async () => {
    orientation = orientationTo('france-travail-paris', ref);
    expect((await send(gw.baseUrl, 'ofii-paris', orientation)).status).to.equal(202);
    expect((await send(gw.baseUrl, 'france-travail-paris', acknowledgement('france-travail-paris', orientation, 'ACCEPTEE'))).status).to.equal(202);
    const handOver = referral('france-travail-paris', 'mission-locale-paris', ref);
    const answer = await send(gw.baseUrl, 'france-travail-paris', handOver);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    await eventually(async () => ((await store.outboxDepth()) === 0 ? true : undefined));

    const delivered = await drainQueue(queueName(gw.settings.amqpPrefix, 'mission-locale-paris'));
    expect(delivered.map((m) => m.properties['type']).sort()).to.deep.equal(['dossier', 'referral']);
    await drainQueue(queueName(gw.settings.amqpPrefix, 'france-travail-paris'));
    await drainQueue(queueName(gw.settings.amqpPrefix, 'ofii-paris'));

    beneficiary = (await store.findMessage(orientation['header']['messageId']))!.beneficiary;
    expect((await store.readDossier(beneficiary))!.map((d) => d.type)).to.deep.equal(['orientation', 'acknowledgement', 'referral']);
    expect(await store.followers(beneficiary)).to.deep.equal(['mission-locale-paris']);
    // In the test's schema, not in public.
    const [{ n }] = (await pgQuery<{ n: number }>('SELECT COUNT(*)::int AS n FROM messages', [], schema)) as [{ n: number }];
    expect(n).to.equal(4);
    expect((await store.statisticsFacts()).map((f) => f.type)).to.deep.equal(['orientation', 'acknowledgement', 'referral']);
  });

  it('erases the person with `passerelle erase` on the same database', async () => {
    const env = { PASSERELLE_CERTS_DIR: EXAMPLE_CERTS, PASSERELLE_DATA_DIR: gw.settings.dataDir, PASSERELLE_AMQP_PREFIX: gw.settings.amqpPrefix, PASSERELLE_DATABASE_URL: databaseUrl };
    const erased = await runCli(['erase', '--beneficiary-ref', ref, '--reason', 'art17-request'], env);
    expect(erased.code, erased.stderr).to.equal(0);
    expect(erased.stdout).to.include('erased one person: 3 dossier documents destroyed').and.include('2 withdrawal notices queued (france-travail-paris, mission-locale-paris)');
    expect(await store.readDossier(beneficiary)).to.equal(undefined);
    // The notices leave through the running gateway's relay.
    await eventually(async () => ((await store.outboxDepth()) === 0 ? true : undefined));
  });

  it('serves an audit log that verifies against the checkpoint it signs', async () => {
    const auditor = await partner('auditor');
    const signed = await requestGateway({ baseUrl: gw.baseUrl, tls: auditor.tls, method: 'POST', path: '/v1/audit/checkpoint' });
    expect(signed.status, JSON.stringify(signed.body)).to.be.oneOf([200, 201]);
    const checkpoint = await verifyCheckpoint(signed.body as SignedCheckpoint, auditor.gatewayKeys);
    const entries = await store.readAuditEntries(0, checkpoint.treeSize, checkpoint.treeSize);
    expect(entries.map((e) => e.index)).to.deep.equal(Array.from({ length: checkpoint.treeSize }, (_, i) => i));
    expect(rootOf(entries.map((e) => e.leafHash))).to.equal(checkpoint.rootHash);
    const events = entries.map((e) => (JSON.parse(e.entry) as { event: string }).event);
    expect(events).to.include.members(['accepted', 'acknowledged', 'referred', 'dossier-disclosed', 'withdrawal-notified', 'erased']);
  });
});
