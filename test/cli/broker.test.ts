/**
 * `passerelle broker setup` as an operator runs it: the definitions file it writes, and its usage line.
 * Applying the accounts to the broker is test/security/broker-authorisation.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runCli } from '../fixtures/cli.js';
import { EXAMPLE_CERTS, PROJECT_ROOT } from '../fixtures/gateway.js';

describe('cli: passerelle broker setup', function () {
  this.timeout(30_000);
  let work: string;
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-broker-cli-'));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('--definitions-out writes the committed definitions for certs.example, without touching the broker', async () => {
    const out = path.join(work, 'definitions.json');
    const result = await runCli(['broker', 'setup', '--definitions-out', out, '--rabbitmqctl', '/nonexistent/rabbitmqctl'], { PASSERELLE_CERTS_DIR: EXAMPLE_CERTS, PASSERELLE_AMQP_PREFIX: 'passerelle' });
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.include('wrote 8 accounts').and.include('(no passwords)');
    expect(fs.readFileSync(out, 'utf8')).to.equal(fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'rabbitmq', 'definitions.json'), 'utf8'));
  });

  it('takes the virtual host from PASSERELLE_AMQP_URL', async () => {
    const out = path.join(work, 'vhost.json');
    const result = await runCli(['broker', 'setup', '--definitions-out', out], { PASSERELLE_CERTS_DIR: EXAMPLE_CERTS, PASSERELLE_AMQP_URL: 'amqps://broker.example:5671/exchange%2Fparis' });
    expect(result.code, result.stderr).to.equal(0);
    const definitions = JSON.parse(fs.readFileSync(out, 'utf8')) as { vhosts: Array<{ name: string }>; permissions: Array<{ vhost: string }> };
    expect(definitions.vhosts).to.deep.equal([{ name: 'exchange/paris' }]);
    expect(new Set(definitions.permissions.map((p) => p.vhost))).to.deep.equal(new Set(['exchange/paris']));
  });

  it('with nothing to do, prints its usage and exits 64; a missing rabbitmqctl is one line saying what to do', async () => {
    const usage = await runCli(['broker', 'setup'], { PASSERELLE_CERTS_DIR: EXAMPLE_CERTS });
    expect(usage.code).to.equal(64);
    expect(usage.stderr).to.include('--passwords DIR').and.include('--definitions-out FILE');
    const missing = await runCli(['broker', 'setup', '--passwords', path.join(work, 'passwords'), '--rabbitmqctl', '/nonexistent/rabbitmqctl'], { PASSERELLE_CERTS_DIR: EXAMPLE_CERTS });
    expect(missing.code).to.equal(1);
    expect(missing.stderr.trim().split('\n')).to.have.length(1);
    expect(missing.stderr).to.include('Cannot run /nonexistent/rabbitmqctl').and.include('--rabbitmqctl');
    expect(fs.existsSync(path.join(work, 'passwords'))).to.equal(false);
  });
});
