import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { problemCodesPath, renderProblemCodes } from '../../scripts/generate-docs.js';
import { PROBLEM_CATALOGUE, PROBLEM_CODES } from '../../src/domain/errors.js';

describe('docs: the problem-code reference', () => {
  it('is what scripts/generate-docs.ts makes from the catalogue (run npm run generate:docs after changing it)', () => {
    const committed = readFileSync(problemCodesPath(), 'utf8');
    expect(committed === renderProblemCodes(), 'docs/problem-codes.md differs from src/domain/errors.ts: run npm run generate:docs').to.equal(true);
  });

  it('lists every code once, partner codes apart from operator codes', () => {
    const text = renderProblemCodes();
    const [partnerPart, operatorPart] = text.split('## Codes for operators');
    for (const code of PROBLEM_CODES) {
      const row = `| \`${code}\` | ${PROBLEM_CATALOGUE[code].status} |`;
      expect(text.split(row).length - 1, code).to.equal(1);
      expect(PROBLEM_CATALOGUE[code].audience === 'partner' ? partnerPart : operatorPart, code).to.contain(row);
    }
  });
});
