/**
 * W3C Trace Context from a partner's request to the AMQP headers its recipient reads, on a real
 * gateway and the local RabbitMQ: with tracing off the caller's context goes through unchanged; with
 * tracing on (PASSERELLE_TRACES_ENDPOINT) the headers name the gateway's publish span in the caller's
 * trace, and the spans reach an OTLP/HTTP receiver through the real exporter, without personal data.
 */
import { randomBytes } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { expect } from 'chai';
import { readDelivery } from '../../src/broker/consumer.js';
import { queueName } from '../../src/broker/topology.js';
import { requestGateway } from '../../src/client/gateway-client.js';
import { drainQueue, eventually, startTestGateway, type QueuedMessage, type TestGateway } from '../fixtures/gateway.js';
import { example, partner, seal, type Json } from '../fixtures/partner.js';
import { startOtlpReceiver, type OtlpReceiver } from '../fixtures/otlp-receiver.js';

const traceId = () => randomBytes(16).toString('hex');
const spanId = () => randomBytes(8).toString('hex');

async function sendWith(gw: TestGateway, document: Json, headers: Record<string, string>): Promise<void> {
  const view = await partner('ofii-paris');
  const answer = await requestGateway({ baseUrl: gw.baseUrl, tls: view.tls, method: 'POST', path: '/v1/messages', body: await seal('ofii-paris', document), headers });
  expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
}

/** The delivery of `messageId` in mission-locale-paris's queue, as the project's consumer reads it. */
async function delivered(gw: TestGateway, messageId: string): Promise<QueuedMessage> {
  const taken: QueuedMessage[] = [];
  return eventually(async () => {
    taken.push(...(await drainQueue(queueName(gw.settings.amqpPrefix, 'mission-locale-paris'))));
    return taken.find((m) => m.properties['messageId'] === messageId);
  });
}

const asConsumed = (message: QueuedMessage) => readDelivery({ content: message.body, properties: message.properties, fields: message.fields } as unknown as ConsumeMessage);

describe('observability: W3C trace context from the request to the AMQP headers', function () {
  this.timeout(60_000);

  describe('tracing off (the default)', () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway();
    });
    after(async () => gw?.dispose());

    it("carries the partner's traceparent and tracestate unchanged to the recipient's delivery", async () => {
      const traceparent = `00-${traceId()}-${spanId()}-01`;
      const document = example('orientation');
      await sendWith(gw, document, { traceparent, tracestate: 'ofii=t61rcWkgMzE' });
      const message = await delivered(gw, document['header']['messageId'] as string);
      const headers = message.properties['headers'] as Record<string, unknown>;
      expect(headers['traceparent']).to.equal(traceparent);
      expect(headers['tracestate']).to.equal('ofii=t61rcWkgMzE');
      expect(asConsumed(message)?.traceContext).to.deep.equal({ traceparent, tracestate: 'ofii=t61rcWkgMzE' });
    });

    it('sends no trace header for a request without one, or with one that is not W3C Trace Context', async () => {
      for (const headers of [{}, { traceparent: 'not-a-traceparent' }, { traceparent: `00-${'0'.repeat(32)}-${spanId()}-01` }] as Array<Record<string, string>>) {
        const document = example('orientation');
        await sendWith(gw, document, headers);
        const message = await delivered(gw, document['header']['messageId'] as string);
        expect(message.properties['headers'], JSON.stringify(headers)).to.not.have.any.keys('traceparent', 'tracestate');
        expect(asConsumed(message)).to.not.have.property('traceContext');
      }
    });
  });

  describe('tracing on, exported with OTLP/HTTP', () => {
    let gw: TestGateway | undefined;
    let receiver: OtlpReceiver;
    before(async () => {
      receiver = await startOtlpReceiver();
    });
    after(async () => {
      await gw?.dispose();
      await receiver?.close();
    });

    it("continues the partner's trace into the gateway's spans and the delivery's headers, with no personal data", async () => {
      gw = await startTestGateway({ PASSERELLE_TRACES_ENDPOINT: receiver.url, PASSERELLE_TRACES_SERVICE_NAME: 'passerelle-test' });
      const trace = traceId();
      const callerSpan = spanId();
      const document = example('orientation');
      const messageId = document['header']['messageId'] as string;
      await sendWith(gw, document, { traceparent: `00-${trace}-${callerSpan}-01` });
      const message = await delivered(gw, messageId);
      const headers = message.properties['headers'] as Record<string, unknown>;
      const [version, sentTrace, parent, flags] = String(headers['traceparent']).split('-');
      expect({ version, sentTrace, flags }).to.deep.equal({ version: '00', sentTrace: trace, flags: '01' });
      expect(parent).to.not.equal(callerSpan);
      expect(asConsumed(message)?.traceContext?.traceparent).to.equal(headers['traceparent']);

      // The exporter sends in batches; stopping the gateway flushes them.
      await gw.dispose();
      gw = undefined;
      const spans = await eventually(async () => (receiver.spans.some((s) => s.traceId === trace && s.name.endsWith(' publish')) ? receiver.spans.filter((s) => s.traceId === trace) : undefined));
      const byName = new Map(spans.map((s) => [s.name, s]));
      const request = byName.get('POST /v1/messages')!;
      expect(request.parentSpanId).to.equal(callerSpan);
      expect(request.service).to.equal('passerelle-test');
      expect(request.attributes).to.include({ 'passerelle.sender': 'ofii-paris', 'messaging.message.id': messageId, 'http.response.status_code': 202 });
      for (const stage of ['crypto_open', 'validation', 'crypto_seal', 'store', 'receipt']) expect(byName.get(stage)?.parentSpanId, stage).to.equal(request.spanId);
      const publish = [...byName.values()].find((s) => s.name.endsWith(' publish'))!;
      expect(publish.parentSpanId).to.equal(request.spanId);
      // The delivery names the publish span: the recipient's consumer continues under it.
      expect(parent).to.equal(publish.spanId);

      // Nothing of the person: the beneficiary's reference and the identity and contact fields appear in no export.
      const exported = receiver.bodies.join('\n');
      const body = document['body'] as Json;
      const personal = [document['header']['beneficiaryRef'], body['identity']['birthName'], ...body['identity']['givenNames'], body['identity']['birthDate'], body['contact']['phone'], body['contact']['email'], body['contact']['address']['streetLine']];
      for (const value of personal) expect(exported, String(value)).to.not.include(String(value));
    });
  });
});
