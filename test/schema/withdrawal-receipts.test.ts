/**
 * The schemas of item 4 of issue 14: the execution receipt's conditions, the new opt-out natures and
 * withdrawal reasons, a reminder's reminderOf, and a dossier item that is either the author's signed
 * message or the gateway's redacted copy of an orientation, never both.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GatewayError } from '../../src/domain/errors.js';
import { createValidator, defaultSchemasDir, type DocumentValidator } from '../../src/schema/validator.js';

type Doc = { header: Record<string, unknown>; body: Record<string, unknown> };
const validator: DocumentValidator = createValidator({ schemasDir: defaultSchemasDir() });
const example = (type: string): Doc => JSON.parse(readFileSync(path.join(defaultSchemasDir(), 'examples', `${type}.v1.json`), 'utf8')) as Doc;

function pointerOf(document: unknown): string | undefined {
  try {
    validator.validate(document);
    return undefined;
  } catch (err) {
    expect(err).to.be.instanceOf(GatewayError).with.property('code', 'schema_invalid');
    return (err as GatewayError & { errors?: Array<{ pointer: string }> }).errors?.[0]?.pointer ?? 'refused';
  }
}

describe('schemas: execution receipts, opt-out natures, reminders, redacted dossier items', () => {
  it('takes EFFECTUE without a ground, and refuses a ground or a reference with it', () => {
    const receipt = example('execution-receipt');
    expect(pointerOf({ ...receipt, body: { status: 'EFFECTUE', executedOn: '2026-12-11' } })).to.equal(undefined);
    expect(pointerOf({ ...receipt, body: { status: 'EFFECTUE', executedOn: '2026-12-11', legalGround: 'CONTENTIEUX_EN_COURS' } })).to.equal('/body/legalGround');
    expect(pointerOf({ ...receipt, body: { status: 'EFFECTUE', executedOn: '2026-12-11', legalReference: 'CT art. L.3243-4' } })).to.equal('/body/legalReference');
  });

  it('takes a closed legal ground without a reference, and requires the reference for AUTRE_OBLIGATION_LEGALE only', () => {
    const receipt = example('execution-receipt');
    for (const ground of ['OBLIGATION_CONSERVATION_COMPTABLE', 'OBLIGATION_CONSERVATION_SOCIALE', 'CONTENTIEUX_EN_COURS', 'MISSION_INTERET_PUBLIC']) {
      expect(pointerOf({ ...receipt, body: { status: 'REFUSE_MOTIF_LEGAL', executedOn: '2026-12-11', legalGround: ground } }), ground).to.equal(undefined);
      expect(pointerOf({ ...receipt, body: { status: 'REFUSE_MOTIF_LEGAL', executedOn: '2026-12-11', legalGround: ground, legalReference: 'CT art. L.3243-4' } }), ground).to.equal('/body/legalReference');
    }
    expect(pointerOf({ ...receipt, body: { status: 'REFUSE_MOTIF_LEGAL', executedOn: '2026-12-11', legalGround: 'AUTRE_OBLIGATION_LEGALE' } })).to.equal('/body/legalReference');
    for (const reference of ['CCOM art. L.123-22', 'LPF art. L.102 B', 'RGPD art. 17', 'CASF art. R.263-8']) {
      expect(pointerOf({ ...receipt, body: { ...receipt.body, legalReference: reference } }), reference).to.equal(undefined);
    }
    expect(pointerOf({ ...receipt, body: { ...receipt.body, legalGround: 'PARCE_QUE' } })).to.equal('/body/legalGround');
  });

  it('knows the opt-out natures of the domain and the same withdrawal reasons, and a reminder names its notice', () => {
    const optOut = example('opt-out');
    const withdrawal = example('withdrawal');
    for (const kind of ['DISPENSE', 'RETRAIT', 'OPPOSITION_ART21', 'RETRAIT_ACCORD_SANTE', 'EFFACEMENT_NON_ACCOMPAGNE']) {
      expect(pointerOf({ ...optOut, body: { ...optOut.body, kind } }), kind).to.equal(undefined);
      expect(pointerOf({ ...withdrawal, body: { ...withdrawal.body, reason: kind } }), kind).to.equal(undefined);
    }
    expect(pointerOf({ ...withdrawal, body: { ...withdrawal.body, reminderOf: 'e7d1c3b5-9a2f-4d8e-b6c4-1f3a5d7b9c02' } })).to.equal(undefined);
    expect(pointerOf({ ...withdrawal, body: { ...withdrawal.body, reminderOf: 'the first one' } })).to.equal('/body/reminderOf');
  });

  it("takes a dossier item as the author's signed message or the gateway's redacted orientation, never both, never neither", () => {
    const dossier = example('dossier');
    const [item] = dossier.body['documents'] as Array<Record<string, unknown>>;
    const { signedMessage, ...listed } = item!;
    const redacted = { content: example('orientation').body, removedFields: ['/body/disability'], originalSha256: 'a'.repeat(64) };
    const withItem = (document: Record<string, unknown>) => ({ ...dossier, body: { documents: [document] } });
    expect(pointerOf(withItem({ ...listed, type: 'orientation', redacted }))).to.equal(undefined);
    expect(pointerOf(withItem({ ...listed, type: 'orientation', redacted, signedMessage }))).to.not.equal(undefined);
    expect(pointerOf(withItem({ ...listed, type: 'orientation' }))).to.not.equal(undefined);
    expect(pointerOf(withItem({ ...listed, type: 'acknowledgement', redacted }))).to.not.equal(undefined);
    expect(pointerOf(withItem({ ...listed, type: 'orientation', redacted: { ...redacted, content: { ...redacted.content, comment: 'x' } } }))).to.not.equal(undefined);
  });
});
