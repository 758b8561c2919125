/**
 * Amplification through padding and dossiers (issue 12, item 2): what one authenticated agency can
 * make the gateway store, re-encrypt and later disclose is bounded, per request and per person, and
 * nothing the broker would refuse enters the outbox.
 *
 * The padding attack runs through a real gateway (mutual TLS, OpenPGP, the store); the bounds per
 * person are the store's, checked on both engines inside the acceptance transaction.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { ANSWERS_RULE, DOSSIER_CAPACITY_RULE, DOSSIER_MAX_BYTES, MAX_ANSWERS_PER_MESSAGE, OUTBOX_MAX_BODY_BYTES } from '../../src/domain/dossier-limits.js';
import { GatewayError } from '../../src/domain/errors.js';
import { createLookupKey, createPseudonymiser } from '../../src/privacy/pseudonym.js';
import type { NewMessage } from '../../src/store/port.js';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { example, post, seal } from '../fixtures/partner.js';
import { forEachEngine, newMessage, thrownBy } from '../fixtures/store.js';

describe('security: a status update padded with whitespace to stored megabytes', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => gw?.dispose());

  it('is refused before anything is stored: the document limit is the schemas\' largest document, not megabytes', async () => {
    const document = example('orientation');
    // Valid JSON, a valid orientation: only insignificant whitespace, which compresses to almost nothing.
    const padded = JSON.stringify(document).replace('{', `{${' '.repeat(gw.settings.maxDocumentBytes)}`);
    const size = await gw.store.auditSize();
    const answer = await post(gw.baseUrl, 'ofii-paris', await seal('ofii-paris', padded));
    expect(answer.status, JSON.stringify(answer.body)).to.be.oneOf([400, 413]);
    expect(JSON.stringify(answer.body)).to.include(`${gw.settings.maxDocumentBytes} bytes`);
    expect(await gw.store.findMessage(document['header']['messageId'] as string)).to.equal(undefined);
    expect(await gw.store.outboxDepth()).to.equal(0);
    // The refusal is audited, nothing else: one entry.
    expect(await gw.store.auditSize()).to.equal(size + 1);
    expect(gw.settings.maxDocumentBytes).to.be.at.most(64 * 1024);
  });
});

forEachEngine('security: filling one person\'s dossier', (current) => {
  let lookup: string;
  let beneficiary: string;
  const about = (overrides: Partial<NewMessage>, signedMessage: Uint8Array): NewMessage => ({
    ...newMessage({ messageId: randomUUID(), recipient: 'mission-locale-paris', beneficiary, acceptedAt: new Date().toISOString(), ...overrides }),
    dossier: { lookup, signedMessage, follow: { takenInCharge: false }, notices: [] },
  });

  beforeEach(async () => {
    const lookupKey = createLookupKey(randomBytes(32));
    lookup = lookupKey('7503123456');
    beneficiary = await createPseudonymiser({ lookup: lookupKey, subjects: current().store, now: () => new Date() })('7503123456');
  });

  it('stops at the bytes a person\'s dossier may hold, refusing the next document whole', async () => {
    const { store } = current();
    const documentBytes = 60 * 1024;
    const fits = Math.floor(DOSSIER_MAX_BYTES / (documentBytes + 28));
    for (let i = 0; i < fits; i++) expect((await store.accept(about({}, randomBytes(documentBytes)))).kind).to.equal('accepted');
    const size = await store.auditSize();
    const refusal = await thrownBy(() => store.accept(about({}, randomBytes(documentBytes))));
    expect(refusal).to.be.instanceOf(GatewayError).with.property('rule', DOSSIER_CAPACITY_RULE);
    expect(await store.auditSize(), 'nothing of the refused message').to.equal(size);
    expect(await store.readDossier(beneficiary)).to.have.length(fits);
  });

  it('stops at the answers one message may get', async () => {
    const { store } = current();
    const orientation = newMessage({ messageId: randomUUID(), beneficiary });
    await store.accept(orientation);
    const answer = () => newMessage({ messageId: randomUUID(), type: 'status-update', sender: 'mission-locale-paris', recipient: 'ofii-paris', inReplyTo: orientation.messageId, beneficiary });
    for (let i = 0; i < MAX_ANSWERS_PER_MESSAGE; i++) expect((await store.accept(answer())).kind).to.equal('accepted');
    const refusal = await thrownBy(() => store.accept(answer()));
    expect(refusal).to.be.instanceOf(GatewayError).with.property('rule', ANSWERS_RULE);
  });

  it('refuses at the door a message the broker would refuse, instead of leaving it in the outbox forever', async () => {
    const { store } = current();
    const huge = newMessage({ messageId: randomUUID(), beneficiary, outboxBody: 'A'.repeat(OUTBOX_MAX_BODY_BYTES + 1) });
    const refusal = await thrownBy(() => store.accept(huge));
    expect(refusal).to.be.instanceOf(GatewayError).with.property('code', 'payload_too_large');
    expect(await store.outboxDepth()).to.equal(0);
    expect(await store.findMessage(huge.messageId)).to.equal(undefined);
  });
});
