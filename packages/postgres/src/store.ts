import { randomUUID } from "node:crypto";
import { DEFAULT_DONE_TTL_MS, DEFAULT_LEASE_MS, GeminiWebhooksConfigError, type ClaimResult, type IdempotencyStore } from "@gemini-webhooks/core";
import type { Pool, PoolClient } from "pg";
import { storedKey } from "./keys.js";
import { DEFAULT_ACQUIRE_TIMEOUT_MS, DEFAULT_STATEMENT_TIMEOUT_MS, checkMs, checkPool, guardPool, onFirstUse, runner } from "./pool.js";
import { migrateOn, schemaName } from "./schema.js";
import { runUnit } from "./unit.js";
import { ClaimTokens } from "@gemini-webhooks/core/extend";

export interface PostgresStoreOptions {
  /** The app's pg Pool (node-postgres). The store checks clients out of it for a statement (or a transaction) at a time. */
  pool: Pool;
  /** Where the tables live; created on first use. A plain identifier. Default "gemini_webhooks". */
  schema?: string;
  /** How long an in-progress claim blocks other copies of the delivery, ms; core renews it while handlers run. Default 60 s. */
  leaseMs?: number;
  /** How long a processed id is remembered, ms. Default 25 h (Gemini's 24 h of retries plus the replay window). */
  doneTtlMs?: number;
  /**
   * Run the handlers in a transaction with the done mark (exactly-once effects in this database): handlers get the
   * transaction's client as `ctx.db`. Default false.
   */
  transactional?: boolean;
  /** Longest wait for a pool client, ms; past it the delivery gets 503 `store_unavailable` (Gemini retries). Default 3000. */
  acquireTimeoutMs?: number;
  /** Longest wait for one of the store's own statements (claim, complete, the COMMIT…), ms. Default 5000. */
  statementTimeoutMs?: number;
  /** Errors of idle pool clients (their server went away), which the store catches so they cannot kill the process. */
  onError?: (error: unknown) => void;
  /**
   * Send the store's statements as named prepared statements (parsed and planned once per connection). Default true;
   * set false behind a pooler that cannot keep them (PgBouncer before 1.21 in transaction mode).
   */
  preparedStatements?: boolean;
}

/** What `transactional: true` gives every handler, beside the usual ctx: the transaction's client. */
export interface PostgresUnit {
  /** The client of the transaction the done mark is written in: write through it, and your writes and the mark commit together. */
  db: PoolClient;
}

/** The Postgres store: core's `IdempotencyStore`, shared by every replica on the same database and schema. */
export interface PostgresStore<X extends object = {}> extends IdempotencyStore<X> {
  claim(key: string): Promise<ClaimResult>;
  complete(key: string): Promise<void>;
  release(key: string): Promise<void>;
  renew(key: string): Promise<void>;
  readonly leaseMs: number;
  readonly doneTtlMs: number;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Deletes up to `limit` expired ids (claims and done marks) and small values; returns how many. Claims do this every 256 calls. */
  prune(limit?: number): Promise<number>;
  /** The quoted schema name the tables live in. */
  readonly schema: string;
}

/** The transactional store: handlers run inside its unit of work, with `ctx.db`. */
export interface TransactionalPostgresStore extends PostgresStore<PostgresUnit> {
  runInUnit(key: string, work: (extra: PostgresUnit) => Promise<void>): Promise<void>;
}

/** How many claims between two bounded prunes. */
const PRUNE_EVERY = 256;
/** Rows one prune deletes at most. */
const PRUNE_LIMIT = 500;

/**
 * Idempotency store on Postgres, for replicas that share a database (and no Redis).
 *
 * - `claim` is one statement: insert the id as in progress (a lease, a token unique to this claim), or take over
 *   a row whose lease or done mark has expired, else report what is there. Of concurrent claims from any number
 *   of replicas exactly one gets "new"; the statement autocommits, so a copy arriving later sees the claim at
 *   once and answers 409 without waiting on anything.
 * - `complete` marks the id done for doneTtlMs; `release` deletes the claim only while it still holds this
 *   claim's token; `renew` extends the lease the same way.
 * - `transactional: true`: core calls `runInUnit(key, work)` for a delivery with handlers: a transaction on one
 *   pooled client, the handlers with `ctx.db` = that client, then the done mark (only while the claim is still
 *   ours) in the same transaction, then COMMIT. See docs/postgres.md.
 * - Every call is bounded (a pool client within acquireTimeoutMs, a statement within statementTimeoutMs); a
 *   failure is `store_unavailable` (503), so Gemini retries and nothing runs unclaimed.
 * - Expired rows are deleted in batches of at most 500 every 256 claims (an index on expires_at finds them).
 */
export function postgresStore(options: PostgresStoreOptions & { transactional: true }): TransactionalPostgresStore;
export function postgresStore(options: PostgresStoreOptions & { transactional?: false }): PostgresStore;
export function postgresStore(options: PostgresStoreOptions): PostgresStore | TransactionalPostgresStore;
export function postgresStore(options: PostgresStoreOptions): PostgresStore | TransactionalPostgresStore {
  if (options === null || typeof options !== "object") throw new GeminiWebhooksConfigError("postgresStore", "postgresStore needs options: postgresStore({ pool }).");
  const pool = options.pool;
  checkPool("postgresStore", pool);
  const s = schemaName("postgresStore", options.schema);
  checkMs("postgresStore", "leaseMs", options.leaseMs, 1);
  checkMs("postgresStore", "doneTtlMs", options.doneTtlMs, 1);
  checkMs("postgresStore", "acquireTimeoutMs", options.acquireTimeoutMs, 1);
  checkMs("postgresStore", "statementTimeoutMs", options.statementTimeoutMs, 1);
  if (options.transactional !== undefined && typeof options.transactional !== "boolean") {
    throw new GeminiWebhooksConfigError("postgresStore.transactional", "postgresStore: transactional must be true or false.");
  }
  if (options.onError !== undefined && typeof options.onError !== "function") {
    throw new GeminiWebhooksConfigError("postgresStore.onError", "postgresStore: onError must be a function.");
  }
  const leaseMs = Math.ceil(options.leaseMs ?? DEFAULT_LEASE_MS);
  const doneTtlMs = Math.ceil(options.doneTtlMs ?? DEFAULT_DONE_TTL_MS);
  const acquireMs = options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS;
  const statementMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  guardPool(pool, options.onError);
  const ready = onFirstUse(pool, acquireMs, statementMs, (c) => migrateOn(c, s));
  const db = runner(pool, acquireMs, statementMs, ready, options.preparedStatements ?? true);

  const CLAIM = `
WITH taken AS (
  INSERT INTO ${s}.idempotency AS t (key, done, token, expires_at)
  VALUES ($1, false, $2, clock_timestamp() + $3 * interval '1 millisecond')
  ON CONFLICT (key) DO UPDATE SET done = false, token = EXCLUDED.token, expires_at = EXCLUDED.expires_at
    WHERE t.expires_at <= clock_timestamp()
  RETURNING 1
)
SELECT CASE
  WHEN EXISTS (SELECT 1 FROM taken) THEN 'new'
  WHEN (SELECT done FROM ${s}.idempotency WHERE key = $1) THEN 'done'
  ELSE 'in_progress'
END AS result`;
  const COMPLETE = `
INSERT INTO ${s}.idempotency AS t (key, done, token, expires_at)
VALUES ($1, true, NULL, clock_timestamp() + $2 * interval '1 millisecond')
ON CONFLICT (key) DO UPDATE SET done = true, token = NULL, expires_at = EXCLUDED.expires_at`;
  const RELEASE = `DELETE FROM ${s}.idempotency WHERE key = $1 AND token = $2 AND NOT done`;
  const RENEW = `UPDATE ${s}.idempotency SET expires_at = clock_timestamp() + $3 * interval '1 millisecond' WHERE key = $1 AND token = $2 AND NOT done`;
  /** The done mark inside a unit: only while the claim is still this one (no other copy took over an expired lease). */
  const MARK = `UPDATE ${s}.idempotency SET done = true, token = NULL, expires_at = clock_timestamp() + $3 * interval '1 millisecond' WHERE key = $1 AND token = $2`;
  const PRUNE = `
WITH gone AS (
  DELETE FROM ${s}.idempotency WHERE key IN (
    SELECT key FROM ${s}.idempotency WHERE expires_at < clock_timestamp() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED
  ) AND expires_at < clock_timestamp() RETURNING 1
), kv AS (
  DELETE FROM ${s}.kv WHERE key IN (
    SELECT key FROM ${s}.kv WHERE expires_at < clock_timestamp() LIMIT $1 FOR UPDATE SKIP LOCKED
  ) RETURNING 1
)
SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM kv) AS n`;

  // the claim tokens this process holds per key (ClaimTokens: complete and release take the oldest)
  const held = new ClaimTokens();

  let claims = 0;
  let pruning = false;
  async function prune(limit = PRUNE_LIMIT): Promise<number> {
    const r = await db.query<{ n: string }>(PRUNE, [limit], "a prune");
    return Number(r.rows[0]?.n ?? 0);
  }
  function maybePrune(): void {
    if (++claims % PRUNE_EVERY !== 0 || pruning) return;
    pruning = true;
    prune().then(
      () => (pruning = false),
      (e: unknown) => {
        pruning = false;
        options.onError?.(e);
      },
    );
  }

  const store: PostgresStore = {
    schema: s,
    leaseMs,
    doneTtlMs,
    prune,
    async claim(key) {
      const k = storedKey(key);
      const token = randomUUID();
      let result: ClaimResult;
      try {
        const r = await db.query<{ result: ClaimResult }>(CLAIM, [k, token, leaseMs], "a claim");
        result = r.rows[0]!.result;
      } catch (e) {
        // The claim may have landed (its answer lost): give it back, so the retry is not answered 409 for a lease.
        db.query(RELEASE, [k, token], "a release").catch(() => {});
        throw e;
      }
      maybePrune();
      if (result === "new") held.add(key, token);
      return result;
    },
    async complete(key) {
      held.take(key);
      await db.query(COMPLETE, [storedKey(key), doneTtlMs], "a complete");
    },
    async release(key) {
      const token = held.take(key);
      if (token === undefined) return;
      await db.query(RELEASE, [storedKey(key), token], "a release");
    },
    async renew(key) {
      const token = held.newest(key);
      if (token === undefined) return;
      await db.query(RENEW, [storedKey(key), token, leaseMs], "a lease renewal");
    },
    async get(key) {
      const r = await db.query<{ value: string }>(`SELECT value FROM ${s}.kv WHERE key = $1 AND expires_at > clock_timestamp()`, [storedKey(key)], "a read");
      return r.rows[0]?.value;
    },
    async set(key, value, ttlMs) {
      await db.query(
        `INSERT INTO ${s}.kv (key, value, expires_at) VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond')
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`,
        [storedKey(key), value, Math.max(1, Math.ceil(ttlMs))],
        "a write",
      );
    },
  };
  if (!options.transactional) return store;

  const transactional: TransactionalPostgresStore = {
    ...store,
    async runInUnit(key, work) {
      const token = held.newest(key);
      // Without a claim of ours (a caller that did not claim first), the mark is written unconditionally.
      const mark = token === undefined ? { text: COMPLETE, values: [storedKey(key), doneTtlMs], must: false } : { text: MARK, values: [storedKey(key), token, doneTtlMs], must: true };
      await runUnit({ pool, acquireMs, statementMs, ready, key, work, mark, prepared: options.preparedStatements ?? true });
      // committed: the claim is settled (core does not call complete after a unit)
      held.take(key);
    },
  };
  return transactional;
}
