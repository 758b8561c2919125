/**
 * The patch subset of a rectification (RFC 6902 replace, remove, add under /body), its bounds, and the
 * rules on what a correction may change. Pure.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { GatewayError } from '../../src/domain/errors.js';
import { applyChanges, assertKeepsEffects, changedFindings, overlaps, RECTIFICATION_MAX_CHANGES, type Change } from '../../src/domain/rectification.js';
import { createValidator, defaultSchemasDir } from '../../src/schema/validator.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

type Doc = { header: Json; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const example = (type: string): Doc => JSON.parse(fs.readFileSync(path.join(defaultSchemasDir(), 'examples', `${type}.v1.json`), 'utf8')) as Doc;

function refusal(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(GatewayError);
    return err as GatewayError;
  }
  return expect.fail('expected a refusal');
}

describe('rectification: the patch', () => {
  const orientation = example('orientation');

  it('replaces, removes and adds fields of objects, without changing the document it was given', () => {
    const before = JSON.stringify(orientation);
    const corrected = applyChanges(orientation, [
      { op: 'replace', path: '/body/identity/birthName', value: 'KARIMY' },
      { op: 'remove', path: '/body/contact/email' },
      { op: 'add', path: '/body/disability', value: { rqth: 'OUI' } },
      { op: 'add', path: '/body/identity/sex', value: 'M' },
    ]);
    expect(corrected.body.identity.birthName).to.equal('KARIMY');
    expect(corrected.body.contact).to.not.have.property('email');
    expect(corrected.body.disability).to.deep.equal({ rqth: 'OUI' });
    // RFC 6902 section 4.1: add on an existing member replaces it.
    expect(corrected.body.identity.sex).to.equal('M');
    expect(corrected.header).to.deep.equal(orientation['header']);
    expect(JSON.stringify(orientation)).to.equal(before);
  });

  it('replaces, removes, inserts and appends list elements as RFC 6902 section 4 says', () => {
    const corrected = applyChanges(orientation, [
      { op: 'replace', path: '/body/identity/givenNames/0', value: 'Daria' },
      { op: 'add', path: '/body/identity/givenNames/1', value: 'Maryam' },
      { op: 'add', path: '/body/identity/givenNames/-', value: 'Leila' },
      { op: 'remove', path: '/body/constraints/0' },
    ]);
    expect(corrected.body.identity.givenNames).to.deep.equal(['Daria', 'Maryam', 'Soraya', 'Leila']);
    expect(corrected.body.constraints).to.deep.equal([{ theme: 'LOGEMENT', impact: 'BLOQUANT' }]);
  });

  it('applies the changes in order: a later change sees the earlier ones', () => {
    const corrected = applyChanges(orientation, [
      { op: 'add', path: '/body/disability', value: {} },
      { op: 'add', path: '/body/disability/rqth', value: 'EN_COURS' },
    ]);
    expect(corrected.body.disability).to.deep.equal({ rqth: 'EN_COURS' });
  });

  it('copies the value: changing the patch afterwards does not change the corrected document', () => {
    const value = { rqth: 'OUI' };
    const corrected = applyChanges(orientation, [{ op: 'add', path: '/body/disability', value }]);
    value.rqth = 'NON';
    expect(corrected.body.disability.rqth).to.equal('OUI');
  });

  for (const [pathname, why] of [
    ['/header/recipient', 'the header'],
    ['/header', 'the header itself'],
    ['/body', 'the whole body'],
    ['', 'the whole document'],
    ['/body/identity/~2', 'an escape RFC 6901 does not define'],
    ['body/identity', 'not a pointer'],
  ] as const) {
    it(`refuses a path to ${why} (${JSON.stringify(pathname)}), naming the change`, () => {
      const error = refusal(() => applyChanges(orientation, [{ op: 'replace', path: '/body/identity/sex', value: 'F' }, { op: 'replace', path: pathname, value: 'x' }]));
      expect(error.code).to.equal('schema_invalid');
      expect(error.errors).to.deep.equal([{ pointer: '/body/changes/1/path', message: error.errors![0]!.message }]);
    });
  }

  it('refuses replace and remove of a missing field, add under a missing parent, and list indexes out of range, never echoing the value', () => {
    const secret = 'VALEUR-SECRETE-123';
    const cases: Change[] = [
      { op: 'replace', path: '/body/disability/rqth', value: secret },
      { op: 'remove', path: '/body/disability' },
      { op: 'add', path: '/body/disability/rqth', value: secret },
      { op: 'replace', path: '/body/identity/givenNames/2', value: secret },
      { op: 'add', path: '/body/identity/givenNames/3', value: secret },
      { op: 'add', path: '/body/identity/givenNames/01', value: secret },
      { op: 'replace', path: '/body/identity/birthName/first', value: secret },
      { op: 'replace', path: '/body/wantsSpeSupport/x', value: secret },
    ];
    for (const change of cases) {
      const error = refusal(() => applyChanges(orientation, [change]));
      expect(error.code, change.path).to.equal('schema_invalid');
      expect(error.errors![0]!.pointer, change.path).to.equal('/body/changes/0/path');
      expect(JSON.stringify({ detail: error.message, errors: error.errors }), change.path).to.not.include(secret);
    }
  });

  it('refuses replace and add without a value, and unknown operations', () => {
    expect(refusal(() => applyChanges(orientation, [{ op: 'replace', path: '/body/identity/sex' } as Change])).errors![0]!.pointer).to.equal('/body/changes/0/path');
    expect(refusal(() => applyChanges(orientation, [{ op: 'move', path: '/body/identity/sex', value: 'F' } as unknown as Change])).code).to.equal('schema_invalid');
  });

  it(`takes from 1 to ${RECTIFICATION_MAX_CHANGES} changes`, () => {
    const one: Change = { op: 'replace', path: '/body/identity/sex', value: 'F' };
    expect(applyChanges(orientation, Array.from({ length: RECTIFICATION_MAX_CHANGES }, () => one)).body.identity.sex).to.equal('F');
    for (const changes of [[], Array.from({ length: RECTIFICATION_MAX_CHANGES + 1 }, () => one)]) {
      const error = refusal(() => applyChanges(orientation, changes));
      expect(error.code).to.equal('schema_invalid');
      expect(error.errors![0]!.pointer).to.equal('/body/changes');
    }
  });

  it('adds a member named __proto__ as data, never as the prototype', () => {
    const corrected = applyChanges(orientation, [{ op: 'add', path: '/body/identity/__proto__', value: { polluted: true } }]);
    expect(Object.hasOwn(corrected.body.identity, '__proto__')).to.equal(true);
    expect(({} as Json)['polluted']).to.equal(undefined);
    expect(Object.getPrototypeOf(corrected.body.identity)).to.equal(Object.prototype);
  });

  it('a corrected version that breaks its schema is refused with the pointer of the field, never its value', () => {
    const validator = createValidator({ schemasDir: defaultSchemasDir() });
    const corrected = applyChanges(orientation, [{ op: 'replace', path: '/body/language/initialLevel', value: 'Z9-SECRET' }]);
    const error = refusal(() => validator.validate(corrected));
    expect(error.code).to.equal('schema_invalid');
    expect(error.errors![0]!.pointer).to.equal('/body/language/initialLevel');
    expect(JSON.stringify({ detail: error.message, errors: error.errors })).to.not.include('Z9-SECRET');
  });
});

describe('rectification: what a correction may change', () => {
  const header = { type: 'acknowledgement', sender: 'france-travail-paris', recipient: 'ofii-paris' };

  it('keeps who follows the person: an acknowledgement ACCEPTEE cannot become REFUSEE', () => {
    const error = refusal(() => assertKeepsEffects({ header, original: { status: 'ACCEPTEE' }, corrected: { status: 'REFUSEE', refusalReason: 'NON_ELIGIBLE' } }));
    expect(error).to.include({ code: 'rule_violation', rule: 'rectification-keeps-effects' });
    assertKeepsEffects({ header, original: { status: 'REFUSEE', refusalReason: 'NON_ELIGIBLE' }, corrected: { status: 'REFUSEE', refusalReason: 'HORS_PERIMETRE' } });
  });

  it('keeps the recipient type an orientation names, and lets the rest change', () => {
    const orientation = example('orientation');
    const type = { type: 'orientation', sender: 'ofii-paris', recipient: 'mission-locale-paris' };
    const changedType = applyChanges(orientation, [{ op: 'replace', path: '/body/orientation/recipientType', value: 'CAP_EMPLOI' }]);
    expect(refusal(() => assertKeepsEffects({ header: type, original: orientation['body'], corrected: changedType.body }))).to.include({ rule: 'rectification-keeps-effects' });
    const changedName = applyChanges(orientation, [{ op: 'replace', path: '/body/identity/givenNames/0', value: 'Daria' }]);
    assertKeepsEffects({ header: type, original: orientation['body'], corrected: changedName.body });
  });

  it('a status update FIN_ACCOMPAGNEMENT cannot be corrected into another event', () => {
    const update = { type: 'status-update', sender: 'cap-emploi-75', recipient: 'ofii-paris' };
    const error = refusal(() => assertKeepsEffects({ header: update, original: { event: { type: 'FIN_ACCOMPAGNEMENT' } }, corrected: { event: { type: 'PREMIER_ENTRETIEN_REALISE' } } }));
    expect(error.rule).to.equal('rectification-keeps-effects');
  });
});

describe('rectification: which recipient may be told', () => {
  it('a field overlaps a change that names it, contains it or lies inside it', () => {
    expect(overlaps('/body/disability', '/body/disability')).to.equal(true);
    expect(overlaps('/body/disability', '/body/disability/rqth')).to.equal(true);
    expect(overlaps('/body/disability/rqth', '/body/disability')).to.equal(true);
    expect(overlaps('/body/disability', '/body/disabilityX')).to.equal(false);
    expect(overlaps('/body/consent', '/body/disability')).to.equal(false);
  });

  it('keeps only the forbidden fields that a change touches', () => {
    const findings = [
      { rule: 'health', field: '/body/disability' },
      { rule: 'rights', field: '/body/situation/rsaBeneficiary' },
    ];
    expect(changedFindings(findings, [{ op: 'add', path: '/body/disability/rqth', value: 'OUI' }])).to.deep.equal([findings[0]]);
    expect(changedFindings(findings, [{ op: 'replace', path: '/body/identity/birthName', value: 'X' }])).to.deep.equal([]);
  });
});
