import { DEFAULT_DONE_TTL_MS, DEFAULT_LEASE_MS, type ClaimResult, type IdempotencyStore } from "@gemini-webhooks/core";
import { storeCommands, type RedisClientLike } from "./client.js";
import { checkMs, withTimeout } from "./timeout.js";
import { ClaimTokens } from "@gemini-webhooks/core/extend";

export interface RedisStoreOptions {
  /** Prepended to every key. Default "gemini-webhooks:idempotency:". */
  prefix?: string;
  /** How long an in-progress claim blocks other deliveries of the same id, ms. Default 60 s. */
  leaseMs?: number;
  /** How long a processed id is remembered, ms. Default 25 h (Gemini's 24 h of retries plus the replay window). */
  doneTtlMs?: number;
  /**
   * Longest wait for one Redis answer, ms; past it the call fails and the delivery gets 503 `store_unavailable`
   * (Gemini retries). Default 2000; 0 waits as long as the client does.
   */
  timeoutMs?: number;
}

/** The Redis store: core's `IdempotencyStore`, shared by every instance that uses the same Redis and prefix. */
export interface RedisStore extends IdempotencyStore {
  claim(key: string): Promise<ClaimResult>;
  complete(key: string): Promise<void>;
  release(key: string): Promise<void>;
  /** Extends this process's claim by leaseMs (compare-and-expire on its token); core calls it while handlers run. */
  renew(key: string): Promise<void>;
  readonly leaseMs: number;
  readonly doneTtlMs: number;
  /** Shared small values (the reconciler's checkpoint), under the same prefix. */
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Which client API was detected. */
  readonly kind: "ioredis" | "node-redis";
  /** The Redis key an idempotency key is stored under. */
  keyOf(key: string): string;
}

/** Value of a processed id. An in-progress claim is `p:<token>`, the token unique to that claim. */
export const DONE = "d";
const CLAIM = "p:";

/** Deletes the key only while it still holds this claim's token: a release never drops someone else's claim. */
const RELEASE_SCRIPT = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`;
/** Extends the lease only while the key still holds this claim's token (never revives a done or foreign key). */
const RENEW_SCRIPT = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`;

/**
 * Idempotency store on Redis, for many instances behind a load balancer.
 *
 * - `claim`: `SET key p:<token> NX PX leaseMs`; when the key exists, `GET` tells "done" from "in_progress".
 *   Atomic in Redis: of concurrent claims from any number of instances exactly one gets "new".
 * - `complete`: `SET key d PX doneTtlMs` — unconditional: the handlers did run, so the id is processed even if
 *   our lease had expired and another instance re-claimed it meanwhile (that one's release then finds "d" and
 *   leaves it, so no third run starts).
 * - `release`: compare-and-delete (Lua) on this claim's token. After our lease expired and another instance
 *   claimed the id, our late release leaves its claim alone.
 * - Any Redis error or a reply slower than `timeoutMs` throws, so core answers 503 `store_unavailable` and
 *   never runs a handler it could not claim.
 * - Writes whose outcome is unknown are repeated in the background once Redis answers again: a claim that
 *   failed is given back (compare-and-delete on its token), a complete that failed is recorded (the handlers
 *   did run; while our lease holds, copies of the delivery get 409 and then "duplicate"), a release that failed
 *   is repeated. So an outage shorter than the lease never causes a second run.
 * - The claim token is kept in this process (per key, see `held`: ClaimTokens) until complete/release.
 *
 * Works with ioredis and with node-redis v4/v5 clients (and their cluster clients: every command touches one key).
 */
export function redisStore(client: RedisClientLike, options: RedisStoreOptions = {}): RedisStore {
  const cmd = storeCommands(client);
  checkMs("redisStore", "leaseMs", options.leaseMs, 1);
  checkMs("redisStore", "doneTtlMs", options.doneTtlMs, 1);
  checkMs("redisStore", "timeoutMs", options.timeoutMs, 0);
  const prefix = options.prefix ?? "gemini-webhooks:idempotency:";
  const leaseMs = Math.ceil(options.leaseMs ?? DEFAULT_LEASE_MS);
  const doneTtlMs = Math.ceil(options.doneTtlMs ?? DEFAULT_DONE_TTL_MS);
  const timeoutMs = options.timeoutMs ?? 2000;
  // the claim values this process holds per key (ClaimTokens: complete and release take the oldest)
  const held = new ClaimTokens();
  const keyOf = (key: string) => prefix + key;

  async function claimOnce(k: string, value: string): Promise<ClaimResult> {
    // A key can expire between the failed SET and the GET: try again (bounded).
    for (let i = 0; i < 5; i++) {
      if (await cmd.setNxPx(k, value, leaseMs)) return "new";
      const current = await cmd.get(k);
      // Our own token: the SET did land, but its reply was lost and the client sent it again (ioredis resends
      // unanswered commands after a reconnect), so the resend found the key taken. The claim is ours.
      if (current === value) return "new";
      if (current === DONE) return "done";
      if (current !== null) return "in_progress";
    }
    return "in_progress";
  }

  let retrying = 0;
  /**
   * Repeats a write that failed (Redis down, reply lost) until it lands or `forMs` has passed, backing off
   * from 50 ms to 2 s. Each of these writes is safe to repeat. Timers are unref'd; at most 10,000 at a time.
   */
  function retryInBackground(op: () => Promise<unknown>, forMs: number): void {
    if (retrying >= 10_000) return;
    retrying++;
    const until = Date.now() + forMs;
    let delay = 50;
    const tick = () => {
      withTimeout(op(), timeoutMs, "a retried write").then(
        () => retrying--,
        () => {
          if (Date.now() + delay > until) return void retrying--;
          delay = Math.min(delay * 2, 2000);
          setTimeout(tick, delay).unref?.();
        },
      );
    };
    setTimeout(tick, delay).unref?.();
  }
  const releaseValue = (k: string, value: string) => cmd.eval(RELEASE_SCRIPT, [k], [value]);

  return {
    kind: cmd.kind,
    keyOf,
    leaseMs,
    doneTtlMs,
    async renew(key) {
      const value = held.newest(key);
      if (value === undefined) return;
      await withTimeout(cmd.eval(RENEW_SCRIPT, [keyOf(key)], [value, String(leaseMs)]), timeoutMs, "a lease renewal");
    },
    async get(key) {
      const v = await withTimeout(cmd.get(`${prefix}kv:${key}`), timeoutMs, "a read");
      return v ?? undefined;
    },
    async set(key, value, ttlMs) {
      await withTimeout(cmd.setPx(`${prefix}kv:${key}`, value, Math.max(1, Math.ceil(ttlMs))), timeoutMs, "a write");
    },
    async claim(key) {
      const k = keyOf(key);
      const value = CLAIM + globalThis.crypto.randomUUID();
      const attempt = claimOnce(k, value);
      let result: ClaimResult;
      try {
        result = await withTimeout(attempt, timeoutMs, "a claim");
      } catch (e) {
        // Unknown outcome: the SET may have landed (reply lost) or may land later (queued by the client).
        // Either way give that claim back, so the sender's retry is not answered "in_progress" for a lease.
        attempt.then((r) => (r === "new" ? releaseValue(k, value) : undefined)).catch(() => {});
        retryInBackground(() => releaseValue(k, value), leaseMs);
        throw e;
      }
      if (result === "new") held.add(key, value);
      return result;
    },
    async complete(key) {
      held.take(key);
      const write = () => cmd.setPx(keyOf(key), DONE, doneTtlMs);
      try {
        await withTimeout(write(), timeoutMs, "a complete");
      } catch (e) {
        // The handlers ran: keep trying to record it, so a copy of this delivery waiting on our lease
        // (answered "in_progress") finds "done" once Redis is back instead of running again.
        retryInBackground(write, doneTtlMs);
        throw e;
      }
    },
    async release(key) {
      const value = held.take(key);
      if (value === undefined) return;
      const k = keyOf(key);
      try {
        await withTimeout(releaseValue(k, value), timeoutMs, "a release");
      } catch (e) {
        retryInBackground(() => releaseValue(k, value), leaseMs);
        throw e;
      }
    },
  };
}
