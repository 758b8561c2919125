/**
 * Withdrawal execution receipts, opt-out natures and tombstones (issue 14, item 4), end to end with
 * GnuPG as the agencies' OpenPGP stack and an AMQP client as the recipient:
 * - an opt-out OPPOSITION_ART21 sends France Travail a withdrawal notice GnuPG verifies as the
 *   gateway's; France Travail answers EFFECTUE (sealed with gpg), and GET /v1/withdrawals shows it
 *   answered; another notice is answered REFUSE_MOTIF_LEGAL with its legal ground; a second receipt
 *   for a notice, or a receipt for another agency's notice, is refused;
 * - RETRAIT_ACCORD_SANTE keeps the orientation going: the next referral's dossier carries OFII's
 *   orientation without its health fields, attested by the gateway; a later orientation with
 *   /body/disability is refused with health-consent-withdrawn, one without is accepted;
 * - after the operator's erasure a new orientation about the same reference is refused;
 * - an unanswered notice is reminded after the delay (the gateway's clock moved on), and a receipt
 *   naming the reminder answers the original.
 */
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { receiveDelivery } from '../../src/client/receive.js';
import { runCli } from '../fixtures/cli.js';
import { acknowledgement, auditLog, dossiersOf, fingerprintOf, gpgAs, optOut, orientationTo, randomRef, readCert, referral } from '../fixtures/dossier.js';
import { drainQueue, EXAMPLE_CERTS, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { GnupgHome, validSignatures } from '../fixtures/gpg.js';
import { bytesOf, get, partner, post, send, type Json } from '../fixtures/partner.js';

const DAY_MS = 86_400_000;
const HEALTH = { disability: { rqth: 'OUI' }, consent: { healthData: true, healthDataGivenOn: '2026-11-26' } };

describe('@integration withdrawal execution receipts, opt-out natures and tombstones', function () {
  this.timeout(180_000);
  let gw: TestGateway;
  let offset = 0;
  const clock = () => new Date(Date.now() + offset);
  const homes: Record<string, GnupgHome> = {};
  let gatewayFpr: string;

  before(async () => {
    gw = await startTestGateway({ PASSERELLE_WITHDRAWAL_REMINDER_DAYS: '15', PASSERELLE_WITHDRAWAL_MAX_REMINDERS: '2' }, clock);
    for (const id of ['france-travail-paris', 'mission-locale-paris', 'cap-emploi-75']) homes[id] = await gpgAs(id, ['ofii-paris']);
    gatewayFpr = await fingerprintOf(homes['france-travail-paris']!, readCert('gateway', 'openpgp.asc'));
  });
  after(async () => {
    await gw?.dispose();
    for (const home of Object.values(homes)) await home.remove();
  });

  const settle = () => eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
  const queueOf = (id: string) => drainQueue(queueName(gw.settings.amqpPrefix, id));

  /** The agency's software: gpg --sign --encrypt to the gateway, posted with its certificate. */
  async function sendWithGpg(as: string, document: Json): Promise<{ status: number; body: unknown }> {
    const sealed = await homes[as]!.run(['--sign', '--encrypt', '-r', gatewayFpr, '--trust-model', 'always', '--output', '-'], { stdin: Buffer.from(JSON.stringify(document)) });
    return post(gw.baseUrl, as, new Uint8Array(sealed.stdout));
  }

  function receipt(from: string, notice: Json, body: Json): Json {
    return {
      header: { messageId: crypto.randomUUID(), type: 'execution-receipt', version: 1, sender: from, recipient: 'passerelle', sentAt: clock().toISOString(), beneficiaryRef: notice['header']['beneficiaryRef'], inReplyTo: notice['header']['messageId'] },
      body,
    };
  }

  /** The withdrawal notices in the agency's queue, each decrypted by GnuPG with the agency's key and its gateway signature checked. */
  async function noticesFor(id: string): Promise<Json[]> {
    await settle();
    const notices: Json[] = [];
    for (const delivered of await queueOf(id)) {
      if (delivered.properties['type'] !== 'withdrawal') continue;
      const opened = await homes[id]!.run(['--decrypt'], { stdin: delivered.body });
      expect(validSignatures(opened.status).map((s) => s.primaryFingerprint), 'signed by the gateway').to.deep.equal([gatewayFpr]);
      notices.push(JSON.parse(opened.stdout.toString('utf8')) as Json);
    }
    return notices;
  }

  async function withdrawals(state: string, as = 'operator'): Promise<Json> {
    const answer = await get(gw.baseUrl, as, `/v1/withdrawals?state=${state}`);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    return answer.body as Json;
  }

  const first = randomRef();
  let firstNotice: Json;

  it('OFII orients a person to France Travail (delivered), then sends an opt-out OPPOSITION_ART21: France Travail gets a withdrawal notice signed by the gateway', async () => {
    const orientation = orientationTo('france-travail-paris', first);
    expect((await send(gw.baseUrl, 'ofii-paris', orientation)).status).to.equal(202);
    await settle();
    expect((await queueOf('france-travail-paris')).map((m) => m.properties['messageId'])).to.deep.equal([orientation['header']['messageId']]);

    const request = optOut(first, 'OPPOSITION_ART21');
    expect((await send(gw.baseUrl, 'ofii-paris', request)).status).to.equal(202);
    [firstNotice] = (await noticesFor('france-travail-paris')) as [Json];
    expect(firstNotice['header']).to.include({ type: 'withdrawal', sender: 'passerelle', recipient: 'france-travail-paris', beneficiaryRef: first, inReplyTo: request['header']['messageId'] });
    expect(firstNotice['body']).to.deep.equal({ reason: 'OPPOSITION_ART21', effectiveOn: request['body']['effectiveOn'] });

    const outstanding = await withdrawals('outstanding');
    const listed = (outstanding['notices'] as Json[]).find((n) => n['noticeId'] === firstNotice['header']['messageId'])!;
    expect(listed).to.include({ recipient: 'france-travail-paris', reason: 'OPPOSITION_ART21', ageDays: 0, reminders: 0 });
    expect(JSON.stringify(outstanding)).to.not.include(first);
  });

  it('France Travail answers EFFECTUE with GnuPG: accepted, delivered to nobody, and shown answered', async () => {
    const answer = await sendWithGpg('france-travail-paris', receipt('france-travail-paris', firstNotice, { status: 'EFFECTUE', executedOn: clock().toISOString().slice(0, 10) }));
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    const answered = await withdrawals('answered', 'auditor');
    expect((answered['notices'] as Json[]).find((n) => n['noticeId'] === firstNotice['header']['messageId'])).to.include({ status: 'EFFECTUE', recipient: 'france-travail-paris' });
    expect((await withdrawals('outstanding'))['notices'] as Json[]).to.satisfy((list: Json[]) => list.every((n) => n['noticeId'] !== firstNotice['header']['messageId']));
    await settle();
    for (const id of ['ofii-paris', 'france-travail-paris']) expect(await queueOf(id), id).to.have.length(0);
    // The agencies have no access; the counts are per recipient and status.
    expect((await get(gw.baseUrl, 'france-travail-paris', '/v1/withdrawals')).status).to.equal(403);
    expect((answered['counts'] as Json[])).to.deep.include({ recipient: 'france-travail-paris', status: 'EFFECTUE', count: 1 });
  });

  it('refuses a second receipt for the same notice, and a receipt for a notice sent to another agency', async () => {
    const again = await sendWithGpg('france-travail-paris', receipt('france-travail-paris', firstNotice, { status: 'EFFECTUE', executedOn: clock().toISOString().slice(0, 10) }));
    expect(again.status).to.equal(422);
    expect(again.body).to.include({ code: 'rule_violation', rule: 'receipt-answers-withdrawal' });
    const foreign = await sendWithGpg('cap-emploi-75', receipt('cap-emploi-75', firstNotice, { status: 'EFFECTUE', executedOn: clock().toISOString().slice(0, 10) }));
    expect(foreign.status).to.equal(422);
    expect(foreign.body).to.include({ code: 'rule_violation', rule: 'receipt-answers-withdrawal' });
  });

  it('records REFUSE_MOTIF_LEGAL with its legal ground', async () => {
    const ref = randomRef();
    expect((await send(gw.baseUrl, 'ofii-paris', orientationTo('france-travail-paris', ref))).status).to.equal(202);
    await settle();
    await queueOf('france-travail-paris');
    expect((await send(gw.baseUrl, 'ofii-paris', optOut(ref, 'DISPENSE'))).status).to.equal(202);
    const [notice] = (await noticesFor('france-travail-paris')) as [Json];
    const body = { status: 'REFUSE_MOTIF_LEGAL', executedOn: clock().toISOString().slice(0, 10), legalGround: 'AUTRE_OBLIGATION_LEGALE', legalReference: 'CT art. L.3243-4' };
    expect((await sendWithGpg('france-travail-paris', receipt('france-travail-paris', notice, body))).status).to.equal(202);
    const listed = ((await withdrawals('all'))['notices'] as Json[]).find((n) => n['noticeId'] === notice['header']['messageId'])!;
    expect(listed).to.include({ reason: 'DISPENSE', status: 'REFUSE_MOTIF_LEGAL', legalGround: 'AUTRE_OBLIGATION_LEGALE' });
  });

  it('RETRAIT_ACCORD_SANTE keeps the orientation going; the next dossier carries the orientation without its health fields, attested by the gateway', async () => {
    const ref = randomRef();
    const orientation = orientationTo('france-travail-paris', ref, HEALTH);
    expect((await send(gw.baseUrl, 'ofii-paris', orientation)).status).to.equal(202);
    expect((await send(gw.baseUrl, 'france-travail-paris', acknowledgement('france-travail-paris', orientation, 'ACCEPTEE'))).status).to.equal(202);
    await settle();
    await queueOf('france-travail-paris');
    await queueOf('ofii-paris');
    const request = optOut(ref, 'RETRAIT_ACCORD_SANTE');
    expect((await send(gw.baseUrl, 'ofii-paris', request)).status).to.equal(202);
    const [notice] = (await noticesFor('france-travail-paris')) as [Json];
    expect(notice['body']).to.include({ reason: 'RETRAIT_ACCORD_SANTE' });
    // France Travail deleted the health data it held, and says so.
    expect((await sendWithGpg('france-travail-paris', receipt('france-travail-paris', notice, { status: 'EFFECTUE', executedOn: clock().toISOString().slice(0, 10) }))).status).to.equal(202);
    const beneficiary = (await gw.store.findMessage(orientation['header']['messageId']))!.beneficiary;
    expect(await dossiersOf(gw).followers(beneficiary)).to.deep.equal(['france-travail-paris']);
    expect(await dossiersOf(gw).readDossier(beneficiary)).to.have.length(2);

    // Mission Locale may not receive health data: without the withdrawal, this referral would be refused.
    const handOver = referral('france-travail-paris', 'mission-locale-paris', ref);
    const referred = await send(gw.baseUrl, 'france-travail-paris', handOver);
    expect(referred.status, JSON.stringify(referred.body)).to.equal(202);
    await settle();
    const delivered = (await queueOf('mission-locale-paris')).find((m) => m.properties['type'] === 'dossier')!;
    const ml = homes['mission-locale-paris']!;
    const opened = await ml.run(['--decrypt'], { stdin: delivered.body });
    expect(validSignatures(opened.status).map((s) => s.primaryFingerprint)).to.deep.equal([gatewayFpr]);
    const [copy] = (JSON.parse(opened.stdout.toString('utf8')) as Json)['body']['documents'] as Json[];
    expect(copy).to.not.have.property('signedMessage');
    expect(copy).to.include({ messageId: orientation['header']['messageId'], type: 'orientation', sender: 'ofii-paris' });
    expect(copy!['redacted']['removedFields']).to.deep.equal(['/body/disability', '/body/consent']);
    expect(copy!['redacted']['originalSha256']).to.equal(createHash('sha256').update(bytesOf(orientation)).digest('hex'));
    const { disability: _d, consent: _c, ...withoutHealth } = orientation['body'] as Json;
    expect(copy!['redacted']['content']).to.deep.equal(withoutHealth);

    const received = await receiveDelivery({ view: await partner('mission-locale-paris'), delivery: { messageId: delivered.properties['messageId'] as string, sender: 'passerelle', body: delivered.body }, maxDocumentBytes: gw.settings.maxDocumentBytes });
    expect(received.dossier![0]).to.include({ attestedBy: 'gateway', signerFingerprint: gw.trust.gateway.fingerprint.toLowerCase() });
    expect(received.dossier![1]).to.include({ attestedBy: 'author' });

    const withHealth = await send(gw.baseUrl, 'ofii-paris', orientationTo('cap-emploi-75', ref, HEALTH));
    expect(withHealth.status).to.equal(422);
    expect(withHealth.body).to.include({ code: 'rule_violation', rule: 'health-consent-withdrawn' });
    expect(JSON.stringify(withHealth.body)).to.include('/body/disability').and.not.include('"OUI"');
    expect((await send(gw.baseUrl, 'ofii-paris', orientationTo('france-travail-paris', ref))).status).to.equal(202);

    // A rectification cannot put a health field back, nor change one; a correction of another field goes through.
    const rectification = (changes: Json[]): Json => ({
      header: { messageId: crypto.randomUUID(), type: 'rectification', version: 1, sender: 'ofii-paris', recipient: 'passerelle', sentAt: clock().toISOString(), beneficiaryRef: ref },
      body: { corrects: orientation['header']['messageId'], changes, reason: 'ERREUR_DE_SAISIE', requestedOn: clock().toISOString().slice(0, 10) },
    });
    const healthChange = await send(gw.baseUrl, 'ofii-paris', rectification([{ op: 'replace', path: '/body/disability/rqth', value: 'EN_COURS' }]));
    expect(healthChange.status, JSON.stringify(healthChange.body)).to.equal(422);
    expect(healthChange.body).to.include({ code: 'rule_violation', rule: 'health-consent-withdrawn' });
    expect(JSON.stringify(healthChange.body)).to.include('/body/disability').and.not.include('EN_COURS');
    const nameChange = await send(gw.baseUrl, 'ofii-paris', rectification([{ op: 'replace', path: '/body/identity/givenNames/0', value: 'Daria' }]));
    expect(nameChange.status, JSON.stringify(nameChange.body)).to.equal(202);
    await settle();
    for (const id of ['france-travail-paris', 'mission-locale-paris', 'ofii-paris']) await queueOf(id);
  });

  it("after the operator's erasure, a new orientation about the same reference is refused", async () => {
    const ref = randomRef();
    expect((await send(gw.baseUrl, 'ofii-paris', orientationTo('france-travail-paris', ref))).status).to.equal(202);
    await settle();
    const env = { PASSERELLE_CERTS_DIR: EXAMPLE_CERTS, PASSERELLE_DATA_DIR: gw.settings.dataDir, PASSERELLE_AMQP_PREFIX: gw.settings.amqpPrefix };
    const erased = await runCli(['erase', '--beneficiary-ref', ref, '--reason', 'art17-request'], env);
    expect(erased.code, erased.stderr).to.equal(0);
    const again = await send(gw.baseUrl, 'ofii-paris', orientationTo('france-travail-paris', ref));
    expect(again.status).to.equal(422);
    expect(again.body).to.include({ code: 'rule_violation', rule: 'beneficiary-opted-out' });
    const [notice] = (await noticesFor('france-travail-paris')) as [Json];
    expect(((await withdrawals('outstanding'))['notices'] as Json[]).find((n) => n['noticeId'] === notice['header']['messageId'])).to.include({ reason: 'EFFACEMENT' });
    // Answered at once, so that the reminders below concern one notice only.
    expect((await sendWithGpg('france-travail-paris', receipt('france-travail-paris', notice, { status: 'EFFECTUE', executedOn: clock().toISOString().slice(0, 10) }))).status).to.equal(202);

    // Erased by mistake: the operator lifts the tombstone, audited without the person, and OFII may orient them again.
    const lifted = await runCli(['lift-tombstone', '--beneficiary-ref', ref, '--reason', 'erased-by-mistake', '--json'], env);
    expect(lifted.code, lifted.stderr).to.equal(0);
    const report = JSON.parse(lifted.stdout) as { lifted: boolean; auditIndex: number };
    expect(report.lifted).to.equal(true);
    const entry = (await auditLog(gw)).find((e) => e.index === report.auditIndex)!;
    expect(entry.entry).to.deep.include({ event: 'tombstone-lifted', code: 'operator-erased-by-mistake', count: 1 });
    expect(entry.entry).to.not.have.property('beneficiary');
    expect((await send(gw.baseUrl, 'ofii-paris', orientationTo('france-travail-paris', ref))).status).to.equal(202);
    const twice = await runCli(['lift-tombstone', '--beneficiary-ref', ref, '--reason', 'erased-by-mistake'], env);
    expect(twice.stdout).to.include('no tombstone');
    await settle();
    await queueOf('france-travail-paris');
  });

  it('reminds an unanswered notice after the delay, lists it outstanding, and takes a receipt naming the reminder', async () => {
    const ref = randomRef();
    expect((await send(gw.baseUrl, 'ofii-paris', orientationTo('cap-emploi-75', ref, HEALTH))).status).to.equal(202);
    await settle();
    await queueOf('cap-emploi-75');
    expect((await send(gw.baseUrl, 'ofii-paris', optOut(ref, 'EFFACEMENT_NON_ACCOMPAGNE'))).status).to.equal(202);
    const [original] = (await noticesFor('cap-emploi-75')) as [Json];
    expect(original['body']['reason']).to.equal('EFFACEMENT_NON_ACCOMPAGNE');

    offset = 14 * DAY_MS;
    expect((await gw.runRetention()).withdrawalReminders).to.equal(0);
    offset = 16 * DAY_MS;
    expect((await gw.runRetention()).withdrawalReminders).to.equal(1);
    const [reminder] = (await noticesFor('cap-emploi-75')) as [Json];
    expect(reminder['header']).to.include({ recipient: 'cap-emploi-75', beneficiaryRef: ref, inReplyTo: original['header']['messageId'] });
    expect(reminder['body']).to.deep.equal({ ...original['body'], reminderOf: original['header']['messageId'] });
    const listed = ((await withdrawals('outstanding'))['notices'] as Json[]).find((n) => n['noticeId'] === original['header']['messageId'])!;
    expect(listed).to.include({ reminders: 1, ageDays: 16, recipient: 'cap-emploi-75' });
    const reminded = (await auditLog(gw)).filter((e) => e.entry['event'] === 'withdrawal-reminded');
    expect(reminded.map((e) => e.entry['messageId'])).to.deep.equal([reminder['header']['messageId']]);
    expect(reminded[0]!.raw).to.not.include(ref);
    expect((await gw.runRetention()).withdrawalReminders, 'not again within the period').to.equal(0);

    const answer = await sendWithGpg('cap-emploi-75', receipt('cap-emploi-75', reminder, { status: 'EFFECTUE', executedOn: clock().toISOString().slice(0, 10) }));
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    expect(((await withdrawals('answered'))['notices'] as Json[]).find((n) => n['noticeId'] === original['header']['messageId'])).to.include({ status: 'EFFECTUE', reminders: 1 });
    expect((await withdrawals('outstanding'))['notices']).to.deep.equal([]);
    offset = 40 * DAY_MS;
    expect((await gw.runRetention()).withdrawalReminders, 'an answered notice is not reminded').to.equal(0);
  });
});
