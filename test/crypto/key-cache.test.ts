import { expect } from 'chai';
import { KEY_CACHE_LIMIT, KeyCache } from '../../src/crypto/key-cache.js';

describe('crypto key cache', () => {
  it('keeps at most its limit of keys, the least recently used going first', () => {
    const cache = new KeyCache<string>(2);
    cache.add('a', 'key a');
    cache.add('b', 'key b');
    expect(cache.use('a')).to.equal('key a');
    cache.add('c', 'key c');
    expect(cache.size).to.equal(2);
    expect(cache.use('b')).to.equal(undefined);
    expect(cache.use('a')).to.equal('key a');
    expect(cache.use('c')).to.equal('key c');
  });

  it('evicts the same keys on both sides of the pool when both touch them in the same order', () => {
    const worker = new KeyCache<Promise<string>>(3);
    const pool = new KeyCache<true>(3);
    const tasks = [['g', 'a'], ['g', 'b', 'a'], ['g', 'c', 'd'], ['a', 'g'], ['e', 'e', 'b']];
    for (const keys of tasks) {
      for (const hash of keys) {
        if (pool.use(hash) === undefined) pool.add(hash, true);
        if (worker.use(hash) === undefined) worker.add(hash, Promise.resolve(hash));
      }
    }
    for (const hash of ['a', 'b', 'c', 'd', 'e', 'g']) expect(worker.use(hash) !== undefined, hash).to.equal(pool.use(hash) !== undefined);
  });

  it('forgets a key only if it is still the entry given', () => {
    const cache = new KeyCache<string>();
    cache.add('a', 'first');
    cache.forget('a', 'another');
    expect(cache.use('a')).to.equal('first');
    cache.forget('a', 'first');
    expect(cache.use('a')).to.equal(undefined);
    expect(cache.limit).to.equal(KEY_CACHE_LIMIT);
  });
});
