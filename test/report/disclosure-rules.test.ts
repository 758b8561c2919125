/**
 * The one table of what each audit event and message type means for the person's access report: a new
 * event (src/audit/entry.ts) or message type (schemas/) without an entry fails here, so that nobody
 * adds one that the report would word as "Autre document" or leave out without a decision.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { AUDIT_EVENTS } from '../../src/audit/entry.js';
import { EVENT_RULES, MESSAGE_TYPES } from '../../src/report/disclosure-rules.js';
import { PROJECT_ROOT } from '../fixtures/gateway.js';

describe('access report: the rules table of events and message types', () => {
  it('classifies every audit event', () => {
    expect(AUDIT_EVENTS.filter((event) => EVENT_RULES[event] === undefined)).to.deep.equal([]);
  });

  it('words every message type of schemas/, with a label and a legal basis in French', () => {
    // A message type is a schema whose header names its type (a request body such as the lookup's has none).
    const declaresType = (file: string) => (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'schemas', file), 'utf8')) as { properties?: { header?: { properties?: { type?: unknown } } } }).properties?.header?.properties?.type !== undefined;
    const types = fs
      .readdirSync(path.join(PROJECT_ROOT, 'schemas'))
      .filter((f) => f.endsWith('.schema.json') && declaresType(f))
      .map((f) => /^(.+)\.v\d+\.schema\.json$/.exec(f)?.[1])
      .filter((t): t is string => t !== undefined);
    expect(types.length).to.be.greaterThan(5);
    expect(types.filter((type) => MESSAGE_TYPES[type] === undefined)).to.deep.equal([]);
    for (const [type, wording] of Object.entries(MESSAGE_TYPES)) {
      expect(wording.label, type).to.match(/^[A-ZÀ-Ý]/);
      expect(wording.basis, type).to.match(/RGPD|CESEDA|CASF|Convention|Code du travail|accord/);
    }
  });

  it('every disclosure rule that names a wording names one of the table', () => {
    for (const [event, rule] of Object.entries(EVENT_RULES)) {
      if (rule.section === 'disclosure' && rule.wording !== 'by-type') expect(MESSAGE_TYPES[rule.wording], event).to.not.equal(undefined);
    }
  });

  it('knows already the events and types the rest of issue 14 adds', () => {
    for (const event of ['looked-up', 'correction-notified', 'withdrawal-reminded', 'dossier-requested']) expect(EVENT_RULES[event], event).to.not.equal(undefined);
    for (const type of ['cir-review', 'rectification', 'execution-receipt', 'dossier-request', 'correction']) expect(MESSAGE_TYPES[type], type).to.not.equal(undefined);
  });
});
