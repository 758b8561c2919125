/**
 * Nothing is refused after it was accepted (issue 12, item 4). Once the store committed a message, the
 * relay delivers it whatever its answer says; an answer that then says "refused" or "nothing was
 * accepted" would be false, and the partner's retry would be told 409 or deliver it twice.
 *
 * Real components on the whole path: the example trust directory, OpenPGP sealing by the partner and
 * opening by the gateway, the schema validator, the dossier services, the SQLite store. The faults are
 * injected where they happen: the crypto service's receipt signature (a gateway key that cannot sign,
 * e.g. expired) and the kernel's fsync of the store's journal.
 */
import fs from 'node:fs';
import { expect } from 'chai';
import { createDossierServices } from '../../src/app/dossier-services.js';
import { Ingest } from '../../src/app/ingest.js';
import type { AcceptedAnswer } from '../../src/crypto/receipt.js';
import { INLINE_CRYPTO, type GatewayCrypto } from '../../src/crypto/service.js';
import { GatewayError } from '../../src/domain/errors.js';
import { createValidator, defaultSchemasDir } from '../../src/schema/validator.js';
import type { GatewayStore } from '../../src/store/gateway-store.js';
import { openSqliteStore } from '../../src/store/open.js';
import { loadTrustStore } from '../../src/trust/trust-store.js';
import { capturingLogger, EXAMPLE_CERTS, testSettings } from '../fixtures/gateway.js';
import { bytesOf, example, seal } from '../fixtures/partner.js';

describe('security: nothing is refused after it was accepted', function () {
  this.timeout(30_000);
  let store: GatewayStore;
  let dataDir: string;
  let receiptFault: GatewayError | undefined;
  let logLines: Array<Record<string, unknown>>;
  const realFsync = fs.fsync;

  async function ingestOn(current: GatewayStore): Promise<Ingest> {
    const settings = testSettings({ PASSERELLE_DATA_DIR: dataDir });
    const trust = await loadTrustStore({ dir: EXAMPLE_CERTS });
    const validator = createValidator({ schemasDir: defaultSchemasDir() });
    const crypto: GatewayCrypto = {
      ...INLINE_CRYPTO,
      signReceipt: async (answer: AcceptedAnswer, key) => {
        if (receiptFault !== undefined) throw receiptFault;
        return INLINE_CRYPTO.signReceipt(answer, key);
      },
    };
    const personal = createDossierServices({ settings, trust, store: current, validator, now: () => new Date() });
    return new Ingest({
      trust,
      validator,
      store: current,
      pseudonymise: personal.pseudonymise,
      dossiers: personal.dossiers,
      freshness: { maxFutureSeconds: settings.maxFutureSeconds, maxAgeSeconds: settings.maxAgeSeconds },
      maxDocumentBytes: settings.maxDocumentBytes,
      now: () => new Date(),
      crypto,
      logger: capturingLogger(logLines),
    });
  }

  beforeEach(async () => {
    dataDir = fs.mkdtempSync('/tmp/passerelle-after-accept-');
    store = await openSqliteStore({ dataDir });
    receiptFault = undefined;
    logLines = [];
  });
  afterEach(async () => {
    fs.fsync = realFsync;
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const events = async () => (await store.readAuditEntries(0, 100, 100)).map((e) => JSON.parse(e.entry) as { event: string; messageId?: string });

  it('a receipt the gateway key cannot sign after the commit: 202 without a receipt, no rejection, delivered; the retry gets the receipt', async () => {
    const ingest = await ingestOn(store);
    const partner = (await loadTrustStore({ dir: EXAMPLE_CERTS })).registry.get('ofii-paris')!;
    const document = example('orientation');
    const sealed = bytesOf(await seal('ofii-paris', document));
    // What the crypto service answers when the gateway's signing key expired (src/crypto/failures.ts).
    receiptFault = new GatewayError('config_invalid', 'The gateway signing key expired on 2026-12-01: it cannot sign.');

    const first = await ingest.submit(partner, sealed);
    expect(first.status).to.equal(202);
    expect(first.answer).to.not.have.property('receipt');
    expect(first.answer).to.include({ messageId: document['header']['messageId'], status: 'accepted' });
    expect((await events()).map((e) => e.event), 'accepted, and no rejection after it').to.deep.equal(['accepted']);
    expect((await store.pendingOutbox(10)).map((e) => e.messageId), 'the relay delivers it').to.deep.equal([document['header']['messageId']]);
    expect(logLines.find((line) => line['message'] === 'receipt not signed')).to.include({ code: 'config_invalid', messageId: document['header']['messageId'] });

    receiptFault = undefined;
    const retry = await ingest.submit(partner, sealed);
    expect(retry.status).to.equal(200);
    expect(retry.answer.receipt).to.be.a('string').and.include('BEGIN PGP SIGNATURE');
    expect(retry.answer).to.include({ auditIndex: first.answer.auditIndex });
  });

  it('a journal sync that fails after the commit: outcome_unknown, not "nothing was accepted"; the retry after the restart says which', async () => {
    const ingest = await ingestOn(store);
    const partner = (await loadTrustStore({ dir: EXAMPLE_CERTS })).registry.get('ofii-paris')!;
    const document = example('orientation');
    const sealed = bytesOf(await seal('ofii-paris', document));
    fs.fsync = ((_fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
      callback(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    }) as typeof fs.fsync;

    let refusal: unknown;
    try {
      await ingest.submit(partner, sealed);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).to.be.instanceOf(GatewayError).with.property('code', 'outcome_unknown');
    expect((refusal as GatewayError).status).to.equal(500);
    // The store takes no more writes, so that nothing else is answered "accepted" on a journal that lost pages.
    const next = await ingest.submit(partner, bytesOf(await seal('ofii-paris', example('orientation')))).catch((err: unknown) => err);
    expect(next).to.be.instanceOf(GatewayError).with.property('code', 'unavailable');
    expect((next as GatewayError).message).to.include('restart the gateway');

    // The operator restarts: the journal is recovered from what reached the disk (here, all of it).
    fs.fsync = realFsync;
    await store.close().catch(() => undefined);
    store = await openSqliteStore({ dataDir });
    const retry = await (await ingestOn(store)).submit(partner, sealed);
    expect(retry.status, 'it was stored: the retry says so').to.equal(200);
    expect((await events()).filter((e) => e.event === 'rejected'), 'never recorded as a refusal').to.deep.equal([]);
  });
});
