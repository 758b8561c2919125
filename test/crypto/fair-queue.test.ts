import { expect } from 'chai';
import { FairQueue } from '../../src/crypto/fair-queue.js';

function served<T>(queue: FairQueue<T>): T[] {
  return queue.drain();
}

describe('crypto fair queue (the per-partner share of the crypto pool)', () => {
  it('serves the partners in turn, each one first come first served', () => {
    const queue = new FairQueue<string>();
    for (let i = 1; i <= 4; i++) queue.push('ofii', `ofii-${i}`);
    queue.push('france-travail', 'ft-1');
    queue.push('mission-locale', 'ml-1');
    queue.push('france-travail', 'ft-2');
    expect(queue.size).to.equal(7);
    expect(queue.sizeOf('ofii')).to.equal(4);
    expect(served(queue)).to.deep.equal(['ofii-1', 'ft-1', 'ml-1', 'ofii-2', 'ft-2', 'ofii-3', 'ofii-4']);
    expect(queue.size).to.equal(0);
  });

  it("puts a newcomer's first item within one turn of the head, however long another partner's lane", () => {
    const queue = new FairQueue<string>();
    for (let i = 0; i < 10_000; i++) queue.push('flood', `flood-${i}`);
    queue.shift();
    queue.push('other', 'other-1');
    // The flooding partner had its turn just before: the other partner's message is served next, or
    // right after one more of the flood's (the position depends only on whose turn it is).
    const position = served(queue).indexOf('other-1');
    expect(position).to.be.at.most(1);
  });

  it('gives back an item pushed to the front at once, ahead of every other lane', () => {
    const queue = new FairQueue<string>();
    queue.push('a', 'a-1');
    queue.push('b', 'b-1');
    queue.push('b', 'b-2');
    queue.unshift('b', 'b-0');
    expect(served(queue)).to.deep.equal(['b-0', 'a-1', 'b-1', 'b-2']);
    queue.unshift('c', 'c-0');
    expect(queue.sizeOf('c')).to.equal(1);
    expect(served(queue)).to.deep.equal(['c-0']);
  });

  it('forgets an emptied lane, which joins the end of the turns when it comes back', () => {
    const queue = new FairQueue<string>();
    queue.push('a', 'a-1');
    queue.push('b', 'b-1');
    expect(queue.shift()).to.equal('a-1');
    expect(queue.sizeOf('a')).to.equal(0);
    queue.push('c', 'c-1');
    queue.push('a', 'a-2');
    expect(served(queue)).to.deep.equal(['b-1', 'c-1', 'a-2']);
    expect(queue.shift()).to.equal(undefined);
  });
});
