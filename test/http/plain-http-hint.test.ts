/**
 * Plain http:// sent to the gateway's HTTPS port: a person gets a short plain-text answer naming the
 * fix instead of an empty reply, with curl as a person types it and with a raw socket; TLS
 * connections on the same port are unaffected.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { EXAMPLE_CERTS, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { get } from '../fixtures/partner.js';

const run = promisify(execFile);

/** Everything the server sends on a plain TCP connection after `bytes`, until it closes. */
function exchange(port: number, bytes: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

describe('@integration http: plain http:// on the HTTPS port', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => {
    await gw?.dispose();
  });

  it('curl http:// gets a 400 in plain text saying to use https:// with a client certificate', async () => {
    const { stdout } = await run('curl', ['-sS', '-i', `http://127.0.0.1:${gw.port}/healthz`]);
    expect(stdout).to.match(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(stdout).to.include('Content-Type: text/plain; charset=utf-8').and.include('This is an HTTPS port: use https:// with your client certificate');
  });

  it('a raw socket gets the same answer for an HTTP request and for any other bytes, then the connection closes', async () => {
    for (const bytes of ['GET /v1/messages HTTP/1.1\r\nHost: gateway\r\n\r\n', 'POST / HTTP/1.0\r\n\r\n', Buffer.from([0x00, 0xff, 0x10])]) {
      const answer = await exchange(gw.port, bytes);
      expect(answer).to.match(/^HTTP\/1\.1 400 Bad Request\r\n/);
      const [head, body] = answer.split('\r\n\r\n');
      expect(head).to.include('Connection: close');
      expect(Number(/Content-Length: (\d+)/.exec(head!)![1])).to.equal(Buffer.byteLength(body!));
    }
  });

  it('TLS connections on the same port still work, with and without a client certificate', async () => {
    const { stdout } = await run('curl', ['-sS', '--cacert', path.join(EXAMPLE_CERTS, 'ca.crt'), `https://localhost:${gw.port}/healthz`]);
    expect(JSON.parse(stdout)).to.deep.equal({ status: 'alive' });
    const answers = await Promise.all(Array.from({ length: 6 }, () => get(gw.baseUrl, 'ofii-paris', '/v1/audit/checkpoint')));
    for (const answer of answers) expect(answer.status).to.equal(200);
  });
});
