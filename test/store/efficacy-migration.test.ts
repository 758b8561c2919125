/**
 * Migration 0010-efficacy-facts on a store written before it, on both engines: the facts already there
 * get what can be known without the documents (an orientation is its own cohort, an answer to an
 * orientation joins it), and nothing else.
 */
import { expect } from 'chai';
import { ENGINES, withStoreMigratedBefore } from '../fixtures/store.js';

for (const engine of ENGINES) {
  describe(`store migration 0010-efficacy-facts (${engine})`, () => {
    it('fills the cohort of the facts written before it from what they say, and leaves the new categories empty', async () => {
      const fact = (messageId: string, type: string, answers: string | null, days: number | null = null) => ({ message_id: messageId, month: '2026-11', type, sender: 'x', recipient: 'y', answers, days_from_orientation: days });
      await withStoreMigratedBefore(
        engine,
        '0010-efficacy-facts',
        async (db) => {
          await db.insertInto('stats_facts').values([fact('o-1', 'orientation', null), fact('a-1', 'acknowledgement', 'o-1'), fact('s-1', 'status-update', 'o-1', 12), fact('r-1', 'referral', null), fact('s-2', 'status-update', 'r-1')]).execute();
        },
        async (store) => {
          const facts = new Map((await store.statisticsFacts()).map((f) => [f.messageId, f]));
          expect(facts.get('o-1')).to.include({ cohort: 'o-1' });
          expect(facts.get('a-1')).to.include({ cohort: 'o-1' });
          expect(facts.get('s-1')).to.include({ cohort: 'o-1', daysFromOrientation: 12 });
          // A referral and an answer to it name no orientation: no cohort can be known without the person.
          expect(facts.get('r-1')).not.to.have.property('cohort');
          expect(facts.get('s-2')).not.to.have.property('cohort');
          for (const f of facts.values()) for (const key of ['sex', 'ageBand', 'pathway', 'contractKind']) expect(f, `${f.messageId} ${key}`).not.to.have.property(key);
        },
      );
    });
  });
}
