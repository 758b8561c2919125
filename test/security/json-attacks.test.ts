/**
 * Hostile JSON inside correctly signed and encrypted messages, posted to the real gateway: the
 * signature is valid (OFII's own key), so only the gateway's reading of the signed document stands
 * between the attack and the recipient's queue. One named attack per test; each asserts the problem
 * code, that nothing was stored under the message id, and, at the end, that the recipient's queue
 * holds only the controls.
 */
import { expect } from 'chai';
import * as openpgp from 'openpgp';
import { enums } from 'openpgp';
import { queueName } from '../../src/broker/topology.js';
import type { HttpAnswer } from '../../src/client/gateway-client.js';
import { receiveDelivery } from '../../src/client/receive.js';
import { signAndEncrypt } from '../../src/crypto/seal.js';
import { PROBLEM_CATALOGUE, type ProblemCode } from '../../src/domain/errors.js';
import { drainQueue, eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { example, partner, post, send, type Json } from '../fixtures/partner.js';

const encoder = new TextEncoder();

function expectProblem(answer: HttpAnswer, code: ProblemCode): Json {
  const body = answer.body as Json;
  expect(answer.contentType, JSON.stringify(body)).to.match(/^application\/problem\+json/);
  expect(body, JSON.stringify(body)).to.include({ code, status: PROBLEM_CATALOGUE[code].status });
  expect(answer.status).to.equal(PROBLEM_CATALOGUE[code].status);
  return body;
}

/** Signs as OFII and encrypts to the gateway with zlib compression, so that megabytes of JSON fit under the 1 MiB body limit. */
async function sealCompressed(document: Uint8Array): Promise<Uint8Array> {
  const ofii = await partner('ofii-paris');
  return openpgp.encrypt({
    message: await openpgp.createMessage({ binary: document }),
    signingKeys: ofii.privateKey,
    encryptionKeys: ofii.gatewayKeys,
    format: 'binary',
    config: { preferredCompressionAlgorithm: enums.compression.zlib },
  });
}

/** The example orientation as compact JSON text, with its message id. */
function orientationText(): { id: string; text: string } {
  const document = example('orientation');
  return { id: document['header']['messageId'] as string, text: JSON.stringify(document) };
}

/** The largest document PASSERELLE_MAX_DOCUMENT_BYTES allows. */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

describe('@integration security: JSON attacks inside signed documents', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  const accepted: string[] = [];

  // The largest documents and bodies the settings allow (1 MiB and 4 MiB), not the defaults (64 KiB
  // and 256 KiB): the reader must stay quick and bounded at whatever limit an operator sets.
  before(async () => {
    gw = await startTestGateway({
      PASSERELLE_RATE_LIMIT_BURST: '100000',
      PASSERELLE_RATE_LIMIT_PER_MINUTE: '1000000',
      PASSERELLE_MAX_DOCUMENT_BYTES: String(MAX_DOCUMENT_BYTES),
      PASSERELLE_MAX_BODY_BYTES: String(4 * 1024 * 1024),
    });
  });
  after(async () => {
    await gw?.dispose();
  });

  /** Posts OFII's signed document and expects `code`, with nothing stored under `id`. */
  async function refused(id: string, document: string | Uint8Array, code: ProblemCode, compressed = false): Promise<Json> {
    const bytes = typeof document === 'string' ? encoder.encode(document) : document;
    const answer = compressed ? await post(gw.baseUrl, 'ofii-paris', await sealCompressed(bytes), 'application/octet-stream') : await send(gw.baseUrl, 'ofii-paris', bytes);
    const body = expectProblem(answer, code);
    expect(await gw.store.findMessage(id)).to.equal(undefined);
    return body;
  }

  describe('duplicate member names', () => {
    it('duplicate keys: two "recipient" members in one signed header; a first-wins and a last-wins parser would route it to two different agencies', async () => {
      const { id, text } = orientationText();
      const twoRecipients = text.replace('"recipient":"mission-locale-paris"', '"recipient":"mission-locale-paris","recipient":"cap-emploi-75"');
      expect(twoRecipients).not.to.equal(text);
      // What two common readings of the same signed bytes give:
      const lastWins = (JSON.parse(twoRecipients) as Json)['header']['recipient'];
      const firstWins = /"recipient":"([^"]+)"/.exec(twoRecipients)![1];
      expect([firstWins, lastWins]).to.deep.equal(['mission-locale-paris', 'cap-emploi-75']);
      const body = await refused(id, twoRecipients, 'malformed_message');
      expect(body['detail']).to.contain('appears twice');
    });

    it('duplicate keys, control: the same document with one "recipient" is accepted', async () => {
      const { id, text } = orientationText();
      const answer = await send(gw.baseUrl, 'ofii-paris', text);
      expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
      accepted.push(id);
    });

    it('duplicate keys spelled differently: "recipient" and "r\\u0065cipient" are the same name and are refused', async () => {
      const { id, text } = orientationText();
      await refused(id, text.replace('"recipient":"mission-locale-paris"', '"recipient":"mission-locale-paris","r\\u0065cipient":"cap-emploi-75"'), 'malformed_message');
    });

    it('duplicate keys: two "sender" members, the second naming another partner, are refused before the sender check', async () => {
      const { id, text } = orientationText();
      await refused(id, text.replace('"sender":"ofii-paris"', '"sender":"ofii-paris","sender":"france-travail-paris"'), 'malformed_message');
    });

    it('duplicate keys: two "header" objects at the top level are refused', async () => {
      const { id, text } = orientationText();
      const header = JSON.stringify((JSON.parse(text) as Json)['header']);
      await refused(id, text.replace('{"header":', `{"header":${header.replace('mission-locale-paris', 'ftda-paris')},"header":`), 'malformed_message');
    });
  });

  describe('prototype keys', () => {
    it('__proto__ key: a body member named __proto__ is refused and pollutes no prototype of the gateway process', async () => {
      const { id, text } = orientationText();
      await refused(id, text.replace('"body":{', '"body":{"__proto__":{"polluted":"yes","recipient":"cap-emploi-75"},'), 'malformed_message');
      expect(({} as Json)['polluted']).to.equal(undefined);
      expect(Object.prototype).not.to.have.property('polluted');
    });

    it('__proto__ key: a header whose recipient would come from __proto__ instead of an own member is refused', async () => {
      const { id, text } = orientationText();
      const smuggled = text.replace('"recipient":"mission-locale-paris",', '"__proto__":{"recipient":"cap-emploi-75"},');
      await refused(id, smuggled, 'malformed_message');
    });

    it('__proto__ key written with an escape (\\u005f_proto__) is refused too', async () => {
      const { id, text } = orientationText();
      await refused(id, text.replace('"body":{', '"body":{"\\u005f_proto__":{"polluted":"yes"},'), 'malformed_message');
      expect(({} as Json)['polluted']).to.equal(undefined);
    });

    it('constructor key: {"constructor":{"prototype":{…}}} is refused', async () => {
      const { id, text } = orientationText();
      await refused(id, text.replace('"body":{', '"body":{"constructor":{"prototype":{"polluted":"yes"}},'), 'malformed_message');
      expect(({} as Json)['polluted']).to.equal(undefined);
    });
  });

  describe('nesting', () => {
    it('deep nesting: 10,000 levels of objects are refused at once, without a stack overflow', async () => {
      const { id, text } = orientationText();
      const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
      const started = Date.now();
      const body = await refused(id, text.replace('"body":{', `"body":{"x":${deep},`), 'malformed_message');
      expect(body['detail']).to.contain('nested more than 64 levels');
      expect(Date.now() - started).to.be.lessThan(5_000);
    });

    it('deep nesting: 500,000 levels of arrays (1 MB, compressed under the body limit) are refused', async () => {
      const { id, text } = orientationText();
      const deep = `${'['.repeat(500_000)}${']'.repeat(500_000)}`;
      expect(text.length + deep.length).to.be.below(MAX_DOCUMENT_BYTES);
      await refused(id, text.replace('"body":{', `"body":{"x":${deep},`), 'malformed_message', true);
    });

    it('deep nesting: the gateway is still alive and accepting after the nesting attacks', async () => {
      const { id, text } = orientationText();
      const answer = await send(gw.baseUrl, 'ofii-paris', text);
      expect(answer.status).to.equal(202);
      accepted.push(id);
    });
  });

  describe('huge values', () => {
    it('huge number: 1e400 (beyond a double) is refused, not read as Infinity', async () => {
      const { id, text } = orientationText();
      expect((JSON.parse('{"n":1e400}') as Json)['n']).to.equal(Infinity);
      await refused(id, text.replace('"dependentChildren":0', '"dependentChildren":1e400'), 'malformed_message');
    });

    it('huge number: a 20-digit integer, which JSON.parse rounds and other parsers read exactly, is refused', async () => {
      const { id, text } = orientationText();
      expect(String((JSON.parse('{"n":12345678901234567891}') as Json)['n'])).not.to.equal('12345678901234567891');
      await refused(id, text.replace('"dependentChildren":0', '"dependentChildren":12345678901234567891'), 'malformed_message');
    });

    it('huge string: a 1 MB street line (under the 1 MiB decompressed limit) is refused by the schema, quickly, without echo', async () => {
      const { id, text } = orientationText();
      const street = `14 rue ${'de l’Exemple '.repeat(65_000)}`;
      expect(Buffer.byteLength(street)).to.be.within(900_000, MAX_DOCUMENT_BYTES - text.length);
      const document = text.replace(/"streetLine":"[^"]*"/, `"streetLine":${JSON.stringify(street)}`);
      const started = Date.now();
      const body = await refused(id, document, 'schema_invalid', true);
      expect(Date.now() - started).to.be.lessThan(10_000);
      expect((body['errors'] as Json[]).map((e) => e['pointer'])).to.include('/body/contact/address/streetLine');
      expect(JSON.stringify(body).length).to.be.lessThan(2_000);
    });

    it('huge string: a 5 MB string (over the 1 MiB decompressed limit) is refused while decompressing', async () => {
      const { id, text } = orientationText();
      const document = text.replace('"body":{', `"body":{"x":"${'a'.repeat(5_000_000)}",`);
      const body = await refused(id, document, 'malformed_message', true);
      expect(body['detail']).to.contain('decompresses to more than');
    });

    it('huge member count: 70,000 distinct members (1 MB) are read and refused by the schema quickly', async () => {
      const { id, text } = orientationText();
      const members = Array.from({ length: 70_000 }, (_, i) => `"k${i}":${i}`).join(',');
      expect(text.length + members.length).to.be.below(MAX_DOCUMENT_BYTES);
      const started = Date.now();
      await refused(id, text.replace('"body":{', `"body":{${members},`), 'schema_invalid', true);
      expect(Date.now() - started).to.be.lessThan(10_000);
    });
  });

  describe('encoding', () => {
    const invalidSequences: Array<[string, number[]]> = [
      ['an overlong encoding of "/" (C0 AF)', [0xc0, 0xaf]],
      ['a UTF-8-encoded surrogate (ED A0 80)', [0xed, 0xa0, 0x80]],
      ['a truncated 3-byte sequence (E2 82)', [0xe2, 0x82]],
      ['a lone continuation byte (80)', [0x80]],
      ['Latin-1 text ("é" as E9)', [0xe9]],
      ['a code point above U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
    ];
    for (const [name, sequence] of invalidSequences) {
      it(`invalid UTF-8: ${name} inside a string is refused`, async () => {
        const { id, text } = orientationText();
        const [before, after] = text.split('KARIMI');
        const bytes = Buffer.concat([Buffer.from(`${before}KAR`), Buffer.from(sequence), Buffer.from(`IMI${after}`)]);
        const body = await refused(id, bytes, 'malformed_message');
        expect(body['detail']).to.contain('UTF-8');
      });
    }

    it('byte-order mark: a document starting with EF BB BF is refused', async () => {
      const { id, text } = orientationText();
      const body = await refused(id, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'malformed_message');
      expect(body['detail']).to.contain('byte-order mark');
    });

    it('byte-order mark: a UTF-16 document (FF FE, then UTF-16LE) is refused', async () => {
      const { id, text } = orientationText();
      await refused(id, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), 'malformed_message');
    });

    it('unpaired surrogate: an escaped lone surrogate (\\ud800) in a name is refused', async () => {
      const { id, text } = orientationText();
      await refused(id, text.replace('"birthName":"KARIMI"', '"birthName":"KARIMI\\ud800"'), 'malformed_message');
    });

    it('raw control character: a NUL byte inside a string is refused', async () => {
      const { id, text } = orientationText();
      await refused(id, text.replace('"birthName":"KARIMI"', '"birthName":"KARIMI\u0000"'), 'malformed_message');
    });
  });

  describe('grammar', () => {
    it('two JSON texts in one signed document: a streaming parser would read the first, another the last; refused', async () => {
      const { id, text } = orientationText();
      const other = text.replace('mission-locale-paris', 'ftda-paris');
      await refused(id, `${text}\n${other}`, 'malformed_message');
    });

    it('JSON5 extensions (comments, single quotes, trailing commas) are refused', async () => {
      const { id, text } = orientationText();
      await refused(id, text.replace('{"header":{', '{/* routed */"header":{'), 'malformed_message');
      await refused(id, text.replace('"sex":"F"', "'sex':'F'"), 'malformed_message');
      await refused(id, text.replace(/}}$/, ',}}'), 'malformed_message');
    });

    it('not an object: a top-level array holding the document is refused', async () => {
      const { id, text } = orientationText();
      await refused(id, `[${text}]`, 'malformed_message');
    });
  });

  describe('the consumer side reads as strictly as the gateway', () => {
    it('duplicate keys in a delivery: the consumer refuses a signed document with two recipients, even signed by the right sender', async () => {
      const { text } = orientationText();
      const ofii = await partner('ofii-paris');
      const missionLocale = await partner('mission-locale-paris');
      const twoRecipients = text.replace('"recipient":"mission-locale-paris"', '"recipient":"cap-emploi-75","recipient":"mission-locale-paris"');
      const body = await signAndEncrypt({ document: encoder.encode(twoRecipients), signingKey: ofii.privateKey, encryptionKeys: await missionLocale.senderKeys('mission-locale-paris'), armor: true });
      let error: unknown;
      try {
        await receiveDelivery({ view: missionLocale, delivery: { messageId: (JSON.parse(text) as Json)['header']['messageId'], sender: 'ofii-paris', body: Buffer.from(body as string) }, maxDocumentBytes: gw.settings.maxDocumentBytes });
      } catch (err) {
        error = err;
      }
      expect((error as { code?: string }).code).to.equal('malformed_message');
      expect((error as Error).message).to.contain('delivered document');
    });
  });

  // Mocha runs a suite's own tests before its nested suites: this check must come last, in a suite of its own.
  describe('afterwards', () => {
    it('queued nothing but the controls', async () => {
      await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
      const delivered = await drainQueue(queueName(gw.settings.amqpPrefix, 'mission-locale-paris'));
      expect(delivered.map((m) => m.properties['messageId']).sort()).to.deep.equal([...accepted].sort());
      for (const other of ['cap-emploi-75', 'ftda-paris', 'france-travail-paris']) {
        expect(await drainQueue(queueName(gw.settings.amqpPrefix, other)), other).to.have.length(0);
      }
    });
  });
});
