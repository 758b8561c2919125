import { expect } from 'chai';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GatewayError } from '../../src/domain/errors.js';
import {
  createValidator,
  defaultSchemasDir,
  listDocumentSchemas,
  type DocumentValidator,
} from '../../src/schema/validator.js';

const schemasDir = defaultSchemasDir();
const examplesDir = path.join(schemasDir, 'examples');
const invalidDir = path.join(examplesDir, 'invalid');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Doc = { header: Record<string, Json>; body: Record<string, Json> };

function readJson<T = Json>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

function example(type: string): Doc {
  return readJson<Doc>(path.join(examplesDir, `${type}.v1.json`));
}

/** Runs validate and returns the GatewayError it throws; fails the test if it does not throw one. */
function rejection(validator: DocumentValidator, document: unknown): GatewayError {
  let thrown: unknown;
  try {
    validator.validate(document);
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'the document was accepted, or the error is not a GatewayError').to.be.instanceOf(GatewayError);
  return thrown as GatewayError;
}

/** Every enum and const string of every schema: public codes, not personal data. */
function schemaCodes(): Set<string> {
  const codes = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'enum' && Array.isArray(value)) value.forEach((v) => typeof v === 'string' && codes.add(v));
        else if (key === 'const' && typeof value === 'string') codes.add(value);
        else walk(value);
      }
    }
  };
  for (const name of readdirSync(schemasDir).filter((n) => n.endsWith('.v1.schema.json'))) {
    walk(readJson(path.join(schemasDir, name)));
  }
  return codes;
}

/** Every string value and every property name of a document, except public codes and tiny strings. */
function documentStrings(document: unknown, codes: Set<string>): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (typeof node === 'string') {
      if (node.length >= 3 && !codes.has(node)) found.push(node);
    } else if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        walk(value);
        if (key.length >= 3 && !codes.has(key) && !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(key)) found.push(key);
      }
    }
  };
  walk(document);
  return found;
}

function expectNoEcho(error: GatewayError, document: unknown, codes: Set<string>): void {
  const texts = [error.message, ...(error.errors ?? []).flatMap((e) => [e.pointer, e.message])];
  for (const value of documentStrings(document, codes)) {
    for (const text of texts) {
      expect(text, `error text echoes a value of the document`).to.not.include(value);
    }
  }
}

describe('schema validator', () => {
  let validator: DocumentValidator;
  const codes = schemaCodes();

  before(() => {
    validator = createValidator({ schemasDir });
  });

  describe('creation', () => {
    it('compiles every message schema in strict mode and knows the thirteen types', () => {
      expect(validator.knownTypes()).to.deep.equal(['acknowledgement', 'cir-review', 'correction', 'dossier', 'dossier-request', 'execution-receipt', 'expiry', 'opt-out', 'orientation', 'rectification', 'referral', 'status-update', 'withdrawal']);
    });

    it('finds <project root>/schemas from the module location', () => {
      expect(path.basename(schemasDir)).to.equal('schemas');
      expect(readdirSync(path.dirname(schemasDir))).to.include('package.json');
    });

    describe('with a broken schema folder', () => {
      let dir: string;
      beforeEach(() => {
        dir = mkdtempSync(path.join(os.tmpdir(), 'passerelle-schemas-'));
        for (const name of ['header.v1.schema.json', 'orientation.v1.schema.json']) {
          cpSync(path.join(schemasDir, name), path.join(dir, name));
        }
      });
      afterEach(() => rmSync(dir, { recursive: true, force: true }));

      it('accepts a folder with only the orientation schema and its shared header', () => {
        expect(createValidator({ schemasDir: dir }).knownTypes()).to.deep.equal(['orientation']);
      });

      it('refuses at creation a schema with an unknown keyword (strict mode is on)', () => {
        writeFileSync(
          path.join(dir, 'referral.v1.schema.json'),
          JSON.stringify({
            $schema: 'https://json-schema.org/draft/2020-12/schema',
            $id: 'https://passerelle.example/schemas/referral.v1.schema.json',
            type: 'object',
            properties: {
              header: { type: 'object', properties: { type: { const: 'referral' } } },
              body: { type: 'string', maxLenght: 10 },
            },
          }),
        );
        let thrown: unknown;
        try {
          createValidator({ schemasDir: dir });
        } catch (err) {
          thrown = err;
        }
        expect(thrown).to.be.instanceOf(GatewayError);
        expect((thrown as GatewayError).code).to.equal('config_invalid');
        expect((thrown as GatewayError).message).to.include('referral.v1.schema.json').and.include('maxLenght');
      });

      it('refuses at creation a required property that the schema does not define (strictRequired)', () => {
        const file = path.join(dir, 'orientation.v1.schema.json');
        const schema = readJson<{ properties: { body: { required: string[] } } }>(file);
        schema.properties.body.required.push('birthdate');
        writeFileSync(file, JSON.stringify(schema));
        expect(() => createValidator({ schemasDir: dir }))
          .to.throw(GatewayError)
          .with.property('code', 'config_invalid');
      });

      it('refuses a schema whose file name and header.type constant disagree', () => {
        const schema = readJson<Record<string, unknown>>(path.join(dir, 'orientation.v1.schema.json'));
        schema.$id = 'https://passerelle.example/schemas/referral.v1.schema.json';
        writeFileSync(path.join(dir, 'referral.v1.schema.json'), JSON.stringify(schema));
        expect(() => createValidator({ schemasDir: dir }))
          .to.throw(GatewayError, /referral\.v1\.schema\.json/)
          .with.property('code', 'config_invalid');
      });
    });
  });

  describe('examples', () => {
    it('has a valid example for every type and version', () => {
      const schemas = listDocumentSchemas(schemasDir);
      expect(schemas.map((s) => `${s.type}.v${s.version}`)).to.have.members([
        'acknowledgement.v1',
        'cir-review.v1',
        'correction.v1',
        'dossier-request.v1',
        'dossier.v1',
        'execution-receipt.v1',
        'expiry.v1',
        'opt-out.v1',
        'rectification.v1',
        'orientation.v1',
        'referral.v1',
        'status-update.v1',
        'withdrawal.v1',
      ]);
      for (const { type, version } of schemas) {
        const document = readJson(path.join(examplesDir, `${type}.v${version}.json`));
        expect(() => validator.validate(document), `${type}.v${version}.json`).to.not.throw();
      }
    });

    it('orients a person aged 16 to 25 on 2026-11-27 from ofii-paris to mission-locale-paris, without disability data', () => {
      const { header, body } = example('orientation');
      expect(header.sender).to.equal('ofii-paris');
      expect(header.recipient).to.equal('mission-locale-paris');
      const birth = new Date(`${(body.identity as Record<string, string>).birthDate}T00:00:00Z`);
      const day = new Date('2026-11-27T00:00:00Z');
      let age = day.getUTCFullYear() - birth.getUTCFullYear();
      if (
        day.getUTCMonth() < birth.getUTCMonth() ||
        (day.getUTCMonth() === birth.getUTCMonth() && day.getUTCDate() < birth.getUTCDate())
      ) {
        age -= 1;
      }
      expect(age).to.be.within(16, 25);
      expect(body).to.not.have.property('disability');
    });

    it('answers the orientation from mission-locale-paris to ofii-paris in the acknowledgement and the status update', () => {
      const orientation = example('orientation');
      for (const type of ['acknowledgement', 'status-update']) {
        const { header } = example(type);
        expect(header.sender, type).to.equal('mission-locale-paris');
        expect(header.recipient, type).to.equal('ofii-paris');
        expect(header.inReplyTo, type).to.equal(orientation.header.messageId);
        expect(header.beneficiaryRef, type).to.equal(orientation.header.beneficiaryRef);
      }
    });
  });

  describe('invalid examples', () => {
    const manifest = readJson<{ cases: Array<{ file: string; pointer: string; reason: string }> }>(
      path.join(invalidDir, 'manifest.json'),
    );

    it('lists every file of the folder, and at least eight', () => {
      const files = readdirSync(invalidDir).filter((name) => name.endsWith('.json') && name !== 'manifest.json');
      expect(manifest.cases.map((c) => c.file)).to.have.members(files);
      expect(files.length).to.be.at.least(8);
    });

    for (const { file, pointer, reason } of manifest.cases) {
      it(`rejects ${file} at ${pointer} (${reason}) without echoing its values`, () => {
        const document = readJson(path.join(invalidDir, file));
        const error = rejection(validator, document);
        expect(error.code).to.equal('schema_invalid');
        expect(error.status).to.equal(422);
        expect(error.errors).to.be.an('array').that.is.not.empty;
        expect(error.errors![0]!.pointer).to.equal(pointer);
        expectNoEcho(error, document, codes);
      });
    }
  });

  describe('conditions', () => {
    const valid = (document: unknown): void => validator.validate(document);
    const firstPointer = (document: unknown): string => rejection(validator, document).errors![0]!.pointer;

    it('accepts a refusal with its reason, and a redirection with its target', () => {
      const refused = example('acknowledgement');
      refused.body = { status: 'REFUSEE', refusalReason: 'HORS_TERRITOIRE' };
      valid(refused);
      const redirected = example('acknowledgement');
      redirected.body = { status: 'REDIRIGEE', redirectedTo: { recipientType: 'FRANCE_TRAVAIL' } };
      valid(redirected);
      redirected.body.refusalReason = 'NON_ELIGIBLE';
      expect(firstPointer(redirected)).to.equal('/body/refusalReason');
    });

    it('refuses redirectedTo on a status other than REDIRIGEE', () => {
      const document = example('acknowledgement');
      document.body.redirectedTo = { recipientType: 'CAP_EMPLOI' };
      expect(firstPointer(document)).to.equal('/body/redirectedTo');
    });

    const blocks: Record<string, Record<string, Json>> = {
      decidedOrientation: { pathway: 'SOCIO_PRO', referentType: 'MISSION_LOCALE' },
      contract: { type: 'CEJ' },
      training: { type: 'QUALIFIANTE', durationHours: 420, plannedEndOn: '2027-06-30' },
      employment: { contractType: 'CDD_6M_PLUS', workingTime: 'PARTIEL', romeCode: 'G1603' },
      endOfSupport: { reason: 'EMPLOI_DURABLE' },
      appointment: { status: 'PRIS', modality: 'VISIO' },
    };
    const eventBlocks: Record<string, string | undefined> = {
      INSCRIT_FT: undefined,
      RDV_PLANIFIE: 'appointment',
      PREMIER_ENTRETIEN_REALISE: undefined,
      ABSENT_RDV: 'appointment',
      NON_JOIGNABLE: undefined,
      ORIENTATION_DECIDEE: 'decidedOrientation',
      CONTRAT_ENGAGEMENT_SIGNE: 'contract',
      ENTREE_FORMATION: 'training',
      SORTIE_FORMATION: 'training',
      ENTREE_EMPLOI: 'employment',
      ENTREE_IAE: undefined,
      CREATION_ENTREPRISE: undefined,
      REORIENTATION: undefined,
      FIN_ACCOMPAGNEMENT: 'endOfSupport',
    };

    for (const [eventType, block] of Object.entries(eventBlocks)) {
      it(`status update ${eventType}: ${block ?? 'no block'} required, every other block refused`, () => {
        const document = example('status-update');
        document.body = { event: { type: eventType, effectiveOn: '2026-11-27' } };
        if (block !== undefined) {
          expect(firstPointer(document)).to.equal(`/body/${block}`);
          document.body[block] = blocks[block]!;
        }
        valid(document);
        for (const other of Object.keys(blocks)) {
          if (other === block || (other === 'decidedOrientation' && eventType === 'REORIENTATION')) continue;
          const withOther = { ...document, body: { ...document.body, [other]: blocks[other]! } };
          expect(firstPointer(withOther), other).to.equal(`/body/${other}`);
        }
      });
    }

    it('allows the decided orientation on a REORIENTATION event', () => {
      const document = example('status-update');
      document.body = { event: { type: 'REORIENTATION', effectiveOn: '2026-11-27' }, decidedOrientation: blocks.decidedOrientation! };
      valid(document);
    });

    it('accepts disability data with the dated consent of the person, and requires the date', () => {
      const document = example('orientation');
      document.body.disability = { rqth: 'OUI', otherBeneficiaryStatus: ['AAH'] };
      document.body.consent = { healthData: true, healthDataGivenOn: '2026-11-26' };
      valid(document);
      document.body.consent = { healthData: true };
      expect(firstPointer(document)).to.equal('/body/consent/healthDataGivenOn');
    });

    it('requires the signing date unless the CIR was not signed', () => {
      const document = example('orientation');
      const cir = document.body.cir as Record<string, Json>;
      delete cir.signedOn;
      expect(firstPointer(document)).to.equal('/body/cir/signedOn');
      cir.status = 'NON_SIGNE_REFUS';
      valid(document);
    });

    it('accepts sentAt with an offset and refuses an impossible date', () => {
      const document = example('orientation');
      document.header.sentAt = '2026-11-27T10:30:00+01:00';
      valid(document);
      const identity = document.body.identity as Record<string, Json>;
      identity.birthDate = '2004-02-30';
      expect(firstPointer(document)).to.equal('/body/identity/birthDate');
    });
  });

  describe('documents that cannot select a schema', () => {
    it('refuses a document that is not an object, pointing at the root', () => {
      for (const document of [null, 'orientation', 42, [], true]) {
        const error = rejection(validator, document);
        expect(error.code).to.equal('schema_invalid');
        expect(error.errors).to.deep.equal([{ pointer: '', message: 'must be an object' }]);
      }
    });

    it('refuses a document without a header object', () => {
      for (const header of [undefined, 'x', [1]]) {
        expect(rejection(validator, { header, body: {} }).errors![0]!.pointer).to.equal('/header');
      }
    });

    it('refuses an unknown or non-string type at /header/type without echoing it', () => {
      for (const type of ['Jean Dupont 1990-01-01', 'header', '__proto__', 'constructor', 7, undefined]) {
        const document = { header: { ...example('orientation').header, type }, body: {} };
        const error = rejection(validator, document);
        expect(error.code).to.equal('schema_invalid');
        expect(error.errors![0]!.pointer).to.equal('/header/type');
        expect(JSON.stringify([error.message, error.errors])).to.not.include('Jean Dupont');
      }
    });

    it('refuses an unsupported version at /header/version', () => {
      for (const version of [0, 2, '1', 1.5, null]) {
        const document = { ...example('orientation'), header: { ...example('orientation').header, version } };
        expect(rejection(validator, document).errors![0]!.pointer).to.equal('/header/version');
      }
    });
  });

  describe('personal data in error reports', () => {
    it('does not put a made-up property name that looks like personal data into the pointer', () => {
      const document = example('orientation');
      (document.body.identity as Record<string, Json>)['Jean Dupont, né le 01/02/1990'] = true;
      const error = rejection(validator, document);
      expect(error.errors![0]!.pointer).to.equal('/body/identity');
      expectNoEcho(error, document, codes);
      expect(JSON.stringify(error.errors)).to.not.include('Dupont');
    });

    it('never echoes the value that failed, whatever the keyword', () => {
      const secret = 'Zoé-Secret-Dupont';
      const mutations: Array<(d: Doc) => void> = [
        (d) => ((d.body.identity as Record<string, Json>).birthName = `${secret}${'x'.repeat(120)}`),
        (d) => ((d.body.identity as Record<string, Json>).birthName = `${secret} 12`),
        (d) => ((d.body.identity as Record<string, Json>).sex = secret),
        (d) => ((d.body.identity as Record<string, Json>).birthDate = secret),
        (d) => ((d.body.contact as Record<string, Json>).email = secret),
        (d) => ((d.body.contact as Record<string, Json>).phone = secret),
        (d) => (d.header.beneficiaryRef = secret),
        (d) => (d.header.sender = secret),
        (d) => ((d.body.identity as Record<string, Json>).givenNames = ['Darya', `${secret}?`]),
        (d) => (d.body.wantsSpeSupport = secret),
        (d) => ((d.body.contact as Record<string, Json>).contactPreferences = ['EMAIL', 'EMAIL']),
      ];
      for (const [index, mutate] of mutations.entries()) {
        const document = example('orientation');
        mutate(document);
        const error = rejection(validator, document);
        expect(error.errors, `mutation ${index}`).to.have.length.greaterThan(0);
        expect(error.code).to.equal('schema_invalid');
        expect(JSON.stringify([error.message, error.errors])).to.not.include('Secret');
        expectNoEcho(error, document, codes);
      }
    });
  });
});
