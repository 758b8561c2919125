/**
 * Retention (issue 3), on the real store with a clock the test moves: an orientation nobody answered
 * expires after 30 days (its sender is told), a dossier nobody took in charge is destroyed at once, and
 * one whose person was taken in charge is destroyed two years after the last event.
 */
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { receiveDelivery } from '../../src/client/receive.js';
import { runCli } from '../fixtures/cli.js';
import { drainQueue, eventually, EXAMPLE_CERTS, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { acknowledgement, auditLog, dossiersOf, orientationTo, randomRef } from '../fixtures/dossier.js';
import { get, partner, send, type Json } from '../fixtures/partner.js';

const DAY = 24 * 60 * 60 * 1000;

describe('@integration retention: expiry of orientations, destruction of dossiers', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  let offset = 0;
  const clock = () => new Date(Date.now() + offset);

  before(async () => {
    gw = await startTestGateway({}, clock);
  });
  after(async () => {
    await gw?.dispose();
  });

  let unanswered: Json;
  let followed: Json;
  let refused: Json;
  const beneficiaryOf = async (document: Json) => (await gw.store.findMessage(document['header']['messageId']))!.beneficiary;

  it('before: one orientation left unanswered, one accepted, one refused (and its dossier destroyed at once)', async () => {
    unanswered = orientationTo('france-travail-paris', randomRef());
    followed = orientationTo('epec-paris', randomRef());
    refused = orientationTo('france-travail-paris', randomRef());
    for (const document of [unanswered, followed, refused]) expect((await send(gw.baseUrl, 'ofii-paris', document)).status).to.equal(202);
    expect((await send(gw.baseUrl, 'epec-paris', acknowledgement('epec-paris', followed, 'ACCEPTEE'))).status).to.equal(202);

    const refusedPerson = await beneficiaryOf(refused);
    expect(await dossiersOf(gw).readDossier(refusedPerson)).to.have.length(1);
    expect((await send(gw.baseUrl, 'france-travail-paris', acknowledgement('france-travail-paris', refused, 'REFUSEE'))).status).to.equal(202);
    // Nobody follows the person and nobody took them in charge: CASF R.263-8, destroyed at once.
    expect(await dossiersOf(gw).readDossier(refusedPerson)).to.equal(undefined);
    expect((await auditLog(gw)).find((e) => e.entry['event'] === 'erased')!.entry).to.include({ beneficiary: refusedPerson, code: 'not-taken-in-charge', count: 2 });

    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    await drainQueue(queueName(gw.settings.amqpPrefix, 'ofii-paris'));
  });

  it('29 days later the sweep changes nothing', async () => {
    offset = 29 * DAY;
    const summary = await gw.runRetention();
    expect(summary).to.deep.include({ expired: 0, destroyedNotTakenInCharge: 0, destroyedAfterRetention: 0 });
    expect((await gw.store.findMessage(unanswered['header']['messageId']))!.status).to.equal('queued');
  });

  it('31 days later the unanswered orientation expires, OFII gets an expiry notice, and the dossier nobody took in charge goes', async () => {
    offset = 31 * DAY;
    const person = await beneficiaryOf(unanswered);
    const summary = await gw.runRetention();
    expect(summary).to.deep.include({ expired: 1, expiryNotices: 1, destroyedNotTakenInCharge: 1, destroyedAfterRetention: 0 });

    const status = await get(gw.baseUrl, 'ofii-paris', `/v1/messages/${unanswered['header']['messageId']}`);
    expect(status.body).to.include({ status: 'expired' });
    expect(Date.parse((status.body as Json)['expiredAt'] as string) - Date.now()).to.be.within(30 * DAY, 32 * DAY);
    expect((await gw.store.findMessage(followed['header']['messageId']))!.status, 'acknowledged orientations do not expire').to.equal('acknowledged');

    const expired = (await auditLog(gw)).find((e) => e.entry['event'] === 'expired')!;
    expect(expired.entry).to.include({ messageId: unanswered['header']['messageId'], sender: 'ofii-paris', recipient: 'france-travail-paris', beneficiary: person });
    expect(await dossiersOf(gw).readDossier(person)).to.equal(undefined);

    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    const [notice, ...rest] = await drainQueue(queueName(gw.settings.amqpPrefix, 'ofii-paris'));
    expect(rest).to.have.length(0);
    expect(notice!.properties).to.include({ type: 'expiry', appId: 'passerelle' });
    expect((notice!.properties['headers'] as Record<string, unknown>)['x-passerelle-audit-index']).to.equal(expired.index);
    const received = await receiveDelivery({
      view: await partner('ofii-paris'),
      delivery: { messageId: notice!.properties['messageId'] as string, sender: 'passerelle', body: notice!.body },
      maxDocumentBytes: gw.settings.maxDocumentBytes,
    });
    const document = JSON.parse(new TextDecoder().decode(received.document)) as Json;
    expect(document['header']).to.include({ type: 'expiry', recipient: 'ofii-paris', inReplyTo: unanswered['header']['messageId'], beneficiaryRef: unanswered['header']['beneficiaryRef'] });
    expect(document['body']).to.include({ agency: 'france-travail-paris', delayDays: 30 });
  });

  it('keeps the dossier of a person taken in charge until two years after the last event, then destroys it', async () => {
    const person = await beneficiaryOf(followed);
    offset = 729 * DAY;
    await gw.runRetention();
    expect(await dossiersOf(gw).readDossier(person)).to.have.length(2);

    offset = 731 * DAY;
    const summary = await gw.runRetention();
    expect(summary).to.deep.include({ destroyedAfterRetention: 1, documentsDestroyed: 2 });
    expect(await dossiersOf(gw).readDossier(person)).to.equal(undefined);
    expect((await auditLog(gw)).filter((e) => e.entry['event'] === 'erased').map((e) => e.entry['code'])).to.deep.equal(['not-taken-in-charge', 'not-taken-in-charge', 'retention']);
  });

  it('passerelle retention run sweeps the same store on demand and prints counts', async () => {
    const ran = await runCli(['retention', 'run'], { PASSERELLE_CERTS_DIR: EXAMPLE_CERTS, PASSERELLE_DATA_DIR: gw.settings.dataDir, PASSERELLE_AMQP_PREFIX: gw.settings.amqpPrefix });
    expect(ran.code, ran.stderr).to.equal(0);
    // On the real clock nothing is due any more: everything went at the test clock's sweeps.
    expect(ran.stdout).to.match(/^passerelle: retention sweep: 0 orientations expired \(0 notices queued\), 0 dossiers destroyed .*, 0 unused subjects forgotten, 0 held notices sent, 0 notices still waiting for a partner.s key, 0 withdrawal reminders sent\.\n$/);
  });
});
