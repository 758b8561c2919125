/**
 * The interface's end-of-CIR review example is the schema's example, byte for byte as JSON, and is
 * valid: what an integrator copies from docs/interface.md is what the gateway accepts.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createValidator, defaultSchemasDir } from '../../src/schema/validator.js';
import { PROJECT_ROOT } from '../fixtures/gateway.js';

describe('docs: the end-of-CIR review example of the interface', () => {
  const interfaceText = readFileSync(path.join(PROJECT_ROOT, 'docs', 'interface.md'), 'utf8');
  const start = interfaceText.indexOf('### End-of-CIR review (`cir-review`)');
  const section = interfaceText.slice(start, interfaceText.indexOf('\n#', start + 1));

  it('sits in section 3, before the HTTP API, and holds one JSON block, equal to schemas/examples/cir-review.v1.json', () => {
    expect(section).to.match(/^### End-of-CIR review/);
    expect(start).to.be.greaterThan(interfaceText.indexOf('## 3. The message')).and.lessThan(interfaceText.indexOf('## 4. HTTP API'));
    const blocks = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks).to.have.length(1);
    const example = readFileSync(path.join(PROJECT_ROOT, 'schemas', 'examples', 'cir-review.v1.json'), 'utf8');
    expect(JSON.parse(blocks[0]!)).to.deep.equal(JSON.parse(example));
  });

  it('is a valid cir-review document', () => {
    const block = /```json\n([\s\S]*?)```/.exec(section)![1]!;
    expect(() => createValidator({ schemasDir: defaultSchemasDir() }).validate(JSON.parse(block))).not.to.throw();
  });
});
