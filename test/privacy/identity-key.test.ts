/**
 * Identity keys (src/privacy/identity-key.ts): the normalisation that lets an agency's spelling meet
 * OFII's, and the keying that lets the gateway compare them without keeping them.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createIdentityKeys, IDENTITY_KEY_DOMAIN, identitiesOfOrientation, normalisedIdentity, normaliseName, type Identity } from '../../src/privacy/identity-key.js';
import { createLookupKey } from '../../src/privacy/pseudonym.js';
import { secretId, type Secret } from '../../src/privacy/secret-ring.js';

function secret(): Secret {
  const key = randomBytes(32);
  return { id: secretId('pseudonym secret', key), key };
}

function ringOf(current: Secret, retired: Secret[] = []) {
  return { now: () => current, retiredSecrets: () => retired };
}

const KARIMI: Identity = { surname: 'KARIMI', givenNames: ['Darya', 'Soraya'], birthDate: '2004-03-14', countryOfBirth: '99212' };

describe('privacy/identity-key: normalised, keyed identities', () => {
  describe('normalisation', () => {
    it('removes accents and case: É, è, ç, ñ, ş, ø, ß, æ, œ become A-Z', () => {
      expect(normaliseName('Éloïse')).to.equal('ELOISE');
      expect(normaliseName('françois')).to.equal('FRANCOIS');
      expect(normaliseName('Muñoz')).to.equal('MUNOZ');
      expect(normaliseName('Şahin')).to.equal('SAHIN');
      expect(normaliseName('Søren')).to.equal('SOREN');
      expect(normaliseName('Weiß')).to.equal('WEISS');
      expect(normaliseName('Lætitia')).to.equal('LAETITIA');
      expect(normaliseName('Œuvrard')).to.equal('OEUVRARD');
    });

    it('drops hyphens, apostrophes, dots and spaces: one name however it is joined', () => {
      for (const spelling of ['Jean-Pierre', 'JEAN PIERRE', 'jeanpierre', 'Jean  - Pierre', 'JEAN.PIERRE']) expect(normaliseName(spelling), spelling).to.equal('JEANPIERRE');
      expect(normaliseName("N'Diaye")).to.equal(normaliseName('NDIAYE'));
      expect(normaliseName('Ben Ali')).to.equal(normaliseName('BEN-ALI'));
    });

    it('gives no name for a name with no latin letter (another script): such an identity has no key', () => {
      expect(normaliseName('کریمی')).to.equal(undefined);
      expect(normalisedIdentity({ ...KARIMI, surname: 'کریمی' })).to.equal(undefined);
    });

    it('keeps the first given name only, and keys an empty list as no given name', () => {
      expect(normalisedIdentity(KARIMI)).to.equal(normalisedIdentity({ ...KARIMI, givenNames: ['DARYA'] }));
      expect(normalisedIdentity(KARIMI)).to.not.equal(normalisedIdentity({ ...KARIMI, givenNames: ['Soraya', 'Darya'] }));
      expect(normalisedIdentity({ ...KARIMI, givenNames: [] })).to.equal('KARIMI\n\n2004-03-14\n99212');
    });

    it('refuses a date or a country that is not written as the orientation writes it', () => {
      expect(normalisedIdentity({ ...KARIMI, birthDate: '14/03/2004' })).to.equal(undefined);
      expect(normalisedIdentity({ ...KARIMI, countryOfBirth: 'AFG' })).to.equal(undefined);
    });
  });

  describe('keys', () => {
    it('is HMAC-SHA-256 under the pseudonym secret with its own prefix, named by the secret', () => {
      const current = secret();
      const [key] = createIdentityKeys(ringOf(current)).current([KARIMI]);
      const expected = createHmac('sha256', current.key).update(`${IDENTITY_KEY_DOMAIN}KARIMI\nDARYA\n2004-03-14\n99212`).digest('hex');
      expect(key).to.equal(`${current.id}:${expected}`);
      // Never the lookup key of a reference, even one made of the same text.
      expect(key!.split(':')[1]).to.not.equal(createLookupKey(current.key)('KARIMI\nDARYA\n2004-03-14\n99212'));
    });

    it('matches an agency spelling with other accents, case and hyphens, and not another birth date or country', () => {
      const keys = createIdentityKeys(ringOf(secret()));
      const [stored] = keys.current([KARIMI]);
      expect(keys.candidates({ surname: 'karimi', givenNames: ['Dárya'], birthDate: '2004-03-14', countryOfBirth: '99212' })).to.include(stored);
      expect(keys.candidates({ ...KARIMI, birthDate: '2004-03-15' })).to.not.include(stored);
      expect(keys.candidates({ ...KARIMI, countryOfBirth: '99213' })).to.not.include(stored);
      expect(keys.candidates({ ...KARIMI, surname: 'KARIMY' })).to.not.include(stored);
    });

    it('gives a person with a usage name a key per surname; either finds them', () => {
      const keys = createIdentityKeys(ringOf(secret()));
      const identities = identitiesOfOrientation({ birthName: 'NGUYEN', usageName: 'Martin-Leroy', givenNames: ['Thi Lan'], birthDate: '1990-01-01', birthPlace: { countryCode: '99243' } });
      const stored = keys.current(identities);
      expect(stored).to.have.length(2);
      expect(keys.candidates({ surname: 'Nguyen', givenNames: ['Thi-Lan'], birthDate: '1990-01-01', countryOfBirth: '99243' }).some((k) => stored.includes(k))).to.equal(true);
      expect(keys.candidates({ surname: 'MARTIN LEROY', givenNames: ['THILAN'], birthDate: '1990-01-01', countryOfBirth: '99243' }).some((k) => stored.includes(k))).to.equal(true);
      expect(keys.current(identitiesOfOrientation({ birthName: 'NGUYEN', givenNames: ['Lan'], birthDate: '1990-01-01', birthPlace: { countryCode: '99243' } }))).to.have.length(1);
    });

    it('looks up under the current and every retired secret, and a key made under another secret does not match', () => {
      const old = secret();
      const now = secret();
      const [before] = createIdentityKeys(ringOf(old)).current([KARIMI]);
      const rotated = createIdentityKeys(ringOf(now, [old]));
      expect(rotated.candidates(KARIMI)).to.have.length(2).and.include(before);
      expect(rotated.current([KARIMI])[0]).to.not.equal(before);
      expect(createIdentityKeys(ringOf(now)).candidates(KARIMI)).to.not.include(before);
    });
  });
});
