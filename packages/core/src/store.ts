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
  // Processed ids: key → done until. Updated in place (never deleted and re-added on the hot path), so the
  // big Map does not accumulate deleted slots.
  const done = new Map<string, number>();
  // In-progress claims of this process: key → lease until. Small (the deliveries being handled right now), so
  // a claim and its complete or release cost two operations on a Map that stays in cache.
  const pending = new Map<string, number>();
  // Every done write is also appended to a FIFO of (key, expiry), in expiry order (one TTL for all). Expiry
  // and eviction pop from its head and delete a key only when the record is still the key's current one:
  // each record is popped once, so both are amortised O(1), with no iteration over the Map.
  class Fifo {
    keys: string[] = [];
    exp: number[] = [];
    head = 0;
    push(key: string, expiry: number): void {
      this.keys.push(key);
      this.exp.push(expiry);
    }
    get size(): number {
      return this.keys.length - this.head;
    }
    /** Deletes the head record's key when that record is current; then drops the record. */
    drop(): void {
      const key = this.keys[this.head]!;
      if (done.get(key) === this.exp[this.head]) done.delete(key);
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
      return this.head < this.keys.length ? this.exp[this.head]! - doneTtlMs : Infinity;
    }
  }
  // small shared values (checkpoints), bounded
  const values = new Map<string, { value: string; until: number }>();
  let dones = new Fifo();
  // Claims never completed nor released (a handler that never returns) are swept once the pending Map has
  // doubled since the last sweep: amortised O(1), and they cannot pile up.
  let sweepPendingAt = 1024;

  function sweepPending(t: number): void {
    for (const [key, until] of pending) if (until <= t) pending.delete(key);
    sweepPendingAt = Math.max(1024, pending.size * 2);
  }

  /** Past maxEntries: the least recently written id goes first (a claim's write or a complete's). */
  function evict(): void {
    while (done.size + pending.size > maxEntries) {
      if (pending.size > 0) {
        const [key, until] = pending.entries().next().value as [string, number];
        if (until - leaseMs <= dones.writtenAt()) {
          pending.delete(key);
          continue;
        }
      }
      if (dones.size === 0) return;
      dones.drop();
    }
  }

  return {
    claim(key) {
      const t = clock();
      dones.sweep(t);
      const d = done.get(key);
      if (d !== undefined && d > t) return "done";
      const p = pending.get(key);
      if (p !== undefined && p > t) return "in_progress";
      pending.set(key, t + leaseMs);
      if (pending.size > sweepPendingAt) sweepPending(t);
      if (done.size + pending.size > maxEntries) evict();
      return "new";
    },
    complete(key) {
      const expiry = clock() + doneTtlMs;
      pending.delete(key);
      done.set(key, expiry);
      dones.push(key, expiry);
      if (done.size + pending.size > maxEntries) evict();
    },
    release(key) {
      pending.delete(key);
    },
    renew(key) {
      // only a claim still in progress here (not completed, released or evicted)
      if (pending.has(key)) pending.set(key, clock() + leaseMs);
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
      return done.size + pending.size;
    },
    clear() {
      done.clear();
      pending.clear();
      dones = new Fifo();
    },
  };
}
