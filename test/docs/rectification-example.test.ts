/**
 * The rectification example of docs/interface.md (section 3) is schemas/examples/rectification.v1.json,
 * which the schema tests validate: the documentation shows a document the gateway accepts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../fixtures/gateway.js';

describe('docs: the rectification example', () => {
  it('in docs/interface.md is the schemas example, field for field', () => {
    const text = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'interface.md'), 'utf8');
    const section = text.slice(text.indexOf('### Rectification (`rectification`) and correction notices'));
    const block = /```json\n([\s\S]*?)\n```/.exec(section);
    expect(block, 'a JSON block in the section').to.not.equal(null);
    const example = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'schemas', 'examples', 'rectification.v1.json'), 'utf8')) as unknown;
    expect(JSON.parse(block![1]!)).to.deep.equal(example);
  });
});
