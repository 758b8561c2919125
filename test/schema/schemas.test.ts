import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inlineSchema } from '../../scripts/generate-types.js';
import { defaultSchemasDir, listDocumentSchemas } from '../../src/schema/validator.js';

type Schema = Record<string, any>;

const schemasDir = defaultSchemasDir();
const documentSchemas = listDocumentSchemas(schemasDir);
const inlined = new Map(documentSchemas.map((s) => [s.type, inlineSchema(schemasDir, s.fileName) as Schema]));

function schemaOf(type: string): Schema {
  const schema = inlined.get(type);
  if (schema === undefined) throw new Error(`no schema for ${type}`);
  return schema;
}

/** The subschema of the field at a dotted document path, e.g. body.identity.birthDate. */
function field(type: string, dotted: string): Schema {
  let node = schemaOf(type);
  for (const key of dotted.split('.')) {
    node = node.type === 'array' ? node.items : node;
    expect(node.properties, `${type} ${dotted}`).to.have.property(key);
    node = node.properties[key];
  }
  return node;
}

function requiredIn(type: string, dotted: string): boolean {
  const keys = dotted.split('.');
  const last = keys.pop()!;
  const parent = keys.length === 0 ? schemaOf(type) : field(type, keys.join('.'));
  return (parent.required ?? []).includes(last);
}

/** Every subschema that describes a field or an array item, with its document path. */
function fields(node: Schema, at: string, visit: (schema: Schema, at: string, isProperty: boolean) => void): void {
  for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) {
    visit(child, `${at}.${key}`, true);
    fields(child, `${at}.${key}`, visit);
  }
  if (node.items !== undefined) {
    visit(node.items, `${at}[]`, false);
    fields(node.items, `${at}[]`, visit);
  }
}

/** Fields that hold any JSON value, bounded by another schema. */
const ANY_JSON_FIELDS: ReadonlySet<string> = new Set(['rectification.body.changes[].value']);

const FRENCH_WORD = /(^|[\s'’(])(le|la|les|l|de|du|des|d|un|une|et|ou|en|à|au|aux|si|pour|par|sur|sans|est|qui)(?=[\s'’,.;:)]|$)/i;

describe('message schemas', () => {
  it('are the thirteen types of version 1, in JSON Schema 2020-12 with their $id', () => {
    expect(documentSchemas.map((s) => s.fileName)).to.have.members([
      'acknowledgement.v1.schema.json',
      'cir-review.v1.schema.json',
      'correction.v1.schema.json',
      'dossier-request.v1.schema.json',
      'dossier.v1.schema.json',
      'execution-receipt.v1.schema.json',
      'expiry.v1.schema.json',
      'opt-out.v1.schema.json',
      'orientation.v1.schema.json',
      'rectification.v1.schema.json',
      'referral.v1.schema.json',
      'status-update.v1.schema.json',
      'withdrawal.v1.schema.json',
    ]);
    for (const fileName of [...documentSchemas.map((s) => s.fileName), 'header.v1.schema.json', 'beneficiary-lookup.v1.schema.json']) {
      const raw = JSON.parse(readFileSync(path.join(schemasDir, fileName), 'utf8')) as Schema;
      expect(raw.$schema, fileName).to.equal('https://json-schema.org/draft/2020-12/schema');
      expect(raw.$id, fileName).to.equal(`https://passerelle.example/schemas/${fileName}`);
    }
  });

  for (const { type } of documentSchemas) {
    describe(type, () => {
      it('gives every field a French title and a French description', () => {
        fields(schemaOf(type), type, (schema, at) => {
          expect(schema.title, `${at} title`).to.be.a('string').that.is.not.empty;
          expect(schema.description, `${at} description`).to.be.a('string').and.match(FRENCH_WORD);
        });
      });

      it('closes every object, bounds every string, array and integer', () => {
        const check = (schema: Schema, at: string): void => {
          switch (schema.type) {
            case 'object':
              expect(schema.additionalProperties, `${at} additionalProperties`).to.equal(false);
              break;
            case 'string':
              expect(
                schema.maxLength !== undefined || schema.enum !== undefined || schema.const !== undefined,
                `${at} is an unbounded string`,
              ).to.equal(true);
              break;
            case 'array':
              expect(schema.maxItems, `${at} maxItems`).to.be.a('number');
              break;
            case 'integer':
              if (schema.const !== undefined) break;
              expect(schema.minimum, `${at} minimum`).to.be.a('number');
              expect(schema.maximum, `${at} maximum`).to.be.a('number');
              break;
            case 'boolean':
              break;
            case undefined:
              // A rectification's new value takes the type of the field it corrects; the corrected
              // document is validated against its own schema, which bounds it (schemas/README.md).
              if (ANY_JSON_FIELDS.has(at)) break;
              expect.fail(`${at} has no single type (undefined)`);
            default:
              expect.fail(`${at} has no single type (${String(schema.type)})`);
          }
        };
        check(schemaOf(type), type);
        fields(schemaOf(type), type, check);
      });

      it('uses English camelCase field names and upper-case French codes', () => {
        fields(schemaOf(type), type, (schema, at, isProperty) => {
          if (isProperty) expect(at.split('.').pop(), at).to.match(/^[a-z][A-Za-z0-9]*$/);
          if (Array.isArray(schema.enum)) {
            for (const code of schema.enum as string[]) expect(code, at).to.match(/^[A-Z][A-Z0-9_]*$/);
          }
        });
      });

      it('has no field for free text or for data that the agreement does not need', () => {
        fields(schemaOf(type), type, (_schema, at, isProperty) => {
          if (!isProperty) return;
          expect(at.split('.').pop(), at).to.not.match(
            /nir|salary|wage|employer|comment|note$|notes|remark|freeText|situationText|agentName|advisor|label|diagnos/i,
          );
        });
      });

      it('requires the whole header, with inReplyTo for answers only', () => {
        const header = field(type, 'header');
        const expected = ['messageId', 'type', 'version', 'sender', 'recipient', 'sentAt', 'beneficiaryRef'];
        // Answers name what they answer; a dossier names its referral, an expiry notice its orientation, a correction notice its rectification, an execution receipt its withdrawal notice.
        if (['acknowledgement', 'status-update', 'dossier', 'expiry', 'correction', 'execution-receipt'].includes(type)) expected.push('inReplyTo');
        expect(header.required).to.have.members(expected);
        expect(header.properties.type.const).to.equal(type);
        expect(header.properties.version.const).to.equal(1);
        expect(header.properties.beneficiaryRef.pattern).to.equal('^[0-9]{10}$');
        expect(header.properties.sender.pattern).to.equal('^[a-z0-9][a-z0-9-]{1,62}$');
        expect(header.properties.messageId.format).to.equal('uuid');
        expect(header.properties.inReplyTo.format).to.equal('uuid');
        expect(header.properties.sentAt.format).to.equal('date-time');
      });
    });
  }

  describe('fields that the business rules read', () => {
    const enumOf = (type: string, dotted: string): string[] => {
      const node = field(type, dotted);
      return (node.type === 'array' ? node.items.enum : node.enum) as string[];
    };

    it('orientation: identity, residence permit and language', () => {
      expect(field('orientation', 'body.identity.birthDate').format).to.equal('date');
      expect(requiredIn('orientation', 'body.identity') && requiredIn('orientation', 'body.identity.birthDate')).to.equal(true);
      expect(enumOf('orientation', 'body.residencePermit.grounds')).to.deep.equal([
        'FAM_CONJOINT_FR',
        'FAM_PARENT_ENFANT_FR',
        'FAM_REGROUPEMENT',
        'FAM_LIENS_PERSO',
        'FAM_JEUNE_MAJEUR',
        'FAM_AUTRE',
        'PRO_SALARIE',
        'PRO_ENTREPRENEUR',
        'PRO_AUTRE',
        'PI_REFUGIE',
        'PI_PROTECTION_SUBSIDIAIRE',
        'PI_APATRIDE',
        'PI_FAMILLE_BPI',
        'APS',
      ]);
      expect(field('orientation', 'body.residencePermit.firstIssuedOn').format).to.equal('date');
      expect(field('orientation', 'body.residencePermit.protectionGrantedOn').format).to.equal('date');
      expect(enumOf('orientation', 'body.language.initialLevel')).to.deep.equal(['INFRA_A1', 'A1', 'A2', 'B1', 'B2', 'C1', 'C2']);
      expect(field('orientation', 'body.wantsSpeSupport').type).to.equal('boolean');
      expect(requiredIn('orientation', 'body.wantsSpeSupport')).to.equal(true);
      expect(field('orientation', 'body.cir.orientationAdviceWaived').type).to.equal('boolean');
      expect(field('orientation', 'body.situation.rsaBeneficiary').type).to.equal('boolean');
      expect(enumOf('orientation', 'body.education.level')).to.include.members(['NV1', 'NV2']);
      expect(enumOf('orientation', 'body.constraints.impact')).to.deep.equal(['AUCUN', 'LEGER', 'BLOQUANT']);
    });

    it('orientation: disability, consent and the proposed orientation', () => {
      expect(enumOf('orientation', 'body.disability.rqth')).to.deep.equal(['OUI', 'EN_COURS', 'NON', 'NON_RENSEIGNE']);
      expect(enumOf('orientation', 'body.disability.otherBeneficiaryStatus')).to.deep.equal([
        'AAH',
        'PENSION_INVALIDITE',
        'RENTE_ATMP',
        'CARTE_INVALIDITE',
      ]);
      expect(requiredIn('orientation', 'body.disability')).to.equal(false);
      expect(field('orientation', 'body.consent.healthData').type).to.equal('boolean');
      expect(field('orientation', 'body.consent.healthDataGivenOn').format).to.equal('date');
      expect(enumOf('orientation', 'body.orientation.recipientType')).to.deep.equal([
        'FRANCE_TRAVAIL',
        'MISSION_LOCALE',
        'CAP_EMPLOI',
        'PLIE_EPEC',
        'AGIR_FTDA',
        'VILLE_PARIS',
        'APEC',
        'AUTRE',
      ]);
      expect(enumOf('orientation', 'body.orientation.pathway')).to.deep.equal(['EMPLOI', 'SOCIO_PRO', 'SOCIAL']);
      expect(enumOf('orientation', 'body.orientation.reasonCode')).to.deep.equal([
        'AGE_MOINS_26',
        'HANDICAP',
        'BPI_AGIR',
        'BRSA',
        'FREINS_MULTIPLES',
        'PROJET_DEFINI',
        'DEMANDE_PERSONNE',
      ]);
    });

    it('acknowledgement and status update', () => {
      expect(enumOf('acknowledgement', 'body.status')).to.deep.equal(['RECUE', 'ACCEPTEE', 'REFUSEE', 'REDIRIGEE']);
      expect(enumOf('acknowledgement', 'body.refusalReason')).to.have.length(8);
      expect(enumOf('acknowledgement', 'body.redirectedTo.recipientType')).to.include('FRANCE_TRAVAIL');
      expect(enumOf('status-update', 'body.event.type')).to.have.length(14);
      expect(field('status-update', 'body.event.effectiveOn').format).to.equal('date');
      expect(enumOf('status-update', 'body.employment.contractType')).to.deep.equal([
        'CDI',
        'CDD_6M_PLUS',
        'CDD_MOINS_6M',
        'INTERIM',
        'IAE',
        'ALTERNANCE',
        'INDEPENDANT',
      ]);
    });
  });
});
