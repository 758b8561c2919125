import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GatewayError } from '../../src/domain/errors.js';
import type { OrganisationType, Partner } from '../../src/domain/partner.js';
import { PROJECT_ROOT } from '../fixtures/gateway.js';
import { loadRegistry, parseRegistry } from '../../src/trust/registry.js';

const SOURCE = 'certs.example/partners.json';
const FIX = 'Fix the registry and start again.';

/** A registry written out by hand, independent of the generator's defaults. */
function registryDocument(): { version: number; partners: Record<string, unknown>[] } {
  const spe = (id: string, name: string, organisationType: OrganisationType): Record<string, unknown> => {
    const partner: Partner = { id, name, role: 'agency', organisationType, sends: ['acknowledgement', 'status-update'], receives: ['orientation'], eligibility: [], minimisation: [] };
    return { ...partner };
  };
  return {
    version: 1,
    partners: [
      { id: 'ofii-paris', name: 'OFII', role: 'agency', sends: ['orientation'], receives: ['acknowledgement', 'status-update'], eligibility: [], minimisation: [] },
      spe('france-travail-paris', 'France Travail', 'FRANCE_TRAVAIL'),
      {
        ...spe('mission-locale-paris', 'Mission Locale', 'MISSION_LOCALE'),
        eligibility: [{ rule: 'mission-locale-age', kind: 'age-between', min: 16, max: 25, messageTypes: ['orientation'] }],
      },
      {
        ...spe('cap-emploi-75', 'Cap emploi', 'CAP_EMPLOI'),
        eligibility: [{ rule: 'cap-emploi-disability', kind: 'recognised-disability-with-consent', messageTypes: ['orientation'] }],
      },
      {
        ...spe('ftda-paris', "France terre d'asile", 'AGIR_FTDA'),
        eligibility: [
          { rule: 'ftda-international-protection', kind: 'residence-grounds-in', grounds: ['PI_REFUGIE'], messageTypes: ['orientation'] },
        ],
      },
      { id: 'prefecture-paris', name: 'Préfecture', role: 'statistics', sends: [], receives: [], eligibility: [], minimisation: [] },
      { id: 'auditor', name: 'Auditeur', role: 'auditor', sends: [], receives: [], eligibility: [], minimisation: [] },
    ],
  };
}

function refusal(change: (doc: ReturnType<typeof registryDocument>) => void): GatewayError {
  const doc = registryDocument();
  change(doc);
  try {
    parseRegistry(JSON.stringify(doc), SOURCE);
  } catch (err) {
    expect(err).to.be.instanceOf(GatewayError);
    expect((err as GatewayError).code).to.equal('config_invalid');
    return err as GatewayError;
  }
  throw new Error('the registry was accepted');
}

type Eligibility = Record<string, unknown>[];

describe('trust/registry', () => {
  describe('a valid registry', () => {
    it('keeps every partner, in file order, and finds them by id', () => {
      const registry = parseRegistry(JSON.stringify(registryDocument()), SOURCE);
      expect([...registry.partners.keys()]).to.deep.equal([
        'ofii-paris', 'france-travail-paris', 'mission-locale-paris', 'cap-emploi-75', 'ftda-paris', 'prefecture-paris', 'auditor',
      ]);
      expect(registry.get('mission-locale-paris')).to.deep.equal(registryDocument().partners[2]);
      expect(registry.get('nobody')).to.equal(undefined);
    });

    it('is frozen all the way down', () => {
      const registry = parseRegistry(JSON.stringify(registryDocument()), SOURCE);
      const partner = registry.get('mission-locale-paris')!;
      expect(Object.isFrozen(registry)).to.equal(true);
      expect(Object.isFrozen(partner)).to.equal(true);
      expect(() => partner.sends.push('orientation')).to.throw(TypeError);
      expect(() => {
        (partner.eligibility[0] as { min: number }).min = 0;
      }).to.throw(TypeError);
    });

    it('accepts any slug-like message type name, whether or not a schema exists yet', () => {
      const registry = parseRegistry(
        JSON.stringify({ ...registryDocument(), partners: [{ ...registryDocument().partners[0], sends: ['orientation', 'end-of-cir-review', 'opt-out'] }] }),
        SOURCE,
      );
      expect(registry.get('ofii-paris')!.sends).to.deep.equal(['orientation', 'end-of-cir-review', 'opt-out']);
    });
  });

  describe('organisation types', () => {
    it('are the codes the message schemas use for a recipient type (header.v1.schema.json, $defs/recipientType)', () => {
      const read = (file: string) => JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'schemas', file), 'utf8')) as { $defs: Record<string, { enum?: string[]; properties?: Record<string, { enum?: string[] }> }> };
      const codes = read('header.v1.schema.json').$defs['recipientType']!.enum;
      expect(codes).to.have.length.above(5);
      expect(read('partners.schema.json').$defs['partner']!.properties!['organisationType']!.enum).to.deep.equal(codes);
    });

    it('an operator with no messages is a valid partner', () => {
      const doc = registryDocument();
      doc.partners.push({ id: 'operator', name: 'Exploitant', role: 'operator', sends: [], receives: [], eligibility: [], minimisation: [] });
      expect(parseRegistry(JSON.stringify(doc), SOURCE).get('operator')).to.include({ role: 'operator' });
    });
  });

  describe('loadRegistry', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'passerelle-registry-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reads a registry file', async () => {
      const file = path.join(dir, 'partners.json');
      await writeFile(file, JSON.stringify(registryDocument()));
      expect(loadRegistry(file).partners.size).to.equal(7);
    });

    it('refuses a missing file with one error that names it and says what to do', () => {
      const file = path.join(dir, 'absent.json');
      expect(() => loadRegistry(file))
        .to.throw(GatewayError)
        .that.satisfies((err: GatewayError) => err.code === 'config_invalid')
        .and.has.property('message')
        .that.includes(file)
        .and.includes('does not exist')
        .and.includes('passerelle pki init');
    });

    it('refuses invalid JSON, naming the file', async () => {
      const file = path.join(dir, 'broken.json');
      await writeFile(file, '{ "version": 1, "partners": [ ');
      expect(() => loadRegistry(file))
        .to.throw(GatewayError)
        .with.property('message')
        .that.matches(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON \\(.+\\)\\. ${FIX}$`));
    });
  });

  describe('refuses, naming the file and the JSON Pointer of the field', () => {
    it('a role outside agency, statistics, auditor, operator', () => {
      const err = refusal((doc) => {
        doc.partners[3]!.role = 'director';
      });
      expect(err.message).to.equal(
        `${SOURCE}: /partners/3/role (partner "cap-emploi-75") must be one of agency, statistics, auditor, operator. ${FIX}`,
      );
    });

    it('a partner that receives orientations without its organisation type, which step 7 checks them against', () => {
      const err = refusal((doc) => {
        delete doc.partners[2]!.organisationType;
      });
      expect(err.message).to.equal(
        `${SOURCE}: /partners/2/organisationType (partner "mission-locale-paris") is missing: a partner that receives orientation messages needs its organisation type (one of the codes of schemas/partners.schema.json, such as FRANCE_TRAVAIL), which the gateway checks against the type the message names. ${FIX}`,
      );
    });

    it('an organisation type outside the codes the messages use', () => {
      const err = refusal((doc) => {
        doc.partners[1]!.organisationType = 'POLE_EMPLOI';
      });
      expect(err.message).to.match(/\/partners\/1\/organisationType \(partner "france-travail-paris"\) must be one of FRANCE_TRAVAIL, MISSION_LOCALE, /);
    });

    it('an operator that sends or receives messages', () => {
      const err = refusal((doc) => {
        doc.partners.push({ id: 'operator', name: 'Exploitant', role: 'operator', sends: ['orientation'], receives: [], eligibility: [], minimisation: [] });
      });
      expect(err.message).to.equal(`${SOURCE}: /partners/7/sends (partner "operator") must be empty: the operator role exchanges no messages. ${FIX}`);
    });

    it('a duplicate partner id, pointing at the second one', () => {
      const err = refusal((doc) => {
        doc.partners[4]!.id = 'france-travail-paris';
      });
      expect(err.message).to.equal(
        `${SOURCE}: /partners/4/id repeats the id "france-travail-paris" of /partners/1/id; ids must be unique. ${FIX}`,
      );
    });

    it('an unknown field', () => {
      const err = refusal((doc) => {
        doc.partners[2]!.colour = 'blue';
      });
      expect(err.message).to.equal(`${SOURCE}: /partners/2/colour (partner "mission-locale-paris") is not a known field; check its spelling. ${FIX}`);
    });

    it('an unknown top-level field', () => {
      expect(refusal((doc) => Object.assign(doc, { comment: 'x' })).message).to.equal(
        `${SOURCE}: /comment is not a known field; check its spelling. ${FIX}`,
      );
    });

    it('a missing field', () => {
      const err = refusal((doc) => {
        delete doc.partners[0]!.receives;
      });
      expect(err.message).to.equal(`${SOURCE}: /partners/0/receives (partner "ofii-paris") is missing. ${FIX}`);
    });

    it('another version of the file format', () => {
      expect(refusal((doc) => (doc.version = 2)).message).to.equal(`${SOURCE}: /version must be 1. ${FIX}`);
    });

    it('a partner id that is not a lower-case slug', () => {
      const err = refusal((doc) => {
        doc.partners[1]!.id = 'France-Travail';
      });
      expect(err.message).to.match(/^certs\.example\/partners\.json: \/partners\/1\/id must match pattern /);
    });

    it('a message type listed twice', () => {
      const err = refusal((doc) => {
        doc.partners[0]!.sends = ['orientation', 'orientation'];
      });
      expect(err.message).to.include('/partners/0/sends (partner "ofii-paris") lists the same value twice');
    });

    it('an eligibility rule of an unknown kind', () => {
      const err = refusal((doc) => {
        (doc.partners[2]!.eligibility as Eligibility)[0]!.kind = 'age-above';
      });
      expect(err.message).to.equal(
        `${SOURCE}: /partners/2/eligibility/0/kind (partner "mission-locale-paris") must be one of age-between, recognised-disability-with-consent, residence-grounds-in. ${FIX}`,
      );
    });

    it('an eligibility rule missing a field of its kind', () => {
      const err = refusal((doc) => {
        delete (doc.partners[4]!.eligibility as Eligibility)[0]!.grounds;
      });
      expect(err.message).to.equal(`${SOURCE}: /partners/4/eligibility/0/grounds (partner "ftda-paris") is missing. ${FIX}`);
    });

    it('an eligibility rule carrying a field of another kind', () => {
      const err = refusal((doc) => {
        (doc.partners[3]!.eligibility as Eligibility)[0]!.min = 18;
      });
      expect(err.message).to.equal(`${SOURCE}: /partners/3/eligibility/0/min (partner "cap-emploi-75") is not a known field; check its spelling. ${FIX}`);
    });

    it('an age range whose minimum exceeds its maximum', () => {
      const err = refusal((doc) => {
        (doc.partners[2]!.eligibility as Eligibility)[0]!.min = 30;
      });
      expect(err.message).to.equal(`${SOURCE}: /partners/2/eligibility/0/min (partner "mission-locale-paris") must not be greater than max (25). ${FIX}`);
    });

    it('an eligibility rule for a message type the partner does not receive', () => {
      const err = refusal((doc) => {
        (doc.partners[2]!.eligibility as Eligibility)[0]!.messageTypes = ['referral'];
      });
      expect(err.message).to.include('/partners/2/eligibility/0/messageTypes/0 (partner "mission-locale-paris") names "referral"');
    });

    it('a partner that takes the gateway\'s own id, sends the gateway\'s message types or receives what is addressed to the gateway', () => {
      expect(refusal((doc) => {
        doc.partners[1]!['id'] = 'passerelle';
      }).message).to.equal(`${SOURCE}: /partners/1/id is "passerelle", the id the gateway itself uses as sender and recipient; choose another id. ${FIX}`);
      for (const type of ['dossier', 'withdrawal', 'expiry', 'dossier-request']) {
        expect(refusal((doc) => {
          doc.partners[1]!['sends'] = ['acknowledgement', type];
        }).message).to.equal(`${SOURCE}: /partners/1/sends/1 (partner "france-travail-paris") is "${type}", a message type only the gateway sends; remove it. ${FIX}`);
      }
      expect(refusal((doc) => {
        doc.partners[1]!['receives'] = ['orientation', 'opt-out'];
      }).message).to.equal(`${SOURCE}: /partners/1/receives/1 (partner "france-travail-paris") is "opt-out", a message type addressed to the gateway itself; remove it. ${FIX}`);
    });

    it('a statistics or auditor partner that sends or receives messages', () => {
      const err = refusal((doc) => {
        doc.partners[6]!.receives = ['orientation'];
      });
      expect(err.message).to.equal(`${SOURCE}: /partners/6/receives (partner "auditor") must be empty: the auditor role exchanges no messages. ${FIX}`);
    });
  });

  describe('minimisation rules', () => {
    type Rules = Record<string, unknown>[];
    const health = { rule: 'health-data-cap-emploi-france-travail-only', messageTypes: ['orientation'], forbiddenFields: ['/body/disability', '/body/constraints/*/theme'], forbiddenValues: ['SANTE', true], unless: { field: '/body/consent/healthData', equals: true } };
    const withRule = (change: (rule: Record<string, unknown>) => void) => (doc: ReturnType<typeof registryDocument>) => {
      const rule: Record<string, unknown> = structuredClone(health);
      change(rule);
      doc.partners[2]!['minimisation'] = [rule];
    };

    it('keeps the rules of a recipient as written', () => {
      const doc = registryDocument();
      doc.partners[2]!['minimisation'] = [health];
      expect(parseRegistry(JSON.stringify(doc), SOURCE).get('mission-locale-paris')!.minimisation).to.deep.equal([health]);
    });

    it('requires the list on every partner, even empty (no silent default)', () => {
      expect(refusal((doc) => delete doc.partners[5]!['minimisation']).message).to.equal(`${SOURCE}: /partners/5/minimisation (partner "prefecture-paris") is missing. ${FIX}`);
    });

    it('refuses a field outside /body, or a * in the unless clause', () => {
      expect(refusal(withRule((rule) => (rule['forbiddenFields'] = ['/header/beneficiaryRef']))).message).to.match(/\/partners\/2\/minimisation\/0\/forbiddenFields\/0 \(partner "mission-locale-paris"\) must match pattern/);
      expect(refusal(withRule((rule) => (rule['unless'] = { field: '/body/constraints/*/theme', equals: 'SANTE' }))).message).to.match(/\/partners\/2\/minimisation\/0\/unless\/field .*must match pattern/);
    });

    it('refuses a rule without fields, or with an unknown field', () => {
      expect(refusal(withRule((rule) => (rule['forbiddenFields'] = []))).message).to.include('/partners/2/minimisation/0/forbiddenFields (partner "mission-locale-paris")');
      expect(refusal(withRule((rule) => (rule['strip'] = true))).message).to.equal(`${SOURCE}: /partners/2/minimisation/0/strip (partner "mission-locale-paris") is not a known field; check its spelling. ${FIX}`);
    });

    it('refuses a rule name already used by an eligibility rule of the partner, and a type it does not receive', () => {
      expect(refusal(withRule((rule) => (rule['rule'] = 'mission-locale-age'))).message).to.equal(
        `${SOURCE}: /partners/2/minimisation/0/rule (partner "mission-locale-paris") repeats the rule name "mission-locale-age"; rule names must be unique per partner. ${FIX}`,
      );
      expect(refusal(withRule((rule) => (rule['messageTypes'] = ['acknowledgement']))).message).to.include('/partners/2/minimisation/0/messageTypes/0 (partner "mission-locale-paris") names "acknowledgement"');
      expect((registryDocument().partners[2]!['minimisation'] as Rules)).to.deep.equal([]);
    });
  });
});
