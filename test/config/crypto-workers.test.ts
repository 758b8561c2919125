import { expect } from 'chai';
import os from 'node:os';
import { loadSettings, SETTINGS_DOC } from '../../src/config/settings.js';
import { GatewayError } from '../../src/domain/errors.js';

describe('settings: PASSERELLE_CRYPTO_WORKERS', () => {
  it('defaults to the number of cores and accepts 0 (inline) to 64', () => {
    expect(loadSettings({}).cryptoWorkers).to.equal(os.availableParallelism());
    expect(loadSettings({ PASSERELLE_CRYPTO_WORKERS: '0' }).cryptoWorkers).to.equal(0);
    expect(loadSettings({ PASSERELLE_CRYPTO_WORKERS: '64' }).cryptoWorkers).to.equal(64);
  });

  for (const bad of ['65', '-1', 'two', '1.5']) {
    it(`refuses ${JSON.stringify(bad)} at start, naming the variable`, () => {
      let caught: unknown;
      try {
        loadSettings({ PASSERELLE_CRYPTO_WORKERS: bad });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(GatewayError);
      expect((caught as GatewayError).code).to.equal('config_invalid');
      expect((caught as GatewayError).message).to.contain('PASSERELLE_CRYPTO_WORKERS');
    });
  }

  it('is documented in SETTINGS_DOC', () => {
    expect(SETTINGS_DOC.map((doc) => doc.variable)).to.include('PASSERELLE_CRYPTO_WORKERS');
  });
});
