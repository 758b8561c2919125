import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { SETTINGS_DOC } from '../../src/config/settings.js';
import { PROJECT_ROOT } from '../fixtures/gateway.js';

/** The variables of the settings table of docs/operator.md ("Settings"). */
function documentedSettings(): string[] {
  const guide = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'operator.md'), 'utf8');
  const start = guide.indexOf('\n## Settings\n');
  expect(start, 'docs/operator.md has a "Settings" section').to.be.greaterThan(0);
  const section = guide.slice(start + 1, guide.indexOf('\n## ', start + 1));
  return [...section.matchAll(/^\| `(PASSERELLE_[A-Z0-9_]+)` \|/gm)].map((match) => match[1]!);
}

describe('docs: the operator guide documents every setting', () => {
  it('lists exactly the settings of src/config/settings.ts, each once', () => {
    const documented = documentedSettings();
    expect(new Set(documented).size, 'a setting listed twice').to.equal(documented.length);
    expect([...documented].sort(), 'docs/operator.md "Settings" against SETTINGS_DOC').to.deep.equal(SETTINGS_DOC.map((setting) => setting.variable).sort());
  });
});
