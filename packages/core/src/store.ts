import { GeminiWebhooksConfigError } from "./errors.js";

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
  /** Extends this process's in-progress claim by a new lease (called while handlers run). */
  renew?(key: string): void | Promise<void>;
  /** How long an in-progress claim lasts without renewal, ms (default assumed: 60 s). */
  readonly leaseMs?: number;
  /** How long a processed id is remembered, ms (default assumed: 25 h). */
  readonly doneTtlMs?: number;
  /** Shared small values (e.g. the reconciler's checkpoint). */
  get?(key: string): string | undefined | Promise<string | undefined>;
  set?(key: string, value: string, ttlMs: number): void | Promise<void>;
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

/** An in-memory, bounded, amortised O(1) store for a single process: least recently written ids are evicted first. */
export interface MemoryStore extends IdempotencyStore {
  claim(key: string): ClaimResult;
  complete(key: string): void;
  release(key: string): void;
  renew(key: string): void;
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
  for (const [name, v] of [["maxEntries", maxEntries], ["leaseMs", leaseMs], ["doneTtlMs", doneTtlMs]] as const) {
    if (typeof v !== "number" || !(v >= 1)) throw new GeminiWebhooksConfigError(`memoryStore.${name}`, `memoryStore: ${name} must be a number ≥ 1.`);
  }
  if (typeof now !== "function") throw new GeminiWebhooksConfigError("memoryStore.now", "memoryStore: now must be a function returning epoch ms.");
  // Times are kept relative to a base a little in the past, so they stay small integers (V8 Smis: no heap
  // number per entry) for weeks of uptime; past that they are ordinary numbers, still exact.
  const base = now() - 2 ** 29;
  const clock = () => now() - base;
  // value > 0: done until value (epoch ms); value < 0: processing until -value. Updated in place, so the
  // Map never accumulates deleted slots on the hot path.
  const map = new Map<string, number>();
  // Every write is also appended to a FIFO of (key, expiry): one for leases, one for done ids, so each FIFO
  // is in expiry order. Expiry and eviction pop from the heads and delete a key only when the record is
  // still the key's current one: each record is popped once, so both are amortised O(1), with no
  // iteration over the Map.
  class Fifo {
    keys: string[] = [];
    exp: number[] = [];
    head = 0;
    constructor(readonly ttl: number) {}
    push(key: string, expiry: number): void {
      this.keys.push(key);
      this.exp.push(expiry);
    }
    get size(): number {
      return this.keys.length - this.head;
    }
    popIfLast(key: string): void {
      if (this.keys.length > this.head && this.keys[this.keys.length - 1] === key) {
        this.keys.pop();
        this.exp.pop();
      }
    }
    /** Drops the head record if it is no longer its key's current lease (completed or released). */
    dropHeadIfStale(): void {
      if (this.head === this.keys.length) return;
      const v = map.get(this.keys[this.head]!);
      if (v === undefined || v !== -this.exp[this.head]!) this.drop();
    }
    /** Deletes the head record's key when that record is current; then drops the record. */
    drop(): void {
      const key = this.keys[this.head]!;
      const v = map.get(key);
      if (v !== undefined && Math.abs(v) === this.exp[this.head]) map.delete(key);
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.keys.length) {
        this.keys = this.keys.slice(this.head);
        this.exp = this.exp.slice(this.head);
        this.head = 0;
      }
    }
    sweep(t: number): void {
      while (this.head < this.keys.length && this.exp[this.head]! <= t) this.drop();
    }
    /** When the head record was written. */
    writtenAt(): number {
      return this.head < this.keys.length ? this.exp[this.head]! - this.ttl : Infinity;
    }
  }
  // small shared values (checkpoints), bounded
  const values = new Map<string, { value: string; until: number }>();
  let leases = new Fifo(leaseMs);
  let dones = new Fifo(doneTtlMs);

  function evict(): void {
    while (map.size > maxEntries && (leases.size > 0 || dones.size > 0)) {
      (leases.writtenAt() <= dones.writtenAt() ? leases : dones).drop();
    }
  }

  return {
    claim(key) {
      const t = clock();
      leases.sweep(t);
      dones.sweep(t);
      const v = map.get(key);
      if (v !== undefined) {
        if (v > 0 && v > t) return "done";
        if (v < 0 && -v > t) return "in_progress";
      }
      map.set(key, -(t + leaseMs));
      leases.push(key, t + leaseMs);
      evict();
      return "new";
    },
    complete(key) {
      const expiry = clock() + doneTtlMs;
      map.set(key, expiry);
      // the usual claim → complete: its lease record is now stale, drop it at once; with several deliveries in
      // flight it is seldom the last one, so the oldest record goes too once it is stale (they complete
      // about in order): the lease FIFO stays as long as the deliveries in flight, not leaseMs' worth
      leases.popIfLast(key);
      leases.dropHeadIfStale();
      dones.push(key, expiry);
      evict();
    },
    release(key) {
      const v = map.get(key);
      if (v !== undefined && v < 0) map.delete(key);
    },
    renew(key) {
      const v = map.get(key);
      if (v === undefined || v > 0) return; // not in progress (completed, released or expired)
      const expiry = clock() + leaseMs;
      map.set(key, -expiry);
      leases.push(key, expiry);
    },
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
      leases = new Fifo(leaseMs);
      dones = new Fifo(doneTtlMs);
    },
  };
}
