import { expect } from 'chai';
import { loadSettings } from '../../src/config/settings.js';
import { GatewayError } from '../../src/domain/errors.js';

describe('config/settings', () => {
  it('applies the defaults of docs/interface.md (section 7) and freezes the result', () => {
    const settings = loadSettings({}, '/srv/passerelle');
    expect(settings.host).to.equal('127.0.0.1');
    expect(settings.port).to.equal(8443);
    expect(settings.certsDir).to.equal('/srv/passerelle/certs.example');
    expect(settings.dataDir).to.equal('/srv/passerelle/data');
    expect(settings.amqpUrl).to.equal('amqp://guest:guest@127.0.0.1:5672');
    expect(settings.amqpPrefix).to.equal('passerelle');
    expect(settings.maxBodyBytes).to.equal(256 * 1024);
    expect(Object.isFrozen(settings)).to.equal(true);
    expect(settings.databaseUrl).to.equal(undefined);
    expect(loadSettings({ PASSERELLE_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' }).databaseUrl).to.equal('postgres://postgres@127.0.0.1:5432/test');
  });
  it('names the variable and hides passwords when a value is wrong', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ PASSERELLE_PORT: 'eighty' }, 'PASSERELLE_PORT'],
      [{ PASSERELLE_PORT: '70000' }, 'PASSERELLE_PORT'],
      [{ PASSERELLE_AMQP_URL: 'http://user:secret@host' }, 'PASSERELLE_AMQP_URL'],
      [{ PASSERELLE_AMQP_PREFIX: 'Bad Prefix' }, 'PASSERELLE_AMQP_PREFIX'],
      [{ PASSERELLE_LOG_LEVEL: 'verbose' }, 'PASSERELLE_LOG_LEVEL'],
      [{ PASSERELLE_DATABASE_URL: 'postgres://u:secret@localhost' }, 'PASSERELLE_DATABASE_URL'],
      [{ PASSERELLE_DATABASE_URL: 'mysql://u:secret@localhost/db' }, 'PASSERELLE_DATABASE_URL'],
    ];
    for (const [env, variable] of cases) {
      let error: unknown;
      try {
        loadSettings(env);
      } catch (err) {
        error = err;
      }
      expect(error, variable).to.be.instanceOf(GatewayError);
      expect((error as GatewayError).code).to.equal('config_invalid');
      expect((error as GatewayError).message).to.include(variable);
      expect((error as GatewayError).message).not.to.include('secret');
    }
  });
});
