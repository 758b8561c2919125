/**
 * The store contract, the auditor's filters and a message's history, on both engines: each filter
 * (period, event, partners named, message id, person) gives exactly the entries a filter over the whole log
 * would, in index order, within the range and the limit; a message's history holds its entries, the
 * erasure of its person's dossier after it, and the messages linked to it.
 */
import { expect } from 'chai';
import type { AuditEvent, AuditEventName } from '../../src/audit/entry.js';
import type { AuditFilter, Store, StoredAuditEntry } from '../../src/store/port.js';
import { forEachEngine, newMessage } from '../fixtures/store.js';

const PARTNERS = ['ofii-paris', 'france-travail-paris', 'mission-locale-paris'];
const EVENTS: AuditEventName[] = ['accepted', 'rejected', 'queued', 'acknowledged'];
const PEOPLE = ['a'.repeat(64), 'b'.repeat(64)];
const MESSAGES = ['0b7e6a52-1111-4aaa-8bbb-000000000001', '0b7e6a52-1111-4aaa-8bbb-000000000002'];

function event(i: number): AuditEvent {
  return {
    event: EVENTS[i % EVENTS.length]!,
    timestamp: new Date(Date.UTC(2026, 10, 27, 9, i, 0)).toISOString(),
    sender: PARTNERS[i % 3]!,
    ...(i % 2 === 0 ? { recipient: PARTNERS[(i + 1) % 3]! } : {}),
    ...(i % 5 < 2 ? { messageId: MESSAGES[i % 5]! } : {}),
    ...(i % 3 === 0 ? { beneficiary: PEOPLE[i % 2]! } : {}),
  };
}

/** The oracle: the filter applied to every entry, in JavaScript. */
function expected(all: StoredAuditEntry[], filter: AuditFilter, limit: number): StoredAuditEntry[] {
  return all
    .filter((row) => {
      const e = JSON.parse(row.entry) as AuditEvent & { index: number };
      return (
        e.index >= filter.start && e.index < filter.end &&
        (filter.events === undefined || filter.events.includes(e.event)) &&
        (filter.from === undefined || e.timestamp >= filter.from) &&
        (filter.to === undefined || e.timestamp < filter.to) &&
        (filter.messageId === undefined || e.messageId === filter.messageId) &&
        (filter.beneficiary === undefined || e.beneficiary === filter.beneficiary) &&
        (filter.naming ?? []).every((p) => e.sender === p || e.recipient === p)
      );
    })
    .slice(0, limit);
}

forEachEngine('store contract: the auditor\'s filters and a message\'s history', (current) => {
  let store: Store;
  beforeEach(() => {
    store = current().store;
  });

  it('gives, for each filter and their combinations, exactly the entries that pass them, in index order, within the range and the limit', async () => {
    for (let i = 0; i < 40; i++) await store.recordEvent(event(i));
    const all = await store.readAuditEntries(0, 40, 1000);
    const filters: AuditFilter[] = [
      { start: 0, end: 40 },
      { start: 5, end: 33 },
      { start: 0, end: 40, events: ['queued'] },
      { start: 0, end: 40, events: ['accepted', 'acknowledged'] },
      { start: 0, end: 40, from: '2026-11-27T09:10:00.000Z' },
      { start: 0, end: 40, from: '2026-11-27T09:10:00.000Z', to: '2026-11-27T09:20:00.000Z' },
      { start: 0, end: 40, messageId: MESSAGES[1]! },
      { start: 0, end: 40, naming: ['mission-locale-paris'] },
      { start: 0, end: 40, naming: ['ofii-paris', 'france-travail-paris'] },
      { start: 0, end: 40, naming: ['ofii-paris', 'ofii-paris'] },
      { start: 3, end: 38, naming: ['ofii-paris'], events: ['accepted', 'queued'], from: '2026-11-27T09:04:00.000Z', to: '2026-11-27T09:30:00.000Z' },
      { start: 0, end: 40, naming: ['nobody'] },
      { start: 0, end: 40, events: [] },
      { start: 0, end: 40, beneficiary: PEOPLE[0]! },
      { start: 2, end: 35, beneficiary: PEOPLE[1]!, events: ['accepted', 'queued'] },
      { start: 0, end: 40, beneficiary: 'c'.repeat(64) },
    ];
    for (const filter of filters) {
      for (const limit of [1000, 3]) {
        const want = expected(all, filter, limit);
        expect(await store.findAuditEntries(filter, limit), JSON.stringify({ filter, limit })).to.deep.equal(want);
      }
    }
    // Not a filter that passes everything by accident: most of them narrow the log.
    expect(expected(all, filters[10]!, 1000).length).to.be.within(1, 10);
  });

  it("holds a message's entries, the erasure of its person's dossier after it, and its answers; nothing of other messages or people", async () => {
    const orientation = newMessage({ messageId: '0b7e6a52-2222-4aaa-8bbb-000000000001' });
    const other = newMessage({ messageId: '0b7e6a52-2222-4aaa-8bbb-000000000002', beneficiary: 'c'.repeat(64) });
    // An erasure of the same pseudonym BEFORE the message is of an earlier dossier, not of this message's.
    await store.recordEvent({ event: 'erased', timestamp: '2026-11-27T09:00:00.000Z', beneficiary: orientation.beneficiary, code: 'retention', count: 0 });
    await store.accept(orientation);
    await store.accept(other);
    await store.markQueued(orientation.messageId, '2026-11-27T09:30:02.000Z');
    const answer = { sender: 'mission-locale-paris', recipient: 'ofii-paris', inReplyTo: orientation.messageId, outboxBody: 'answer' };
    const ack = newMessage({ ...answer, messageId: '0b7e6a52-2222-4aaa-8bbb-000000000003', type: 'acknowledgement', acceptedAt: '2026-11-27T09:31:00.000Z' });
    const update = newMessage({ ...answer, messageId: '0b7e6a52-2222-4aaa-8bbb-000000000004', type: 'status-update', acceptedAt: '2026-11-27T09:32:00.000Z' });
    await store.accept(ack);
    await store.accept(update);
    await store.recordEvent({ event: 'erased', timestamp: '2026-11-27T10:00:00.000Z', beneficiary: other.beneficiary, code: 'opt-out', count: 1 });
    await store.recordEvent({ event: 'erased', timestamp: '2026-11-27T10:01:00.000Z', beneficiary: orientation.beneficiary, code: 'opt-out', count: 3 });

    const history = (await store.messageHistory(orientation.messageId))!;
    expect(history.message).to.include({ messageId: orientation.messageId, status: 'acknowledged' });
    const steps = history.entries.map((e) => JSON.parse(e.entry) as AuditEvent & { index: number });
    expect(steps.map((s) => s.event)).to.deep.equal(['accepted', 'queued', 'acknowledged', 'erased']);
    expect(steps.map((s) => s.index)).to.deep.equal([...steps.map((s) => s.index)].sort((a, b) => a - b));
    expect(steps[3]).to.include({ code: 'opt-out', count: 3 });
    const all = await store.readAuditEntries(0, 100, 100);
    for (const step of history.entries) expect(all).to.deep.include(step);
    expect(history.related.map((r) => r.messageId)).to.deep.equal([ack.messageId, update.messageId]);

    // From the answer's side: the message it answers is related; the answer was kept in the same
    // person's dossier, so the erasure is a step of it too.
    const fromAck = (await store.messageHistory(ack.messageId))!;
    expect(fromAck.related.map((r) => r.messageId)).to.deep.equal([orientation.messageId]);
    expect(fromAck.entries.map((e) => (JSON.parse(e.entry) as AuditEvent).event)).to.deep.equal(['accepted', 'erased']);
    expect(await store.messageHistory('0b7e6a52-2222-4aaa-8bbb-00000000ffff')).to.equal(undefined);
  });
});
