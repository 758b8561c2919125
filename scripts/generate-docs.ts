/**
 * Writes docs/problem-codes.md from the error catalogue (src/domain/errors.ts), so that the reference
 * partners and operators read cannot drift from what the gateway answers. Run it with
 * `npm run generate:docs` after changing the catalogue; test/docs/problem-codes.test.ts fails while the
 * committed file differs from what this produces.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PROBLEM_CATALOGUE, type ProblemCode, type ProblemDefinition } from '../src/domain/errors.js';

/** <project root>/docs/problem-codes.md */
export function problemCodesPath(): string {
  return path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'docs', 'problem-codes.md');
}

/** A table cell: a `|` would end the cell early (GitHub Flavored Markdown, tables extension). */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function table(entries: Array<[ProblemCode, ProblemDefinition]>): string[] {
  return [
    '| code | status | title | what it says (what went wrong, what to do) |',
    '|---|---|---|---|',
    ...entries.map(([code, problem]) => `| \`${code}\` | ${problem.status} | ${cell(problem.title)} | ${cell(problem.message)} |`),
  ];
}

export function renderProblemCodes(): string {
  const entries = Object.entries(PROBLEM_CATALOGUE) as Array<[ProblemCode, ProblemDefinition]>;
  const byStatus = (a: [ProblemCode, ProblemDefinition], b: [ProblemCode, ProblemDefinition]) => a[1].status - b[1].status;
  const partner = entries.filter(([, problem]) => problem.audience === 'partner').sort(byStatus);
  const operator = entries.filter(([, problem]) => problem.audience === 'operator').sort(byStatus);
  return [
    '<!-- Generated — do not edit. Produced by scripts/generate-docs.ts from src/domain/errors.ts: change the catalogue, then run `npm run generate:docs`. -->',
    '',
    '# Problem codes',
    '',
    'Every code Passerelle answers or prints, with its HTTP status and the sentence people read. This page is',
    'generated from the error catalogue (`src/domain/errors.ts`); a test fails when it differs from the',
    'catalogue. When each partner code is answered, and what the answer carries besides, is in',
    '[the interface, section 4, "Errors"](interface.md#errors).',
    '',
    '## Codes answered to partners',
    '',
    'Every error of the HTTP API is `application/problem+json` (RFC 9457) with `type` `/problems/<code>`,',
    '`title`, `status`, `detail` and `code`. The `detail` is the sentence below, or a more precise one',
    'that names what to fix (a field\'s JSON Pointer, a rule\'s name, a setting), never a value of the',
    'document.',
    '',
    ...table(partner),
    '',
    '## Codes for operators',
    '',
    'These end a process or a command with one line for the person who runs it (the gateway at start, the',
    'command line). A partner never sees them: when one happens while the gateway answers a request, the',
    'partner gets `internal` (500) with its generic sentence, and the gateway\'s log keeps the real code.',
    '',
    ...table(operator),
    '',
  ].join('\n');
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (invokedDirectly) {
  writeFileSync(problemCodesPath(), renderProblemCodes());
  console.log(`wrote ${path.relative(process.cwd(), problemCodesPath())}`);
}
