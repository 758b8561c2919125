/**
 * The waiting line of the crypto pool's work from outside (src/crypto/worker-pool.ts): one lane per
 * partner, served in turn (round robin across the partners that have work waiting, first come first
 * served within a partner), so that a partner that sends a thousand messages at once makes another
 * partner's message wait for at most one of its own, not for the thousand.
 */
export class FairQueue<T> {
  private readonly lanes = new Map<string, T[]>();
  /** The lanes with work waiting, the one served next first. */
  private readonly turns: string[] = [];
  private count = 0;

  /** Everything waiting, every lane together. */
  get size(): number {
    return this.count;
  }

  /** What waits in one lane. */
  sizeOf(lane: string): number {
    return this.lanes.get(lane)?.length ?? 0;
  }

  /** At the back of its lane; a lane that had nothing waiting takes its turn after the others'. */
  push(lane: string, item: T): void {
    this.laneOf(lane).push(item);
    this.count++;
  }

  /** At the front of its lane, and that lane served next: work that must not lose its place. */
  unshift(lane: string, item: T): void {
    this.laneOf(lane).unshift(item);
    this.count++;
    this.turns.splice(this.turns.indexOf(lane), 1);
    this.turns.unshift(lane);
  }

  /** The first item of the lane whose turn it is; that lane then waits behind the others. */
  shift(): T | undefined {
    const lane = this.turns.shift();
    if (lane === undefined) return undefined;
    const items = this.lanes.get(lane)!;
    const item = items.shift()!;
    this.count--;
    if (items.length > 0) this.turns.push(lane);
    else this.lanes.delete(lane);
    return item;
  }

  /** Everything waiting, removed, in the order it would have been served. */
  drain(): T[] {
    const all: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) all.push(item);
    return all;
  }

  private laneOf(lane: string): T[] {
    let items = this.lanes.get(lane);
    if (items === undefined) {
      items = [];
      this.lanes.set(lane, items);
      this.turns.push(lane);
    }
    return items;
  }
}
