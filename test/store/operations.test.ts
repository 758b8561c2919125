/**
 * The store contract, the operator's figures and the trace context of the outbox, on both engines:
 * the outbox depth and the acceptance time of its oldest row, the dead-lettered messages, and the W3C
 * Trace Context an accepted message carries from its acceptance to the relay (src/store/operations.ts,
 * migration 0003).
 */
import { expect } from 'chai';
import { forEachEngine, newMessage } from '../fixtures/store.js';

const FIRST = '8d4c2f9e-1b7a-4c3e-9f60-2a5b7d9e1c44';
const SECOND = '1f3a5c7e-9b2d-4f6a-8c0e-2d4f6a8c0e1f';
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

forEachEngine('store contract: the operator figures', (current) => {
  it('counts nothing on an empty store', async () => {
    expect(await current().store.operationalFigures()).to.deep.equal({ outboxDepth: 0, outboxOldestAcceptedAt: undefined, heldNotices: 0, deadLettered: 0, outstandingWithdrawalReceipts: 0 });
  });

  it('gives the outbox depth, the acceptance of its oldest row, and the dead letters as they change', async () => {
    const { store } = current();
    await store.accept(newMessage({ messageId: FIRST, acceptedAt: '2026-11-27T09:30:01.000Z' }));
    await store.accept(newMessage({ messageId: SECOND, acceptedAt: '2026-11-27T09:31:00.000Z', beneficiary: 'c'.repeat(64) }));
    expect(await store.operationalFigures()).to.deep.equal({ outboxDepth: 2, outboxOldestAcceptedAt: '2026-11-27T09:30:01.000Z', heldNotices: 0, deadLettered: 0, outstandingWithdrawalReceipts: 0 });

    await store.markQueued(FIRST, '2026-11-27T09:32:00.000Z');
    expect(await store.operationalFigures()).to.include({ outboxDepth: 1, outboxOldestAcceptedAt: '2026-11-27T09:31:00.000Z' });

    expect(await store.markDeadLettered(FIRST, '2026-11-27T10:00:00.000Z')).to.equal('marked');
    await store.markQueued(SECOND, '2026-11-27T09:33:00.000Z');
    expect(await store.operationalFigures()).to.deep.equal({ outboxDepth: 0, outboxOldestAcceptedAt: undefined, heldNotices: 0, deadLettered: 1, outstandingWithdrawalReceipts: 0 });
  });

  it('keeps the trace context of a message with its outbox row, and none for a message that came without', async () => {
    const { store } = current();
    await store.accept(newMessage({ messageId: FIRST, traceContext: { traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE' } }));
    await store.accept(newMessage({ messageId: SECOND, beneficiary: 'c'.repeat(64) }));
    const [first, second] = await store.pendingOutbox(10);
    expect(first?.traceContext).to.deep.equal({ traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE' });
    expect(second).to.not.have.property('traceContext');
  });
});
