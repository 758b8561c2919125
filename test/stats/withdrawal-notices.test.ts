/**
 * The committee's table of withdrawal notices (src/stats/report.ts): by recipient and by month, each
 * notice counted once with how its recipient answered (EFFECTUE, REFUSE_MOTIF_LEGAL, EN_ATTENTE), a
 * receipt that named a reminder counted on its original notice, under the same disclosure control as
 * every other table.
 */
import { expect } from 'chai';
import type { StoredFact } from '../../src/stats/facts.js';
import { buildStatistics, type StatisticsReport } from '../../src/stats/report.js';

const OPTIONS = { generatedAt: '2026-12-27T12:00:00.000Z', recipients: ['france-travail-paris', 'cap-emploi-75'], messageTypes: ['orientation', 'opt-out', 'execution-receipt'] };

class Facts {
  readonly list: StoredFact[] = [];
  private seq = 0;

  notices(n: number, recipient: string, month = '2026-11'): string[] {
    return Array.from({ length: n }, () => {
      const messageId = `w-${this.seq}`;
      this.list.push({ seq: this.seq++, messageId, month, type: 'withdrawal', sender: 'passerelle', recipient, answers: 'opt-out-id' });
      return messageId;
    });
  }

  receipts(notices: string[], status: string, recipient: string): void {
    for (const answers of notices) this.list.push({ seq: this.seq, messageId: `r-${this.seq++}`, month: '2026-12', type: 'execution-receipt', sender: recipient, recipient: 'passerelle', answers, acknowledgementStatus: status });
  }
}

function count(report: StatisticsReport, name: string, row: string, column: string): number | null {
  const found = report.tables.find((t) => t.name === name)!.cells.find((c) => c.row === row && c.column === column);
  if (!found) throw new Error(`${name} has no cell ${row} × ${column}`);
  return found.count;
}

describe('stats: withdrawal notices by execution', () => {
  it('counts each notice once with the status of the receipt that answered it, EN_ATTENTE otherwise', () => {
    const facts = new Facts();
    const franceTravail = facts.notices(44, 'france-travail-paris');
    facts.receipts(franceTravail.slice(0, 20), 'EFFECTUE', 'france-travail-paris');
    facts.receipts(franceTravail.slice(20, 32), 'REFUSE_MOTIF_LEGAL', 'france-travail-paris');
    const capEmploi = facts.notices(24, 'cap-emploi-75', '2026-12');
    facts.receipts(capEmploi.slice(0, 12), 'EFFECTUE', 'cap-emploi-75');
    const report = buildStatistics(facts.list, OPTIONS);

    const byRecipient = 'withdrawal-notices-by-recipient-and-execution';
    expect(count(report, byRecipient, 'france-travail-paris', 'EFFECTUE')).to.equal(20);
    expect(count(report, byRecipient, 'france-travail-paris', 'REFUSE_MOTIF_LEGAL')).to.equal(12);
    expect(count(report, byRecipient, 'france-travail-paris', 'EN_ATTENTE')).to.equal(12);
    expect(count(report, byRecipient, 'cap-emploi-75', 'EN_ATTENTE')).to.equal(12);
    expect(count(report, byRecipient, 'TOTAL', 'TOTAL')).to.equal(68);
    const byMonth = 'withdrawal-notices-by-month-and-execution';
    expect(count(report, byMonth, '2026-11', 'TOTAL')).to.equal(44);
    expect(count(report, byMonth, '2026-12', 'EFFECTUE')).to.equal(12);
    // The notices are gateway messages: the messages table counts them under their own type, the receipts under theirs.
    expect(count(report, 'messages-by-month-and-type', '2026-11', 'withdrawal')).to.equal(44);
    expect(count(report, 'messages-by-month-and-type', '2026-12', 'execution-receipt')).to.equal(44);
  });

  it('withholds a small count and enough others that it cannot be worked out from the margins', () => {
    const facts = new Facts();
    const notices = facts.notices(30, 'france-travail-paris');
    facts.receipts(notices.slice(0, 27), 'EFFECTUE', 'france-travail-paris');
    facts.receipts(notices.slice(27, 30), 'REFUSE_MOTIF_LEGAL', 'france-travail-paris');
    const report = buildStatistics(facts.list, OPTIONS);
    const name = 'withdrawal-notices-by-recipient-and-execution';
    expect(count(report, name, 'france-travail-paris', 'REFUSE_MOTIF_LEGAL')).to.equal(null);
    // 30 = 27 + 3 + 0: with the total and the zero published, EFFECTUE would give the 3 away.
    expect(count(report, name, 'france-travail-paris', 'EFFECTUE')).to.equal(null);
  });
});
