/**
 * Identity keys: a keyed pseudonym of a person's civil identity, so that an agency can ask whether a
 * person it supports is known to the exchange (POST /v1/beneficiary-lookups, docs/interface.md)
 * without the gateway keeping, or comparing, anyone's name in clear.
 *
 * The identity is first NORMALISED, so that the spelling of one agency's file and of OFII's meet:
 * - names: Unicode NFKD (UAX #15), combining marks removed (É -> E, Ş -> S), upper case, then only the
 *   letters A to Z kept: hyphens, apostrophes, dots and spaces vanish (JEAN-PIERRE, Jean Pierre and
 *   JEANPIERRE are one name); a name with no A-Z letter left (written in another script) gives no key;
 * - given names: the FIRST one only (the order of civil status; agencies often record only the first);
 * - birth date: YYYY-MM-DD, as the orientation schema writes it (a foreign civil status without day and
 *   month is written YYYY-01-01 on both sides);
 * - country of birth: the INSEE code (99 followed by three digits) of the orientation's
 *   identity.birthPlace.countryCode.
 * Then HMAC-SHA-256 under the gateway's pseudonym secret, with a domain-separation prefix of its own,
 * so that an identity key can never equal a reference's lookup key (src/privacy/pseudonym.ts), and
 * named by the secret's id (`<secret id>:<hmac>`) like a lookup, so that a rotation can count what
 * still depends on a retired secret.
 *
 * A person with a usage name (nom d'usage) has two keys, one per surname, so that an agency that knows
 * only one of the two still finds them.
 */
import { createHmac } from 'node:crypto';
import { GatewayError } from '../domain/errors.js';
import { SECRET_BYTES } from './secret-file.js';
import type { Secret, SecretRing } from './secret-ring.js';

/** Domain separation (a lookup key HMACs the bare reference). Changing it invalidates every stored identity key. */
export const IDENTITY_KEY_DOMAIN = 'passerelle identity v1\n';

export interface Identity {
  /** Surname: the birth name, or the usage name. */
  surname: string;
  /** Given names in civil-status order; only the first is used. */
  givenNames: readonly string[];
  birthDate: string;
  /** INSEE country code, 99xxx. */
  countryOfBirth: string;
}

const BIRTH_DATE = /^\d{4}-\d{2}-\d{2}$/;
const INSEE_COUNTRY = /^99\d{3}$/;

/** A name reduced to the letters A-Z, or undefined when nothing of it is left. */
export function normaliseName(name: string): string | undefined {
  const letters = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    // Letters NFKD does not decompose into a base letter and a mark.
    .replace(/ß/g, 'SS')
    .replace(/Æ/g, 'AE')
    .replace(/Œ/g, 'OE')
    .replace(/Ø/g, 'O')
    .replace(/Ł/g, 'L')
    .replace(/Đ/g, 'D')
    .replace(/[^A-Z]/g, '');
  return letters.length === 0 ? undefined : letters;
}

/** The text the key is computed over, or undefined when the identity cannot be keyed. */
export function normalisedIdentity(identity: Identity): string | undefined {
  const surname = normaliseName(identity.surname);
  const first = identity.givenNames[0];
  // A civil status without a given name (the orientation schema allows an empty list) keys as ''.
  const given = first === undefined ? '' : normaliseName(first);
  if (surname === undefined || given === undefined) return undefined;
  if (!BIRTH_DATE.test(identity.birthDate) || !INSEE_COUNTRY.test(identity.countryOfBirth)) return undefined;
  return [surname, given, identity.birthDate, identity.countryOfBirth].join('\n');
}

function keyUnder(secret: Secret, normalised: string): string {
  if (secret.key.length < SECRET_BYTES) {
    throw new GatewayError('internal', `The pseudonym secret has ${secret.key.length} bytes, fewer than ${SECRET_BYTES}. This is a defect: report it.`);
  }
  const hmac = createHmac('sha256', secret.key).update(IDENTITY_KEY_DOMAIN, 'utf8').update(normalised, 'utf8').digest('hex');
  return `${secret.id}:${hmac}`;
}

/** What the gateway keys identities with: the current secret to store, every secret still held to look up. */
export interface IdentityKeys {
  /** The keys to store at an orientation's acceptance, one per surname; empty when none can be made. */
  current(identities: readonly Identity[]): string[];
  /** The keys a lookup searches for: under the current secret and every retired one still on disk. */
  candidates(identity: Identity): string[];
}

export function createIdentityKeys(ring: Pick<SecretRing, 'now' | 'retiredSecrets'>): IdentityKeys {
  return {
    current: (identities) => {
      const secret = ring.now();
      const keys = identities.map(normalisedIdentity).filter((n): n is string => n !== undefined).map((n) => keyUnder(secret, n));
      return [...new Set(keys)].sort();
    },
    candidates: (identity) => {
      const normalised = normalisedIdentity(identity);
      if (normalised === undefined) return [];
      return [ring.now(), ...ring.retiredSecrets()].map((secret) => keyUnder(secret, normalised));
    },
  };
}

/** The identities an orientation's body gives: its birth name, and its usage name when it has one. */
export function identitiesOfOrientation(identity: { birthName: string; usageName?: string; givenNames: readonly string[]; birthDate: string; birthPlace: { countryCode: string } }): Identity[] {
  const surnames = [identity.birthName, ...(identity.usageName === undefined ? [] : [identity.usageName])];
  return surnames.map((surname) => ({ surname, givenNames: identity.givenNames, birthDate: identity.birthDate, countryOfBirth: identity.birthPlace.countryCode }));
}
