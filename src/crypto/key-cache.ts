/**
 * The keys a crypto worker thread holds parsed, by hash of their bytes, least recently used first out.
 * The same structure runs on both sides of the pool (src/crypto/worker-pool.ts): the worker keeps its
 * parsed keys in it, and the pool keeps, per worker, the hashes alone, touched in the same order (the
 * keys of each task, in the order the worker receives the tasks), so that it knows which keys the
 * worker holds and sends those by hash instead of bytes.
 */

/**
 * Parsed keys kept per worker. The gateway holds a few keys per partner and a few of its own during a
 * rotation: this covers a few dozen partners, and keys replaced at run time fall out of it (least
 * recently used first) instead of piling up.
 */
export const KEY_CACHE_LIMIT = 256;

export class KeyCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(readonly limit: number = KEY_CACHE_LIMIT) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry, now the most recently used; undefined when absent. */
  use(hash: string): V | undefined {
    const value = this.entries.get(hash);
    if (value !== undefined) {
      this.entries.delete(hash);
      this.entries.set(hash, value);
    }
    return value;
  }

  /** A new entry, the most recently used; the least recently used goes when the cache is full. */
  add(hash: string, value: V): void {
    this.entries.delete(hash);
    if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(hash, value);
  }

  /** Removed, if it is still `value` (when given). */
  forget(hash: string, value?: V): void {
    if (value === undefined || this.entries.get(hash) === value) this.entries.delete(hash);
  }
}
