/**
 * Once the store committed a message, the message is accepted: a fault after the commit (the receipt
 * cannot be kept, e.g. the disk filled up in between) must not turn the answer into 503, whose
 * contract is "nothing was accepted". The relay delivers the message whatever the answer said.
 */
import { expect } from 'chai';
import { verifyReceipt } from '../../src/crypto/receipt.js';
import { GatewayError } from '../../src/domain/errors.js';
import { eventually, startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { example, partner, post, seal } from '../fixtures/partner.js';

describe('@integration ingest: a store fault after the commit', function () {
  this.timeout(30_000);
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => gw?.dispose());

  it('still answers 202 with a valid receipt when the receipt cannot be stored, and a retry gets 200 with a valid receipt', async () => {
    const saveReceipt = gw.store.saveReceipt;
    // The fault the SQLite store raises when its disk is full (SQLITE_FULL) or read-only.
    Object.assign(gw.store, {
      saveReceipt: async () => {
        throw new GatewayError('unavailable', 'The gateway cannot store messages right now; nothing was accepted. Retry later.');
      },
    });
    const document = example('orientation');
    const sealed = await seal('ofii-paris', document);
    const view = await partner('ofii-paris');
    let first;
    try {
      first = await post(gw.baseUrl, 'ofii-paris', sealed);
    } finally {
      Object.assign(gw.store, { saveReceipt });
    }
    expect(first.status, JSON.stringify(first.body)).to.equal(202);
    const messageId = document['header']['messageId'] as string;
    await verifyReceipt(first.body as never, view.gatewayKeys);
    expect((await gw.store.findMessage(messageId))?.receipt, 'receipt kept').to.equal(undefined);
    await eventually(async () => ((await gw.store.findMessage(messageId))?.status === 'queued' ? true : undefined));

    const retry = await post(gw.baseUrl, 'ofii-paris', sealed);
    expect(retry.status).to.equal(200);
    await verifyReceipt(retry.body as never, view.gatewayKeys);
    expect((retry.body as { auditIndex: number }).auditIndex).to.equal((first.body as { auditIndex: number }).auditIndex);
  });
});
