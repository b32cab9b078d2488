// Loads a value once for all concurrent callers of the same key (a singleflight), and keeps it
// for a ttl chosen per value. At fleet scale many sessions open on one machine at once; they
// must cost one API request, not one each.
import { TtlCache, type Clock } from './ttl-cache.js';

export class CoalescingCache<K, V> {
  private readonly values: TtlCache<K, V>;
  private readonly loading = new Map<K, Promise<V>>();

  constructor(maxEntries?: number, now?: Clock) {
    this.values = new TtlCache<K, V>(maxEntries, now);
  }

  /** The cached value, the pending load, or a new load; failures are shared but not kept. */
  get(key: K, load: () => Promise<V>, ttlMs: (value: V) => number): Promise<V> {
    const cached = this.values.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    const pending = this.loading.get(key);
    if (pending) return pending;
    const promise: Promise<V> = load()
      .then((value) => {
        // A load that was dropped by delete() must not bring its old value back.
        if (this.loading.get(key) === promise) this.values.set(key, value, ttlMs(value));
        return value;
      })
      .finally(() => {
        if (this.loading.get(key) === promise) this.loading.delete(key);
      });
    this.loading.set(key, promise);
    return promise;
  }

  /** Forgets the value; the next get loads again, even while an older load is pending. */
  delete(key: K): void {
    this.values.delete(key);
    this.loading.delete(key);
  }
}
