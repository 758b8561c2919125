import { expect } from 'chai';
import * as openpgp from 'openpgp';
import type { PrivateKey } from 'openpgp';
import { GatewayNotices } from '../../src/app/gateway-notices.js';
import { openDelivered } from '../../src/crypto/openpgp.js';
import { createValidator, defaultSchemasDir } from '../../src/schema/validator.js';
import { loadPartnerCredentials, loadTrustStore } from '../../src/trust/trust-store.js';
import { EXAMPLE_CERTS } from '../fixtures/gateway.js';

describe('app/gateway notices', function () {
  this.timeout(30_000);

  it('signs each notice with the key current when it is composed, so a gateway key rotated while running signs at once', async () => {
    const trust = await loadTrustStore({ dir: EXAMPLE_CERTS });
    const recipient = await loadPartnerCredentials({ dir: EXAMPLE_CERTS, id: 'france-travail-paris' });
    const { privateKey: rotated } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'Passerelle gateway (rotated)' }], format: 'object' });
    let current: PrivateKey = trust.gateway.privateKey;
    const notices = new GatewayNotices({
      signingKey: () => current,
      recipientKeys: (id) => trust.partner(id)?.publicKeys ?? [],
      validator: createValidator({ schemasDir: defaultSchemasDir() }),
      now: () => new Date(),
    });
    const draft = { type: 'withdrawal' as const, recipient: 'france-travail-paris', beneficiaryRef: '7503123456', body: { reason: 'DISPENSE', effectiveOn: '2026-12-10' } };
    const signerOf = async (outboxBody: string) =>
      (await openDelivered({ message: outboxBody, decryptionKey: recipient.privateKey, senderKeys: [trust.gateway.publicKey, rotated.toPublic()], maxDocumentBytes: 65_536 })).signerFingerprint;

    const first = await notices.compose(draft);
    current = rotated;
    const second = await notices.compose(draft);

    expect(await signerOf(first.outboxBody)).to.equal(trust.gateway.privateKey.getFingerprint());
    expect(await signerOf(second.outboxBody)).to.equal(rotated.getFingerprint());
  });
});
