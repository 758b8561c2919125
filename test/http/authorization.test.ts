/**
 * The authorisation policy (src/http/authorization.ts), against a table written here from docs/interface.md's
 * "Who may call what", not read from the policy; and the rule that every /v1 route names its
 * capability before anything else runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { GatewayError } from '../../src/domain/errors.js';
import { auditScope, authorize, mayUse, visibleMessage, visibleTimeline, type Capability } from '../../src/http/authorization.js';
import type { Partner } from '../../src/domain/partner.js';
import { PROJECT_ROOT } from '../fixtures/gateway.js';

function partner(id: string, role: Partner['role'], sends: string[], receives: string[]): Partner {
  return { id, name: id, role, sends, receives, eligibility: [], minimisation: [] };
}

const ofii = partner('ofii-paris', 'agency', ['orientation', 'opt-out'], ['acknowledgement', 'status-update']);
const franceTravail = partner('france-travail-paris', 'agency', ['acknowledgement', 'status-update', 'referral'], ['orientation', 'referral']);
const receiverOnly = partner('receiver-only', 'agency', [], ['orientation']);
const statistics = partner('prefecture-paris', 'statistics', [], []);
const auditor = partner('auditor', 'auditor', [], []);
const CALLERS = [ofii, franceTravail, receiverOnly, statistics, auditor];

//                                   OFII   FT     receiver  stats  auditor
const EXPECTED: Record<Capability, boolean[]> = {
  'message.send':                  [true,  true,  false,    false, false],
  'message.read':                  [true,  true,  true,     true,  true],
  'message.timeline':              [true,  true,  true,     false, true],
  'audit.read':                    [true,  true,  true,     false, true],
  'audit.cosign':                  [true,  true,  true,     false, true],
  'audit.checkpoint':              [false, false, false,    false, true],
  'suggestions.ask':               [true,  false, false,    false, false],
  'stats.read':                    [false, false, false,    true,  true],
  'partner.key.read':              [true,  true,  false,    false, false],
  'operator.status':               [false, false, false,    false, false],
  'beneficiary.lookup':            [false, true,  true,     false, false],
  'beneficiary.lookup.summary':    [false, false, false,    false, true],
  'withdrawals.read':              [false, false, false,    false, true],
};

function refusal(fn: () => unknown): GatewayError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).to.be.instanceOf(GatewayError);
    return err as GatewayError;
  }
}

describe('http/authorization: the one policy of who may ask what', () => {
  for (const [capability, expected] of Object.entries(EXPECTED) as Array<[Capability, boolean[]]>) {
    it(`${capability}: ${CALLERS.filter((_, i) => expected[i]).map((p) => p.id).join(', ')}; every other caller gets forbidden`, () => {
      CALLERS.forEach((caller, i) => {
        expect(mayUse(caller, capability), caller.id).to.equal(expected[i]);
        const error = refusal(() => authorize(caller, capability));
        if (expected[i]) expect(error, caller.id).to.equal(undefined);
        else expect(error, caller.id).to.include({ code: 'forbidden', status: 403 });
      });
    });
  }

  it("the operator role has operator.status, withdrawals.read, the lookup counts (no person) and message.read, which shows it no message", () => {
    const operator = partner('operator', 'operator', [], []);
    const granted = (Object.keys(EXPECTED) as Capability[]).filter((capability) => mayUse(operator, capability));
    expect(granted.sort()).to.deep.equal(['beneficiary.lookup.summary', 'message.read', 'operator.status', 'withdrawals.read']);
    expect(refusal(() => visibleMessage(operator, { messageId: 'm', sender: 'ofii-paris', recipient: 'france-travail-paris' }))).to.include({ code: 'not_found' });
    for (const caller of CALLERS) expect(refusal(() => authorize(caller, 'operator.status')), caller.id).to.include({ code: 'forbidden' });
  });

  it('a message is visible to its sender and its recipient; to anyone else it does not exist (not_found)', () => {
    const record = { messageId: 'm', sender: 'ofii-paris', recipient: 'france-travail-paris' };
    expect(visibleMessage(ofii, record)).to.equal(record);
    expect(visibleMessage(franceTravail, record)).to.equal(record);
    for (const other of [receiverOnly, statistics, auditor]) expect(refusal(() => visibleMessage(other, record)), other.id).to.include({ code: 'not_found' });
    const unknown = refusal(() => visibleMessage(ofii, undefined));
    const hidden = refusal(() => visibleMessage(auditor, record));
    // Not even the wording tells an existing message of others from an unknown id.
    expect(hidden?.message).to.equal(unknown?.message);
  });

  it("a message's timeline: the auditor sees every message's, its sender and recipient theirs, anyone else the not_found of an unknown id", () => {
    const record = { messageId: 'm', sender: 'ofii-paris', recipient: 'france-travail-paris' };
    for (const caller of [auditor, ofii, franceTravail]) expect(visibleTimeline(caller, record), caller.id).to.equal(record);
    const hidden = refusal(() => visibleTimeline(receiverOnly, record));
    expect(hidden).to.include({ code: 'not_found' });
    expect(hidden?.message).to.equal(refusal(() => visibleTimeline(ofii, undefined))?.message);
    expect(refusal(() => visibleTimeline(auditor, undefined))).to.include({ code: 'not_found' });
    expect(refusal(() => visibleTimeline(statistics, record))).to.include({ code: 'forbidden' });
  });

  it('the auditor sees every audit entry, an agency the entries naming it, the statistics role none (forbidden)', () => {
    expect(auditScope(auditor)).to.deep.equal({ kind: 'every-entry' });
    expect(auditScope(franceTravail)).to.deep.equal({ kind: 'entries-naming', partnerId: 'france-travail-paris' });
    expect(refusal(() => auditScope(statistics))).to.include({ code: 'forbidden' });
  });

  it('every /v1 route in src/http names its capability first (permit), so no route can skip the policy', () => {
    const dir = path.join(PROJECT_ROOT, 'src', 'http');
    const unguarded: string[] = [];
    let routes = 0;
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = fs.readFileSync(path.join(dir, file), 'utf8');
      for (const m of source.matchAll(/\b(v1|router)\.(get|post|put|patch|delete)\(\s*('[^']+'|[A-Z_]+),\s*([a-zA-Z]+)\(/g)) {
        routes++;
        if (m[4] !== 'permit') unguarded.push(`${file}: ${m[2]!.toUpperCase()} ${m[3]}`);
      }
      // A registration the pattern above does not read would escape the check: there must be none.
      const all = [...source.matchAll(/\b(v1|router)\.(get|post|put|patch|delete)\(/g)].length;
      const read = [...source.matchAll(/\b(v1|router)\.(get|post|put|patch|delete)\(\s*('[^']+'|[A-Z_]+),\s*[a-zA-Z]+\(/g)].length;
      expect(read, `${file}: a route registered in another form`).to.equal(all);
    }
    expect(routes).to.be.greaterThan(9);
    expect(unguarded).to.deep.equal([]);
  });
});
