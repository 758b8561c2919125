import { expect } from 'chai';
import { assertReceiptAnswersWithdrawal } from '../../src/domain/execution-receipts.js';
import { GatewayError } from '../../src/domain/errors.js';

const notice = { type: 'withdrawal', sender: 'passerelle', recipient: 'france-travail-paris' };
const outstanding = { answeredAt: undefined };

function refusal(opts: Parameters<typeof assertReceiptAnswersWithdrawal>[0]): GatewayError | undefined {
  try {
    assertReceiptAnswersWithdrawal(opts);
    return undefined;
  } catch (err) {
    expect(err).to.be.instanceOf(GatewayError).with.property('rule', 'receipt-answers-withdrawal');
    return err as GatewayError;
  }
}

describe('domain/execution-receipts: a receipt answers a withdrawal notice sent to its sender, once', () => {
  it("accepts the recipient's first receipt", () => {
    expect(refusal({ sender: 'france-travail-paris', notice, state: outstanding })).to.equal(undefined);
  });

  it('refuses an unknown notice, a message that is no withdrawal notice, and another agency\'s notice with one message', () => {
    const unknown = refusal({ sender: 'cap-emploi-75', notice: undefined, state: undefined })!.message;
    expect(refusal({ sender: 'cap-emploi-75', notice, state: outstanding })!.message).to.equal(unknown);
    expect(refusal({ sender: 'france-travail-paris', notice: { ...notice, type: 'dossier' }, state: outstanding })!.message).to.equal(unknown);
    expect(refusal({ sender: 'france-travail-paris', notice: { ...notice, sender: 'ofii-paris' }, state: outstanding })!.message).to.equal(unknown);
    // A withdrawal message without a row (one sent before the receipts existed) cannot be answered either.
    expect(refusal({ sender: 'france-travail-paris', notice, state: undefined })!.message).to.equal(unknown);
  });

  it('refuses a second receipt, saying when the first came and that the same message may be sent again', () => {
    const message = refusal({ sender: 'france-travail-paris', notice, state: { answeredAt: '2026-12-05T10:00:00.000Z' } })!.message;
    expect(message).to.include('already answered').and.include('2026-12-05T10:00:00.000Z').and.include('same messageId');
  });
});
