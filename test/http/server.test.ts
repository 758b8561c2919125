/**
 * The HTTPS listener's shutdown (src/http/server.ts, RunningServer.close): a request in flight gets its
 * answer, the connection it came on closes after it, an idle kept-alive connection does not hold the
 * shutdown open, and what still runs after the grace period is cut. Real express app and HTTPS server,
 * a fake Ingest port whose answer the test releases (test/http/bed.ts). The same through
 * `passerelle serve` and SIGTERM is in test/cli/serve.test.ts.
 */
import https from 'node:https';
import tls from 'node:tls';
import { expect } from 'chai';
import type { IngestResult } from '../../src/app/ingest.js';
import { eventually } from '../fixtures/gateway.js';
import { startBed, type Bed } from '../fixtures/http-bed.js';

const ACCEPTED: IngestResult = {
  outcome: 'accepted',
  status: 202,
  answer: { messageId: '0d2b6c1e-6a2f-4f0e-9b1d-2c3e4f5a6b7c', status: 'accepted', acceptedAt: '2026-11-27T10:00:00.000Z', auditIndex: 7, payloadSha256: 'c'.repeat(64), receipt: 'r' },
  recipient: 'mission-locale-paris',
  type: 'orientation',
};

/** Whether a TLS connection to the port can still be opened. */
function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

describe('http/server: shutdown', function () {
  let bed: Bed;
  /** Releases the answer Ingest is holding. */
  let release: () => void = () => undefined;
  beforeEach(async () => {
    bed = await startBed();
    bed.ingest.answer = () => new Promise<IngestResult>((resolve) => (release = () => resolve(ACCEPTED)));
  });
  afterEach(async () => {
    release();
    await bed?.close();
  });

  function postHeld() {
    return bed.request({ as: 'ofii-paris', method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/pgp-encrypted' }, body: 'sealed' });
  }

  it('a request in flight when close() is called gets its answer, with Connection: close; then the port takes no new connection', async () => {
    const answer = postHeld();
    await eventually(async () => (bed.ingest.submitted.length === 1 ? true : undefined));
    const closed = bed.server.close(10_000);
    release();
    const answered = await answer;
    expect(answered.status).to.equal(202);
    expect(answered.headers['connection']).to.equal('close');
    await closed;
    expect(await connects(bed.port)).to.equal(false);
  });

  it('an idle kept-alive connection does not hold close() open', async () => {
    const agent = new https.Agent({ keepAlive: true });
    try {
      expect((await bed.request({ as: 'ofii-paris', path: '/healthz', agent })).status).to.equal(200);
      expect(Object.values(agent.freeSockets).flat()).to.have.length(1);
      const started = Date.now();
      await bed.server.close(10_000);
      expect(Date.now() - started, 'closed without waiting for the grace period').to.be.below(2_000);
    } finally {
      agent.destroy();
    }
  });

  it('a request still running when the grace period ends is cut, and close() returns', async () => {
    const answer = postHeld().then(
      () => 'answered',
      () => 'cut',
    );
    await eventually(async () => (bed.ingest.submitted.length === 1 ? true : undefined));
    const started = Date.now();
    await bed.server.close(300);
    expect(Date.now() - started).to.be.at.least(250);
    expect(await answer).to.equal('cut');
  });
});
