/**
 * The published example PKI in production (src/tls/example-pki.ts): certs.example/ca.key is in the
 * public repository, so a gateway trusting certs.example/ca.crt lets anyone mint a client certificate
 * for any partner. With PASSERELLE_ENV=production the gateway refuses to start on it, recognised by the
 * CA's fingerprint wherever the folder was copied; `passerelle serve` says so in one line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import { generateTrustDirectory } from '../../src/dev-pki/trust-directory.js';
import { GatewayError, isGatewayError } from '../../src/domain/errors.js';
import { startGateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/log/logger.js';
import { EXAMPLE_CA_FINGERPRINTS } from '../../src/tls/example-pki.js';
import { runCli } from '../fixtures/cli.js';
import { EXAMPLE_CERTS, startTestGateway, testSettings, uniquePrefix } from '../fixtures/gateway.js';
import { OpensslCa } from '../fixtures/openssl-ca.js';

async function startFailure(overrides: Record<string, string>): Promise<unknown> {
  const settings = testSettings({ PASSERELLE_ENV: 'production', ...overrides });
  try {
    const gateway = await startGateway({ settings, logger: silentLogger });
    await gateway.stop();
    return undefined;
  } catch (err) {
    return err;
  } finally {
    fs.rmSync(settings.dataDir, { recursive: true, force: true });
  }
}

function expectExampleRefused(err: unknown): void {
  expect(isGatewayError(err) && err.code === 'config_invalid', String(err)).to.equal(true);
  expect((err as GatewayError).message).to.include('is the published example CA').and.to.include('set PASSERELLE_CERTS_DIR to it');
}

describe('@integration security: the published example PKI in production', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const temporary = (name: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), name));
    dirs.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the fingerprints of the published example name the committed certs.example/ca.crt (regenerating it must add the new one)', () => {
    const committed = new X509Certificate(fs.readFileSync(path.join(EXAMPLE_CERTS, 'ca.crt'))).fingerprint256;
    expect(EXAMPLE_CA_FINGERPRINTS).to.include(committed);
  });

  it('example trust directory in production: a gateway on certs.example refuses to start, saying what to do', async () => {
    expectExampleRefused(await startFailure({}));
  });

  it('example trust directory copied elsewhere: refused by the CA fingerprint, not the path', async () => {
    const copy = temporary('passerelle-example-copy-');
    fs.cpSync(EXAMPLE_CERTS, copy, { recursive: true });
    expectExampleRefused(await startFailure({ PASSERELLE_CERTS_DIR: copy }));
  });

  it('example CA hidden in a bundle: a ca.crt with another CA first and the example CA second is refused', async () => {
    const bundle = temporary('passerelle-example-bundle-');
    fs.cpSync(EXAMPLE_CERTS, bundle, { recursive: true });
    const other = await OpensslCa.foreign('/O=Agency/CN=Another partner CA');
    try {
      fs.writeFileSync(path.join(bundle, 'ca.crt'), fs.readFileSync(other.caCertFile, 'utf8') + fs.readFileSync(path.join(EXAMPLE_CERTS, 'ca.crt'), 'utf8'));
    } finally {
      other.remove();
    }
    expectExampleRefused(await startFailure({ PASSERELLE_CERTS_DIR: bundle }));
  });

  it('`passerelle serve` in production on the example: exits 1 with one line on stderr', async () => {
    const dataDir = temporary('passerelle-example-serve-');
    const result = await runCli(['serve'], { PASSERELLE_ENV: 'production', PASSERELLE_CERTS_DIR: EXAMPLE_CERTS, PASSERELLE_DATA_DIR: dataDir, PASSERELLE_PORT: '0', PASSERELLE_AMQP_PREFIX: uniquePrefix() });
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stderr.trim().split('\n')).to.have.length(1);
    expect(result.stderr).to.match(/^passerelle: PASSERELLE_ENV=production, but .*ca\.crt \(PASSERELLE_CERTS_DIR\) is the published example CA/);
  });

  it('control: a trust directory with a CA of its own starts in production; the example starts in development', async () => {
    const own = temporary('passerelle-own-trust-');
    await generateTrustDirectory({ dir: own, overwrite: true });
    const production = await startTestGateway({ PASSERELLE_ENV: 'production', PASSERELLE_CERTS_DIR: own });
    await production.dispose();
    const development = await startTestGateway({ PASSERELLE_ENV: 'development' });
    await development.dispose();
  });
});
