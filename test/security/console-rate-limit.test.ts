/**
 * Attack: a person reading the console in an agency's name (a ProConnect session mapped to the
 * agency) fetches page after page of the log until the agency's rate limit is spent, and the agency's
 * machines then get 429 on the exchange itself. A session has a bucket of its own: browsing is
 * throttled, the machines are not.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { startBed, type Bed } from '../fixtures/http-bed.js';

describe('security: console browsing spending an agency\'s rate limit', () => {
  let bed: Bed;

  before(async () => {
    bed = await startBed({
      rateLimit: { perMinute: 1, burst: 3 },
      // The session port: a request without a certificate carrying this header acts for Mission Locale.
      sessionPartner: (req) => (req.headers['x-test-session'] === 'mission-locale-paris' ? bed.registry.get('mission-locale-paris') : undefined),
    });
  });

  after(() => bed.close());

  it('throttles the session, never the agency\'s certificate', async () => {
    const path = `/v1/messages/${randomUUID()}`;
    const browse = () => bed.request({ as: 'none', path, headers: { 'x-test-session': 'mission-locale-paris' } });
    for (let i = 0; i < 3; i++) expect((await browse()).status, `session request ${i + 1}`).to.equal(404);
    expect((await browse()).status, 'the session, past its burst').to.equal(429);
    const machine = await bed.request({ as: 'mission-locale-paris', path });
    expect(machine.status, 'the agency\'s machine, with its certificate').to.equal(404);
  });
});
