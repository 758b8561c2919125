/**
 * `passerelle serve` as an operator runs it: a child process with settings from the environment.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { queueName } from '../../src/broker/topology.js';
import { deleteTopology, drainQueue, eventually, EXAMPLE_CERTS, PROJECT_ROOT, uniquePrefix } from '../fixtures/gateway.js';
import { example, partner, post, seal } from '../fixtures/partner.js';

const CLI = path.join(PROJECT_ROOT, 'bin', 'passerelle.js');
const COMPILED_CLI = path.join(PROJECT_ROOT, 'dist', 'cli', 'main.js');

function startServe(env: Record<string, string>, cli = CLI): { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> } {
  let out = '';
  let err = '';
  const child = spawn(process.execPath, [cli, 'serve'], { env: { PATH: process.env['PATH'] ?? '', HOME: os.tmpdir(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The port `passerelle serve` says it listens on, once it says so. */
async function listeningPort(serve: { stderr: () => string }): Promise<number> {
  const listening = /listening on https:\/\/127\.0\.0\.1:(\d+)/;
  await waitFor(() => listening.test(serve.stderr()), 30_000);
  return Number(listening.exec(serve.stderr())![1]);
}

describe('@integration cli: passerelle serve', function () {
  this.timeout(60_000);
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-serve-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('says in one line which setting to fix when the broker is down at start, and exits non-zero', async () => {
    const serve = startServe({ PASSERELLE_DATA_DIR: dataDir, PASSERELLE_PORT: '0', PASSERELLE_AMQP_URL: 'amqp://guest:s3cret@127.0.0.1:1' });
    const code = await serve.exited;
    expect(code).to.equal(1);
    const lines = serve.stderr().trim().split('\n');
    expect(lines, serve.stderr()).to.have.length(1);
    expect(lines[0]).to.include('PASSERELLE_AMQP_URL').and.include('rabbitmq-server').and.not.include('s3cret');
    expect(lines[0]).not.to.match(/\n\s+at /);
  });

  it('survives a SIGHUP during start-up, and a SIGTERM then stops it at once with a log line and exit code 0', async () => {
    // A broker that accepts the connection and never answers holds the gateway in start-up (its
    // connection timeout is 10 s); that the connection came proves the signal handlers are in place.
    const held: net.Socket[] = [];
    let connected: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (connected = resolve));
    const silent = net.createServer((socket) => {
      held.push(socket);
      connected();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const brokerPort = (silent.address() as net.AddressInfo).port;
    const serve = startServe({ PASSERELLE_DATA_DIR: dataDir, PASSERELLE_PORT: '0', PASSERELLE_AMQP_URL: `amqp://guest:guest@127.0.0.1:${brokerPort}` });
    try {
      await reached;
      // Both at once: Linux delivers the lower-numbered SIGHUP first, so a process without a SIGHUP
      // handler dies of it before it can act on the SIGTERM.
      const signalledAt = Date.now();
      serve.child.kill('SIGHUP');
      serve.child.kill('SIGTERM');
      const code = await serve.exited;
      expect(serve.child.signalCode, `killed by a signal: ${serve.stderr()}`).to.equal(null);
      expect(code).to.equal(0);
      expect(Date.now() - signalledAt, 'stopped at once, not after the broker timeout').to.be.below(5_000);
      const logged = serve.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logged.map((l) => l['message'])).to.include('gateway stopped during start-up');
    } finally {
      serve.child.kill('SIGKILL');
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });

  it('finishes an in-flight request on SIGTERM, then exits 0', async () => {
    const prefix = uniquePrefix();
    const serve = startServe({ PASSERELLE_DATA_DIR: dataDir, PASSERELLE_PORT: '0', PASSERELLE_AMQP_PREFIX: prefix, PASSERELLE_CERTS_DIR: EXAMPLE_CERTS });
    try {
      const port = await listeningPort(serve);
      const view = await partner('ofii-paris');
      const sealed = Buffer.from(await seal('ofii-paris', example('orientation')));

      // The headers and half the body, then the signal, then the rest once the gateway says it is
      // stopping: the request is in flight during SIGTERM. The server's 100 Continue tells that it has
      // taken the request (a connection whose headers it has not read yet would count as idle).
      const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = https.request(
          {
            host: '127.0.0.1', port, path: '/v1/messages', method: 'POST', cert: view.tls.certPem, key: view.tls.keyPem, ca: view.tls.caPem,
            headers: { 'content-type': 'application/pgp-encrypted', 'content-length': sealed.length, expect: '100-continue' },
          },
          (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.on('continue', () => {
          req.write(sealed.subarray(0, 100));
          serve.child.kill('SIGTERM');
          waitFor(() => serve.stdout().includes('"gateway stopping"'), 30_000).then(() => req.end(sealed.subarray(100)), reject);
        });
        req.flushHeaders();
      });
      const result = await answer;
      expect(result.status, result.body).to.equal(202);
      expect(await serve.exited).to.equal(0);
      const logged = serve.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logged.map((l) => l['message'])).to.include('gateway stopped');
    } finally {
      serve.child.kill('SIGKILL');
      await deleteTopology(prefix);
    }
  });

  describe('compiled, as `npm start` runs it', function () {
    this.timeout(120_000);
    before(() => {
      execFileSync('npm', ['run', '--silent', 'build'], { cwd: PROJECT_ROOT, stdio: 'pipe' });
    });

    for (const storeThread of ['off', 'on'] as const) {
      it(`built into dist/, it accepts a message, opens it on a crypto worker thread and delivers it (PASSERELLE_STORE_THREAD=${storeThread})`, async () => {
        const prefix = uniquePrefix();
        const serve = startServe({ PASSERELLE_DATA_DIR: dataDir, PASSERELLE_PORT: '0', PASSERELLE_AMQP_PREFIX: prefix, PASSERELLE_CERTS_DIR: EXAMPLE_CERTS, PASSERELLE_CRYPTO_WORKERS: '1', PASSERELLE_STORE_THREAD: storeThread }, COMPILED_CLI);
        try {
          const port = await listeningPort(serve);
          // The store's thread runs a compiled module of its own (src/store/store-thread-worker.ts).
          expect(serve.stderr().includes(`store ${dataDir} on its own thread`), serve.stderr()).to.equal(storeThread === 'on');
          const document = example('orientation');
          const answer = await post(`https://127.0.0.1:${port}`, 'ofii-paris', await seal('ofii-paris', document));
          expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
          const delivered = await eventually(async () => {
            const messages = await drainQueue(queueName(prefix, 'mission-locale-paris'));
            return messages.length > 0 ? messages : undefined;
          });
          expect(delivered.map((m) => m.properties['messageId'])).to.deep.equal([document['header']['messageId']]);
          serve.child.kill('SIGTERM');
          expect(await serve.exited).to.equal(0);
          // The log's writer thread (src/log/writer-thread.mjs) runs compiled too, and wrote up to the last line.
          const logged = serve.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
          expect(logged.find((l) => l['message'] === 'request' && l['path'] === '/v1/messages')).to.include({ status: 202, partner: 'ofii-paris' });
          expect(logged.at(-1)).to.include({ message: 'gateway stopped' });
        } finally {
          serve.child.kill('SIGKILL');
          await deleteTopology(prefix);
        }
      });
    }
  });
});
