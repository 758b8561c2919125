/**
 * The role-mapping file and the ProConnect settings: a mistake stops the start with a message that
 * names the file or variable and what to fix; a person maps by email (any case) and, when the entry
 * says so, by organisation (SIRET) too.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadSettings } from '../../src/config/settings.js';
import { loadRoleMapping } from '../../src/console/role-mapping.js';
import { isGatewayError } from '../../src/domain/errors.js';
import type { Partner } from '../../src/domain/partner.js';

const REGISTRY = new Map<string, Partner>([
  ['auditor', { id: 'auditor', name: 'Auditeur', role: 'auditor', sends: [], receives: [] } as unknown as Partner],
  ['prefecture-paris', { id: 'prefecture-paris', name: 'Préfecture', role: 'statistics', sends: [], receives: [] } as unknown as Partner],
]);
const find = (id: string) => REGISTRY.get(id);

function mappingFile(content: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-roles-'));
  const file = path.join(dir, 'roles.json');
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(isGatewayError(err), String(err)).to.equal(true);
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('console: the role-mapping file', () => {
  it('maps a person by email, in any case, and by SIRET when the entry names one', () => {
    const mapping = loadRoleMapping(
      mappingFile({ version: 1, people: [{ email: 'a.martin@cnil.fr', siret: '11000000000000', partner: 'auditor' }, { email: 'copil@paris.gouv.fr', partner: 'prefecture-paris' }] }),
      find,
    );
    expect(mapping.partnerFor({ email: 'A.Martin@CNIL.fr', siret: '11000000000000' })).to.equal('auditor');
    expect(mapping.partnerFor({ email: 'a.martin@cnil.fr', siret: '22222222222222' })).to.equal(undefined);
    expect(mapping.partnerFor({ email: 'a.martin@cnil.fr' })).to.equal(undefined);
    expect(mapping.partnerFor({ email: 'copil@paris.gouv.fr', siret: '33333333333333' })).to.equal('prefecture-paris');
    expect(mapping.partnerFor({ email: 'someone@else.fr' })).to.equal(undefined);
    expect(mapping.partnerFor({})).to.equal(undefined);
  });

  it('refuses a file that cannot be right, saying where and what to fix', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['{ not json', /not readable JSON/],
      [{ version: 2, people: [] }, /"version": 1/],
      [{ version: 1 }, /"people"/],
      [{ version: 1, people: [{ email: 'nope', partner: 'auditor' }] }, /people\[0\]\.email/],
      [{ version: 1, people: [{ email: 'a@b.fr', siret: '123', partner: 'auditor' }] }, /people\[0\]\.siret must be 14 digits/],
      [{ version: 1, people: [{ email: 'a@b.fr', partner: 'ghost' }] }, /"ghost" is not in the registry/],
      [{ version: 1, people: [{ email: 'a@b.fr', partner: 'auditor', role: 'admin' }] }, /unknown field "role"/],
      [{ version: 1, people: [{ email: 'a@b.fr', partner: 'auditor' }, { email: 'A@b.fr', partner: 'prefecture-paris' }] }, /people\[1\]: this person is already mapped/],
    ];
    for (const [content, expected] of cases) {
      const file = mappingFile(content);
      const message = refusal(() => loadRoleMapping(file, find));
      expect(message).to.contain(file).and.contain('PASSERELLE_OIDC_ROLE_MAPPING_FILE').and.match(expected);
    }
    expect(refusal(() => loadRoleMapping('/nonexistent/roles.json', find))).to.contain('does not exist');
  });
});

describe('config/settings: console sessions and ProConnect', () => {
  const complete = {
    PASSERELLE_OIDC_ISSUER: 'https://auth.agentconnect.gouv.fr/api/v2',
    PASSERELLE_OIDC_CLIENT_ID: 'passerelle',
    PASSERELLE_OIDC_CLIENT_SECRET_FILE: 'secrets/oidc',
    PASSERELLE_OIDC_REDIRECT_URL: 'https://passerelle.example.fr/console/oidc/retour',
    PASSERELLE_OIDC_ROLE_MAPPING_FILE: 'roles.json',
  };

  it('has no ProConnect sign-in unless configured, and session limits of 30 minutes idle and 8 hours', () => {
    const settings = loadSettings({ PASSERELLE_DATA_DIR: '/srv/passerelle' }, '/');
    expect(settings.oidc).to.equal(undefined);
    expect(settings.consoleSessionIdleMinutes).to.equal(30);
    expect(settings.consoleSessionMaxHours).to.equal(8);
    expect(settings.consoleSessionKeyFile).to.equal('/srv/passerelle/secrets/console-session.key');
  });

  it('reads a complete ProConnect configuration, files relative to the working directory', () => {
    const oidc = loadSettings(complete, '/etc/passerelle').oidc!;
    expect(oidc).to.deep.equal({ issuer: complete.PASSERELLE_OIDC_ISSUER, clientId: 'passerelle', clientSecretFile: '/etc/passerelle/secrets/oidc', redirectUrl: complete.PASSERELLE_OIDC_REDIRECT_URL, roleMappingFile: '/etc/passerelle/roles.json', caFile: undefined });
  });

  it('refuses half a configuration, plain http, or a redirect URL that is not the console callback', () => {
    const message = (env: Record<string, string>) => refusal(() => loadSettings(env, '/'));
    expect(message({ PASSERELLE_OIDC_ISSUER: complete.PASSERELLE_OIDC_ISSUER })).to.contain('PASSERELLE_OIDC_CLIENT_ID');
    expect(message({ ...complete, PASSERELLE_OIDC_ISSUER: 'http://idp.example.fr' })).to.contain('PASSERELLE_OIDC_ISSUER').and.contain('https:');
    expect(message({ ...complete, PASSERELLE_OIDC_REDIRECT_URL: 'https://passerelle.example.fr/callback' })).to.contain('/console/oidc/retour');
    expect(message({ PASSERELLE_OIDC_CA_FILE: 'ca.pem' })).to.contain('PASSERELLE_OIDC_CA_FILE');
    expect(message({ PASSERELLE_CONSOLE_SESSION_IDLE_MINUTES: '0' })).to.contain('PASSERELLE_CONSOLE_SESSION_IDLE_MINUTES');
    expect(message({ PASSERELLE_CONSOLE_SESSION_MAX_HOURS: '48' })).to.contain('PASSERELLE_CONSOLE_SESSION_MAX_HOURS');
  });
});
