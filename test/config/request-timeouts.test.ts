import { expect } from 'chai';
import { loadSettings, SETTINGS_DOC } from '../../src/config/settings.js';
import { isGatewayError } from '../../src/domain/errors.js';

describe('config/settings: request timeouts', () => {
  it('defaults to 10 s for the headers and 30 s for the whole request', () => {
    const settings = loadSettings({}, '/');
    expect([settings.headersTimeoutMs, settings.requestTimeoutMs]).to.deep.equal([10_000, 30_000]);
  });

  it('reads PASSERELLE_HEADERS_TIMEOUT_MS and PASSERELLE_REQUEST_TIMEOUT_MS', () => {
    const settings = loadSettings({ PASSERELLE_HEADERS_TIMEOUT_MS: '500', PASSERELLE_REQUEST_TIMEOUT_MS: '1500' }, '/');
    expect([settings.headersTimeoutMs, settings.requestTimeoutMs]).to.deep.equal([500, 1_500]);
  });

  it('refuses a headers timeout longer than the request timeout, naming the variable', () => {
    let error: unknown;
    try {
      loadSettings({ PASSERELLE_HEADERS_TIMEOUT_MS: '5000', PASSERELLE_REQUEST_TIMEOUT_MS: '1000' }, '/');
    } catch (err) {
      error = err;
    }
    expect(isGatewayError(error, 'config_invalid')).to.equal(true);
    expect((error as Error).message).to.contain('PASSERELLE_HEADERS_TIMEOUT_MS').and.contain('PASSERELLE_REQUEST_TIMEOUT_MS');
  });

  it('refuses a timeout under 100 ms or not a whole number', () => {
    for (const value of ['50', '1.5', 'soon']) {
      expect(() => loadSettings({ PASSERELLE_REQUEST_TIMEOUT_MS: value }, '/'), value).to.throw(/PASSERELLE_REQUEST_TIMEOUT_MS/);
    }
  });

  it('documents both in SETTINGS_DOC', () => {
    const variables = SETTINGS_DOC.map((doc) => doc.variable);
    expect(variables).to.include.members(['PASSERELLE_HEADERS_TIMEOUT_MS', 'PASSERELLE_REQUEST_TIMEOUT_MS']);
  });
});
