/**
 * The AsyncAPI document of the AMQP side: valid for @asyncapi/parser 3 (no error; warnings printed),
 * and its channels are exactly the exchanges and queues the code declares (src/broker/topology.ts and
 * the dead-letter watch) for the receiving partners of certs.example, read by running the real
 * declarations against a channel that records them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Channel } from 'amqplib';
import { Parser } from '@asyncapi/parser';
import { buildAsyncApi } from '../../src/api-description/asyncapi.js';
import { declareDeadLetterWatch } from '../../src/broker/dead-letter-watcher.js';
import { AUDIT_INDEX_HEADER, publishOptions, SENDER_HEADER } from '../../src/broker/publisher.js';
import { declareTopology } from '../../src/broker/topology.js';
import { defaultSchemasDir } from '../../src/schema/validator.js';
import { EXAMPLE_CERTS } from '../fixtures/gateway.js';

const PREFIX = 'passerelle';
const DELIVERY_LIMIT = 5;

function exampleRecipients(): string[] {
  const registry = JSON.parse(fs.readFileSync(path.join(EXAMPLE_CERTS, 'partners.json'), 'utf8')) as { partners: Array<{ id: string; receives?: string[] }> };
  return registry.partners.filter((p) => (p.receives ?? []).length > 0).map((p) => p.id);
}

/** What the code declares: exchanges and queues by name, with their arguments. */
async function declared(recipients: string[]): Promise<{ exchanges: Map<string, string>; queues: Map<string, Record<string, unknown>> }> {
  const exchanges = new Map<string, string>();
  const queues = new Map<string, Record<string, unknown>>();
  const channel = {
    assertExchange: async (name: string, type: string) => void exchanges.set(name, type),
    assertQueue: async (name: string, options: { arguments?: Record<string, unknown> }) => void queues.set(name, options.arguments ?? {}),
    bindQueue: async () => undefined,
  } as unknown as Channel;
  await declareTopology(channel, { prefix: PREFIX, recipients, deliveryLimit: DELIVERY_LIMIT });
  await declareDeadLetterWatch(channel, PREFIX);
  return { exchanges, queues };
}

describe('api-description: the AsyncAPI document', () => {
  const recipients = exampleRecipients();
  const document = buildAsyncApi({ prefix: PREFIX, recipients, deliveryLimit: DELIVERY_LIMIT, schemasDir: defaultSchemasDir(), version: '0.0.0' }) as {
    channels: Record<string, { address: string; bindings: { amqp: { is: string } }; 'x-passerelle-queue-arguments'?: Record<string, unknown> }>;
    components: { messages: Record<string, { headers: { properties: Record<string, unknown>; required: string[] } }> };
  };

  it('is a valid AsyncAPI 3.0 document for @asyncapi/parser (no error)', async () => {
    const { diagnostics } = await new Parser().parse(JSON.stringify(document));
    const errors = diagnostics.filter((d) => d.severity === 0);
    const warnings = diagnostics.filter((d) => d.severity === 1);
    for (const warning of warnings) console.log(`      AsyncAPI warning: ${warning.code} at ${warning.path.join('.')}: ${warning.message}`);
    expect(errors.map((e) => `${e.code} at ${e.path.join('.')}: ${e.message}`)).to.deep.equal([]);
  });

  it('has a channel for each exchange and queue the code declares for the partners of certs.example, and no other', async () => {
    expect(recipients.length).to.be.greaterThan(3);
    const { exchanges, queues } = await declared(recipients);
    const channels = Object.values(document.channels);
    const documentedExchanges = channels.filter((c) => c.bindings.amqp.is === 'routingKey').map((c) => c.address);
    const documentedQueues = channels.filter((c) => c.bindings.amqp.is === 'queue').map((c) => c.address);
    expect([...documentedExchanges].sort()).to.deep.equal([...exchanges.keys()].sort());
    expect([...documentedQueues].sort()).to.deep.equal([...queues.keys()].sort());
    for (const channel of channels) {
      if (channel.bindings.amqp.is !== 'queue') continue;
      const args = queues.get(channel.address)!;
      for (const [name, value] of Object.entries(channel['x-passerelle-queue-arguments'] ?? {})) expect(args[name], `${channel.address} ${name}`).to.equal(value);
    }
  });

  it('names the headers the publisher sets, traceparent as optional', () => {
    const set = Object.keys(publishOptions({ messageId: '00000000-0000-4000-8000-000000000000', type: 'orientation', sender: 'ofii-paris', recipient: 'epec-paris', acceptedAt: new Date().toISOString(), auditIndex: 1 } as never).headers ?? {});
    expect(set).to.include.members([SENDER_HEADER, AUDIT_INDEX_HEADER]);
    const delivery = document.components.messages['Delivery']!.headers;
    expect(Object.keys(delivery.properties), 'a header the publisher sets is missing from the document').to.include.members(set);
    expect(delivery.required).to.have.members(set.filter((name) => name !== 'traceparent'));
    expect(delivery.properties).to.have.property('traceparent');
    expect(delivery.required).to.not.include('traceparent');
  });
});
