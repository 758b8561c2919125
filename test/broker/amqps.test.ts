/**
 * AMQP over TLS (docs/operator.md, "AMQP over TLS"): the gateway publishes over amqps and a partner consumes over
 * amqps, both verifying the broker's certificate against the CA of PASSERELLE_AMQP_CA and its name
 * against the URL's host. The broker's TLS listener is started at run time on the running node
 * (test/fixtures/broker.ts startAmqpsListener), with a CA made for this test.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { brokerTlsOf, connectBroker } from '../../src/broker/connection.js';
import { consumeAs } from '../../src/cli/consume.js';
import { loadSettings } from '../../src/config/settings.js';
import { isGatewayError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import { rejection, startAmqpsListener, type AmqpsListener } from '../fixtures/broker.js';
import { eventually, EXAMPLE_CERTS, PROJECT_ROOT, startTestGateway, testSettings, type TestGateway } from '../fixtures/gateway.js';
import { example, send } from '../fixtures/partner.js';

const run = promisify(execFile);

describe('@integration broker: AMQP over TLS', function () {
  this.timeout(60_000);
  let listener: AmqpsListener;
  let gw: TestGateway | undefined;
  const url = () => `amqps://guest:guest@localhost:${listener.port}`;

  before(async () => {
    listener = await startAmqpsListener();
  });
  after(async () => {
    await gw?.dispose();
    await listener?.stop();
  });

  it('a gateway connected over amqps delivers a message that a partner consumes over amqps', async () => {
    gw = await startTestGateway({ PASSERELLE_AMQP_URL: url(), PASSERELLE_AMQP_CA: listener.caFile });
    const { stdout } = await run('rabbitmqctl', ['list_connections', 'port', 'ssl', 'ssl_protocol', '-q']);
    const overTls = stdout.split('\n').filter((line) => line.startsWith(`${listener.port}\t`));
    expect(overTls.length, stdout).to.be.greaterThan(0);
    for (const line of overTls) expect(line).to.match(/\ttrue\ttlsv1\.[23]$/);

    const document = example('orientation');
    const messageId = document['header']['messageId'] as string;
    expect((await send(gw.baseUrl, 'ofii-paris', document)).status).to.equal(202);
    await eventually(async () => ((await gw!.store.findMessage(messageId))?.status === 'queued' ? true : undefined));

    const written: string[] = [];
    const settings = testSettings({ PASSERELLE_AMQP_URL: url(), PASSERELLE_AMQP_CA: listener.caFile, PASSERELLE_AMQP_PREFIX: gw.settings.amqpPrefix });
    const summary = await consumeAs({ settings, as: 'mission-locale-paris', out: undefined, follow: false, idleExitMs: 500, report: () => undefined, write: (d) => written.push(Buffer.from(d).toString('utf8')) });
    expect(summary).to.deep.equal({ written: 1, duplicates: 0, refused: 0 });
    expect(JSON.parse(written[0]!)).to.deep.equal(document);
  });

  it('refuses a broker certificate that the configured CA did not issue', async () => {
    const tls = brokerTlsOf({ amqpCaFile: path.join(EXAMPLE_CERTS, 'ca.crt'), amqpCertFile: undefined, amqpKeyFile: undefined });
    const err = await rejection(connectBroker({ url: url(), tls, logger: silentLogger, connectTimeoutMs: 5000 }));
    expect(isGatewayError(err) && err.code === 'broker_unreachable', String(err)).to.equal(true);
    expect((err as Error).message).to.match(/certificate/i);
  });

  it('refuses a broker certificate that does not name the host of the URL', async () => {
    const tls = brokerTlsOf({ amqpCaFile: listener.caFile, amqpCertFile: undefined, amqpKeyFile: undefined });
    const err = await rejection(connectBroker({ url: `amqps://guest:guest@127.0.0.1:${listener.port}`, tls, logger: silentLogger, connectTimeoutMs: 5000 }));
    expect(isGatewayError(err) && err.code === 'broker_unreachable', String(err)).to.equal(true);
    expect((err as Error).message).to.match(/IP: 127\.0\.0\.1 is not in the cert's list/);
  });

  it('refuses a broker certificate without a CA setting when Node does not know its CA', async () => {
    const err = await rejection(connectBroker({ url: url(), logger: silentLogger, connectTimeoutMs: 5000 }));
    expect(isGatewayError(err) && err.code === 'broker_unreachable', String(err)).to.equal(true);
    expect((err as Error).message).to.match(/self.signed certificate in certificate chain/);
  });

  it('settings: TLS files on a plain amqp: URL, or a certificate without its key, are configuration errors', () => {
    for (const env of [
      { PASSERELLE_AMQP_URL: 'amqp://127.0.0.1:5672', PASSERELLE_AMQP_CA: 'ca.pem' },
      { PASSERELLE_AMQP_URL: 'amqps://localhost:5671', PASSERELLE_AMQP_CERT: 'client.pem' },
      { PASSERELLE_AMQP_URL: 'amqps://localhost:5671', PASSERELLE_AMQP_KEY: 'client.key' },
    ]) {
      let error: unknown;
      try {
        loadSettings(env, '/');
      } catch (err) {
        error = err;
      }
      expect(isGatewayError(error) && error.code === 'config_invalid', JSON.stringify(env)).to.equal(true);
    }
    expect(loadSettings({ PASSERELLE_AMQP_URL: 'amqps://localhost:5671', PASSERELLE_AMQP_CA: 'ca.pem' }, '/srv').amqpCaFile).to.equal('/srv/ca.pem');
  });

  /** What the node's own schema translation (cuttlefish) makes of a configuration example, as at boot. */
  async function translate(example: string, expression: string): Promise<string> {
    // The example's files are replaced by readable ones: the node checks that they exist.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-rabbitmq-conf-'));
    try {
      fs.chmodSync(dir, 0o755);
      for (const name of ['ca.crt', 'server.crt', 'server.key', 'definitions.json']) fs.writeFileSync(path.join(dir, name), '', { mode: 0o644 });
      const text = fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'rabbitmq', example), 'utf8');
      const conf = text.replace(/\/etc\/rabbitmq\/(tls\/)?/g, `${dir}/`);
      expect(conf).to.not.include('/etc/rabbitmq');
      fs.writeFileSync(path.join(dir, 'rabbitmq.conf'), conf, { mode: 0o644 });
      const { stdout: schemaDir } = await run('rabbitmqctl', ['eval', 'code:priv_dir(rabbit).']);
      const schema = path.join(JSON.parse(schemaDir.trim()) as string, 'schema', 'rabbit.schema');
      const { stdout } = await run('rabbitmqctl', [
        'eval',
        `Config = cuttlefish_generator:map(cuttlefish_schema:files(["${schema}"]), cuttlefish_conf:file("${dir}/rabbitmq.conf")), ` +
          `case Config of {error, _, Errors} -> {error, Errors}; _ -> Rabbit = proplists:get_value(rabbit, Config), Ssl = proplists:get_value(ssl_options, Rabbit), ${expression} end.`,
      ]);
      return stdout.trim();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('deploy/rabbitmq/rabbitmq.conf.example is valid for the installed RabbitMQ: TLS listener on 5671, no plain listener, the TLS policy in the broker\'s order', async () => {
    expect(await translate('rabbitmq.conf.example', '{proplists:get_value(ssl_listeners, Rabbit), proplists:get_value(tcp_listeners, Rabbit), length(proplists:get_value(ciphers, Ssl)), proplists:get_value(honor_cipher_order, Ssl)}')).to.equal('{[5671],[],9,true}');
  });

  it('deploy/rabbitmq/rabbitmq.client-certificates.conf.example is valid: a certificate required, EXTERNAL, the account named by the CN', async () => {
    expect(
      await translate(
        'rabbitmq.client-certificates.conf.example',
        '{proplists:get_value(ssl_listeners, Rabbit), proplists:get_value(tcp_listeners, Rabbit), proplists:get_value(verify, Ssl), proplists:get_value(fail_if_no_peer_cert, Ssl), lists:sort(proplists:get_value(auth_mechanisms, Rabbit)), proplists:get_value(ssl_cert_login_from, Rabbit)}',
      ),
    ).to.equal("{[5671],[],verify_peer,true,['EXTERNAL','PLAIN'],common_name}");
  });

  it('a missing CA file stops the start with the setting named', () => {
    let error: unknown;
    try {
      brokerTlsOf({ amqpCaFile: '/nonexistent/ca.pem', amqpCertFile: undefined, amqpKeyFile: undefined });
    } catch (err) {
      error = err;
    }
    expect(isGatewayError(error) && error.code === 'config_invalid').to.equal(true);
    expect((error as Error).message).to.include('PASSERELLE_AMQP_CA');
  });
});
