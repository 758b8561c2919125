/**
 * The TLS policy (src/tls/policy.ts, docs/operator.md, "TLS policy", after the ANSSI guide on TLS): TLS 1.3, and
 * for TLS 1.2 only ECDHE with AES-GCM or ChaCha20-Poly1305, on every TLS connection of the gateway.
 *
 * - The HTTPS listener, probed with the real `openssl s_client` offering one suite at a time: each
 *   refused suite must fail the handshake; the suites of the policy that the gateway's RSA certificate
 *   allows (ECDHE-RSA-...) and TLS 1.3 must complete it. The same after a revocation list was applied,
 *   which replaces the server's secure context.
 * - The broker configured by deploy/rabbitmq/rabbitmq.conf.example: a listener started with the TLS
 *   options that the node's own translation of the file gives, probed the same way.
 * - The gateway as a client (AMQP, PostgreSQL), against `openssl s_server` offering only one refused
 *   suite: the handshake fails, and the error says so. A server offering a suite of the policy is the
 *   control that the test can pass.
 */
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { connectBroker } from '../../src/broker/connection.js';
import { isGatewayError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import { PgEngine } from '../../src/store/postgres/engine.js';
import { rejection } from '../fixtures/broker.js';
import { eventually, EXAMPLE_CERTS, PROJECT_ROOT, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { OpensslCa } from '../fixtures/openssl-ca.js';

const run = promisify(execFile);

/** Suites a TLS 1.2 peer must refuse, each with what is wrong with it. */
const REFUSED_SUITES: ReadonlyArray<[suite: string, why: string]> = [
  ['AES128-SHA', 'RSA key exchange (no forward secrecy), CBC, SHA-1'],
  ['AES256-SHA', 'RSA key exchange (no forward secrecy), CBC, SHA-1'],
  ['AES128-GCM-SHA256', 'RSA key exchange (no forward secrecy)'],
  ['ECDHE-RSA-AES128-SHA', 'CBC with HMAC-SHA-1'],
  ['ECDHE-RSA-AES256-SHA384', 'CBC with HMAC-SHA-384'],
  ['DHE-RSA-AES128-GCM-SHA256', 'finite-field Diffie-Hellman on a group the server chooses'],
];

/** The suites of the policy that an RSA certificate allows (the gateway's and the example broker's). */
const ACCEPTED_SUITES = ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305'];

/** OpenSSL 3 refuses TLS 1.0 and 1.1 at its default security level: lowered on the probing side only. */
const OLD_PROTOCOL_CIPHERS = 'DEFAULT:@SECLEVEL=0';

interface Handshake {
  completed: boolean;
  protocol: string;
  cipher: string;
  output: string;
}

/** `openssl s_client` against 127.0.0.1:port; stdin is empty, so it leaves once the handshake is over. */
function sClient(port: number, args: string[]): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill(), 10_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const session = /^New, (\S+), Cipher is (\S+)$/m.exec(output);
      resolve({ completed: session !== null && session[2] !== '(NONE)', protocol: session?.[1] ?? '', cipher: session?.[2] ?? '', output });
    });
  });
}

function expectRefused(handshake: Handshake, alert: RegExp): void {
  expect(handshake.completed, handshake.output).to.equal(false);
  expect(handshake.output).to.match(alert);
}

function expectCompleted(handshake: Handshake, protocol: string, cipher: string): void {
  expect(handshake.completed, handshake.output).to.equal(true);
  expect([handshake.protocol, handshake.cipher]).to.deep.equal([protocol, cipher]);
}

/** The policy checks of a TLS server, as `it` blocks; `port` is read when they run. */
function probeServer(port: () => number): void {
  for (const [suite, why] of REFUSED_SUITES) {
    it(`weak suite: a client offering only ${suite} over TLS 1.2 (${why}) is refused`, async () => {
      // OpenSSL answers handshake_failure; Erlang (RabbitMQ) insufficient_security (RFC 5246 7.2.2).
      expectRefused(await sClient(port(), ['-tls1_2', '-cipher', suite]), /alert (handshake failure|insufficient security)/);
    });
  }
  for (const [flag, version] of [['-tls1', 'TLS 1.0'], ['-tls1_1', 'TLS 1.1']] as const) {
    it(`protocol downgrade: a client offering at most ${version} is refused`, async () => {
      expectRefused(await sClient(port(), [flag, '-cipher', OLD_PROTOCOL_CIPHERS]), /alert protocol version/);
    });
  }
  for (const suite of ACCEPTED_SUITES) {
    it(`control: ${suite} over TLS 1.2 completes the handshake`, async () => {
      expectCompleted(await sClient(port(), ['-tls1_2', '-cipher', suite]), 'TLSv1.2', suite);
    });
  }
  it('control: TLS 1.3 completes the handshake, with the server\'s first choice', async () => {
    expectCompleted(await sClient(port(), ['-tls1_3']), 'TLSv1.3', 'TLS_AES_256_GCM_SHA384');
  });
}

interface OpensslServer {
  port: number;
  output(): string;
  /** Resolves true once the output matches, false if the server ends first. */
  sees(pattern: RegExp): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * `openssl s_server` with the example gateway certificate (RSA, names localhost, issued by the example
 * CA) for one connection. Its standard input stays open: on end of input it would stop at once.
 */
async function startOpensslServer(args: string[]): Promise<OpensslServer> {
  const child = spawn('openssl', ['s_server', '-accept', '0', '-naccept', '1', '-cert', path.join(EXAMPLE_CERTS, 'gateway', 'tls.crt'), '-key', path.join(EXAMPLE_CERTS, 'gateway', 'tls.key'), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let ended = false;
  const watchers = new Set<() => void>();
  const changed = () => {
    for (const watcher of watchers) watcher();
  };
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
    changed();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
    changed();
  });
  const exited = new Promise<void>((resolve) =>
    child.once('close', () => {
      ended = true;
      changed();
      resolve();
    }),
  );
  const sees = (pattern: RegExp) =>
    new Promise<boolean>((resolve) => {
      const check = () => {
        if (!pattern.test(output) && !ended) return;
        watchers.delete(check);
        resolve(pattern.test(output));
      };
      watchers.add(check);
      check();
    });
  if (!(await sees(/^ACCEPT .*:\d+$/m))) throw new Error(`openssl s_server did not start: ${output}`);
  return {
    port: Number(/^ACCEPT .*:(\d+)$/m.exec(output)![1]),
    output: () => output,
    sees,
    async stop() {
      child.stdin.end();
      if (child.exitCode === null && child.signalCode === null) child.kill();
      await exited;
    },
  };
}

/**
 * A PostgreSQL server's first answer: 'S' to the client's SSLRequest (RFC-less, PostgreSQL protocol
 * "SSL Session Encryption"), then the bytes pass through to `tlsPort`, where s_server does the TLS.
 */
async function startSslRequestFront(tlsPort: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    client.once('data', () => {
      client.write('S');
      const upstream = net.connect(tlsPort, '127.0.0.1');
      sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('@integration security: TLS policy (ANSSI): versions and cipher suites', function () {
  this.timeout(60_000);
  const caPem = fs.readFileSync(path.join(EXAMPLE_CERTS, 'ca.crt'), 'utf8');

  describe('the HTTPS listener', () => {
    let trustDir: string;
    let gw: TestGateway;
    before(async () => {
      trustDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-tls-policy-'));
      fs.cpSync(EXAMPLE_CERTS, trustDir, { recursive: true });
      gw = await startTestGateway({ PASSERELLE_CERTS_DIR: trustDir });
    });
    after(async () => {
      await gw?.dispose();
      fs.rmSync(trustDir, { recursive: true, force: true });
    });

    probeServer(() => gw.port);

    describe('after a revocation list was applied (a new secure context)', () => {
      before(async () => {
        const ca = OpensslCa.over(path.join(trustDir, 'ca.crt'), path.join(trustDir, 'ca.key'));
        try {
          await ca.writeCrl(path.join(trustDir, 'crl.pem'));
        } finally {
          ca.remove();
        }
        await eventually(async () => (gw.logLines.some((line) => line['message'] === 'certificate revocation list applied') ? true : undefined), 5_000);
      });

      it('weak suite after a revocation list: AES128-SHA is still refused', async () => {
        expectRefused(await sClient(gw.port, ['-tls1_2', '-cipher', 'AES128-SHA']), /alert handshake failure/);
      });

      it('weak suite after a revocation list: ECDHE-RSA-AES128-SHA is still refused, ECDHE-RSA-AES128-GCM-SHA256 still accepted', async () => {
        expectRefused(await sClient(gw.port, ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA']), /alert handshake failure/);
        expectCompleted(await sClient(gw.port, ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256']), 'TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256');
      });
    });
  });

  describe('the broker configured by deploy/rabbitmq/rabbitmq.conf.example', () => {
    let dir: string;
    let port = 0;
    before(async () => {
      // The node runs as the rabbitmq user: the files must be readable by it.
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-rabbitmq-policy-'));
      fs.chmodSync(dir, 0o755);
      fs.copyFileSync(path.join(EXAMPLE_CERTS, 'ca.crt'), path.join(dir, 'ca.crt'));
      fs.copyFileSync(path.join(EXAMPLE_CERTS, 'gateway', 'tls.crt'), path.join(dir, 'server.crt'));
      fs.copyFileSync(path.join(EXAMPLE_CERTS, 'gateway', 'tls.key'), path.join(dir, 'server.key'));
      fs.writeFileSync(path.join(dir, 'definitions.json'), '{}');
      for (const name of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, name), 0o644);
      const example = fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'rabbitmq', 'rabbitmq.conf.example'), 'utf8');
      fs.writeFileSync(path.join(dir, 'rabbitmq.conf'), example.replace(/\/etc\/rabbitmq\/(tls\/)?/g, `${dir}/`), { mode: 0o644 });
      const probe = net.createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      port = (probe.address() as net.AddressInfo).port;
      await new Promise((resolve) => probe.close(resolve));
      const { stdout: schemaDir } = await run('rabbitmqctl', ['eval', 'code:priv_dir(rabbit).']);
      const schema = path.join(JSON.parse(schemaDir.trim()) as string, 'schema', 'rabbit.schema');
      const { stdout } = await run('rabbitmqctl', [
        'eval',
        `Config = cuttlefish_generator:map(cuttlefish_schema:files(["${schema}"]), cuttlefish_conf:file("${dir}/rabbitmq.conf")), ` +
          `Ssl = proplists:get_value(ssl_options, proplists:get_value(rabbit, Config)), ` +
          `rabbit_networking:start_ssl_listener({"127.0.0.1", ${port}}, Ssl, 1).`,
      ]);
      expect(stdout.trim()).to.equal('ok');
    });
    after(async () => {
      if (port !== 0) await run('rabbitmqctl', ['eval', `rabbit_networking:stop_tcp_listener({"127.0.0.1", ${port}}).`]);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    probeServer(() => port);
  });

  describe('the AMQP connection of the gateway', () => {
    const connectTo = (port: number) => connectBroker({ url: `amqps://guest:guest@localhost:${port}`, tls: { caPem }, logger: silentLogger, connectTimeoutMs: 5_000 });

    for (const [suite, why] of REFUSED_SUITES) {
      it(`weak broker: a broker offering only ${suite} over TLS 1.2 (${why}) fails the handshake, with a readable error`, async () => {
        const server = await startOpensslServer(['-tls1_2', '-cipher', suite]);
        try {
          const err = await rejection(connectTo(server.port));
          expect(isGatewayError(err) && err.code === 'broker_unreachable', String(err)).to.equal(true);
          expect((err as Error).message).to.match(/alert handshake failure/).and.to.include('the broker must offer TLS 1.3, or TLS 1.2 with ECDHE and AES-GCM or ChaCha20-Poly1305');
          expect(server.output()).to.not.match(/CIPHER is/);
        } finally {
          await server.stop();
        }
      });
    }

    it('protocol downgrade: a broker offering at most TLS 1.1 fails the handshake', async () => {
      const server = await startOpensslServer(['-tls1_1', '-cipher', OLD_PROTOCOL_CIPHERS]);
      try {
        const err = await rejection(connectTo(server.port));
        expect(isGatewayError(err) && err.code === 'broker_unreachable', String(err)).to.equal(true);
        expect((err as Error).message).to.match(/alert protocol version/);
        expect(server.output()).to.not.match(/CIPHER is/);
      } finally {
        await server.stop();
      }
    });

    it('control: a broker offering ECDHE-RSA-AES128-GCM-SHA256 completes the handshake (then fails: s_server speaks no AMQP)', async () => {
      const server = await startOpensslServer(['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256']);
      try {
        const attempt = rejection(connectTo(server.port));
        expect(await server.sees(/CIPHER is ECDHE-RSA-AES128-GCM-SHA256/), server.output()).to.equal(true);
        await server.stop();
        expect(((await attempt) as Error).message).to.not.match(/SSL routines|alert/);
      } finally {
        await server.stop();
      }
    });
  });

  describe('the PostgreSQL connections of the gateway', () => {
    const urlTo = (port: number, parameters = `sslmode=verify-full&sslrootcert=${encodeURIComponent(path.join(EXAMPLE_CERTS, 'ca.crt'))}`) => `postgres://passerelle@localhost:${port}/passerelle?${parameters}`;

    async function openThrough(args: string[], url: (port: number) => string = urlTo): Promise<{ err: unknown; server: OpensslServer }> {
      const server = await startOpensslServer(args);
      const front = await startSslRequestFront(server.port);
      try {
        const attempt = rejection(PgEngine.open({ url: url(front.port) }));
        // A completed handshake leaves node-postgres waiting for an answer that s_server never sends.
        const completed = server.sees(/CIPHER is/).then(async (seen) => {
          if (seen) await server.stop();
          return attempt;
        });
        return { err: await Promise.race([attempt, completed]), server };
      } finally {
        await server.stop();
        await front.close();
      }
    }

    for (const [suite, why] of REFUSED_SUITES) {
      it(`weak database: a server offering only ${suite} over TLS 1.2 (${why}) fails the handshake, with a readable error`, async () => {
        const { err, server } = await openThrough(['-tls1_2', '-cipher', suite]);
        expect(isGatewayError(err) && err.code === 'store_unavailable', String(err)).to.equal(true);
        expect((err as Error).message).to.match(/Cannot open the PostgreSQL store/).and.to.match(/alert handshake failure/);
        expect(server.output()).to.not.match(/CIPHER is/);
      });
    }

    it('protocol downgrade: a server offering at most TLS 1.1 fails the handshake', async () => {
      const { err, server } = await openThrough(['-tls1_1', '-cipher', OLD_PROTOCOL_CIPHERS]);
      expect((err as Error).message).to.match(/alert protocol version/);
      expect(server.output()).to.not.match(/CIPHER is/);
    });

    it('control: a server offering ECDHE-RSA-AES128-GCM-SHA256 completes the handshake (then fails: s_server speaks no PostgreSQL)', async () => {
      const { err, server } = await openThrough(['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256']);
      expect(server.output()).to.match(/CIPHER is ECDHE-RSA-AES128-GCM-SHA256/);
      expect((err as Error).message).to.not.match(/SSL routines|alert/);
    });

    it('certificate not checked: sslmode=no-verify, which accepts any server certificate, is refused before connecting', async () => {
      const err = await rejection(PgEngine.open({ url: urlTo(1, 'sslmode=no-verify') }));
      expect(isGatewayError(err) && err.code === 'config_invalid', String(err)).to.equal(true);
      expect((err as Error).message).to.include('sslmode=verify-full');
    });
  });
});
