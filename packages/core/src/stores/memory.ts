import { GeminiWebhooksConfigError } from "../errors.js";
import { numberOption } from "../lib/validate.js";
import { DEFAULT_DONE_TTL_MS, DEFAULT_LEASE_MS, type ClaimResult, type IdempotencyStore } from "./contracts.js";

export interface MemoryStoreOptions {
  /** Most ids kept; past it the oldest (first claimed) is evicted. Default 100,000. */
  maxEntries?: number;
  /** How long an in-progress claim blocks other deliveries of the same id. Default 60 s. */
  leaseMs?: number;
  /** How long a processed id is remembered. Default (and minimum sensible) 25 h. */
  doneTtlMs?: number;
  /** Clock (epoch ms), for tests. */
  now?: () => number;
}


/** An in-memory, bounded, amortised O(1) store for a single process: the oldest ids (first claimed) are evicted first. */
export interface MemoryStore extends IdempotencyStore {
  claim(key: string): ClaimResult;
  complete(key: string): void;
  release(key: string): void;
  renew(key: string): void;
  readonly synchronous: true;
  readonly leaseMs: number;
  readonly doneTtlMs: number;
  get(key: string): string | undefined;
  set(key: string, value: string, ttlMs: number): void;
  /** Ids currently remembered (processing or done). */
  readonly size: number;
  clear(): void;
}

export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxEntries = options.maxEntries ?? 100_000;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const doneTtlMs = options.doneTtlMs ?? DEFAULT_DONE_TTL_MS;
  const now = options.now ?? Date.now;
  for (const [name, v] of [["maxEntries", maxEntries], ["leaseMs", leaseMs], ["doneTtlMs", doneTtlMs]] as const) numberOption(`memoryStore.${name}`, v, 1, 1);
  if (typeof now !== "function") throw new GeminiWebhooksConfigError("memoryStore.now", "memoryStore: now must be a function returning epoch ms.");
  // Times are kept relative to a base a little in the past, so they stay small integers (V8 Smis: no heap
  // number per entry) for weeks of uptime; past that they are ordinary numbers, still exact.
  const base = now() - 2 ** 29;
  const clock = () => now() - base;
  // value > 0: done until value; value < 0: processing until -value. A claim inserts its key; complete and
  // renew update it in place, so the Map's own insertion order is the order ids were first claimed: the
  // oldest is at the front. Expiry and eviction work from the front with one long-lived iterator (V8 keeps
  // a Map iterator valid across inserts, deletes and rehashes), so there is no second structure to keep
  // in step: a delivery costs what a plain Map costs (a get and a set to claim, a set to complete).
  const map = new Map<string, number>();
  let cursor: Iterator<string> | undefined;
  // the front entry (the oldest still in the Map), and a lower bound of when it expires (kept one when a
  // lease is renewed or completed), so "now < headUntil" means the front has not expired
  let head: string | undefined;
  let headUntil = Infinity;

  /** Moves `head` to the next entry in the Map's order (a new iterator once the last one ran out). */
  function advance(): void {
    if (cursor === undefined) {
      if (map.size === 0) {
        head = undefined;
        headUntil = Infinity;
        return;
      }
      cursor = map.keys();
    }
    const next = cursor.next();
    if (next.done) {
      cursor = undefined;
      head = undefined;
      headUntil = Infinity;
      return;
    }
    head = next.value;
    const v = map.get(head);
    headUntil = v === undefined ? -Infinity : Math.abs(v);
  }

  /** Deletes expired entries from the front, until the front one has not expired. */
  function sweep(t: number): void {
    while (t >= headUntil) {
      const v = map.get(head!);
      if (v === undefined || Math.abs(v) <= t) {
        if (v !== undefined) map.delete(head!);
        advance();
      } else {
        headUntil = Math.abs(v);
        return;
      }
    }
  }

  /** Past maxEntries: the oldest id goes first (in the order ids were first claimed). */
  function evict(): void {
    while (map.size > maxEntries) {
      if (head === undefined) {
        advance();
        if (head === undefined) return;
      }
      map.delete(head!);
      advance();
    }
  }

  // small shared values (checkpoints), bounded
  const values = new Map<string, { value: string; until: number }>();

  return {
    claim(key) {
      const t = clock();
      if (t >= headUntil) sweep(t);
      const v = map.get(key);
      if (v !== undefined) {
        if (v > 0 && v > t) return "done";
        if (v < 0 && -v > t) return "in_progress";
        map.set(key, -(t + leaseMs)); // expired: claimed again in place
        return "new";
      }
      map.set(key, -(t + leaseMs));
      if (head === undefined) advance();
      if (map.size > maxEntries) evict();
      return "new";
    },
    complete(key) {
      const until = clock() + doneTtlMs;
      map.set(key, until);
      if (key === head && until < headUntil) headUntil = until; // a done TTL shorter than the lease left
      if (head === undefined) advance();
      if (map.size > maxEntries) evict();
    },
    release(key) {
      const v = map.get(key);
      if (v !== undefined && v < 0) {
        map.delete(key);
        if (key === head) advance(); // the key may come back, at the end: the front moves past it now
      }
    },
    renew(key) {
      const v = map.get(key);
      if (v === undefined || v > 0) return; // not in progress (completed, released or expired)
      map.set(key, -(clock() + leaseMs));
    },
    synchronous: true,
    leaseMs,
    doneTtlMs,
    get(key) {
      const e = values.get(key);
      if (e === undefined) return undefined;
      if (e.until <= now()) {
        values.delete(key);
        return undefined;
      }
      return e.value;
    },
    set(key, value, ttlMs) {
      values.delete(key);
      values.set(key, { value, until: now() + ttlMs });
      if (values.size > 1024) values.delete(values.keys().next().value!);
    },
    get size() {
      return map.size;
    },
    clear() {
      map.clear();
      cursor = undefined;
      head = undefined;
      headUntil = Infinity;
    },
  };
}
