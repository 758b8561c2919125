import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { GatewayError, isPartnerCode, partnerFacing, PROBLEM_CATALOGUE, PROBLEM_CODES, reviveError, transferError, type ProblemCode } from '../../src/domain/errors.js';
import { PROJECT_ROOT } from '../fixtures/gateway.js';

/** The "Errors" table of docs/interface.md (section 4): the published codes of the interface and their statuses. */
function publishedCodes(): Map<string, number> {
  const interfaceDocument = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'interface.md'), 'utf8');
  const section = interfaceDocument.slice(interfaceDocument.indexOf('\n### Errors'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| code | status |')));
  const codes = new Map<string, number>();
  for (const match of table.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)) codes.set(match[1]!, Number(match[2]));
  return codes;
}

describe('domain/errors: the catalogue of problem codes', () => {
  it('gives every code an error status, an audience, a title and a message for people', () => {
    for (const code of PROBLEM_CODES) {
      const entry = PROBLEM_CATALOGUE[code];
      expect(entry.status, code).to.be.within(400, 599);
      expect(['partner', 'operator'], code).to.include(entry.audience);
      expect(entry.title, code).to.match(/^[A-Z]\S*( \S+)*$/);
      // What went wrong and what to do: at least a clause for each, as a sentence.
      expect(entry.message, code).to.match(/^[A-Za-z"].{30,}[.]$/);
      expect(entry.message, code).to.match(/[.;] [A-Z]|; [a-z]/);
    }
  });

  it('keeps the partner-facing codes and statuses of the interface (docs/interface.md, section 4, "Errors")', () => {
    const published = publishedCodes();
    expect(published.size).to.be.greaterThan(20);
    const partner = new Map(PROBLEM_CODES.filter(isPartnerCode).map((code) => [code as string, PROBLEM_CATALOGUE[code].status as number]));
    expect([...partner.entries()].sort()).to.deep.equal([...published.entries()].sort());
  });

  it('lists the operator-facing codes as operator-only, never in the interface\'s partner table', () => {
    for (const code of ['config_invalid', 'broker_unreachable', 'store_unavailable', 'receipt_invalid', 'audit_invalid', 'usage_invalid'] as const) {
      expect(PROBLEM_CATALOGUE[code].audience, code).to.equal('operator');
      expect(publishedCodes().has(code), code).to.equal(false);
    }
  });

  it("a GatewayError takes its status and title from the catalogue, and the catalogue's message when given no detail", () => {
    const error = new GatewayError('stale_message');
    expect(error).to.include({ code: 'stale_message', status: 422, title: 'Message too old or in the future', audience: 'partner', message: PROBLEM_CATALOGUE.stale_message.message });
    expect(new GatewayError('usage_invalid', 'usage: passerelle send').message).to.equal('usage: passerelle send');
  });

  it('a partner sees a partner-facing error as it is', () => {
    const error = new GatewayError('rule_violation', 'The person is not 16 to 25.', { rule: 'mission-locale-age' });
    expect(partnerFacing(error)).to.equal(error);
  });

  for (const code of PROBLEM_CODES.filter((c) => !isPartnerCode(c) || c === 'internal')) {
    it(`a partner sees ${code} as internal, with the catalogue's message only`, () => {
      const shown = partnerFacing(new GatewayError(code as ProblemCode, 'The store /var/lib/passerelle/passerelle.sqlite is read-only.', { index: 3, rule: 'x' }));
      expect(shown).to.include({ code: 'internal', status: 500, message: PROBLEM_CATALOGUE.internal.message, rule: undefined, index: undefined });
    });
  }

  it('recordedAs keeps the error as it was and adds what the audit log recorded', () => {
    const cause = new Error('disk');
    const error = new GatewayError('schema_invalid', 'Fix /body/x.', { errors: [{ pointer: '/body/x', message: 'is missing' }], cause });
    const recorded = error.recordedAs({ messageId: '8d4c2f9e-1b7a-4c3e-9f60-2a5b7d9e1c44', type: 'orientation', auditIndex: 7 });
    expect(recorded).to.be.instanceOf(GatewayError);
    expect(recorded).to.include({ code: 'schema_invalid', status: 422, message: 'Fix /body/x.', cause, stack: error.stack });
    expect(recorded.errors).to.deep.equal(error.errors);
    expect(recorded.rejection).to.deep.equal({ messageId: '8d4c2f9e-1b7a-4c3e-9f60-2a5b7d9e1c44', type: 'orientation', auditIndex: 7 });
    expect(error.rejection).to.equal(undefined);
  });
});

describe('domain/errors: an error crossing from a worker thread', () => {
  it("keeps a GatewayError's code, rule and Retry-After, and an unforeseen error's name and message", () => {
    const refused = reviveError(transferError(new GatewayError('unavailable', 'Retry later.', { retryAfterSeconds: 5 })));
    expect(refused).to.be.instanceOf(GatewayError).and.to.include({ code: 'unavailable', message: 'Retry later.', retryAfterSeconds: 5 });
    const ruled = reviveError(transferError(new GatewayError('rule_violation', 'No.', { rule: 'follows' })));
    expect(ruled).to.include({ code: 'rule_violation', rule: 'follows' });
    const unforeseen = reviveError(transferError(new TypeError('x is not a function')));
    expect(unforeseen).not.to.be.instanceOf(GatewayError);
    expect(unforeseen).to.include({ name: 'TypeError', message: 'x is not a function' });
  });

  it("carries a cause's message only when the sender says it holds no partner's input", () => {
    const failed = new GatewayError('malformed_message', 'The message cannot be read.', { cause: new SyntaxError('Unexpected token in "Jean Dupont"') });
    expect(reviveError(transferError(failed)).cause).to.equal(undefined);
    expect((reviveError(transferError(failed, { withCause: true })).cause as Error).message).to.equal('Unexpected token in "Jean Dupont"');
  });
});
