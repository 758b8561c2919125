/**
 * Opt-out oracle: an agency with no link to a person sends messages about them to learn whether they
 * opted out (an exemption or a withdrawal is the person's business, and says something of their
 * situation). The refusal must read the same whether the person opted out, did not, or is unknown to
 * the gateway: the relationship checks of step 8 (the follow a referral needs, the message an answer
 * names) come before the opt-out (src/app/ingest.ts, src/app/dossiers.ts). Real gateway, real store.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import type { HttpAnswer } from '../../src/client/gateway-client.js';
import { drainQueue, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { optOut, orientationTo, randomRef, referral } from '../fixtures/dossier.js';
import { example, get, send, type Json } from '../fixtures/partner.js';

const PROBER = 'mission-locale-paris';

/** What a caller can compare of two answers: everything but the request id. */
function comparable(answer: HttpAnswer): unknown {
  const { requestId: _requestId, ...body } = answer.body as Record<string, unknown>;
  return { status: answer.status, body };
}

describe('@integration security: an agency with no link to a person cannot learn whether they opted out', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  const optedOut = randomRef();
  const notOptedOut = randomRef();
  const unknown = randomRef();
  /** An orientation the prober did receive, about a fourth person: a real message to name in inReplyTo. */
  let ownOrientation: Json;
  /** France Travail's orientations of the two people, which the prober did not receive. */
  const othersOrientation = new Map<string, Json>();

  before(async () => {
    gw = await startTestGateway();
    for (const ref of [optedOut, notOptedOut]) {
      const orientation = orientationTo('france-travail-paris', ref);
      expect((await send(gw.baseUrl, 'ofii-paris', orientation)).status).to.equal(202);
      othersOrientation.set(ref, orientation);
    }
    expect((await send(gw.baseUrl, 'ofii-paris', optOut(optedOut))).status).to.equal(202);
    ownOrientation = orientationTo(PROBER, randomRef());
    expect((await send(gw.baseUrl, 'ofii-paris', ownOrientation)).status).to.equal(202);
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    await drainQueue(queueName(gw.settings.amqpPrefix, PROBER));
  });
  after(async () => {
    await gw?.dispose();
  });

  it('OFII, which sends the opt-outs, is told: its orientation of the person is refused with beneficiary-opted-out', async () => {
    const answer = await send(gw.baseUrl, 'ofii-paris', orientationTo('epec-paris', optedOut));
    expect(answer.body).to.include({ code: 'rule_violation', rule: 'beneficiary-opted-out' });
  });

  const PROBES: Array<{ name: string; document: (ref: string) => Json }> = [
    { name: 'a referral of the person to another agency', document: (ref) => referral(PROBER, 'epec-paris', ref) },
    {
      name: 'an acknowledgement naming a message the gateway never saw',
      document: (ref) => example('acknowledgement', { sender: PROBER, recipient: 'ofii-paris', beneficiaryRef: ref, inReplyTo: randomUUID() }),
    },
    {
      name: 'an acknowledgement naming an orientation the prober received, about someone else',
      document: (ref) => example('acknowledgement', { sender: PROBER, recipient: 'ofii-paris', beneficiaryRef: ref, inReplyTo: ownOrientation['header']['messageId'] }),
    },
    {
      name: "a status update naming another agency's orientation of the person",
      document: (ref) => {
        const original = othersOrientation.get(ref) ?? othersOrientation.get(notOptedOut)!;
        return example('status-update', { sender: PROBER, recipient: 'ofii-paris', beneficiaryRef: ref, inReplyTo: original['header']['messageId'] });
      },
    },
  ];

  for (const probe of PROBES) {
    it(`${probe.name}: the same answer for a person who opted out, one who did not, and one the gateway never saw`, async () => {
      const answers = new Map<string, HttpAnswer>();
      for (const [who, ref] of [['opted out', optedOut], ['not opted out', notOptedOut], ['unknown', unknown]] as const) {
        answers.set(who, await send(gw.baseUrl, PROBER, probe.document(ref)));
      }
      const optedOutAnswer = answers.get('opted out')!;
      expect(optedOutAnswer.status).to.equal(422);
      expect(optedOutAnswer.body).to.include({ code: 'rule_violation' });
      expect(optedOutAnswer.body).not.to.include({ rule: 'beneficiary-opted-out' });
      expect(comparable(answers.get('not opted out')!)).to.deep.equal(comparable(optedOutAnswer));
      expect(comparable(answers.get('unknown')!)).to.deep.equal(comparable(optedOutAnswer));
    });
  }

  it("the prober's own audit entries of these refusals read the same too, and nothing reached any queue", async () => {
    const entries = (await get(gw.baseUrl, PROBER, '/v1/audit/entries')).body as { entries: Array<Record<string, unknown>> };
    const refusals = entries.entries.filter((e) => e['event'] === 'rejected' && e['sender'] === PROBER);
    expect(refusals).to.have.length(PROBES.length * 3);
    const shapes = refusals.map((e) => JSON.stringify([e['code'], e['type'], e['recipient'], Object.keys(e).sort()]));
    // Per probe, the three people's entries differ in nothing but ids, digests, pseudonyms and times.
    for (let i = 0; i < shapes.length; i += 3) expect(new Set(shapes.slice(i, i + 3)).size, shapes[i]).to.equal(1);
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    for (const id of ['ofii-paris', 'epec-paris']) expect(await drainQueue(queueName(gw.settings.amqpPrefix, id)), id).to.have.length(0);
  });
});
