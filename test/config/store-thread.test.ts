import { expect } from 'chai';
import { loadSettings, SETTINGS_DOC } from '../../src/config/settings.js';
import { GatewayError } from '../../src/domain/errors.js';

function refusal(env: Record<string, string>): GatewayError {
  try {
    loadSettings(env);
  } catch (err) {
    expect(err).to.be.instanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('the settings were accepted');
}

describe('settings: PASSERELLE_STORE_THREAD', () => {
  it('is off by default and takes on or off', () => {
    expect(loadSettings({}).storeThread).to.equal(false);
    expect(loadSettings({ PASSERELLE_STORE_THREAD: 'on' }).storeThread).to.equal(true);
    expect(loadSettings({ PASSERELLE_STORE_THREAD: 'off' }).storeThread).to.equal(false);
  });

  for (const bad of ['yes', 'true', '1', 'ON']) {
    it(`refuses ${JSON.stringify(bad)} at start, naming the variable and what it takes`, () => {
      const err = refusal({ PASSERELLE_STORE_THREAD: bad });
      expect(err.code).to.equal('config_invalid');
      expect(err.message).to.contain('PASSERELLE_STORE_THREAD').and.to.contain('on or off');
    });
  }

  it('is refused with PostgreSQL, whose statements already run in the server, rather than ignored', () => {
    const err = refusal({ PASSERELLE_STORE_THREAD: 'on', PASSERELLE_DATABASE_URL: 'postgres://passerelle@db.example/passerelle' });
    expect(err.code).to.equal('config_invalid');
    expect(err.message).to.contain('PASSERELLE_DATABASE_URL').and.to.contain('Unset one of the two');
    expect(loadSettings({ PASSERELLE_STORE_THREAD: 'off', PASSERELLE_DATABASE_URL: 'postgres://passerelle@db.example/passerelle' }).storeThread).to.equal(false);
  });

  it('is documented in SETTINGS_DOC', () => {
    expect(SETTINGS_DOC.map((doc) => doc.variable)).to.include('PASSERELLE_STORE_THREAD');
  });
});
