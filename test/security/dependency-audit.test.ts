/**
 * Known-vulnerable dependencies: every package version of package-lock.json is checked against the
 * advisories vendored in test/fixtures/advisories.json (their source, date and limits are written in
 * it), so that the audit runs where the registry's audit endpoint does not answer, as here. Where it
 * answers, `npm audit --json` remains the wider check.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../fixtures/gateway.js';

interface Advisory {
  package: string;
  id: string;
  aliases: string[];
  /** Comparator sets joined by `||`, comparators within a set by `,` (the GitHub Advisory Database's form). */
  vulnerable: string;
  severity: string;
  summary: string;
  basis: 'checked' | 'recalled';
}

interface AdvisoryFile {
  source: string;
  retrieved: string;
  limits: string;
  looked_up: string[];
  unresolved: Array<{ package: string; id: string; assessment: string }>;
  advisories: Advisory[];
}

interface Lockfile {
  packages: Record<string, { version?: string; link?: boolean }>;
}

const advisoryFile = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'test', 'fixtures', 'advisories.json'), 'utf8')) as AdvisoryFile;
const lockfile = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
const manifest = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

type Version = { core: number[]; pre: string[] };

/** semver 2.0.0 section 11: precedence of x.y.z[-pre] (build metadata ignored). */
function parse(version: string): Version {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$/.exec(version.trim());
  if (!match) throw new Error(`not a semantic version: ${version}`);
  return { core: [Number(match[1]), Number(match[2]), Number(match[3])], pre: match[4] === undefined ? [] : match[4].split('.') };
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return a.core[i]! - b.core[i]!;
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const numeric = /^\d+$/.test(x) && /^\d+$/.test(y);
    if (numeric) return Number(x) - Number(y);
    if (/^\d+$/.test(x)) return -1;
    if (/^\d+$/.test(y)) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  return range.split('||').some((set) =>
    set.split(',').every((comparator) => {
      const match = /^\s*(>=|<=|>|<|=)\s*(\S+)\s*$/.exec(comparator);
      if (!match) throw new Error(`unreadable comparator "${comparator}" in "${range}"`);
      const order = compare(v, parse(match[2]!));
      switch (match[1]) {
        case '>=':
          return order >= 0;
        case '>':
          return order > 0;
        case '<=':
          return order <= 0;
        case '<':
          return order < 0;
        default:
          return order === 0;
      }
    }),
  );
}

/** Every installed package of a lockfile (v2/v3 `packages`, nested copies included) at a vulnerable version. */
function vulnerablePackages(lock: Lockfile, advisories: Advisory[]): string[] {
  const found: string[] = [];
  for (const [location, entry] of Object.entries(lock.packages)) {
    if (location === '' || entry.link || entry.version === undefined) continue;
    const name = location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);
    for (const advisory of advisories) {
      if (advisory.package === name && satisfies(entry.version, advisory.vulnerable)) found.push(`${name}@${entry.version} (${location}): ${advisory.id} ${advisory.summary}`);
    }
  }
  return found;
}

describe('security: known-vulnerable dependencies (offline audit of package-lock.json)', () => {
  it('no package of the lockfile is at a version a vendored advisory names', () => {
    expect(Object.keys(lockfile.packages).length, 'the lockfile lists the installed packages').to.be.greaterThan(100);
    expect(vulnerablePackages(lockfile, advisoryFile.advisories)).to.deep.equal([]);
  });

  it('the check finds a vulnerable version: openpgp 6.1.0 (CVE-2025-47934) and the malicious debug 4.4.2, nested or not', () => {
    const planted: Lockfile = {
      packages: {
        '': { version: '0.1.0' },
        'node_modules/openpgp': { version: '6.1.0' },
        'node_modules/mocha/node_modules/debug': { version: '4.4.2' },
        'node_modules/debug': { version: '4.4.3' },
        'node_modules/path-to-regexp': { version: '8.4.2' },
      },
    };
    const found = vulnerablePackages(planted, advisoryFile.advisories);
    expect(found).to.have.length(2);
    expect(found[0]).to.contain('openpgp@6.1.0').and.to.contain('GHSA-8qff-qr5q-5pr8');
    expect(found[1]).to.contain('debug@4.4.2 (node_modules/mocha/node_modules/debug)').and.to.contain('GHSA-8mgj-vmr8-frr6');
  });

  it('reads version ranges as the advisory database writes them, pre-releases included', () => {
    expect(satisfies('6.0.0-beta.3', '< 5.11.3 || >= 6.0.0-alpha.0, < 6.1.1')).to.equal(true);
    expect(satisfies('6.1.1', '< 5.11.3 || >= 6.0.0-alpha.0, < 6.1.1')).to.equal(false);
    expect(satisfies('5.11.2', '< 5.11.3 || >= 6.0.0-alpha.0, < 6.1.1')).to.equal(true);
    expect(satisfies('2.2.0', '>= 2.2.0, < 2.2.1')).to.equal(true);
    expect(satisfies('2.2.1', '>= 2.2.0, < 2.2.1')).to.equal(false);
    expect(satisfies('5.0.0-beta.2', '>= 5.0.0-alpha.1, < 5.0.0-beta.3')).to.equal(true);
    expect(satisfies('5.0.0', '>= 5.0.0-alpha.1, < 5.0.0-beta.3')).to.equal(false);
    expect(satisfies('4.4.2', '= 4.4.2')).to.equal(true);
    expect(() => satisfies('1.0.0', '~1.0')).to.throw('unreadable comparator');
  });

  it("every dependency of package.json had its advisories looked up (a new dependency fails until it is); the list says its source, date and limits", () => {
    const direct = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies)].filter((name) => !name.startsWith('@types/'));
    expect(direct.filter((name) => !advisoryFile.looked_up.includes(name)), 'dependencies whose advisories were not looked up').to.deep.equal([]);
    expect(advisoryFile.retrieved).to.match(/^\d{4}-\d{2}-\d{2}$/);
    expect(advisoryFile.source).to.contain('GitHub Advisory Database');
    expect(advisoryFile.limits).to.not.equal('');
    for (const advisory of advisoryFile.advisories) {
      expect(advisoryFile.looked_up, advisory.id).to.include(advisory.package);
      expect(['checked', 'recalled'], advisory.id).to.include(advisory.basis);
    }
    // An advisory whose patched version is not known is kept in view with the reason it does not apply.
    for (const entry of advisoryFile.unresolved) expect(entry.assessment.length, entry.id).to.be.greaterThan(40);
  });
});
