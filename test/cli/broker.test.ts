/**
 * `passerelle broker setup` as an operator runs it: the definitions file it writes, and its usage line;
 * on the local broker, the dry run, the limits of the accounts, and the deletion of the accounts of
 * removed partners. The permissions on the broker are test/security/broker-authorisation.test.ts.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { connect, type ChannelModel } from 'amqplib';
import { expect } from 'chai';
import { AGENCY_LIMITS, gatewayUser, partnerUser } from '../../src/broker/permissions.js';
import { amqpUrlAs, deleteUsers, rejection } from '../fixtures/broker.js';
import { runCli } from '../fixtures/cli.js';
import { EXAMPLE_CERTS, PROJECT_ROOT, uniquePrefix } from '../fixtures/gateway.js';

const run = promisify(execFile);

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

  it('with nothing to do, says there is nothing to do with its usage and exits 2; a missing rabbitmqctl is one line saying what to do', async () => {
    const usage = await runCli(['broker', 'setup'], { PASSERELLE_CERTS_DIR: EXAMPLE_CERTS });
    expect(usage.code).to.equal(2);
    expect(usage.stderr).to.include('--passwords DIR').and.include('--definitions-out FILE');
    const missing = await runCli(['broker', 'setup', '--passwords', path.join(work, 'passwords'), '--rabbitmqctl', '/nonexistent/rabbitmqctl'], { PASSERELLE_CERTS_DIR: EXAMPLE_CERTS });
    expect(missing.code).to.equal(1);
    expect(missing.stderr.trim().split('\n')).to.have.length(1);
    expect(missing.stderr).to.include('Cannot run /nonexistent/rabbitmqctl').and.include('--rabbitmqctl');
    expect(fs.existsSync(path.join(work, 'passwords'))).to.equal(false);
  });
});

describe('@integration cli: passerelle broker setup on the local broker', function () {
  // rabbitmqctl takes one to three seconds per call.
  this.timeout(300_000);
  const prefix = uniquePrefix();
  const agencies = ['ofii-paris', 'mission-locale-paris'];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-broker-setup-'));
  const passwords = path.join(work, 'passwords');
  const certsDir = path.join(work, 'trust');
  const operator = `${prefix}.ops`;
  const longerPrefix = `${prefix}.paris.gateway`;
  const users = [gatewayUser(prefix), ...agencies.map((id) => partnerUser(prefix, id)), operator, longerPrefix];
  const models: ChannelModel[] = [];

  /** certs.example's registry with only these receiving partners. */
  function registryOf(ids: string[]): void {
    const registry = JSON.parse(fs.readFileSync(path.join(EXAMPLE_CERTS, 'partners.json'), 'utf8')) as { partners: Array<{ id: string }> };
    registry.partners = registry.partners.filter((p) => ids.includes(p.id));
    fs.mkdirSync(certsDir, { recursive: true });
    fs.writeFileSync(path.join(certsDir, 'partners.json'), JSON.stringify(registry));
  }
  const setup = (...args: string[]) => runCli(['broker', 'setup', ...args], { PASSERELLE_CERTS_DIR: certsDir, PASSERELLE_AMQP_PREFIX: prefix }, 180_000);
  async function brokerUsers(): Promise<string[]> {
    const { stdout } = await run('rabbitmqctl', ['list_users', '-q']);
    return stdout.split('\n').map((line) => line.split('\t')[0]!).filter((user) => users.includes(user)).sort();
  }

  before(() => registryOf(agencies));
  after(async () => {
    for (const model of models) await model.close().catch(() => undefined);
    await deleteUsers(users);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('--dry-run before the first run: says it would create each account with its permissions and limits, and changes nothing', async () => {
    const result = await setup('--dry-run', '--passwords', passwords);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.include('dry run: the broker is read, nothing is changed');
    for (const user of [gatewayUser(prefix), ...agencies.map((id) => partnerUser(prefix, id))]) {
      expect(result.stdout).to.include(`user ${user} (`).and.to.match(new RegExp(`user ${user.replace(/\./g, '\\.')} \\([^)]+\\): would be created from .*\\(would be generated\\)`));
    }
    expect(result.stdout.match(/permissions on \/: would be set/g)).to.have.length(3);
    expect(result.stdout).to.include(`limits: would be set (max-connections ${AGENCY_LIMITS['max-connections']}, max-channels ${AGENCY_LIMITS['max-channels']})`);
    expect(await brokerUsers()).to.deep.equal([]);
    expect(fs.existsSync(passwords)).to.equal(false);
  });

  it('a run creates the accounts with their limits (rabbitmqctl list_user_limits)', async () => {
    const result = await setup('--passwords', passwords);
    expect(result.code, result.stderr).to.equal(0);
    expect(await brokerUsers()).to.deep.equal([gatewayUser(prefix), ...agencies.map((id) => partnerUser(prefix, id))].sort());
    const { stdout } = await run('rabbitmqctl', ['list_user_limits', '--user', partnerUser(prefix, 'ofii-paris'), '-q']);
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).to.deep.equal(AGENCY_LIMITS);
  });

  it('connection flood: an agency cannot open more connections, nor more channels, than its limits', async () => {
    const user = partnerUser(prefix, 'ofii-paris');
    const url = amqpUrlAs(user, fs.readFileSync(path.join(passwords, `${user}.password`), 'utf8').trim());
    const open = async () => {
      const model = await connect(url);
      model.on('error', () => undefined);
      models.push(model);
      return model;
    };
    const allowed: ChannelModel[] = [];
    for (let i = 0; i < AGENCY_LIMITS['max-connections']; i++) allowed.push(await open());
    expect(String(await rejection(open()))).to.match(/ConnectionOpenOk|ConnectionClose|NOT.ALLOWED/);
    const first = allowed[0]!;
    for (let i = 0; i < AGENCY_LIMITS['max-channels']; i++) (await first.createChannel()).on('error', () => undefined);
    expect(String(await rejection(first.createChannel()))).to.match(/Channel ended|NOT.ALLOWED|closed/i);
    for (const model of allowed) await model.close().catch(() => undefined);
  });

  it('removed partner: --dry-run names the account it would delete; the run deletes it and keeps the others, an operator\'s account and a longer prefix\'s', async () => {
    await run('rabbitmqctl', ['add_user', operator, 'operator-password', '-q']);
    await run('rabbitmqctl', ['set_user_tags', operator, 'administrator', '-q']);
    await run('rabbitmqctl', ['add_user', longerPrefix, 'other-deployment', '-q']);
    registryOf(['ofii-paris']);
    const removed = partnerUser(prefix, 'mission-locale-paris');

    const dry = await setup('--dry-run', '--passwords', passwords);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stdout).to.include(`user ${removed}: would be deleted (the registry has no receiving partner of that name)`);
    expect(dry.stdout).to.include(`user ${operator}: kept although the registry has no such partner, because it has tags (administrator)`);
    expect(dry.stdout).to.not.include(longerPrefix);
    expect(await brokerUsers()).to.include(removed);

    const real = await setup('--passwords', passwords);
    expect(real.code, real.stderr).to.equal(0);
    expect(real.stdout).to.include(`user ${removed}: deleted`);
    expect(await brokerUsers()).to.deep.equal([gatewayUser(prefix), partnerUser(prefix, 'ofii-paris'), operator, longerPrefix].sort());

    const again = await setup('--passwords', passwords);
    expect(again.stdout).to.not.include('deleted');
    expect(again.stdout.match(/: unchanged/g)).to.have.length(4);
  });
});
