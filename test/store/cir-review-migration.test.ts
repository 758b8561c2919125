/**
 * Migration 0006-cir-review-facts on a store written before it, on both engines: the facts already
 * there read back unchanged, and an end-of-CIR review accepted after it keeps its categories.
 */
import { expect } from 'chai';
import { factOf } from '../../src/stats/facts.js';
import { ENGINES, newMessage, withStoreMigratedBefore } from '../fixtures/store.js';

const REVIEW = '5e0c7a21-9b4d-4f3e-8a16-c2d9e7b1f034';
const review = newMessage({
  messageId: REVIEW,
  type: 'cir-review',
  recipient: 'france-travail-paris',
  facts: factOf(
    {
      header: { type: 'cir-review', sender: 'ofii-paris', recipient: 'france-travail-paris', sentAt: '2026-11-30T15:10:00Z' },
      body: {
        cir: { finalStatus: 'ACHEVE', endInterviewOn: '2026-11-30' },
        civicTraining: { status: 'TERMINEE', sessionsAttended: 4 },
        language: { prescribedCourse: 'A1_400H', levelReached: 'A2', certification: 'DELF_A2' },
        declaredSituation: 'EN_RECHERCHE',
        postCirOrientation: { decision: 'ORIENTATION', recipientType: 'FRANCE_TRAVAIL', pathway: 'EMPLOI' },
      },
    },
    '2026-12-01T09:00:00.000Z',
  ),
});

for (const engine of ENGINES) {
  describe(`store migration 0006-cir-review-facts (${engine})`, () => {
    it('upgrades a store written before it: its facts read back unchanged, and reviews are recorded after', async () => {
      await withStoreMigratedBefore(
        engine,
        '0006-cir-review-facts',
        async (db) => {
          await db
            .insertInto('stats_facts')
            .values({ message_id: 'o-1', month: '2026-11', type: 'orientation', sender: 'ofii-paris', recipient: 'mission-locale-paris', permit_family: 'PROTECTION_INTERNATIONALE', language_level: 'A1', sent_on: '2026-11-02' })
            .execute();
        },
        async (store) => {
          await store.accept(review);
          const facts = await store.statisticsFacts();
          expect(facts[0]).to.deep.include({ messageId: 'o-1', month: '2026-11', type: 'orientation', sender: 'ofii-paris', recipient: 'mission-locale-paris', permitFamily: 'PROTECTION_INTERNATIONALE', languageLevel: 'A1', sentOn: '2026-11-02' });
          for (const key of ['finalStatus', 'levelReached', 'certified', 'declaredSituation', 'postCirOrientation']) expect(facts[0]).not.to.have.property(key);
          expect(facts[1]).to.deep.include({ messageId: REVIEW, finalStatus: 'ACHEVE', levelReached: 'A2', certified: true, declaredSituation: 'EN_RECHERCHE', postCirOrientation: 'FRANCE_TRAVAIL' });
        },
      );
    });
  });
}
