/**
 * A bounded LRU of promises: concurrent and repeated asks for one key share one computation.
 * A failed computation is forgotten at once, so the next ask tries again. Used for facts about
 * stored segments, which never change once written (init parts, timings, thumbnails).
 */
export class MemoCache<V> {
  private readonly map = new Map<string, Promise<V>>();
  private computations = 0;

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('MemoCache needs at least one entry');
  }

  get(key: string, compute: () => Promise<V>): Promise<V> {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    this.computations++;
    const p = compute();
    this.map.set(key, p);
    p.catch(() => {
      if (this.map.get(key) === p) this.map.delete(key);
    });
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value as string);
    return p;
  }

  /** Whether a value (or its computation) is held, without touching the order. */
  has(key: string): boolean {
    return this.map.has(key);
  }

  get size(): number {
    return this.map.size;
  }

  /** How many times a value was computed (misses), for tests and metrics. */
  get misses(): number {
    return this.computations;
  }
}
