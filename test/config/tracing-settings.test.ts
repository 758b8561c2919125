/**
 * PASSERELLE_TRACES_ENDPOINT and PASSERELLE_TRACES_SERVICE_NAME (src/config/settings.ts): tracing is
 * off unless an http(s) URL is given; a wrong value stops the start with the variable named.
 */
import { expect } from 'chai';
import { loadSettings, SETTINGS_DOC } from '../../src/config/settings.js';
import { GatewayError } from '../../src/domain/errors.js';

function refusal(env: Record<string, string>): GatewayError {
  try {
    loadSettings(env);
  } catch (err) {
    return err as GatewayError;
  }
  throw new Error('the settings were accepted');
}

describe('settings: OpenTelemetry tracing', () => {
  it('is off by default, with the service name passerelle', () => {
    const settings = loadSettings({});
    expect(settings.tracesEndpoint).to.equal(undefined);
    expect(settings.tracesServiceName).to.equal('passerelle');
  });

  it('takes an http or https OTLP endpoint and a service name', () => {
    const settings = loadSettings({ PASSERELLE_TRACES_ENDPOINT: 'https://collector.example.org:4318/v1/traces', PASSERELLE_TRACES_SERVICE_NAME: 'passerelle-paris-1' });
    expect(settings).to.include({ tracesEndpoint: 'https://collector.example.org:4318/v1/traces', tracesServiceName: 'passerelle-paris-1' });
  });

  it('refuses another scheme or a service name with spaces, naming the variable', () => {
    const endpoint = refusal({ PASSERELLE_TRACES_ENDPOINT: 'grpc://collector:4317' });
    expect(endpoint.code).to.equal('config_invalid');
    expect(endpoint.message).to.contain('PASSERELLE_TRACES_ENDPOINT');
    expect(refusal({ PASSERELLE_TRACES_SERVICE_NAME: 'my gateway' }).message).to.contain('PASSERELLE_TRACES_SERVICE_NAME');
  });

  it('is documented in SETTINGS_DOC', () => {
    expect(SETTINGS_DOC.map((doc) => doc.variable)).to.include.members(['PASSERELLE_TRACES_ENDPOINT', 'PASSERELLE_TRACES_SERVICE_NAME']);
  });
});
