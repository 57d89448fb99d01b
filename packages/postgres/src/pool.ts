import { createHash } from "node:crypto";
import { GeminiWebhooksConfigError, WebhookVerificationError } from "@gemini-webhooks/core";
import type { Pool, PoolClient, QueryResult } from "pg";

/** The default longest wait for a pool client, ms. */
export const DEFAULT_ACQUIRE_TIMEOUT_MS = 3000;
/** The default longest wait for one of the store's own statements, ms. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;

/** 503 `store_unavailable`: not the sender's fault, so Gemini retries. */
export function unavailable(message: string, cause?: unknown): WebhookVerificationError {
  return new WebhookVerificationError("store_unavailable", message, cause === undefined ? undefined : { cause });
}

export function checkPool(fn: string, pool: unknown): asserts pool is Pool {
  const p = pool as Pool | null;
  if (p === null || typeof p !== "object" || typeof p.connect !== "function" || typeof p.query !== "function" || typeof p.on !== "function") {
    throw new GeminiWebhooksConfigError(`${fn}.pool`, `${fn}: pool must be a pg Pool (import { Pool } from "pg"; new Pool({ connectionString })).`);
  }
}

export function checkMs(fn: string, name: string, v: unknown, min: number): void {
  if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v < min)) {
    throw new GeminiWebhooksConfigError(`${fn}.${name}`, `${fn}: ${name} must be a number ≥ ${min} (milliseconds).`);
  }
}

const guarded = new WeakSet<Pool>();

/**
 * An idle pooled client whose server goes away (Postgres restarting, a failover) makes the Pool emit "error",
 * and an EventEmitter with no "error" listener throws it: the process dies. One listener per pool, added once,
 * keeps it alive; the pool drops the broken client by itself. The user's own listeners still get every error.
 */
export function guardPool(pool: Pool, onError: ((error: unknown) => void) | undefined): void {
  if (guarded.has(pool)) return;
  guarded.add(pool);
  pool.on("error", (e) => onError?.(e));
}

/** Rejects when `promise` has not settled within `ms`; the timer never keeps the process alive. */
export function within<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref?.();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

const ignore = () => {};

/**
 * Checks a client out of the pool, waiting at most `ms` (an exhausted pool or a database that does not accept
 * connections is then `store_unavailable`, never a hang). A client that arrives after we gave up goes straight
 * back. While checked out, a client error (its server went away between two statements) is caught: the next
 * statement fails instead, and the process lives on.
 */
export async function acquire(pool: Pool, ms: number): Promise<PoolClient> {
  const connecting = pool.connect();
  let client: PoolClient;
  try {
    client = await within(connecting, ms, () => unavailable(`No Postgres connection within ${ms} ms (the pool is exhausted or the database is not answering).`));
  } catch (e) {
    connecting.then((c) => c.release(), ignore);
    throw e instanceof WebhookVerificationError ? e : unavailable(`Could not connect to Postgres: ${(e as Error)?.message ?? String(e)}`, e);
  }
  client.on("error", ignore);
  return client;
}

/** Gives a client back; `broken` destroys it instead (its state is unknown: a statement timed out or failed mid-way). */
export function giveBack(client: PoolClient, broken?: unknown): void {
  client.removeListener("error", ignore);
  // a destroyed client may still emit once its socket closes
  if (broken !== undefined) client.on("error", ignore);
  client.release(broken === undefined ? undefined : broken instanceof Error ? broken : new Error(String(broken)));
}

const names = new Map<string, string>();
/** The prepared-statement name of a statement's text: the same text always gets the same name. */
export function nameOf(text: string): string {
  let n = names.get(text);
  if (n === undefined) names.set(text, (n = `gw_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`));
  return n;
}

export interface Runner {
  /** One statement on a pooled client, the whole call bounded; any failure is `store_unavailable`. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values: unknown[], what: string): Promise<QueryResult<R>>;
}

/**
 * Runs the store's own statements: acquire (bounded by acquireMs), then the statement (bounded by statementMs).
 * `prepared`: as named statements, parsed and planned once per connection (pg keeps them per client), not on
 * every delivery; turn off behind a pooler that cannot keep prepared statements (PgBouncer < 1.21 in transaction mode).
 */
export function runner(pool: Pool, acquireMs: number, statementMs: number, ready: () => Promise<void>, prepared = true): Runner {
  return {
    async query<R extends Record<string, unknown>>(text: string, values: unknown[], what: string) {
      await ready();
      const client = await acquire(pool, acquireMs);
      try {
        const q = prepared ? client.query<R>({ name: nameOf(text), text, values }) : client.query<R>(text, values);
        const r = await within(q, statementMs, () => unavailable(`Postgres did not answer ${what} within ${statementMs} ms.`));
        giveBack(client);
        return r;
      } catch (e) {
        giveBack(client, e);
        throw e instanceof WebhookVerificationError ? e : unavailable(`Postgres failed ${what}: ${(e as Error)?.message ?? String(e)}`, e);
      }
    },
  };
}

/**
 * Creates the tables on first use: one migration at a time per store, retried on the next call after a failure
 * (the database may be down at startup). Bounded like any statement.
 */
export function onFirstUse(pool: Pool, acquireMs: number, statementMs: number, run: (client: PoolClient) => Promise<void>): () => Promise<void> {
  let done = false;
  let pending: Promise<void> | undefined;
  return () => {
    if (done) return Promise.resolve();
    pending ??= (async () => {
      const client = await acquire(pool, acquireMs);
      try {
        await within(run(client), statementMs * 2, () => unavailable(`Creating the tables did not finish within ${statementMs * 2} ms.`));
        giveBack(client);
        done = true;
      } catch (e) {
        giveBack(client, e);
        throw e instanceof WebhookVerificationError ? e : unavailable(`Could not create the tables: ${(e as Error)?.message ?? String(e)}`, e);
      }
    })().finally(() => (pending = undefined));
    return pending;
  };
}
