/**
 * The examples of docs/interface.md are what the gateway takes and answers: every complete message
 * example (a document with a header type and no "..." placeholder) is valid against its schema, the
 * lookup's request bodies against their schema, and the answers shown against the OpenAPI response
 * schemas the gateway's answers are checked against.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'chai';
import { RESPONSE_SCHEMAS } from '../../src/api-description/response-schemas.js';
import { createRequestBodyValidator } from '../../src/schema/request-body.js';
import { createValidator, defaultSchemasDir } from '../../src/schema/validator.js';
import { PROJECT_ROOT } from '../fixtures/gateway.js';

type Ajv2020Class = typeof Ajv2020Module.default;
const Ajv2020: Ajv2020Class = (Ajv2020Module as unknown as { default?: Ajv2020Class }).default ?? (Ajv2020Module as unknown as Ajv2020Class);
type AddFormats = typeof addFormatsModule.default;
const addFormats: AddFormats = (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

const text = readFileSync(path.join(PROJECT_ROOT, 'docs', 'interface.md'), 'utf8');
const blocks = [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => ({ line: text.slice(0, m.index).split('\n').length + 1, json: m[1]! }));
const parsed = blocks.flatMap((b) => {
  try {
    return [{ line: b.line, value: JSON.parse(b.json) as Record<string, unknown> }];
  } catch {
    return [];
  }
});
const hasPlaceholder = (value: unknown): boolean => JSON.stringify(value).includes('"..."');

describe('docs: the examples of the interface', () => {
  it('every complete message example is valid against its schema', () => {
    const validator = createValidator({ schemasDir: defaultSchemasDir() });
    const messages = parsed.filter(({ value }) => typeof (value['header'] as { type?: unknown } | undefined)?.type === 'string' && !hasPlaceholder(value));
    const types = messages.map(({ value }) => (value['header'] as { type: string }).type);
    // The new messages of issue 14 are shown whole; a placeholder must not hide one of them from this test.
    expect(types).to.include.members(['cir-review', 'rectification', 'execution-receipt']);
    for (const { line, value } of messages) expect(() => validator.validate(value), `docs/interface.md line ${line}`).not.to.throw();
  });

  it('the beneficiary lookup request bodies are valid, and its answers and the withdrawals page match their OpenAPI schemas', () => {
    const lookups = parsed.filter(({ value }) => typeof value['by'] === 'string');
    expect(lookups.map(({ value }) => value['by'])).to.have.members(['reference', 'identity']);
    const bodies = createRequestBodyValidator({ schemasDir: defaultSchemasDir(), fileName: 'beneficiary-lookup.v1.schema.json' });
    for (const { line, value } of lookups) expect(() => bodies.validate(value), `docs/interface.md line ${line}`).not.to.throw();

    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    const answers = [
      { schema: 'BeneficiaryLookup', found: parsed.filter(({ value }) => 'lookupId' in value && 'known' in value) },
      { schema: 'Withdrawals', found: parsed.filter(({ value }) => Array.isArray(value['notices'])) },
    ];
    for (const { schema, found } of answers) {
      expect(found, schema).to.have.length.greaterThan(0);
      const check = ajv.compile(RESPONSE_SCHEMAS[schema]!);
      for (const { line, value } of found) expect(check(value), `${schema} at docs/interface.md line ${line}: ${JSON.stringify(check.errors)}`).to.equal(true);
    }
  });
});
