import { expect } from 'chai';
import * as openpgp from 'openpgp';
import type { PrivateKey } from 'openpgp';
import { GatewayNotices } from '../../src/app/gateway-notices.js';
import { openDelivered } from '../../src/crypto/open.js';
import { INLINE_CRYPTO, type GatewayCrypto } from '../../src/crypto/service.js';
import { createCryptoPool } from '../../src/crypto/worker-pool.js';
import { createValidator, defaultSchemasDir } from '../../src/schema/validator.js';
import { loadPartnerCredentials, loadTrustStore } from '../../src/trust/trust-store.js';
import { EXAMPLE_CERTS } from '../fixtures/gateway.js';

describe('app/gateway notices', function () {
  this.timeout(30_000);

  const services: Array<{ where: string; make: () => GatewayCrypto }> = [
    { where: 'on the calling thread', make: () => INLINE_CRYPTO },
    { where: 'on a crypto worker thread', make: () => createCryptoPool({ size: 1 }) },
  ];

  for (const { where, make } of services) {
    it(`signs each notice with the key current when it is composed, so a gateway key rotated while running signs at once (${where})`, async () => {
      const trust = await loadTrustStore({ dir: EXAMPLE_CERTS });
      const recipient = await loadPartnerCredentials({ dir: EXAMPLE_CERTS, id: 'france-travail-paris' });
      const { privateKey: rotated } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'Passerelle gateway (rotated)' }], format: 'object' });
      let current: PrivateKey = trust.gateway.privateKey;
      const crypto = make();
      try {
        const notices = new GatewayNotices({
          signingKey: () => current,
          recipientKeys: (id) => trust.partner(id)?.publicKeys ?? [],
          validator: createValidator({ schemasDir: defaultSchemasDir() }),
          now: () => new Date(),
          crypto,
        });
        const draft = { type: 'withdrawal' as const, recipient: 'france-travail-paris', beneficiaryRef: '7503123456', body: { reason: 'DISPENSE', effectiveOn: '2026-12-10' } };
        const signerOf = async (outboxBody: string) =>
          (await openDelivered({ message: outboxBody, decryptionKey: recipient.privateKey, senderKeys: [trust.gateway.publicKey, rotated.toPublic()], maxDocumentBytes: 65_536 })).signerFingerprint;

        const first = await notices.compose(draft);
        current = rotated;
        const second = await notices.compose(draft);

        expect(first.outboxBody).to.match(/^-----BEGIN PGP MESSAGE-----/);
        expect(await signerOf(first.outboxBody!)).to.equal(trust.gateway.privateKey.getFingerprint());
        expect(await signerOf(second.outboxBody!)).to.equal(rotated.getFingerprint());
      } finally {
        await crypto.close();
      }
    });
  }
});
