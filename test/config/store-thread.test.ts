import { expect } from 'chai';
import { loadSettings, SETTINGS_DOC } from '../../src/config/settings.js';
import { GatewayError } from '../../src/domain/errors.js';

describe('settings: PASSERELLE_STORE_THREAD', () => {
  it('is off by default and takes on or off', () => {
    expect(loadSettings({}).storeThread).to.equal(false);
    expect(loadSettings({ PASSERELLE_STORE_THREAD: 'on' }).storeThread).to.equal(true);
    expect(loadSettings({ PASSERELLE_STORE_THREAD: 'off' }).storeThread).to.equal(false);
  });

  for (const bad of ['yes', 'true', '1', 'ON']) {
    it(`refuses ${JSON.stringify(bad)} at start, naming the variable and what it takes`, () => {
      expect(() => loadSettings({ PASSERELLE_STORE_THREAD: bad }))
        .to.throw(GatewayError, /PASSERELLE_STORE_THREAD=.* on or off/)
        .with.property('code', 'config_invalid');
    });
  }

  it('is refused with PostgreSQL, whose statements already run in the server, rather than ignored', () => {
    expect(() => loadSettings({ PASSERELLE_STORE_THREAD: 'on', PASSERELLE_DATABASE_URL: 'postgres://passerelle@db.example/passerelle' }))
      .to.throw(GatewayError, /PASSERELLE_DATABASE_URL.*Unset one of the two/)
      .with.property('code', 'config_invalid');
    expect(loadSettings({ PASSERELLE_STORE_THREAD: 'off', PASSERELLE_DATABASE_URL: 'postgres://passerelle@db.example/passerelle' }).storeThread).to.equal(false);
  });

  it('is documented in SETTINGS_DOC', () => {
    expect(SETTINGS_DOC.map((doc) => doc.variable)).to.include('PASSERELLE_STORE_THREAD');
  });
});
