/**
 * The personal-data scanner (issue 3, item 2): a real gateway runs a scenario (orientations, an
 * acknowledgement, a status update, refusals of several kinds, a suggestion request, the statistics),
 * then everything observable outside the encrypted documents is searched for every personal value of
 * every document the scenario sent: the log lines, every audit entry, the AMQP properties and headers
 * of every delivered message, every HTTP answer (problem details included), the statistics in JSON and
 * CSV, and every table of the store except the outbox bodies (ciphertext): the SQLite file, and the
 * PostgreSQL schema when the same scenario runs on PostgreSQL.
 *
 * Personal values are the string leaves of the documents' bodies and header.beneficiaryRef, except:
 * code-list values (any enum or const of schemas/), booleans and numbers (code-like, too short to
 * search), and the message metadata that travels in clear by design (messageId, inReplyTo, sender,
 * recipient, type, version, sentAt) plus the version of OFII's information notice (the same for
 * everyone). A value matches only as a whole token (not inside a longer word or hex string), so that
 * a phone number is not "found" inside a SHA-256; dates match even inside a timestamp, and the
 * scenario moves any date of the documents away from today so that the gateway's own timestamps
 * cannot be mistaken for one.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { requestGateway, type HttpAnswer } from '../../src/client/gateway-client.js';
import { queueName } from '../../src/broker/topology.js';
import { createSchema, dropSchema, ENGINES, PG_TEST_URL, pgQuery, SQLITE_FILE, type Engine } from '../fixtures/store.js';
import { drainQueue, eventually, PROJECT_ROOT, RECIPIENTS, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { example, get, partner, send, type Json } from '../fixtures/partner.js';

const SCHEMAS = path.join(PROJECT_ROOT, 'schemas');
const METADATA = new Set(['messageId', 'inReplyTo', 'sender', 'recipient', 'type', 'version', 'sentAt']);
const NOT_PERSONAL = new Set(['/body/personInformed/noticeVersion']);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Every enum and const value of every schema: code lists, not personal data. */
function codeListValues(): Set<string> {
  const codes = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'enum' && Array.isArray(value)) value.forEach((v) => typeof v === 'string' && codes.add(v));
      else if (key === 'const' && typeof value === 'string') codes.add(value);
      else walk(value);
    }
  };
  for (const file of fs.readdirSync(SCHEMAS).filter((f) => f.endsWith('.schema.json'))) walk(JSON.parse(fs.readFileSync(path.join(SCHEMAS, file), 'utf8')));
  return codes;
}

interface PersonalValue {
  /** Which document and which field, e.g. "orientation to cap-emploi-75 /body/contact/phone". */
  field: string;
  value: string;
}

function personalValues(label: string, document: Json, codes: Set<string>): PersonalValue[] {
  const found: PersonalValue[] = [];
  const walk = (node: unknown, pointer: string): void => {
    if (typeof node === 'string') {
      if (!codes.has(node) && !NOT_PERSONAL.has(pointer)) found.push({ field: `${label} ${pointer}`, value: node });
    } else if (Array.isArray(node)) node.forEach((item, i) => walk(item, `${pointer}/${i}`));
    else if (node !== null && typeof node === 'object') for (const [key, value] of Object.entries(node)) walk(value, `${pointer}/${key}`);
  };
  const header = (document['header'] ?? {}) as Json;
  for (const [key, value] of Object.entries(header)) if (!METADATA.has(key)) walk(value, `/header/${key}`);
  walk(document['body'], '/body');
  return found;
}

/** Moves every date of the body that lies within 3 days of today 400 days back. */
function awayFromToday(document: Json): Json {
  const today = Date.parse(new Date().toISOString().slice(0, 10));
  const move = (node: unknown): unknown => {
    if (typeof node === 'string' && DATE.test(node) && Math.abs(Date.parse(node) - today) <= 3 * 86_400_000) {
      return new Date(Date.parse(node) - 400 * 86_400_000).toISOString().slice(0, 10);
    }
    if (Array.isArray(node)) return node.map(move);
    if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, move(v)]));
    return node;
  };
  return { ...document, body: move(document['body']) };
}

function tokenPattern(value: string): RegExp {
  const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return DATE.test(value) ? new RegExp(`(?<![0-9])${escaped}(?![0-9])`, 'i') : new RegExp(`(?<![0-9A-Za-z])${escaped}(?![0-9A-Za-z])`, 'i');
}

interface Observed {
  where: string;
  text: string;
}

function scan(values: PersonalValue[], observed: Observed[]): string[] {
  const hits: string[] = [];
  for (const { field, value } of values) {
    const pattern = tokenPattern(value);
    for (const { where, text } of observed) if (pattern.test(text)) hits.push(`${field} leaked into ${where}`);
  }
  return hits;
}

/** Every row of every table, as text, except the outbox bodies (ciphertext). */
function tableRows(engine: Engine, table: string, rows: Array<Record<string, unknown>>): Observed[] {
  return rows.map((row, index) => {
    const shown = Object.entries(row)
      .filter(([column]) => !(table === 'outbox' && column === 'body'))
      .map(([column, value]) => `${column}=${Buffer.isBuffer(value) ? value.toString('latin1') : String(value)}`);
    return { where: `${engine} table ${table}, row ${index}`, text: shown.join('\u0000') };
  });
}

function sqliteTables(file: string): Observed[] {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name);
    return tables.flatMap((table) => tableRows('sqlite', table, db.prepare(`SELECT * FROM "${table}"`).all() as Array<Record<string, unknown>>));
  } finally {
    db.close();
  }
}

async function postgresTables(schema: string): Promise<Observed[]> {
  const tables = (await pgQuery<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema])).map((t) => t.table_name);
  const observed: Observed[] = [];
  for (const table of tables) observed.push(...tableRows('postgresql', table, await pgQuery(`SELECT * FROM "${table}"`, [], schema)));
  return observed;
}

for (const engine of ENGINES) describe(`@integration security: no personal data outside the encrypted documents (${engine} store)`, function () {
  this.timeout(120_000);
  let gw: TestGateway;
  let schema: string | undefined;
  const codes = codeListValues();
  const sent: Array<{ label: string; document: Json }> = [];
  const answers: Array<{ label: string; answer: HttpAnswer }> = [];

  async function post(label: string, as: string, document: Json, expected: number): Promise<HttpAnswer> {
    sent.push({ label, document });
    const answer = await send(gw.baseUrl, as, document);
    answers.push({ label, answer });
    expect(answer.status, `${label}: ${JSON.stringify(answer.body)}`).to.equal(expected);
    return answer;
  }

  function invalidExample(file: string): Json {
    const document = JSON.parse(fs.readFileSync(path.join(SCHEMAS, 'examples', 'invalid', file), 'utf8')) as Json;
    const fresh = example('orientation');
    document['header'] = { ...document['header'], messageId: fresh['header']['messageId'], sentAt: fresh['header']['sentAt'] };
    return awayFromToday(document);
  }

  before(async () => {
    if (engine === 'postgresql') {
      schema = await createSchema();
      const url = new URL(PG_TEST_URL);
      url.searchParams.set('options', `-c search_path=${schema}`);
      gw = await startTestGateway({ PASSERELLE_DATABASE_URL: url.toString() });
    } else {
      gw = await startTestGateway();
    }

    // The main path: OFII orients to Mission Locale, which acknowledges and reports an event.
    const orientation = awayFromToday(example('orientation'));
    await post('orientation to mission-locale-paris', 'ofii-paris', orientation, 202);
    const reply = { sender: 'mission-locale-paris', recipient: 'ofii-paris', beneficiaryRef: orientation['header']['beneficiaryRef'], inReplyTo: orientation['header']['messageId'] };
    await post('acknowledgement', 'mission-locale-paris', awayFromToday(example('acknowledgement', reply)), 202);
    await post('status update', 'mission-locale-paris', awayFromToday(example('status-update', reply)), 202);

    // Another person, with health data, to Cap emploi.
    const other = awayFromToday(
      example('orientation', { recipient: 'cap-emploi-75', beneficiaryRef: '7509876543' }, {
        identity: { birthName: 'NGUYEN', usageName: 'MARTIN', givenNames: ['Thi Lan'], sex: 'F', birthDate: '1990-07-21', birthPlace: { countryCode: '99243' }, nationality: 'VNM' },
        contact: { address: { streetLine: '3 avenue du Test', postCode: '75011', inseeCode: '75111', domiciliation: false }, phone: '+33612345678', email: 'lan.nguyen@example.net' },
        disability: { rqth: 'EN_COURS' },
        consent: { healthData: true, healthDataGivenOn: '2025-06-30' },
      }),
    );
    await post('orientation to cap-emploi-75', 'ofii-paris', other, 202);

    // Refusals of several kinds, each carrying personal data.
    await post('orientation with a NIR', 'ofii-paris', invalidExample('orientation-nir-field.json'), 422);
    await post('orientation with a comment', 'ofii-paris', invalidExample('orientation-comment.json'), 422);
    await post('orientation with a free-text situation', 'ofii-paris', invalidExample('orientation-free-text-situation.json'), 422);
    await post('orientation with a malformed beneficiaryRef', 'ofii-paris', awayFromToday(example('orientation', { beneficiaryRef: '75-0312-3456' })), 422);
    await post('disability data to mission-locale-paris', 'ofii-paris', awayFromToday(example('orientation', { beneficiaryRef: '7501111111' }, { disability: { rqth: 'OUI' }, consent: { healthData: true, healthDataGivenOn: '2025-05-05' } })), 422);
    await post('orientation of a 40-year-old to mission-locale-paris', 'ofii-paris', awayFromToday(example('orientation', { beneficiaryRef: '7502222222' }, { identity: { ...orientation['body']['identity'], birthName: 'DUPONTEL', birthDate: '1986-05-05' } })), 422);
    await post('reuse of a message id for another document', 'ofii-paris', { ...orientation, body: { ...orientation['body'], contact: { ...orientation['body']['contact'], phone: '+33700000001' } } }, 409);
    await post('answer by an agency that did not receive the orientation', 'cap-emploi-75', awayFromToday(example('acknowledgement', { ...reply, sender: 'cap-emploi-75' }, { localReference: 'CE75-2026-777' })), 422);

    // What else partners see: a suggestion, the message status, the statistics.
    const adviser = await partner('ofii-paris');
    sent.push({ label: 'suggestion request', document: { body: other['body'] } });
    answers.push({ label: 'suggestion request', answer: await requestGateway({ baseUrl: gw.baseUrl, tls: adviser.tls, method: 'POST', path: '/v1/orientation/suggestions', body: JSON.stringify({ body: other['body'] }), contentType: 'application/json' }) });
    answers.push({ label: 'message status', answer: await get(gw.baseUrl, 'mission-locale-paris', `/v1/messages/${orientation['header']['messageId']}`) });
    answers.push({ label: 'statistics (JSON)', answer: await get(gw.baseUrl, 'prefecture-paris', '/v1/stats') });
    answers.push({ label: 'statistics (CSV)', answer: await get(gw.baseUrl, 'prefecture-paris', '/v1/stats?format=csv') });
    expect(answers.at(-1)!.answer.status).to.equal(200);

    const accepted = answers.filter(({ answer }) => answer.status === 202).map(({ answer }) => (answer.body as Json)['messageId'] as string);
    expect(accepted).to.have.length(4);
    for (const id of accepted) await eventually(async () => ((await gw.store.findMessage(id))?.queuedAt !== undefined ? true : undefined));
  });
  after(async () => {
    await gw?.dispose();
    if (schema !== undefined) await dropSchema(schema);
  });

  it(`finds none of the personal values of the documents in logs, audit, AMQP, HTTP answers, statistics or the ${engine} tables`, async () => {
    const values = sent.flatMap(({ label, document }) => personalValues(label, document, codes));
    // The scenario carries what the scanner must look for.
    for (const expected of ['KARIMI', 'Darya', '7503123456', '+33639980012', 'darya.karimi@example.org', "14 rue de l'Exemple", 'ML75-2026-004512', '284037512345678', 'NGUYEN', 'CE75-2026-777', '1986-05-05']) {
      expect(values.map((v) => v.value), expected).to.include(expected);
    }

    const store = gw.store;
    const delivered = (await Promise.all(RECIPIENTS.map(async (id) => (await drainQueue(queueName(gw.settings.amqpPrefix, id))).map((m, i) => ({ id, i, m }))))).flat();
    expect(delivered).to.have.length(4);
    const observed: Observed[] = [
      ...gw.logLines.map((line, i) => ({ where: `log line ${i} (${String(line['message'])})`, text: JSON.stringify(line) })),
      ...(await store.readAuditEntries(0, await store.auditSize(), Number.MAX_SAFE_INTEGER)).map((e) => ({ where: `audit entry ${e.index}`, text: e.entry })),
      ...delivered.map(({ id, i, m }) => ({ where: `AMQP message ${i} of ${id} (properties, headers, fields)`, text: JSON.stringify({ properties: m.properties, fields: m.fields }) })),
      ...answers.map(({ label, answer }) => ({ where: `HTTP answer to ${label}`, text: `${JSON.stringify(answer.headers)}\n${typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)}` })),
      ...(engine === 'sqlite' ? sqliteTables(path.join(gw.settings.dataDir, SQLITE_FILE)) : await postgresTables(schema!)),
    ];
    expect(observed.some((o) => o.where.startsWith(`${engine} table stats_facts`))).to.equal(true);
    expect(observed.some((o) => o.where.startsWith(`${engine} table subjects`))).to.equal(true);
    expect(observed.some((o) => o.where.startsWith('HTTP answer to orientation with a NIR') && o.text.includes('schema_invalid'))).to.equal(true);

    expect(scan(values, observed)).to.deep.equal([]);
  });
});

// The scanner itself, once: it does not depend on the store the scenario ran on.
describe('security: the personal-data scanner', () => {
  it('would find a value that leaked, naming the field and the place (the scanner can fail)', () => {
    const values = personalValues('orientation', awayFromToday(example('orientation')), codeListValues());
    const leaks = scan(values, [
      { where: 'a careless log line', text: '{"message":"refused","name":"KARIMI"}' },
      { where: 'a timestamp made of a birth date', text: '2004-03-14T00:00:00.000Z' },
      { where: 'a digest that happens to contain a post code', text: 'ab75019cd' },
    ]);
    expect(leaks).to.deep.equal([
      'orientation /body/identity/birthName leaked into a careless log line',
      'orientation /body/identity/birthDate leaked into a timestamp made of a birth date',
    ]);
  });
});
