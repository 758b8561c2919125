import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultGeneratedDir, generateTypes, typeNameOf } from '../../scripts/generate-types.js';
import type { AcknowledgementV1, KnownDocument, OrientationV1, StatusUpdateV1 } from '../../src/schema/generated/index.js';
import { createValidator, defaultSchemasDir, listDocumentSchemas } from '../../src/schema/validator.js';

describe('generated schema types', function () {
  // json-schema-to-typescript formats with prettier: a few seconds on a small machine.
  this.timeout(60_000);

  const schemasDir = defaultSchemasDir();
  const committedDir = defaultGeneratedDir();
  let tempDir: string;

  before(() => {
    tempDir = mkdtempSync(path.join(os.tmpdir(), 'passerelle-generated-'));
  });
  after(() => rmSync(tempDir, { recursive: true, force: true }));

  it('are up to date: regenerating them from schemas/ gives exactly the committed files', async () => {
    await generateTypes({ schemasDir, outDir: tempDir });
    const fresh = readdirSync(tempDir).sort();
    expect(readdirSync(committedDir).sort(), 'files in src/schema/generated').to.deep.equal(fresh);
    for (const name of fresh) {
      const expected = readFileSync(path.join(tempDir, name), 'utf8');
      const committed = readFileSync(path.join(committedDir, name), 'utf8');
      expect(committed === expected, `${name} differs from the schema: run npm run generate:types`).to.equal(true);
    }
  });

  it('are marked as generated and name one root type per schema', () => {
    for (const name of readdirSync(committedDir)) {
      expect(readFileSync(path.join(committedDir, name), 'utf8'), name).to.match(/^\/\*\*\n \* Generated — do not edit\./);
    }
    for (const { type, version } of listDocumentSchemas(schemasDir)) {
      const source = readFileSync(path.join(committedDir, `${type}.v${version}.ts`), 'utf8');
      expect(source).to.include(`export interface ${typeNameOf(type, version)} {`);
    }
    expect(['orientation', 'acknowledgement', 'status-update'].map((t) => typeNameOf(t, 1))).to.deep.equal([
      'OrientationV1',
      'AcknowledgementV1',
      'StatusUpdateV1',
    ]);
  });

  it('describe documents that the schemas accept (checked by tsc, then by the validator)', () => {
    const header = {
      version: 1,
      sender: 'mission-locale-paris',
      recipient: 'ofii-paris',
      sentAt: '2026-11-27T16:00:00Z',
      beneficiaryRef: '7503123456',
      inReplyTo: '8d4c2f9e-1b7a-4c3e-9f60-2a5b7d9e1c44',
    } as const;
    const acknowledgement = {
      header: { ...header, messageId: '0b7d4c1e-53a2-4f7e-8d6b-2c9a1e4f5b30', type: 'acknowledgement' },
      body: { status: 'REFUSEE', refusalReason: 'DEJA_ACCOMPAGNE_AILLEURS' },
    } satisfies AcknowledgementV1;
    const statusUpdate = {
      header: { ...header, messageId: 'c3e1a2b4-7d6f-4e8a-9b0c-1d2e3f4a5b6c', type: 'status-update' },
      body: {
        event: { type: 'ENTREE_EMPLOI', effectiveOn: '2027-02-01' },
        employment: { contractType: 'CDI', workingTime: 'PLEIN', romeCode: 'G1603' },
      },
    } satisfies StatusUpdateV1;
    const orientation = {
      header: {
        messageId: 'e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9',
        type: 'orientation',
        version: 1,
        sender: 'ofii-paris',
        recipient: 'cap-emploi-75',
        sentAt: '2026-11-27T10:00:00Z',
        beneficiaryRef: '7509876543',
      },
      body: {
        identity: {
          birthName: 'NGUESSAN',
          givenNames: ['Koffi'],
          sex: 'M',
          birthDate: '1988-01-01',
          birthPlace: { countryCode: '99326' },
          nationality: 'CIV',
        },
        residencePermit: {
          documentType: 'CST',
          grounds: 'FAM_CONJOINT_FR',
          validFrom: '2026-03-01',
          validUntil: '2027-02-28',
          firstIssuedOn: '2026-03-01',
          workAuthorised: true,
        },
        cir: { modality: 'OBLIGATOIRE', status: 'SIGNE', signedOn: '2026-03-20', orientationAdviceWaived: false },
        language: { initialLevel: 'A2' },
        wantsSpeSupport: true,
        disability: { rqth: 'EN_COURS' },
        consent: { healthData: true, healthDataGivenOn: '2026-11-26' },
        orientation: { recipientType: 'CAP_EMPLOI', pathway: 'EMPLOI', reasonCode: 'HANDICAP', interviewOn: '2026-11-26' },
        personInformed: { on: '2026-11-26', modality: 'ECRIT_FRANCAIS', noticeVersion: '2026-01' },
      },
    } satisfies OrientationV1;
    const documents: KnownDocument[] = [acknowledgement, statusUpdate, orientation];
    const validator = createValidator({ schemasDir });
    for (const document of documents) {
      expect(() => validator.validate(document), document.header.type).to.not.throw();
    }
  });
});
