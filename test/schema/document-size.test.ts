/**
 * The document limit is justified by the schemas themselves: every string of a partner's document has
 * a maxLength (or is an enum, a const or a bounded format) and every array a maxItems, so the largest
 * valid document has a size this test computes, compact, with every character of every string written
 * as a six-byte JSON escape. PASSERELLE_MAX_DOCUMENT_BYTES must leave room for that document
 * indented, and nothing like the room padding would need.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { loadSettings } from '../../src/config/settings.js';
import { DOSSIER_MAX_DOCUMENTS } from '../../src/domain/dossier-limits.js';
import { PROJECT_ROOT } from '../fixtures/gateway.js';

type Schema = Record<string, unknown>;

const SCHEMAS = path.join(PROJECT_ROOT, 'schemas');
const byId = new Map<string, Schema>();
for (const file of fs.readdirSync(SCHEMAS).filter((f) => f.endsWith('.v1.schema.json'))) {
  const schema = JSON.parse(fs.readFileSync(path.join(SCHEMAS, file), 'utf8')) as Schema;
  byId.set(schema['$id'] as string, schema);
}

/** The worst case of a character in a JSON string: `\uXXXX`. */
const BYTES_PER_CHARACTER = 6;
/** Formats without maxLength and their longest value. */
const FORMATS: Record<string, number> = { date: 10, 'date-time': 35, uuid: 36 };

function follow(ref: string, root: Schema): [Schema, Schema] {
  const [base, fragment] = ref.split('#') as [string, string | undefined];
  const document = base === '' ? root : [...byId.entries()].find(([id]) => id === base || id.endsWith(`/${base}`))?.[1];
  if (document === undefined) throw new Error(`unresolved $ref ${ref}`);
  let node: unknown = document;
  for (const part of (fragment ?? '').split('/').filter((p) => p.length > 0)) node = (node as Record<string, unknown>)[part];
  return [node as Schema, document];
}

/** An upper bound of the compact JSON size of any value the schema accepts; throws on an unbounded string or array. */
function largest(schema: Schema, root: Schema, where: string): number {
  if (typeof schema['$ref'] === 'string') {
    const [target, document] = follow(schema['$ref'], root);
    return largest(target, document, where);
  }
  for (const combinator of ['oneOf', 'anyOf', 'allOf'] as const) {
    if (Array.isArray(schema[combinator])) {
      const rest = { ...schema };
      delete rest[combinator];
      return Math.max(...(schema[combinator] as Schema[]).map((branch) => largest(branch, root, where)), Object.keys(rest).length > 0 && 'type' in rest ? largest(rest, root, where) : 0);
    }
  }
  if (Array.isArray(schema['enum'])) return Math.max(...(schema['enum'] as unknown[]).map((value) => JSON.stringify(value).length));
  if ('const' in schema) return JSON.stringify(schema['const']).length;
  const type = Array.isArray(schema['type']) ? (schema['type'] as string[]).find((t) => t !== 'null') : (schema['type'] as string | undefined);
  switch (type) {
    case 'string': {
      if (typeof schema['maxLength'] === 'number') return 2 + schema['maxLength'] * BYTES_PER_CHARACTER;
      const format = FORMATS[schema['format'] as string];
      if (format !== undefined) return 2 + format;
      throw new Error(`${where}: a string without maxLength`);
    }
    case 'integer':
    case 'number':
      return 24;
    case 'boolean':
      return 5;
    case 'array':
      if (typeof schema['maxItems'] !== 'number') throw new Error(`${where}: an array without maxItems`);
      return 2 + schema['maxItems'] * (largest((schema['items'] as Schema) ?? {}, root, `${where}[]`) + 1);
    default: {
      const properties = (schema['properties'] as Record<string, Schema> | undefined) ?? {};
      if (schema['additionalProperties'] !== false && type === 'object') throw new Error(`${where}: an object open to any property`);
      return 2 + Object.entries(properties).reduce((sum, [name, value]) => sum + name.length + 4 + largest(value, root, `${where}/${name}`), 0);
    }
  }
}

const PARTNER_DOCUMENTS = ['orientation', 'acknowledgement', 'status-update', 'referral', 'opt-out', 'cir-review'];

describe('schema: the largest document each schema allows, and the document limit', () => {
  const limit = loadSettings({}).maxDocumentBytes;

  for (const type of PARTNER_DOCUMENTS) {
    it(`${type}: every string and array is bounded, and the largest document fits a third of the limit`, () => {
      const schema = [...byId.values()].find((s) => (s['$id'] as string).endsWith(`/${type}.v1.schema.json`))!;
      const bound = largest(schema, schema, type);
      expect(bound, `${type}: at most ${bound} bytes compact`).to.be.below(limit / 3);
      // The bound is a real one, not zero: the example document is within it.
      const example = fs.readFileSync(path.join(SCHEMAS, 'examples', `${type}.v1.json`));
      expect(JSON.stringify(JSON.parse(example.toString('utf8'))).length).to.be.below(bound);
    });
  }

  it('a dossier message lists at most as many documents as the gateway keeps about a person', () => {
    const dossier = [...byId.values()].find((s) => (s['$id'] as string).endsWith('/dossier.v1.schema.json'))!;
    const documents = (dossier['properties'] as Record<string, Schema>)['body']!;
    const items = JSON.stringify(documents).match(/"maxItems":(\d+)/);
    expect(Number(items?.[1])).to.equal(DOSSIER_MAX_DOCUMENTS);
  });

  it('finds a string without maxLength (the check can fail)', () => {
    expect(() => largest({ type: 'object', additionalProperties: false, properties: { comment: { type: 'string' } } }, {}, 'sample')).to.throw('sample/comment: a string without maxLength');
  });
});
