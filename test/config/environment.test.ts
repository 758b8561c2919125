import { expect } from 'chai';
import { loadSettings, SETTINGS_DOC } from '../../src/config/settings.js';
import { isGatewayError } from '../../src/domain/errors.js';

describe('config/settings: PASSERELLE_ENV', () => {
  it('is development unless set, so that the tests and the demo run on certs.example', () => {
    expect(loadSettings({}, '/').environment).to.equal('development');
    expect(loadSettings({ PASSERELLE_ENV: '' }, '/').environment).to.equal('development');
  });

  it('reads production and development', () => {
    expect(loadSettings({ PASSERELLE_ENV: 'production' }, '/').environment).to.equal('production');
    expect(loadSettings({ PASSERELLE_ENV: 'development' }, '/').environment).to.equal('development');
  });

  it('refuses anything else, naming the variable: a misspelt production must not fall back to development', () => {
    for (const value of ['prod', 'Production', 'staging']) {
      let error: unknown;
      try {
        loadSettings({ PASSERELLE_ENV: value }, '/');
      } catch (err) {
        error = err;
      }
      expect(isGatewayError(error, 'config_invalid'), value).to.equal(true);
      expect((error as Error).message).to.contain('PASSERELLE_ENV').and.contain('development or production');
    }
  });

  it('is documented in SETTINGS_DOC', () => {
    expect(SETTINGS_DOC.map((doc) => doc.variable)).to.include('PASSERELLE_ENV');
  });
});
