/** The answer to a claim: first time seen, being processed right now, or already processed. */
export type ClaimResult = "new" | "in_progress" | "done";

/**
 * Where delivery ids are remembered. `claim` must be atomic: of two concurrent claims of one key,
 * exactly one gets "new". An in-progress claim expires after a lease (a crashed process must not block
 * retries forever); a completed key is kept at least 25 h (Gemini's 24 h of retries plus the replay window).
 */
export interface IdempotencyStore {
  claim(key: string): ClaimResult | Promise<ClaimResult>;
  complete(key: string): void | Promise<void>;
  release(key: string): void | Promise<void>;
}

export interface MemoryStoreOptions {
  /** Most ids kept; the oldest is evicted past it (LRU). Default 100,000. */
  maxEntries?: number;
  /** How long an in-progress claim blocks other deliveries of the same id. Default 60 s. */
  leaseMs?: number;
  /** How long a processed id is remembered. Default (and minimum sensible) 25 h. */
  doneTtlMs?: number;
  /** Clock (epoch ms), for tests. */
  now?: () => number;
}

export const DEFAULT_LEASE_MS = 60_000;
export const DEFAULT_DONE_TTL_MS = 25 * 60 * 60 * 1000;

/** An in-memory, bounded, O(1) store for a single process: a Map kept in insertion (LRU) order. */
export interface MemoryStore extends IdempotencyStore {
  claim(key: string): ClaimResult;
  complete(key: string): void;
  release(key: string): void;
  /** Ids currently remembered (processing or done). */
  readonly size: number;
  clear(): void;
}

export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxEntries = options.maxEntries ?? 100_000;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const doneTtlMs = options.doneTtlMs ?? DEFAULT_DONE_TTL_MS;
  const now = options.now ?? Date.now;
  if (!(maxEntries >= 1)) throw new RangeError("memoryStore: maxEntries must be at least 1");
  // value > 0: done until value (epoch ms); value < 0: processing until -value.
  const map = new Map<string, number>();

  function evict(): void {
    while (map.size > maxEntries) {
      const oldest = map.keys().next().value as string;
      map.delete(oldest);
    }
  }

  /** Drops expired entries from the old end: amortised O(1) (entries are roughly in expiry order). */
  function sweep(t: number): void {
    let n = 0;
    for (const [k, v] of map) {
      if (Math.abs(v) > t || n++ >= 8) break;
      map.delete(k);
    }
  }

  return {
    claim(key) {
      const t = now();
      sweep(t);
      const v = map.get(key);
      if (v !== undefined) {
        if (v > 0 && v > t) return "done";
        if (v < 0 && -v > t) return "in_progress";
        map.delete(key);
      }
      map.set(key, -(t + leaseMs));
      evict();
      return "new";
    },
    complete(key) {
      map.delete(key);
      map.set(key, now() + doneTtlMs);
      evict();
    },
    release(key) {
      const v = map.get(key);
      if (v !== undefined && v < 0) map.delete(key);
    },
    get size() {
      return map.size;
    },
    clear() {
      map.clear();
    },
  };
}
