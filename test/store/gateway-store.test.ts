/**
 * What the store port costs in SQL statements on the path every message takes, on both engines: the
 * reads before the acceptance (src/app/ingest.ts, src/app/dossiers.ts, the pseudonymiser), the
 * acceptance transaction, the receipt and the relay's markQueued. Each statement is main-thread time
 * with SQLite and a round trip with PostgreSQL, for every message: a statement added here must be a
 * decision, so the budgets below fail when one comes in unnoticed.
 *
 * The statements are counted by an engine that wraps the real one and sees every statement the
 * business code yields (src/store/transaction.ts).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createLookupKey, createPseudonymiser } from '../../src/privacy/pseudonym.js';
import type { Engine, ReadOptions, WriteOptions } from '../../src/store/engine.js';
import { GatewayStore } from '../../src/store/gateway-store.js';
import type { StatementResult, Tx } from '../../src/store/transaction.js';
import { forEachEngine, newMessage } from '../fixtures/store.js';

/** The real engine, with every statement of its transactions written down. */
class CountingEngine implements Engine {
  readonly statements: string[] = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly inner: Engine) {}

  get dialect() {
    return this.inner.dialect;
  }

  get sql() {
    return this.inner.sql;
  }

  private *counted<T>(tx: Tx<T>): Tx<T> {
    let step = tx.next();
    while (!step.done) {
      this.statements.push(step.value.sql);
      let result: StatementResult;
      try {
        result = yield step.value;
      } catch (err) {
        step = tx.throw(err);
        continue;
      }
      step = tx.next(result);
    }
    return step.value;
  }

  write<T>(work: () => Tx<T>, options?: WriteOptions): Promise<T> {
    const written = this.inner.write(() => this.counted(work()), options);
    // A write nobody awaits (a receipt) is counted with the operation that asked for it.
    const pending = written.then(() => undefined, () => undefined);
    this.pending.add(pending);
    void pending.then(() => this.pending.delete(pending));
    return written;
  }

  read<T>(work: () => Tx<T>, options?: ReadOptions): Promise<T> {
    return this.inner.read(() => this.counted(work()), options);
  }

  settle = () => this.inner.settle();
  claimOutbox = (limit: number) => this.inner.claimOutbox(limit);
  /** The temporary store closes the inner engine. */
  close = async () => undefined;

  /** The statements `work` ran. */
  async during(work: () => Promise<unknown>): Promise<string[]> {
    await this.inner.settle();
    const before = this.statements.length;
    await work();
    await Promise.all([...this.pending]);
    await this.inner.settle();
    return this.statements.slice(before);
  }
}

forEachEngine('store: statements per message', (current) => {
  let engine: CountingEngine;
  let store: GatewayStore;
  const lookupKey = createLookupKey(randomBytes(32));
  // A secret rotated once: the pseudonymiser looks for the person under the older lookups too.
  const pseudonymise = () => createPseudonymiser({ lookup: lookupKey, subjects: store, now: () => new Date(), previous: { lookups: (ref) => [createLookupKey(randomBytes(32))(ref), `old:${ref}`], rekey: (lookup, older) => store.rekeyLookups(lookup, older) } });

  beforeEach(function () {
    // These count the statements GatewayStore gives an engine, which the store's thread runs unseen.
    const opened = current().store;
    if (!(opened instanceof GatewayStore)) this.skip();
    engine = new CountingEngine(opened.engine);
    store = new GatewayStore(engine, current().dir);
  });

  /** What ingest asks the store for a new orientation, in its order, then the receipt and the relay's confirm. */
  async function ingestOrientation(ref: string): Promise<Record<string, string[]>> {
    const messageId = randomUUID();
    const lookup = lookupKey(ref);
    let beneficiary = '';
    const costs: Record<string, string[]> = {};
    costs['findMessage'] = await engine.during(() => store.findMessage(messageId));
    costs['pseudonymise'] = await engine.during(async () => (beneficiary = await pseudonymise()(ref)));
    costs['isOptedOut'] = await engine.during(() => store.isOptedOut(lookup));
    costs['accept'] = await engine.during(async () => {
      const outcome = await store.accept({
        ...newMessage({ messageId, beneficiary, acceptedAt: new Date().toISOString() }),
        dossier: { lookup, signedMessage: randomBytes(64), follow: { starts: 'mission-locale-paris', takenInCharge: false }, notices: [], identityKeys: [`k:${randomUUID()}`] },
        facts: { month: '2026-12', type: 'orientation', sender: 'ofii-paris', recipient: 'mission-locale-paris', sentOn: '2026-12-01' },
      });
      expect(outcome.kind).to.equal('accepted');
    });
    costs['saveReceipt'] = await engine.during(() => store.saveReceipt(messageId, 'receipt'));
    costs['markQueued'] = await engine.during(() => store.markQueued(messageId, new Date().toISOString()));
    return costs;
  }

  it("reads, accepts and queues a new person's orientation in at most 31 statements", async () => {
    await ingestOrientation('7503000001');
    // The second message of a store: its two audit entries (indexes 2 and 3) complete two subtrees of
    // the log's tree, as two entries do on average.
    const costs = await ingestOrientation('7503000002');
    const budgets = { findMessage: 1, pseudonymise: 3, isOptedOut: 1, accept: 16, saveReceipt: 1, markQueued: 9 };
    for (const [name, budget] of Object.entries(budgets)) expect(costs[name], `${name}: ${costs[name]!.join('\n')}`).to.have.length.at.most(budget);
    expect(Object.values(costs).flat()).to.have.length.at.most(31);
  });

  it('finds a known person in two statements, one for any row under an older lookup and one for the subject', async () => {
    await pseudonymise()('7503000003');
    expect(await engine.during(() => pseudonymise()('7503000003'))).to.have.length(2);
  });

  it("looks up no cohort for an orientation's fact (it is its own), and the latest orientation once for an answer's", async () => {
    const costs = await ingestOrientation('7503000004');
    const cohortLookups = (statements: string[]) => statements.filter((s) => /from "messages" where "beneficiary"/.test(s));
    expect(cohortLookups(costs['accept']!)).to.have.length(0);
    const [orientation] = await store.statisticsFacts();
    const { beneficiary } = (await store.findMessage(orientation!.messageId))!;
    const answer = newMessage({ messageId: randomUUID(), type: 'status-update', sender: 'mission-locale-paris', recipient: 'ofii-paris', inReplyTo: orientation!.messageId, beneficiary, acceptedAt: new Date().toISOString() });
    const facts = { month: '2026-12', type: 'status-update', sender: 'mission-locale-paris', recipient: 'ofii-paris', answers: orientation!.messageId, effectiveOn: '2026-12-05' };
    expect(cohortLookups(await engine.during(() => store.accept({ ...answer, facts })))).to.have.length(1);
    expect((await store.statisticsFacts()).map((f) => [f.type, f.cohort, f.daysFromOrientation])).to.deep.equal([
      ['orientation', orientation!.messageId, undefined],
      ['status-update', orientation!.messageId, 4],
    ]);
  });
});
