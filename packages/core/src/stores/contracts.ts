import type { SignatureScheme } from "../errors.js";
import type { AnyGeminiEvent } from "../events.js";
import { hasMethods } from "../lib/validate.js";

/** The contracts a store fills: idempotency (memory, Redis, Postgres) and dead letters. */

/** The answer to a claim: first time seen, being processed right now, or already processed. */
export type ClaimResult = "new" | "in_progress" | "done";

/**
 * Where delivery ids are remembered. `claim` must be atomic: of two concurrent claims of one key,
 * exactly one gets "new". An in-progress claim expires after a lease (a crashed process must not block
 * retries forever); a completed key is kept at least 25 h (Gemini's 24 h of retries plus the replay window).
 */
export interface IdempotencyStore<X extends object = {}> {
  claim(key: string): ClaimResult | Promise<ClaimResult>;
  complete(key: string): void | Promise<void>;
  release(key: string): void | Promise<void>;
  /**
   * True when claim, complete and release always return their result itself, never a promise (memoryStore):
   * a v1 delivery whose handler returns no promise is then settled within the call that received it.
   */
  readonly synchronous?: boolean;
  /** Extends this process's in-progress claim by a new lease (called while handlers run). */
  renew?(key: string): void | Promise<void>;
  /** How long an in-progress claim lasts without renewal, ms (default assumed: 60 s). */
  readonly leaseMs?: number;
  /** How long a processed id is remembered, ms (default assumed: 25 h). */
  readonly doneTtlMs?: number;
  /** Shared small values (e.g. the reconciler's checkpoint). */
  get?(key: string): string | undefined | Promise<string | undefined>;
  set?(key: string, value: string, ttlMs: number): void | Promise<void>;
  /**
   * A unit of work of the store's own (a database transaction), for effects exactly once. When present,
   * a claimed delivery that has handlers runs through it instead of `complete(key)`: the store opens its
   * unit, calls `work(extra)` (core runs every handler with `{ ...ctx, ...extra }`, e.g. `{ db: client }`),
   * marks `key` done inside the same unit and commits. When `work` rejects, the store rolls back and rejects
   * with that error (core releases the claim and answers 500 `handler_failed`). When the store itself fails
   * (no connection in time, the commit fails), it rejects with a `WebhookVerificationError` whose code is
   * `store_unavailable` (core releases the claim and answers 503).
   */
  runInUnit?(key: string, work: (extra: X) => Promise<void>): Promise<void>;
}

export const DEFAULT_LEASE_MS = 60_000;
export const DEFAULT_DONE_TTL_MS = 25 * 60 * 60 * 1000;

/** A delivery whose handlers failed, kept until a later success (or a replay) removes it. */
export interface DeadLetter {
  /** The delivery's idempotency key. */
  id: string;
  event: AnyGeminiEvent;
  ctx: { webhookId: string; timestamp: string; scheme: SignatureScheme; secretIndex?: number; keyId?: string };
  error: { name: string; message: string; code?: string };
  /** How many times it failed. */
  attempts: number;
  /** Epoch ms of the first and the last failure. */
  firstSeen: number;
  lastSeen: number;
}

/** What `record` is given: the entry without its counters. */
export type DeadLetterInput = Omit<DeadLetter, "attempts" | "firstSeen" | "lastSeen">;

/** Where dead letters are kept: memory (core) or Redis (`redisDeadLetters` in @gemini-webhooks/redis). */
export interface DeadLetterStore {
  /** Adds the entry, or updates it (attempts + 1, lastSeen = at, the latest error). */
  record(entry: DeadLetterInput, at: number): void | Promise<void>;
  remove(id: string): void | Promise<void>;
  get(id: string): DeadLetter | undefined | Promise<DeadLetter | undefined>;
  /** Newest failure first. */
  list(options?: { limit?: number }): DeadLetter[] | Promise<DeadLetter[]>;
}

const DEAD_LETTER_METHODS = ["record", "remove", "get", "list"] as const;

export function isDeadLetterStore(v: unknown): v is DeadLetterStore {
  return hasMethods(v, DEAD_LETTER_METHODS);
}

/** The one rule for `DeadLetterStore.list({ limit })`: an integer ≥ 1 (a RangeError otherwise), else `dflt`. */
export function deadLetterLimit(limit: unknown, dflt: number): number {
  if (limit === undefined) return dflt;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1) throw new RangeError("list: limit must be an integer ≥ 1.");
  return limit;
}
