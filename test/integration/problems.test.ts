/**
 * Every problem code of docs/interface.md (section 4), provoked through the real HTTPS API, each
 * answered as problem+json with its status; nothing refused reaches a queue, and every refusal after
 * step 1 is in the audit log.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import type { HttpAnswer } from '../../src/client/gateway-client.js';
import { PROBLEM_CATALOGUE } from '../../src/domain/errors.js';
import { drainQueue, eventually, EXAMPLE_CERTS, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { example, get, nowRfc3339, post, seal, send, type Json } from '../fixtures/partner.js';

const run = promisify(execFile);

/** The codes the contract's table lists; each must be provoked below. */
const CONTRACT_CODES = [
  'malformed_message', 'signature_invalid', 'unauthenticated', 'forbidden', 'sender_mismatch', 'type_not_allowed', 'not_found',
  'duplicate_conflict', 'payload_too_large', 'unsupported_media_type', 'schema_invalid', 'stale_message', 'unknown_recipient',
  'recipient_not_allowed', 'rule_violation', 'rate_limited', 'unavailable',
];
const provoked = new Set<string>();

function expectProblem(answer: HttpAnswer, code: string): Json {
  const body = answer.body as Json;
  expect(answer.contentType).to.match(/^application\/problem\+json/);
  expect(body, JSON.stringify(body)).to.include({ code, type: `/problems/${code}`, status: PROBLEM_CATALOGUE[code as keyof typeof PROBLEM_CATALOGUE].status });
  expect(answer.status).to.equal(body['status']);
  expect(body['title']).to.be.a('string').and.not.empty;
  expect(body['detail']).to.be.a('string').and.not.empty;
  provoked.add(code);
  return body;
}

async function curl(args: string[]): Promise<HttpAnswer> {
  const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}\n%{content_type}', ...args]);
  const lines = stdout.split('\n');
  const contentType = lines.pop()!;
  const status = Number(lines.pop());
  return { status, contentType, headers: {}, body: JSON.parse(lines.join('\n')) };
}

describe('@integration problems: every code of the contract', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  const accepted: string[] = [];
  const personal = example('orientation');

  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => {
    await gw?.dispose();
  });

  it('unauthenticated: no client certificate, or one from a foreign CA', async () => {
    expectProblem(await curl(['--cacert', path.join(EXAMPLE_CERTS, 'ca.crt'), '-X', 'POST', '-H', 'Content-Type: application/pgp-encrypted', '--data-binary', 'x', `${gw.baseUrl}/v1/messages`]), 'unauthenticated');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-foreign-'));
    try {
      await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=ofii-paris', '-days', '2', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')]);
      const answer = await curl(['--cacert', path.join(EXAMPLE_CERTS, 'ca.crt'), '--cert', path.join(dir, 'c.pem'), '--key', path.join(dir, 'k.pem'), `${gw.baseUrl}/v1/messages/00000000-0000-4000-8000-000000000000`]);
      expectProblem(answer, 'unauthenticated');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('malformed_message: not an OpenPGP message', async () => {
    expectProblem(await post(gw.baseUrl, 'ofii-paris', 'this is not OpenPGP'), 'malformed_message');
  });

  it("signature_invalid: signed with another partner's key", async () => {
    const document = example('orientation');
    const sealed = await seal('mission-locale-paris', document);
    expectProblem(await post(gw.baseUrl, 'ofii-paris', sealed), 'signature_invalid');
  });

  it('sender_mismatch: header.sender is not the authenticated partner', async () => {
    expectProblem(await send(gw.baseUrl, 'ofii-paris', example('orientation', { sender: 'france-travail-paris' })), 'sender_mismatch');
  });

  it('forbidden: a partner whose role sends nothing', async () => {
    expectProblem(await post(gw.baseUrl, 'auditor', 'anything'), 'forbidden');
  });

  it('schema_invalid: with JSON Pointers into the document and no value echoed', async () => {
    const document = example('orientation');
    delete document['body']['identity'];
    const body = expectProblem(await send(gw.baseUrl, 'ofii-paris', document), 'schema_invalid');
    expect(body['errors']).to.be.an('array').that.is.not.empty;
    expect((body['errors'] as Json[]).map((e) => e['pointer'])).to.include('/body/identity');
    expect(JSON.stringify(body)).not.to.include(document['header']['beneficiaryRef']);
  });

  it('stale_message: older than 24 hours, or too far in the future', async () => {
    expectProblem(await send(gw.baseUrl, 'ofii-paris', example('orientation', { sentAt: nowRfc3339(-25 * 3600) })), 'stale_message');
    expectProblem(await send(gw.baseUrl, 'ofii-paris', example('orientation', { sentAt: nowRfc3339(600) })), 'stale_message');
  });

  it('type_not_allowed, unknown_recipient, recipient_not_allowed', async () => {
    expectProblem(await send(gw.baseUrl, 'mission-locale-paris', example('orientation', { sender: 'mission-locale-paris', recipient: 'ofii-paris' })), 'type_not_allowed');
    expectProblem(await send(gw.baseUrl, 'ofii-paris', example('orientation', { recipient: 'nobody-registered' })), 'unknown_recipient');
    expectProblem(await send(gw.baseUrl, 'ofii-paris', example('orientation', { recipient: 'prefecture-paris' })), 'recipient_not_allowed');
  });

  it("rule_violation: Mission Locale's age rule, named in the answer", async () => {
    const document = example('orientation');
    document['body']['identity'] = { ...document['body']['identity'], birthDate: '1980-05-04' };
    const body = expectProblem(await send(gw.baseUrl, 'ofii-paris', document), 'rule_violation');
    expect(body['rule']).to.equal('mission-locale-age');
    expect(JSON.stringify(body)).not.to.include('1980');
  });

  it('duplicate_conflict: the same messageId with another document', async () => {
    const document = example('orientation');
    expect((await send(gw.baseUrl, 'ofii-paris', document)).status).to.equal(202);
    accepted.push(document['header']['messageId']);
    document['body']['wantsSpeSupport'] = !document['body']['wantsSpeSupport'];
    expectProblem(await send(gw.baseUrl, 'ofii-paris', document), 'duplicate_conflict');
  });

  it('not_found: an unknown id, a message of other partners, an unknown path', async () => {
    expectProblem(await get(gw.baseUrl, 'ofii-paris', '/v1/messages/00000000-0000-4000-8000-000000000000'), 'not_found');
    expectProblem(await get(gw.baseUrl, 'cap-emploi-75', `/v1/messages/${accepted[0]}`), 'not_found');
    expect((await get(gw.baseUrl, 'mission-locale-paris', `/v1/messages/${accepted[0]}`)).status).to.equal(200);
    expectProblem(await get(gw.baseUrl, 'ofii-paris', '/v1/../../etc/passwd'), 'not_found');
    // An unknown path points to the descriptions of the API that exist: the gateway's and the repository's.
    const unknownPath = expectProblem(await get(gw.baseUrl, 'ofii-paris', '/v1/nowhere'), 'not_found');
    expect(unknownPath['detail']).to.include('/openapi.json').and.include('docs/interface.md');
  });

  it('payload_too_large and unsupported_media_type, before any decryption', async () => {
    expectProblem(await post(gw.baseUrl, 'ofii-paris', Buffer.alloc(gw.settings.maxBodyBytes + 1, 0x41)), 'payload_too_large');
    expectProblem(await post(gw.baseUrl, 'ofii-paris', await seal('ofii-paris', example('orientation')), 'text/plain'), 'unsupported_media_type');
  });

  it('unavailable: the store cannot write (another process holds its lock); nothing is accepted', async () => {
    const document = example('orientation');
    const sealed = await seal('ofii-paris', document);
    const locker = new Database(path.join(gw.settings.dataDir, 'passerelle.sqlite'));
    locker.prepare('BEGIN EXCLUSIVE').run();
    let answer: HttpAnswer;
    try {
      answer = await post(gw.baseUrl, 'ofii-paris', sealed);
    } finally {
      locker.prepare('ROLLBACK').run();
      locker.close();
    }
    expectProblem(answer, 'unavailable');
    expect(await gw.store.findMessage(document['header']['messageId'])).to.equal(undefined);
  });

  it('rate_limited: past the burst, with Retry-After', async () => {
    const limited = await startTestGateway({ PASSERELLE_RATE_LIMIT_BURST: '2', PASSERELLE_RATE_LIMIT_PER_MINUTE: '1' });
    try {
      for (let i = 0; i < 2; i++) expect((await get(limited.baseUrl, 'ofii-paris', '/v1/messages/00000000-0000-4000-8000-000000000000')).status).to.equal(404);
      const refused = await get(limited.baseUrl, 'ofii-paris', '/v1/messages/00000000-0000-4000-8000-000000000000');
      expectProblem(refused, 'rate_limited');
      expect(Number(refused.headers['retry-after'])).to.be.greaterThan(0);
      expect((await get(limited.baseUrl, 'mission-locale-paris', '/v1/messages/00000000-0000-4000-8000-000000000000')).status).to.equal(404);
    } finally {
      await limited.dispose();
    }
  });

  it('provoked every code of the contract', () => {
    expect([...provoked].sort()).to.deep.equal([...CONTRACT_CODES].sort());
  });

  it('delivered only what was accepted, and audited every refusal after step 1', async () => {
    await eventually(async () => ((await gw.store.outboxDepth()) === 0 ? true : undefined));
    const delivered = await drainQueue(queueName(gw.settings.amqpPrefix, 'mission-locale-paris'));
    expect(delivered.map((m) => m.properties['messageId'])).to.deep.equal(accepted);
    for (const id of ['ofii-paris', 'france-travail-paris', 'prefecture-paris']) {
      if (id === 'prefecture-paris') continue;
      expect(await drainQueue(queueName(gw.settings.amqpPrefix, id))).to.have.length(0);
    }
    const rows = await gw.store.readAuditEntries(0, 1000, 1000);
    const codes = rows.map((r) => JSON.parse(r.entry) as Json).filter((e) => e['event'] === 'rejected').map((e) => e['code']);
    for (const code of ['malformed_message', 'signature_invalid', 'sender_mismatch', 'forbidden', 'schema_invalid', 'stale_message', 'type_not_allowed', 'unknown_recipient', 'recipient_not_allowed', 'rule_violation', 'duplicate_conflict', 'payload_too_large', 'unsupported_media_type']) {
      expect(codes, code).to.include(code);
    }
    // A recipient id that names no partner is the sender's free text: it is not written to the log.
    const entries = rows.map((r) => r.entry);
    expect(entries.some((e) => e.includes('nobody-registered'))).to.equal(false);
    expect(entries.some((e) => e.includes('"recipient":"prefecture-paris"'))).to.equal(true);
  });

  it('wrote no personal data of the documents to the log or the audit log', async () => {
    const haystack = [JSON.stringify(gw.logLines), ...(await gw.store.readAuditEntries(0, 1000, 1000)).map((r) => r.entry)].join('\n');
    const values: string[] = [];
    const collect = (value: unknown): void => {
      if (typeof value === 'string' && value.length >= 4) values.push(value);
      else if (value && typeof value === 'object') Object.values(value).forEach(collect);
    };
    collect(personal['body']);
    values.push(personal['header']['beneficiaryRef']);
    // Code-list values (enums) are not personal data on their own; identity, dates and references are.
    const identifying = values.filter((v) => !/^[A-Z0-9_]+$/.test(v));
    expect(identifying.length).to.be.greaterThan(3);
    for (const value of identifying) expect(haystack, value).not.to.include(value);
  });
});
