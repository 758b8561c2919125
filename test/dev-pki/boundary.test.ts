/**
 * The development PKI (src/dev-pki) writes secret keys without a passphrase and a CA key beside the
 * certificates: the running gateway must never load it. Follows the static imports from the gateway's
 * entry points and fails on any file of src/dev-pki among them.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../fixtures/gateway.js';

const SRC = path.join(PROJECT_ROOT, 'src');
const DEV_PKI = path.join(SRC, 'dev-pki') + path.sep;

/** Relative specifiers of the file's static imports and re-exports (not `import()`). */
function staticImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?\s*['"](\.{1,2}\/[^'"]+)['"]/gm)) specifiers.push(match[1]!);
  return specifiers;
}

function resolve(from: string, specifier: string): string {
  const target = path.resolve(path.dirname(from), specifier);
  if (fs.existsSync(target)) return target;
  const ts = target.replace(/\.js$/, '.ts');
  if (fs.existsSync(ts)) return ts;
  throw new Error(`${path.relative(PROJECT_ROOT, from)} imports ${specifier}, which does not exist`);
}

/** Every source file the entry point loads through static imports. */
function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of staticImports(file)) pending.push(resolve(file, specifier));
  }
  return seen;
}

describe('dev-pki: kept out of the running gateway', () => {
  // The command line loads each command's implementation when it runs (src/cli/commands.ts):
  // `passerelle serve` is main.ts plus serve.ts and what it imports.
  for (const [entry, least] of [['src/cli/main.ts', 3], ['src/cli/serve.ts', 20], ['src/gateway.ts', 20]] as const) {
    it(`${entry} does not load src/dev-pki`, () => {
      const loaded = [...closure(path.join(PROJECT_ROOT, entry))];
      expect(loaded.length, 'the import walk found the modules').to.be.greaterThan(least);
      expect(loaded.filter((file) => file.startsWith(DEV_PKI)).map((file) => path.relative(PROJECT_ROOT, file))).to.deep.equal([]);
    });
  }

  it('no runtime module imports src/dev-pki, except the `pki init` command', () => {
    const importers: string[] = [];
    for (const file of fs.readdirSync(SRC, { recursive: true, encoding: 'utf8' })) {
      const full = path.join(SRC, file);
      if (!/\.(ts|mjs)$/.test(file) || full.startsWith(DEV_PKI)) continue;
      if (/['"][./]*dev-pki\//.test(fs.readFileSync(full, 'utf8'))) importers.push(file);
    }
    expect(importers).to.deep.equal([path.join('cli', 'pki.ts')]);
  });
});
