/**
 * The operator snapshot's expiry warnings and caching (src/observability/operator-status.ts), on the
 * example trust directory and a real SQLite store, at chosen dates: a partner is flagged 30 days
 * before its certificate or newest key expires, and when an agency has no usable key; queue checks are
 * shared by the calls of a few seconds.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { OperatorStatus, QUEUE_CACHE_MS, WARNING_DAYS, type QueueDepth } from '../../src/observability/operator-status.js';
import { PeerCertificates } from '../../src/observability/peer-certificates.js';
import { loadTrustStore, type TrustStore } from '../../src/trust/trust-store.js';
import { EXAMPLE_CERTS } from '../fixtures/gateway.js';
import { disposeTempStore, openTempStore, type TempStore } from '../fixtures/store.js';

const DAY_MS = 86_400_000;

describe('observability: the operator snapshot', function () {
  let trust: TrustStore;
  let temp: TempStore;
  let checks = 0;
  let now: Date;
  let ofiiNotAfter: Date;

  const status = (overrides: Partial<TrustStore> = {}) =>
    new OperatorStatus({
      store: temp.store,
      brokerConnected: () => true,
      checkQueues: async (): Promise<QueueDepth[]> => {
        checks++;
        return [{ partner: 'mission-locale-paris', queue: 'q', messages: checks, deadLettered: 0 }];
      },
      trust: { ...trust, ...overrides } as TrustStore,
      peers: new PeerCertificates(),
      now: () => now,
      relayLagSeconds: () => undefined,
    });

  before(async () => {
    trust = await loadTrustStore({ dir: EXAMPLE_CERTS });
    temp = await openTempStore('passerelle-operator-status-');
    ofiiNotAfter = new Date(new X509Certificate(fs.readFileSync(path.join(EXAMPLE_CERTS, 'partners', 'ofii-paris', 'tls.crt'))).validTo);
  });
  after(async () => disposeTempStore(temp));

  it('flags no partner of the example today, and every certificate of the trust directory within 30 days of its end', async () => {
    now = new Date();
    const today = await status().snapshot();
    expect(today.partners.filter((p) => p.warning).map((p) => p.id)).to.deep.equal([]);
    const ofii = today.partners.find((p) => p.id === 'ofii-paris')!;
    expect(ofii.certificate).to.deep.include({ source: 'trust-directory', notAfter: ofiiNotAfter.toISOString() });

    now = new Date(ofiiNotAfter.getTime() - (WARNING_DAYS + 1) * DAY_MS);
    expect((await status().snapshot()).partners.find((p) => p.id === 'ofii-paris')!.warning).to.equal(false);
    now = new Date(ofiiNotAfter.getTime() - (WARNING_DAYS - 1) * DAY_MS);
    const late = await status().snapshot();
    const flagged = late.partners.find((p) => p.id === 'ofii-paris')!;
    expect(flagged.warning).to.equal(true);
    expect(flagged.certificate!.daysLeft).to.equal(WARNING_DAYS - 1);
    expect(late.gateway.tlsCertificate.daysLeft).to.be.lessThan(WARNING_DAYS + 1);
  });

  it('flags an agency without a usable OpenPGP key, not an auditor without one', async () => {
    now = new Date();
    const withoutKeys = (id: string) => (id === 'ofii-paris' || id === 'auditor' ? { ...trust.partner(id)!, keyRing: [] } : trust.partner(id));
    const snapshot = await status({ partner: withoutKeys }).snapshot();
    expect(snapshot.partners.find((p) => p.id === 'ofii-paris')).to.deep.include({ warning: true, openpgpKeys: [] });
    expect(snapshot.partners.find((p) => p.id === 'auditor')!.warning).to.equal(false);
  });

  it('checks the queues once for the calls of the same few seconds', async () => {
    now = new Date();
    const operations = status();
    checks = 0;
    const [first, second] = await Promise.all([operations.snapshot(), operations.snapshot()]);
    expect(checks).to.equal(1);
    expect(first.queues).to.deep.equal(second.queues);
    expect((await operations.snapshot()).queues[0]!.messages).to.equal(1);
    expect(QUEUE_CACHE_MS).to.be.at.most(10_000);
  });
});
