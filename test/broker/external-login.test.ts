/**
 * Client-certificate login for agencies (docs/operator.md, "Client certificates instead of passwords"): the
 * accounts made by `passerelle broker setup --client-certificates` have no password, and an agency logs
 * in with SASL EXTERNAL, as the CN of a certificate issued by the broker's client CA, on a TLS listener
 * that requires a certificate (deploy/rabbitmq/rabbitmq.client-certificates.conf.example).
 *
 * The local broker gets, for the duration of the suite and restored after: the plugin
 * rabbitmq_auth_mechanism_ssl (enabled online), EXTERNAL among its auth_mechanisms, CN login
 * (ssl_cert_login_from = common_name), and a TLS listener started at run time
 * (test/fixtures/broker.ts startAmqpsListener) with verify_peer and fail_if_no_peer_cert.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { connect, credentials, type ChannelModel } from 'amqplib';
import { expect } from 'chai';
import { connectBroker, type BrokerTls } from '../../src/broker/connection.js';
import { consumeQueue } from '../../src/broker/consumer.js';
import { gatewayUser, partnerUser } from '../../src/broker/permissions.js';
import { AUDIT_INDEX_HEADER, SENDER_HEADER } from '../../src/broker/publisher.js';
import { declareTopology, exchangeName, queueName, routingKey } from '../../src/broker/topology.js';
import { brokerSetup } from '../../src/cli/broker.js';
import { isGatewayError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import { deleteUsers, openInspector, refusalCode, rejection, startAmqpsListener, type AmqpsListener, type Inspector } from '../fixtures/broker.js';
import { deleteTopology, EXAMPLE_CERTS, testSettings, uniquePrefix } from '../fixtures/gateway.js';
import { OpensslCa } from '../fixtures/openssl-ca.js';

const run = promisify(execFile);
const PLUGIN = 'rabbitmq_auth_mechanism_ssl';
const ACCESS_REFUSED = 403;
const AGENCIES = ['ofii-paris', 'mission-locale-paris'];

/**
 * Lets the node accept EXTERNAL; returns what puts it back. rabbit_auth_mechanism_ssl refuses every
 * EXTERNAL login ("TLS configuration is unsafe") unless the node's own ssl_options verify peers: the
 * listener started here does, but its options are its own, so the node's are set too.
 */
async function allowExternalLogin(): Promise<() => Promise<void>> {
  const { stdout: enabled } = await run('rabbitmq-plugins', ['list', '--enabled', '--minimal', '-q']);
  const wasEnabled = enabled.split('\n').map((l) => l.trim()).includes(PLUGIN);
  if (!wasEnabled) await run('rabbitmq-plugins', ['enable', PLUGIN, '-q']);
  const { stdout: saved } = await run('rabbitmqctl', ['eval', '{application:get_env(rabbit, auth_mechanisms), application:get_env(rabbit, ssl_options), application:get_env(rabbit, ssl_cert_login_from)}.']);
  await run('rabbitmqctl', [
    'eval',
    "{ok, M} = application:get_env(rabbit, auth_mechanisms), {ok, O} = application:get_env(rabbit, ssl_options), " +
      "application:set_env(rabbit, auth_mechanisms, lists:usort(['EXTERNAL' | M])), " +
      'application:set_env(rabbit, ssl_options, [{verify, verify_peer} | proplists:delete(verify, O)]), ' +
      'application:set_env(rabbit, ssl_cert_login_from, common_name).',
  ]);
  return async () => {
    await run('rabbitmqctl', [
      'eval',
      `{{ok, M}, {ok, O}, {ok, L}} = ${saved.trim()}, application:set_env(rabbit, auth_mechanisms, M), application:set_env(rabbit, ssl_options, O), application:set_env(rabbit, ssl_cert_login_from, L).`,
    ]);
    if (!wasEnabled) await run('rabbitmq-plugins', ['disable', PLUGIN, '-q']);
  };
}

describe('@integration broker: agencies log in with a client certificate (EXTERNAL)', function () {
  // rabbitmqctl takes one to three seconds per call; enabling the plugin some more.
  this.timeout(240_000);
  const prefix = uniquePrefix();
  const certsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-external-registry-'));
  const passwordsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-external-passwords-'));
  const registry = JSON.parse(fs.readFileSync(path.join(EXAMPLE_CERTS, 'partners.json'), 'utf8')) as { partners: Array<{ id: string }> };
  registry.partners = registry.partners.filter((p) => AGENCIES.includes(p.id));
  fs.writeFileSync(path.join(certsDir, 'partners.json'), JSON.stringify(registry));
  const users = [gatewayUser(prefix), ...AGENCIES.map((id) => partnerUser(prefix, id))];
  const lines: string[] = [];
  let restore: (() => Promise<void>) | undefined;
  let clientCa: OpensslCa;
  let listener: AmqpsListener;
  let inspector: Inspector;
  const models: ChannelModel[] = [];

  const url = () => `amqps://localhost:${listener.port}`;
  async function certificateOf(cn: string, ca: OpensslCa = clientCa): Promise<BrokerTls> {
    const issued = await ca.issue({ subject: `/O=Agency/CN=${cn}` });
    return { caPem: listener.caPem, certPem: issued.certPem, keyPem: issued.keyPem };
  }
  /** A partner's own software: amqplib with EXTERNAL (or the URL's user and password). */
  async function connectAs(tls: BrokerTls, target = url()): Promise<ChannelModel> {
    const external = new URL(target).username === '';
    const model = await connect(target, { ca: [tls.caPem!], cert: tls.certPem, key: tls.keyPem, ...(external ? { credentials: credentials.external() } : {}) });
    model.on('error', () => undefined);
    models.push(model);
    return model;
  }

  before(async () => {
    restore = await allowExternalLogin();
    clientCa = await OpensslCa.foreign('/O=Passerelle (test)/CN=Broker client CA');
    listener = await startAmqpsListener({ clientCaPem: fs.readFileSync(clientCa.caCertFile, 'utf8') });
    const settings = testSettings({ PASSERELLE_AMQP_PREFIX: prefix, PASSERELLE_CERTS_DIR: certsDir });
    fs.rmSync(settings.dataDir, { recursive: true, force: true });
    await brokerSetup({ settings, passwordsDir, clientCertificates: true, report: (line) => lines.push(line) });
    inspector = await openInspector();
    const channel = await inspector.model.createConfirmChannel();
    await declareTopology(channel, { prefix, recipients: AGENCIES, deliveryLimit: 5 });
    for (const id of AGENCIES) {
      await new Promise<void>((resolve, reject) =>
        channel.publish(exchangeName(prefix), routingKey(id, 'orientation'), Buffer.from('sealed'), { persistent: true, messageId: randomUUID(), type: 'orientation', headers: { [SENDER_HEADER]: 'ofii-paris', [AUDIT_INDEX_HEADER]: 1 } }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    }
    await channel.close();
  });

  after(async () => {
    for (const model of models) await model.close().catch(() => undefined);
    await inspector?.model.close().catch(() => undefined);
    await deleteTopology(prefix, AGENCIES).catch(() => undefined);
    await deleteUsers(users);
    await listener?.stop();
    clientCa?.remove();
    await restore?.();
    fs.rmSync(certsDir, { recursive: true, force: true });
    fs.rmSync(passwordsDir, { recursive: true, force: true });
  });

  it('broker setup --client-certificates gives the agencies no password and the gateway one from its file', () => {
    for (const id of AGENCIES) expect(lines).to.include(`user ${partnerUser(prefix, id)} (partner ${id}): created, no password: logs in with a client certificate whose CN is ${partnerUser(prefix, id)} (EXTERNAL)`);
    expect(fs.readdirSync(passwordsDir)).to.deep.equal([`${gatewayUser(prefix)}.password`]);
  });

  it('an agency logs in with its certificate alone (EXTERNAL, as the CN) and consumes its own queue with the project consumer', async () => {
    const tls = await certificateOf(partnerUser(prefix, 'ofii-paris'));
    const connectionName = `external-${prefix}`;
    const broker = await connectBroker({ url: url(), tls, logger: silentLogger, connectionName, connectTimeoutMs: 5000 });
    try {
      const { stdout } = await run('rabbitmqctl', ['list_connections', 'user', 'auth_mechanism', 'ssl', 'client_properties', '-q']);
      const line = stdout.split('\n').find((l) => l.includes(`{"connection_name","${connectionName}"}`));
      expect(line, stdout).to.not.equal(undefined);
      expect(line!.split('\t').slice(0, 3)).to.deep.equal([partnerUser(prefix, 'ofii-paris'), 'EXTERNAL', 'true']);
    } finally {
      await broker.close();
    }
    const seen: string[] = [];
    const result = await consumeQueue({
      url: url(),
      tls,
      queue: queueName(prefix, 'ofii-paris'),
      logger: silentLogger,
      idleExitMs: 300,
      handle: async (delivery) => {
        seen.push(delivery.sender);
        return 'ack';
      },
    });
    expect(result).to.deep.equal({ acked: 1, rejected: 0 });
    expect(seen).to.deep.equal(['ofii-paris']);
  });

  it('no certificate: the broker refuses the handshake (fail_if_no_peer_cert), even with a valid user and password', async () => {
    const password = fs.readFileSync(path.join(passwordsDir, `${gatewayUser(prefix)}.password`), 'utf8').trim();
    const err = await rejection(connectBroker({ url: `amqps://${gatewayUser(prefix)}:${password}@localhost:${listener.port}`, tls: { caPem: listener.caPem }, logger: silentLogger, connectTimeoutMs: 5000 }));
    expect(isGatewayError(err) && err.code === 'broker_unreachable', String(err)).to.equal(true);
    expect((err as Error).message).to.match(/certificate required/).and.to.include('set PASSERELLE_AMQP_CERT and PASSERELLE_AMQP_KEY');
  });

  it("another agency's certificate: logs in as that agency, whose permissions do not reach this agency's queue (ACCESS_REFUSED)", async () => {
    const model = await connectAs(await certificateOf(partnerUser(prefix, 'mission-locale-paris')));
    const own = await model.createChannel();
    own.on('error', () => undefined);
    expect((await own.checkQueue(queueName(prefix, 'mission-locale-paris'))).queue).to.equal(queueName(prefix, 'mission-locale-paris'));
    const other = await model.createChannel();
    other.on('error', () => undefined);
    expect(await refusalCode(other.get(queueName(prefix, 'ofii-paris')))).to.equal(ACCESS_REFUSED);
  });

  it('password guessing: an account made for certificates refuses every password (PLAIN), even beside a valid certificate', async () => {
    const tls = await certificateOf(partnerUser(prefix, 'ofii-paris'));
    const err = await rejection(connectAs(tls, `amqps://${encodeURIComponent(partnerUser(prefix, 'ofii-paris'))}:guess@localhost:${listener.port}`));
    expect(String(err)).to.match(/ACCESS.REFUSED/).and.to.match(/PLAIN/);
  });

  it('unknown CN: a certificate from the client CA for an account that does not exist is refused (ACCESS_REFUSED)', async () => {
    const err = await rejection(connectAs(await certificateOf(partnerUser(prefix, 'intruder-paris'))));
    expect(String(err)).to.match(/ACCESS.REFUSED/).and.to.match(/EXTERNAL/);
  });

  it('foreign CA: a certificate naming a real account but issued by another CA fails the handshake', async () => {
    const foreign = await OpensslCa.foreign('/O=Passerelle (test)/CN=Broker client CA');
    try {
      const err = await rejection(connectAs(await certificateOf(partnerUser(prefix, 'ofii-paris'), foreign)));
      expect(String(err)).to.match(/unknown ca|ALERT_UNKNOWN_CA/i);
    } finally {
      foreign.remove();
    }
  });
});
