/**
 * Who may sign in to the console with ProConnect, and in whose role: a JSON file maps a person (the
 * `email` claim, optionally restricted to the `siret` claim of their organisation, as ProConnect gives
 * both) to a registered partner. The person then sees exactly what that partner's role sees through
 * the API, read-only (a session never sends, acknowledges or cosigns). Agency staff may be mapped to
 * their agency: they read their own messages and audit entries.
 *
 *   { "version": 1,
 *     "people": [ { "email": "a.martin@cnil.fr", "siret": "11000000000000", "partner": "auditor" } ] }
 *
 * Read once at start; an error names the file, the entry and what to fix.
 */
import fs from 'node:fs';
import { GatewayError } from '../domain/errors.js';
import type { Partner } from '../domain/partner.js';

export interface RoleMapping {
  /** The registered partner id a person acts for, or undefined for a person not in the file. */
  partnerFor(claims: { email?: unknown; siret?: unknown }): string | undefined;
  readonly size: number;
}

interface Entry {
  email: string;
  siret: string | undefined;
  partner: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SIRET = /^\d{14}$/;

function invalid(file: string, what: string): never {
  throw new GatewayError('config_invalid', `${file} (PASSERELLE_OIDC_ROLE_MAPPING_FILE): ${what}. See docs/console.md, "The role-mapping file".`);
}

export function loadRoleMapping(file: string, findPartner: (id: string) => Partner | undefined): RoleMapping {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    invalid(file, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : `not readable JSON (${(err as Error).message})`);
  }
  const root = parsed as { version?: unknown; people?: unknown };
  if (typeof root !== 'object' || root === null || root.version !== 1) invalid(file, 'expected an object with "version": 1');
  if (!Array.isArray(root.people)) invalid(file, 'expected "people": an array of { "email", "siret" (optional), "partner" }');
  const entries: Entry[] = [];
  root.people.forEach((person: unknown, i: number) => {
    const at = `people[${i}]`;
    if (typeof person !== 'object' || person === null) invalid(file, `${at} is not an object`);
    const { email, siret, partner, ...rest } = person as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) invalid(file, `${at} has unknown field "${extra[0]}" (expected email, siret, partner)`);
    if (typeof email !== 'string' || !EMAIL.test(email)) invalid(file, `${at}.email must be an email address`);
    if (siret !== undefined && (typeof siret !== 'string' || !SIRET.test(siret))) invalid(file, `${at}.siret must be 14 digits (the organisation's SIRET), or left out`);
    if (typeof partner !== 'string') invalid(file, `${at}.partner must be the id of a registered partner`);
    if (findPartner(partner) === undefined) invalid(file, `${at}.partner "${partner}" is not in the registry (partners.json)`);
    const entry = { email: email.toLowerCase(), siret: siret as string | undefined, partner };
    if (entries.some((other) => other.email === entry.email && (other.siret === undefined || entry.siret === undefined || other.siret === entry.siret))) {
      invalid(file, `${at}: this person is already mapped by an earlier entry; keep one entry per person and organisation`);
    }
    entries.push(entry);
  });
  return {
    size: entries.length,
    partnerFor(claims) {
      if (typeof claims.email !== 'string') return undefined;
      const email = claims.email.toLowerCase();
      const siret = typeof claims.siret === 'string' ? claims.siret : undefined;
      return entries.find((entry) => entry.email === email && (entry.siret === undefined || entry.siret === siret))?.partner;
    },
  };
}
