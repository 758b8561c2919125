/**
 * Property-based fuzzing (fast-check) of the whole POST path of ONE real gateway: mutual TLS, express,
 * the body reader, the OpenPGP adapter, the strict JSON reader, the schema, the business rules, the
 * SQLite store and the relay to RabbitMQ. Requests go over kept-alive HTTPS connections so that the
 * cases are cheap enough to run more than 10,000 of them in CI.
 *
 * Five families of input, run side by side:
 *   (a) random bytes, raw or inside an armor;
 *   (b) valid sealed messages mutated (bit flips, truncations, splices, insertions, duplications);
 *   (c) correctly signed and encrypted JSON: random JSON, and the examples mutated as objects and as text
 *       (duplicate names, __proto__, deep nesting, BOM, invalid UTF-8, huge numbers);
 *   (d) random headers: Content-Type, Content-Encoding and unknown header names and values;
 *   (e) random methods and paths.
 *
 * The property, for every case: the gateway answers; the answer is either problem+json with a code
 * of the contract and that code's status (never `internal`, never `unavailable`), or a success whose
 * body is a receipt that verifies with the gateway's key. After all cases: /healthz and /readyz
 * answer, and exactly the accepted messages reached the recipients' queues.
 *
 * Scale with FUZZ_SCALE (default 1: 10,500 cases). The counts and the rate are printed.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import * as openpgp from 'openpgp';
import { queueName } from '../../src/broker/topology.js';
import { verifyReceipt, type ReceiptedAnswer } from '../../src/crypto/receipt.js';
import { PROBLEM_CATALOGUE, type ProblemCode } from '../../src/domain/errors.js';
import { drainQueue, eventually, RECIPIENTS, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { bytesOf, example, partner, seal, type Json } from '../fixtures/partner.js';

const SCALE = Number(process.env['FUZZ_SCALE'] ?? '1');
/** FUZZ_ONLY=a,c runs only those families (to reproduce a failure quickly). */
const ONLY = new Set((process.env['FUZZ_ONLY'] ?? 'a,b,c,d,e').split(','));
const runs = (family: string, count: number) => (ONLY.has(family) ? Math.round(count * SCALE) : 0);
const RUNS = {
  randomBytes: runs('a', 3_000),
  mutatedMessages: runs('b', 3_000),
  signedJson: runs('c', 2_500),
  headers: runs('d', 1_500),
  paths: runs('e', 500),
};

/** Codes a hostile partner may legitimately get; a fuzz case getting any other code is a defect. */
const EXPECTED_CODES = new Set<ProblemCode>([
  'malformed_message', 'signature_invalid', 'bad_request', 'forbidden', 'sender_mismatch', 'type_not_allowed', 'not_found',
  'method_not_allowed', 'duplicate_conflict', 'payload_too_large', 'unsupported_media_type', 'schema_invalid', 'stale_message',
  'unknown_recipient', 'recipient_not_allowed', 'rule_violation', 'request_header_fields_too_large',
]);

/**
 * Each family runs in this many concurrent lanes (each its own fast-check run and seed), so that the
 * gateway always has work while a case's answer travels back.
 */
const LANES = 4;

function lanes<T extends [unknown, ...unknown[]]>(property: fc.IAsyncPropertyWithHooks<T>, runs: number): Array<Promise<void>> {
  return Array.from({ length: LANES }, (_, lane) => {
    const numRuns = Math.floor(runs / LANES) + (lane < runs % LANES ? 1 : 0);
    return numRuns === 0 ? Promise.resolve() : fc.assert(property, { numRuns });
  });
}

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

const encoder = new TextEncoder();

describe('@integration security: property-based fuzzing of POST /v1/messages', function () {
  this.timeout(600_000);
  let gw: TestGateway;
  const agents = new Map<string, https.Agent>();
  const tally = new Map<string, number>();
  const acceptedIds = new Set<string>();
  let cases = 0;
  /** Every TLS connection the cases used: few, if keep-alive works as it should. */
  const sockets = new Set<object>();

  before(async () => {
    // The store lives on tmpfs where there is one: the same SQLite code, but a commit costs no disk
    // flush, which would otherwise bound the rate at about one case per fsync (every refusal is audited).
    const dataDir = fs.existsSync('/dev/shm') ? fs.mkdtempSync(path.join('/dev/shm', 'passerelle-fuzz-')) : undefined;
    try {
      gw = await startTestGateway({ PASSERELLE_RATE_LIMIT_BURST: '1000000', PASSERELLE_RATE_LIMIT_PER_MINUTE: '10000000', ...(dataDir ? { PASSERELLE_DATA_DIR: dataDir } : {}) });
    } catch (err) {
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
    for (const id of ['ofii-paris', 'mission-locale-paris']) {
      const view = await partner(id);
      agents.set(id, new https.Agent({ keepAlive: true, maxSockets: 2 * LANES * 5, cert: view.tls.certPem, key: view.tls.keyPem, ca: view.tls.caPem }));
    }
  });
  after(async () => {
    for (const agent of agents.values()) agent.destroy();
    await gw?.dispose();
  });

  function request(opts: { client: string; method?: string; path?: string; body?: Uint8Array | string; headers?: Record<string, string> }): Promise<Answer> {
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
    // An explicit length: Node's client frames a body of OPTIONS or DELETE with nothing at all otherwise.
    const headers = { ...(opts.headers ?? { 'content-type': 'application/octet-stream' }), ...(body ? { 'content-length': String(body.length) } : {}) };
    return new Promise<Answer>((resolve, reject) => {
      const req = https.request(
        `${gw.baseUrl}${opts.path ?? '/v1/messages'}`,
        { method: opts.method ?? 'POST', agent: agents.get(opts.client)!, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('socket', (socket) => sockets.add(socket));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** The property: a contract problem or a verifiable receipt. Throws (failing the case) otherwise. */
  async function check(family: string, answer: Answer, successBody: 'receipt' | 'status' = 'receipt'): Promise<void> {
    cases++;
    const key = `${family} ${answer.status}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
    if (answer.status === 200 || answer.status === 202) {
      expect(answer.contentType).to.match(/^application\/json/);
      const body = JSON.parse(answer.body) as Json;
      if (successBody === 'status') {
        expect(body).to.have.property('messageId');
        return;
      }
      await verifyReceipt(body as ReceiptedAnswer, (await partner('ofii-paris')).gatewayKeys);
      expect((await gw.store.findMessage(body['messageId'] as string))?.payloadSha256).to.equal(body['payloadSha256']);
      acceptedIds.add(body['messageId'] as string);
      return;
    }
    expect(answer.contentType, `${answer.status} ${answer.body.slice(0, 300)}`).to.match(/^application\/problem\+json/);
    const problem = JSON.parse(answer.body) as Json;
    const code = problem['code'] as ProblemCode;
    expect(EXPECTED_CODES.has(code), `unexpected code ${code}: ${answer.body.slice(0, 300)}`).to.equal(true);
    expect(answer.status).to.equal(PROBLEM_CATALOGUE[code].status);
    expect(problem).to.include({ type: `/problems/${code}`, status: answer.status, title: PROBLEM_CATALOGUE[code].title });
    expect(problem['detail']).to.be.a('string').and.not.empty;
  }

  // (b) and (d) need valid messages to mutate: sealed once, binary and armored.
  let pool: Uint8Array[] = [];
  before(async () => {
    const ofii = await partner('ofii-paris');
    pool = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const document = bytesOf(example('orientation'));
        const sealed = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: document }), signingKeys: ofii.privateKey, encryptionKeys: ofii.gatewayKeys, format: (i % 2 === 0 ? 'binary' : 'armored') as 'binary' });
        return typeof sealed === 'string' ? encoder.encode(sealed) : sealed;
      }),
    );
  });

  const mutation = fc.record({
    index: fc.nat({ max: 39 }),
    other: fc.nat({ max: 39 }),
    kind: fc.constantFrom('flip', 'flip', 'truncate', 'splice', 'insert', 'duplicate', 'zero', 'none'),
    at: fc.nat(),
    bit: fc.nat({ max: 7 }),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  });

  function mutate(m: { index: number; other: number; kind: string; at: number; bit: number; bytes: Uint8Array }): Uint8Array {
    const source = pool[m.index]!;
    const at = m.at % source.length;
    const copy = Uint8Array.from(source);
    switch (m.kind) {
      case 'flip':
        copy[at] = copy[at]! ^ (1 << m.bit);
        return copy;
      case 'truncate':
        return copy.subarray(0, at);
      case 'splice': {
        const other = pool[m.other]!;
        return Uint8Array.from([...copy.subarray(0, at), ...other.subarray(at % other.length)]);
      }
      case 'insert':
        return Uint8Array.from([...copy.subarray(0, at), ...m.bytes, ...copy.subarray(at)]);
      case 'duplicate':
        return Uint8Array.from([...copy, ...copy.subarray(at)]);
      case 'zero':
        copy.fill(0, at, at + m.bytes.length);
        return copy;
      default:
        return copy;
    }
  }

  /** (c) Document mutations, as objects and as text, on a fresh example. */
  const documentCase = fc.record({
    type: fc.constantFrom('orientation', 'orientation', 'acknowledgement', 'status-update'),
    signer: fc.constantFrom('ofii-paris', 'ofii-paris', 'mission-locale-paris'),
    objectOps: fc.array(fc.record({ kind: fc.constantFrom('delete', 'set', 'add'), at: fc.nat(), name: fc.string({ maxLength: 12 }), value: fc.jsonValue({ maxDepth: 3 }) }), { maxLength: 3 }),
    textOp: fc.constantFrom('none', 'none', 'none', 'duplicate-recipient', 'proto', 'constructor', 'deep', 'bom', 'invalid-utf8', 'huge-number', 'big-integer', 'truncate', 'trailing', 'lone-surrogate'),
    at: fc.nat(),
    randomJson: fc.option(fc.json({ maxDepth: 4 }), { freq: 5 }),
  });

  function leafPaths(value: unknown, prefix: string[] = []): string[][] {
    if (value === null || typeof value !== 'object') return [prefix];
    const entries = Object.entries(value as Json);
    return [prefix, ...entries.flatMap(([k, v]) => leafPaths(v, [...prefix, k]))];
  }

  function buildDocument(c: { type: string; signer: string; objectOps: Array<{ kind: string; at: number; name: string; value: unknown }>; textOp: string; at: number; randomJson: string | null }): Uint8Array {
    if (c.randomJson !== null) return encoder.encode(c.randomJson);
    const document = example(c.type as 'orientation', c.type === 'orientation' ? {} : { sender: c.signer, recipient: 'ofii-paris', inReplyTo: randomUUID() });
    for (const op of c.objectOps) {
      const paths = leafPaths(document).filter((p) => p.length > 0);
      // Earlier deletions may have emptied the document: nothing left to mutate.
      if (paths.length === 0) break;
      const target = paths[op.at % paths.length]!;
      const parent = target.slice(0, -1).reduce<Json>((node, k) => node[k] as Json, document);
      const last = target[target.length - 1]!;
      if (op.kind === 'delete') delete parent[last];
      else if (op.kind === 'set') parent[last] = op.value;
      else if (parent !== null && typeof parent === 'object' && !Array.isArray(parent)) Object.defineProperty(parent, op.name, { value: op.value, enumerable: true, writable: true, configurable: true });
    }
    let text = JSON.stringify(document);
    switch (c.textOp) {
      case 'duplicate-recipient':
        text = text.replace('"header":{', '"header":{"recipient":"ftda-paris",');
        break;
      case 'proto':
        text = text.replace('"body":{', '"body":{"__proto__":{"x":1},');
        break;
      case 'constructor':
        text = text.replace('"header":{', '"header":{"constructor":{"prototype":{"x":1}},');
        break;
      case 'deep':
        text = text.replace('"body":{', `"body":{"x":${'['.repeat(5_000)}${']'.repeat(5_000)},`);
        break;
      case 'bom':
        text = `\ufeff${text}`;
        break;
      case 'huge-number':
        text = text.replace('"version":1', '"version":1e400');
        break;
      case 'big-integer':
        text = text.replace('"version":1', '"version":100000000000000000001');
        break;
      case 'truncate':
        text = text.slice(0, c.at % text.length);
        break;
      case 'trailing':
        text = `${text}${text}`;
        break;
      case 'lone-surrogate':
        text = text.replace('"header":{', '"header":{"\\udc00":1,');
        break;
      default:
        break;
    }
    const bytes = encoder.encode(text);
    if (c.textOp !== 'invalid-utf8') return bytes;
    const at = c.at % bytes.length;
    return Uint8Array.from([...bytes.subarray(0, at), 0xc0, 0xaf, ...bytes.subarray(at)]);
  }

  const contentType = fc.oneof(
    fc.constantFrom('application/pgp-encrypted', 'application/octet-stream', 'application/pgp-encrypted; charset=utf-8', 'text/plain', 'application/json', 'multipart/form-data; boundary=x', 'APPLICATION/OCTET-STREAM', 'application/pgp-encrypted;;;', '*/*', ''),
    fc.string({ maxLength: 40 }).filter((s) => /^[\t\x20-\x7e]*$/.test(s)),
  );
  const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,24}$/).filter((name) => !/^(content-length|transfer-encoding|host|connection|expect|upgrade|te|trailer|keep-alive)$/i.test(name));
  const headerCase = fc.record({
    contentType,
    encoding: fc.option(fc.constantFrom('gzip', 'identity', 'br', 'deflate', 'x-unknown'), { freq: 4 }),
    extra: fc.dictionary(headerName, fc.string({ maxLength: 200 }).filter((s) => /^[\t\x20-\x7e]*$/.test(s)), { maxKeys: 6 }),
    body: fc.oneof(fc.nat({ max: 39 }), fc.uint8Array({ maxLength: 512 })),
  });

  it(`holds for ${Object.values(RUNS).reduce((a, b) => a + b, 0)} hostile cases through the whole POST path`, async () => {
    const started = Date.now();
    const armor = (bytes: Uint8Array) => `-----BEGIN PGP MESSAGE-----\n\n${Buffer.from(bytes).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PGP MESSAGE-----\n`;
    await Promise.all([
      // (a) random bytes
      ...lanes(
        fc.asyncProperty(fc.uint8Array({ maxLength: 4_096 }), fc.boolean(), fc.boolean(), async (bytes, armored, binaryType) => {
          await check('a:random', await request({ client: 'ofii-paris', body: armored ? armor(bytes) : bytes, headers: { 'content-type': binaryType ? 'application/octet-stream' : 'application/pgp-encrypted' } }));
        }),
        RUNS.randomBytes,
      ),
      // (b) mutated valid messages
      ...lanes(
        fc.asyncProperty(mutation, async (m) => {
          await check('b:mutated', await request({ client: 'ofii-paris', body: mutate(m), headers: { 'content-type': m.index % 2 === 0 ? 'application/octet-stream' : 'application/pgp-encrypted' } }));
        }),
        RUNS.mutatedMessages,
      ),
      // (c) valid signatures over hostile documents
      ...lanes(
        fc.asyncProperty(documentCase, async (c) => {
          const sealed = await seal(c.signer, buildDocument(c));
          await check('c:signed-json', await request({ client: c.signer, body: sealed, headers: { 'content-type': 'application/pgp-encrypted' } }));
        }),
        RUNS.signedJson,
      ),
      // (d) random headers
      ...lanes(
        fc.asyncProperty(headerCase, async (h) => {
          const headers: Record<string, string> = { ...h.extra };
          for (const name of Object.keys(headers)) if (/^content-/i.test(name)) delete headers[name];
          if (h.contentType !== '') headers['content-type'] = h.contentType;
          if (h.encoding !== null) headers['content-encoding'] = h.encoding;
          const body = typeof h.body === 'number' ? pool[h.body]! : h.body;
          await check('d:headers', await request({ client: 'ofii-paris', body, headers }));
        }),
        RUNS.headers,
      ),
      // (e) random methods and paths
      ...lanes(
        fc.asyncProperty(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), fc.webPath(), async (method, webPath) => {
          const target = `/v1/${webPath.replace(/^\//, '')}`;
          const answer = await request({ client: 'ofii-paris', method, path: target, body: method === 'GET' || method === 'HEAD' ? undefined : 'x', headers: { 'content-type': 'application/pgp-encrypted' } });
          if (method === 'HEAD') {
            cases++;
            expect(answer.status).to.be.within(400, 499);
            return;
          }
          await check('e:paths', answer, 'status');
        }),
        RUNS.paths,
      ),
    ]);
    const seconds = (Date.now() - started) / 1000;
    const summary = [...tally.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}: ${n}`).join(', ');
    console.log(`      fuzz: ${cases} cases in ${seconds.toFixed(1)} s (${Math.round(cases / seconds)}/s) over ${sockets.size} TLS connections, ${acceptedIds.size} accepted; ${summary}`);
    expect(cases).to.equal(Object.values(RUNS).reduce((a, b) => a + b, 0));
  });

  it('the gateway is still up, ready, and delivered exactly the accepted messages', async () => {
    const health = await request({ client: 'ofii-paris', method: 'GET', path: '/healthz', headers: {} });
    expect(health.status).to.equal(200);
    const ready = await request({ client: 'ofii-paris', method: 'GET', path: '/readyz', headers: {} });
    expect(ready.status).to.equal(200);
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined), 30_000);
    const delivered = new Set<string>();
    for (const recipient of RECIPIENTS) {
      for (const message of await drainQueue(queueName(gw.settings.amqpPrefix, recipient))) delivered.add(message.properties['messageId'] as string);
    }
    expect([...delivered].sort()).to.deep.equal([...acceptedIds].sort());
  });
});
