/**
 * docs/cli.md cannot drift from the code: its exit-code table is EXIT_CODES, and every usage line of
 * every command is in it as the program prints it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { COMMANDS } from '../../src/cli/commands.js';
import { EXIT, EXIT_CODES } from '../../src/cli/exit-codes.js';
import { PROJECT_ROOT } from '../fixtures/gateway.js';

const DOC = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'cli.md'), 'utf8');

describe('cli: docs/cli.md matches the code', () => {
  it('the exit-code table is exactly src/cli/exit-codes.ts', () => {
    const table = /<!-- exit-codes[^>]*-->\n([\s\S]*?)<!-- \/exit-codes -->/.exec(DOC)?.[1];
    expect(table, 'the table between the exit-codes markers').to.be.a('string');
    const rows = table!
      .trim()
      .split('\n')
      .slice(2)
      .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
    expect(rows).to.deep.equal(EXIT_CODES.map((e) => [String(e.code), e.name, e.meaning]));
  });

  it('the codes are distinct, and 0, 1 and 2 mean done, failed and wrong command line', () => {
    expect(new Set(EXIT_CODES.map((e) => e.code)).size).to.equal(EXIT_CODES.length);
    expect([EXIT.ok, EXIT.failure, EXIT.usage]).to.deep.equal([0, 1, 2]);
  });

  it('every usage line of every command is in docs/cli.md as the program prints it', () => {
    const missing = COMMANDS.flatMap((c) => c.spec.usage.map((line) => `passerelle ${line}`)).filter((line) => !DOC.includes(line));
    expect(missing).to.deep.equal([]);
  });
});
