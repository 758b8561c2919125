/**
 * Opt-out and withdrawal (issue 3): OFII tells the gateway that a person was exempted from support or
 * withdrew; every agency that received data about the person gets a withdrawal notice signed by the
 * gateway, the dossier is destroyed, and later messages about the person are refused, naming the rule.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { consumeAs } from '../../src/cli/consume.js';
import { queueName } from '../../src/broker/topology.js';
import { receiveDelivery } from '../../src/client/receive.js';
import { drainQueue, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { acknowledgement, auditLog, dossiersOf, optOut, orientationTo, randomRef, referral } from '../fixtures/dossier.js';
import { get, partner, send, type Json } from '../fixtures/partner.js';

describe('@integration opt-out: withdrawal notices, refusals, destruction', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => {
    await gw?.dispose();
  });

  const ref = randomRef();
  let orientation: Json;
  let request: Json;
  let beneficiary: string;

  it('before: the person is oriented to France Travail, accepted, and referred to Mission Locale (which gets the dossier)', async () => {
    orientation = orientationTo('france-travail-paris', ref);
    expect((await send(gw.baseUrl, 'ofii-paris', orientation)).status).to.equal(202);
    expect((await send(gw.baseUrl, 'france-travail-paris', acknowledgement('france-travail-paris', orientation, 'ACCEPTEE'))).status).to.equal(202);
    expect((await send(gw.baseUrl, 'france-travail-paris', referral('france-travail-paris', 'mission-locale-paris', ref))).status).to.equal(202);
    beneficiary = (await gw.store.findMessage(orientation['header']['messageId']))!.beneficiary;
    expect(await dossiersOf(gw).recipientsOf(beneficiary)).to.deep.equal(['france-travail-paris', 'mission-locale-paris', 'ofii-paris']);
    // Let the deliveries leave, then empty the queues: what arrives next is the opt-out's doing.
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    for (const id of ['france-travail-paris', 'ofii-paris']) await drainQueue(queueName(gw.settings.amqpPrefix, id));

    // Mission Locale reads its queue with `passerelle consume`: the referral, the dossier, and the
    // dossier's documents, each verified with its own sender's key and written next to the others.
    const inbox = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-inbox-'));
    try {
      const lines: string[] = [];
      const summary = await consumeAs({ settings: gw.settings, as: 'mission-locale-paris', out: inbox, follow: false, idleExitMs: 500, report: (line) => lines.push(line) });
      expect(summary).to.deep.equal({ written: 2, duplicates: 0, refused: 0 });
      const written = fs.readdirSync(inbox).sort();
      expect(written).to.have.length(4);
      expect(written).to.include(`${orientation['header']['messageId']}.json`);
      expect(JSON.parse(fs.readFileSync(path.join(inbox, `${orientation['header']['messageId']}.json`), 'utf8'))).to.deep.equal(orientation);
      expect(lines.filter((l) => l.startsWith('  dossier document'))).to.have.length(2);
      expect(lines.join('\n')).to.include('signature of ofii-paris verified').and.include('received dossier');
    } finally {
      fs.rmSync(inbox, { recursive: true, force: true });
    }
  });

  it('accepts an opt-out addressed to the gateway itself, and only from OFII', async () => {
    request = optOut(ref, 'DISPENSE');
    const answer = await send(gw.baseUrl, 'ofii-paris', request);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    const status = await get(gw.baseUrl, 'ofii-paris', `/v1/messages/${request['header']['messageId']}`);
    expect(status.body).to.include({ type: 'opt-out', sender: 'ofii-paris', recipient: 'passerelle', status: 'accepted' });

    const byAgency = optOut(randomRef());
    byAgency['header']['sender'] = 'france-travail-paris';
    expect((await send(gw.baseUrl, 'france-travail-paris', byAgency)).body).to.include({ code: 'type_not_allowed' });
  });

  it('sends each agency that received data about the person a withdrawal notice signed by the gateway; none to OFII', async () => {
    const notices = (await auditLog(gw)).filter((e) => e.entry['event'] === 'withdrawal-notified');
    expect(notices.map((e) => e.entry['recipient']).sort()).to.deep.equal(['france-travail-paris', 'mission-locale-paris']);
    for (const notice of notices) {
      const id = notice.entry['recipient'] as string;
      await eventually(async () => ((await gw.store.findMessage(notice.entry['messageId'] as string))?.status === 'queued' ? true : undefined));
      const [delivered, ...rest] = await drainQueue(queueName(gw.settings.amqpPrefix, id));
      expect(rest, id).to.have.length(0);
      expect(delivered!.properties, id).to.include({ type: 'withdrawal', appId: 'passerelle' });
      expect((delivered!.properties['headers'] as Record<string, unknown>)['x-passerelle-sender']).to.equal('passerelle');
      const received = await receiveDelivery({
        view: await partner(id),
        delivery: { messageId: delivered!.properties['messageId'] as string, sender: 'passerelle', body: delivered!.body },
        maxDocumentBytes: gw.settings.maxDocumentBytes,
      });
      const document = JSON.parse(new TextDecoder().decode(received.document)) as Json;
      expect(document['header']).to.include({ type: 'withdrawal', sender: 'passerelle', recipient: id, beneficiaryRef: ref, inReplyTo: request['header']['messageId'] });
      expect(document['body']).to.deep.equal({ reason: 'DISPENSE', effectiveOn: request['body']['effectiveOn'] });
    }
    // Every message the gateway accepted is in its queue once the outbox is empty.
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    expect(await drainQueue(queueName(gw.settings.amqpPrefix, 'ofii-paris'))).to.have.length(0);
  });

  it('destroys the dossier at once and logs the opt-out and the destruction', async () => {
    expect(await dossiersOf(gw).readDossier(beneficiary)).to.equal(undefined);
    expect(await dossiersOf(gw).followers(beneficiary)).to.deep.equal([]);
    const events = (await auditLog(gw)).map((e) => e.entry);
    expect(events.find((e) => e['event'] === 'opted-out')).to.include({ messageId: request['header']['messageId'], sender: 'ofii-paris', recipient: 'passerelle', beneficiary });
    expect(events.find((e) => e['event'] === 'erased')).to.include({ beneficiary, code: 'opt-out', count: 3 });
  });

  it('refuses later orientations and opt-outs with rule beneficiary-opted-out, referrals and answers by the link the opt-out ended, and delivers nothing', async () => {
    const again = await send(gw.baseUrl, 'ofii-paris', orientationTo('epec-paris', ref));
    expect(again.status).to.equal(422);
    expect(again.body).to.include({ code: 'rule_violation', rule: 'beneficiary-opted-out' });
    expect(JSON.stringify(again.body)).to.not.include(ref);
    // The agencies' links come first (test/security/opt-out-oracle.test.ts); the opt-out ended them,
    // and the withdrawal notice told these agencies why.
    const handOn = await send(gw.baseUrl, 'mission-locale-paris', referral('mission-locale-paris', 'epec-paris', ref));
    expect(handOn.body).to.include({ code: 'rule_violation', rule: 'referrer-follows-beneficiary' });
    const late = await send(gw.baseUrl, 'france-travail-paris', acknowledgement('france-travail-paris', orientation, 'RECUE'));
    expect(late.body).to.include({ code: 'rule_violation', rule: 'reply-matches-original' });
    expect((await send(gw.baseUrl, 'ofii-paris', optOut(ref, 'RETRAIT'))).body).to.include({ rule: 'beneficiary-opted-out' });
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    expect(await drainQueue(queueName(gw.settings.amqpPrefix, 'epec-paris'))).to.have.length(0);
    // Another person is not affected.
    expect((await send(gw.baseUrl, 'ofii-paris', orientationTo('epec-paris', randomRef()))).status).to.equal(202);
  });
});
