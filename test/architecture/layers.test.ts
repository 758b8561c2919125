/**
 * The layout shows the architecture: every folder of src/ says in its README what it may import
 * (`May import: …`, folders or files relative to src/; `<file> may import: …` for one file's extra
 * allowance), and no import goes against that. A subfolder with a README of its own is a unit of its
 * own (src/store/sqlite is not src/store). A folder marked `Pure: yes` imports no I/O module.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { importsOf, sourceFiles } from '../fixtures/imports.js';

const SOURCE = path.resolve(import.meta.dirname, '../../src');

/** Modules that do I/O, which a pure folder may not import. */
const IMPURE = ['node:fs', 'node:net', 'node:http', 'node:https', 'node:tls', 'node:child_process', 'node:worker_threads', 'express', 'amqplib', 'better-sqlite3', 'pg', 'winston', 'kysely', 'node-forge'];

interface Unit {
  /** Folder relative to src ('' for src itself). */
  folder: string;
  allowed: string[];
  perFile: Map<string, string[]>;
  pure: boolean;
}

function list(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s.length > 0 && s !== 'nothing');
}

export function readUnit(folder: string, readme: string): Unit {
  const unit: Unit = { folder, allowed: [], perFile: new Map(), pure: /^Pure: yes$/m.test(readme) };
  for (const line of readme.split('\n')) {
    const all = /^May import:(.*)$/.exec(line);
    if (all) unit.allowed.push(...list(all[1]!));
    const one = /^(\S+) may import:(.*)$/.exec(line);
    if (one) unit.perFile.set(path.posix.join(folder, one[1]!), list(one[2]!));
  }
  return unit;
}

/** The unit a file (relative to src) belongs to: the deepest folder above it that has a README. */
function unitOf(units: Map<string, Unit>, file: string): Unit {
  for (let folder = path.posix.dirname(file); ; folder = path.posix.dirname(folder)) {
    const unit = units.get(folder === '.' ? '' : folder);
    if (unit) return unit;
    if (folder === '.' || folder === '') throw new Error(`no README above ${file}`);
  }
}

const covers = (entry: string, target: string) => target === entry || target.startsWith(`${entry}/`) || target === `${entry}.ts`;

/** Offences of the files (paths relative to src, with their text) against the units' rules. */
export function offences(units: Map<string, Unit>, files: Array<{ file: string; text: string }>): string[] {
  const found: string[] = [];
  for (const { file, text } of files) {
    const unit = unitOf(units, file);
    const allowed = [...unit.allowed, ...(unit.perFile.get(file) ?? [])];
    for (const imported of importsOf(file, text)) {
      if (!imported.specifier.startsWith('.')) {
        if (unit.pure && IMPURE.some((module) => imported.specifier === module || imported.specifier.startsWith(`${module}/`))) {
          found.push(`${file}:${imported.line}: ${unit.folder} is pure and may not import ${imported.specifier}`);
        }
        continue;
      }
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), imported.specifier)).replace(/\.(m?js)$/, (ext) => (ext === '.mjs' ? '.mjs' : '.ts'));
      if (target.startsWith('..')) {
        found.push(`${file}:${imported.line}: imports ${imported.specifier}, outside src/`);
        continue;
      }
      if (unitOf(units, target).folder === unit.folder) continue;
      if (!allowed.some((entry) => covers(entry, target))) found.push(`${file}:${imported.line}: ${unit.folder || 'src'} may not import ${target} (allowed: ${allowed.join(', ') || 'nothing'})`);
    }
  }
  return found;
}

function readTree(): { units: Map<string, Unit>; files: Array<{ file: string; text: string }> } {
  const units = new Map<string, Unit>();
  const visit = (dir: string) => {
    const readme = path.join(dir, 'README.md');
    const folder = path.relative(SOURCE, dir).split(path.sep).join('/');
    if (fs.existsSync(readme)) units.set(folder, readUnit(folder, fs.readFileSync(readme, 'utf8')));
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) visit(path.join(dir, entry.name));
  };
  visit(SOURCE);
  const files = sourceFiles(SOURCE).map((full) => ({ file: path.relative(SOURCE, full).split(path.sep).join('/'), text: fs.readFileSync(full, 'utf8') }));
  return { units, files };
}

describe('architecture: each folder imports only what its README allows', () => {
  it('every top folder of src/ has a README saying what it owns and what it may import', () => {
    const folders = fs.readdirSync(SOURCE, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.length).to.be.greaterThan(10);
    for (const folder of folders) {
      const readme = path.join(SOURCE, folder, 'README.md');
      expect(fs.existsSync(readme), `src/${folder}/README.md`).to.equal(true);
      expect(fs.readFileSync(readme, 'utf8'), `src/${folder}/README.md`).to.match(/^May import:/m);
    }
  });

  it('no import of src/ goes against the direction its folder allows', () => {
    const { units, files } = readTree();
    const found = offences(units, files);
    expect(found, `Imports against the layout (each folder's README says what it may import):\n${found.join('\n')}\n`).to.deep.equal([]);
  });

  it('finds an import against the rules, a pure folder doing I/O, and a business file reaching an engine (the check can fail)', () => {
    const units = new Map<string, Unit>([
      ['domain', readUnit('domain', 'May import: nothing\nPure: yes')],
      ['store', readUnit('store', 'May import: domain\nopen.ts may import: store/sqlite')],
      ['store/sqlite', readUnit('store/sqlite', 'May import: store/transaction.ts')],
      ['app', readUnit('app', 'May import: domain, store/port.ts')],
    ]);
    const found = offences(units, [
      { file: 'domain/rules.ts', text: "import fs from 'node:fs';\nimport type { Store } from '../store/port.js';" },
      { file: 'store/messages.ts', text: "import { SqliteEngine } from './sqlite/engine.js';\nimport { row } from './transaction.js';" },
      { file: 'store/open.ts', text: "import { SqliteEngine } from './sqlite/engine.js';" },
      { file: 'store/sqlite/engine.ts', text: "import { drive } from '../transaction.js';\nimport { accept } from '../messages.js';" },
      { file: 'app/ingest.ts', text: "import type { Store } from '../store/port.js';\nimport { GatewayStore } from '../store/gateway-store.js';" },
    ]);
    expect(found).to.deep.equal([
      'domain/rules.ts:1: domain is pure and may not import node:fs',
      'domain/rules.ts:2: domain may not import store/port.ts (allowed: nothing)',
      'store/messages.ts:1: store may not import store/sqlite/engine.ts (allowed: domain)',
      'store/sqlite/engine.ts:2: store/sqlite may not import store/messages.ts (allowed: store/transaction.ts)',
      'app/ingest.ts:2: app may not import store/gateway-store.ts (allowed: domain, store/port.ts)',
    ]);
  });
});
