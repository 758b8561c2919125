/**
 * The auditor's filters of GET /v1/audit/entries, GET /v1/audit/gateway-keys and GET
 * /v1/messages/{id}/timeline, on a real gateway: what each caller sees is what the authorization
 * policy gives it (an agency's filters never widen its scope, a partner sees no other's timeline),
 * a bad filter is a bad_request that names the parameter, and every step of a timeline can be proven
 * against a checkpoint signed with the published gateway keys.
 */
import { expect } from 'chai';
import { readKey } from 'openpgp';
import { verifyCheckpoint, type PublishedCheckpoint } from '../../src/audit/checkpoint.js';
import { verifyEntryInclusion } from '../../src/audit/verify.js';
import type { HttpAnswer } from '../../src/client/gateway-client.js';
import { acknowledgement, orientationTo, randomRef } from '../fixtures/dossier.js';
import { eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { get, send, type Json } from '../fixtures/partner.js';

type Entry = Record<string, unknown> & { index: number; leafHash: string; event: string; timestamp: string };

describe('@integration http: the auditor\'s filters and a message\'s timeline', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  let toMissionLocale: Json;
  let toFranceTravail: Json;
  let ack: Json;

  const idOf = (document: Json) => document['header']['messageId'] as string;
  const entries = async (caller: string, query: string): Promise<{ entries: Entry[]; next?: number }> => {
    const answer = await get(gw.baseUrl, caller, `/v1/audit/entries${query}`);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    return answer.body as { entries: Entry[]; next?: number };
  };
  const accepted = async (as: string, document: Json) => {
    const answer = await send(gw.baseUrl, as, document);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
  };

  before(async () => {
    gw = await startTestGateway();
    toMissionLocale = orientationTo('mission-locale-paris', randomRef());
    toFranceTravail = orientationTo('france-travail-paris', randomRef());
    await accepted('ofii-paris', toMissionLocale);
    await accepted('ofii-paris', toFranceTravail);
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined), 60_000);
    ack = acknowledgement('mission-locale-paris', toMissionLocale, 'ACCEPTEE');
    await accepted('mission-locale-paris', ack);
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined), 60_000);
  });

  after(async () => {
    await gw?.dispose();
  });

  it('gives the auditor exactly the entries each filter names, and pages them', async () => {
    const all = (await entries('auditor', '')).entries;
    const byMessage = (await entries('auditor', `?messageId=${idOf(toMissionLocale)}`)).entries;
    expect(byMessage.map((e) => e.event)).to.deep.equal(['accepted', 'queued', 'acknowledged']);
    expect(byMessage).to.deep.equal(all.filter((e) => e['messageId'] === idOf(toMissionLocale)));
    const byAgency = (await entries('auditor', '?agency=france-travail-paris')).entries;
    expect(byAgency).to.not.be.empty;
    expect(byAgency).to.deep.equal(all.filter((e) => e['sender'] === 'france-travail-paris' || e['recipient'] === 'france-travail-paris'));
    expect((await entries('auditor', '?event=queued,acknowledged')).entries).to.deep.equal(all.filter((e) => e.event === 'queued' || e.event === 'acknowledged'));
    const middle = all[2]!.timestamp;
    const period = (await entries('auditor', `?from=${encodeURIComponent(middle)}&to=2999-01-01T00:00:00%2B02:00`)).entries;
    expect(period).to.deep.equal(all.filter((e) => e.timestamp >= middle));
    const first = await entries('auditor', '?limit=2&event=accepted');
    expect(first.entries).to.have.length(2);
    const rest = await entries('auditor', `?limit=2&event=accepted&start=${first.next}`);
    expect([...first.entries, ...rest.entries]).to.deep.equal(all.filter((e) => e.event === 'accepted'));
    expect(rest.next).to.equal(undefined);
  });

  it("keeps an agency within the entries that name it, whatever it filters by", async () => {
    const own = (await entries('france-travail-paris', '')).entries;
    expect(own).to.not.be.empty;
    for (const entry of own) expect([entry['sender'], entry['recipient']]).to.include('france-travail-paris');
    // Mission Locale's exchange with OFII names neither party France Travail: filters cannot reach it.
    expect((await entries('france-travail-paris', '?agency=mission-locale-paris')).entries).to.deep.equal([]);
    expect((await entries('france-travail-paris', `?messageId=${idOf(toMissionLocale)}`)).entries).to.deep.equal([]);
    expect((await entries('ofii-paris', '?agency=mission-locale-paris')).entries.map((e) => e['messageId'])).to.include(idOf(toMissionLocale));
  });

  it('answers a bad filter with bad_request naming the parameter, and reads nothing', async () => {
    const cases: Array<[string, RegExp]> = [
      ['?event=delivered', /"event" must be one or more of accepted/],
      ['?event=accepted&event=queued', /"event" must be given once/],
      ['?from=yesterday', /"from" must be an RFC 3339 date and time/],
      ['?to=2026-11-27T09:00:00', /"to" must be an RFC 3339/],
      ['?from=2026-11-28T00:00:00Z&to=2026-11-27T00:00:00Z', /The period ends .* before it starts/],
      ['?limit=0', /"limit" must be from 1 to 1000/],
      ['?limit=1001', /"limit" must be from 1 to 1000/],
      ['?messageId=42', /"messageId" must be a message id/],
      ['?agency=Mission%20Locale', /"agency" must be a partner id/],
      ['?start=5&end=2', /start \(5\) is after end \(2\)/],
    ];
    for (const [query, detail] of cases) {
      const answer = await get(gw.baseUrl, 'auditor', `/v1/audit/entries${query}`);
      expect(answer.status, query).to.equal(400);
      expect(answer.body, query).to.include({ code: 'bad_request' });
      expect((answer.body as { detail: string }).detail, query).to.match(detail);
    }
  });

  it("shows a message's timeline to the auditor with every step provable against a checkpoint signed by a published gateway key", async () => {
    const answer = await get(gw.baseUrl, 'auditor', `/v1/messages/${idOf(toMissionLocale)}/timeline`);
    expect(answer.status).to.equal(200);
    const timeline = answer.body as { message: Json; steps: Entry[]; related: Json[] };
    expect(timeline.message).to.include({ messageId: idOf(toMissionLocale), sender: 'ofii-paris', recipient: 'mission-locale-paris', status: 'acknowledged' });
    expect(timeline.steps.map((s) => s.event)).to.deep.equal(['accepted', 'queued', 'acknowledged']);
    expect(timeline.related).to.have.length(1);
    expect(timeline.related[0]).to.include({ messageId: idOf(ack), type: 'acknowledgement', sender: 'mission-locale-paris', relation: 'answered-by' });
    const all = (await entries('auditor', '')).entries;
    for (const step of timeline.steps) expect(all[step.index]).to.deep.equal(step);

    const created = await get(gw.baseUrl, 'auditor', '/v1/audit/checkpoint');
    const checkpoint = created.body as PublishedCheckpoint;
    const keys = (await get(gw.baseUrl, 'auditor', '/v1/audit/gateway-keys')).body as { keys: Array<{ fingerprint: string; armored: string }> };
    expect(keys.keys).to.not.be.empty;
    const publicKeys = await Promise.all(keys.keys.map((k) => readKey({ armoredKey: k.armored })));
    for (const [i, key] of publicKeys.entries()) {
      expect(key.isPrivate()).to.equal(false);
      expect(key.getFingerprint()).to.equal(keys.keys[i]!.fingerprint);
    }
    await verifyCheckpoint(checkpoint, publicKeys);
    for (const step of timeline.steps.filter((s) => s.index < checkpoint.treeSize)) {
      const proof = await get(gw.baseUrl, 'auditor', `/v1/audit/proofs/inclusion?index=${step.index}&treeSize=${checkpoint.treeSize}`);
      verifyEntryInclusion({ entry: step, proof: proof.body, checkpoint });
    }
  });

  it("shows a partner its own message's timeline, with the steps that name it, and no other's (404 as for an unknown id)", async () => {
    for (const party of ['ofii-paris', 'mission-locale-paris']) {
      const answer = await get(gw.baseUrl, party, `/v1/messages/${idOf(toMissionLocale)}/timeline`);
      expect(answer.status, party).to.equal(200);
      expect((answer.body as { steps: Entry[] }).steps.map((s) => s.event), party).to.deep.equal(['accepted', 'queued', 'acknowledged']);
    }
    const hidden: HttpAnswer = await get(gw.baseUrl, 'france-travail-paris', `/v1/messages/${idOf(toMissionLocale)}/timeline`);
    const unknown: HttpAnswer = await get(gw.baseUrl, 'france-travail-paris', '/v1/messages/0b7e6a52-0000-4000-8000-000000000000/timeline');
    expect(hidden.status).to.equal(404);
    expect(hidden.body).to.include({ code: 'not_found' });
    expect((hidden.body as { detail: string }).detail).to.equal((unknown.body as { detail: string }).detail);
    expect(JSON.stringify(hidden.body)).to.not.include(idOf(toMissionLocale));
    const own = await get(gw.baseUrl, 'france-travail-paris', `/v1/messages/${idOf(toFranceTravail)}/timeline`);
    expect(own.status).to.equal(200);
    expect((await get(gw.baseUrl, 'prefecture-paris', `/v1/messages/${idOf(toFranceTravail)}/timeline`)).status).to.equal(403);
  });
});
