import { WebhookVerificationError } from "@gemini-webhooks/core";
import type { Pool, PoolClient } from "pg";
import { acquire, giveBack, nameOf, unavailable, within } from "./pool.js";

export interface UnitRun {
  pool: Pool;
  acquireMs: number;
  statementMs: number;
  ready: () => Promise<void>;
  key: string;
  work: (extra: { db: PoolClient }) => Promise<void>;
  /** The done mark, written in the transaction after the handlers; `must`: no row updated means the claim was lost. */
  mark: { text: string; values: unknown[]; must: boolean };
  /** Send the mark as a named prepared statement. */
  prepared: boolean;
}

/** SQLSTATE 25P02: a statement failed earlier in this transaction, so every later one fails until ROLLBACK. */
const IN_FAILED_TRANSACTION = "25P02";

/** Thrown when a handler swallowed a failed statement: the transaction was aborted, its writes are gone. */
export class AbortedTransactionError extends Error {
  override readonly name = "AbortedTransactionError";
}

/**
 * One unit of work: BEGIN on a pooled client, the handlers (`work`) with that client, the done mark, COMMIT.
 *
 * - `work` rejects: ROLLBACK, and reject with its error (core releases the claim and answers 500).
 * - A handler caught a failed statement of its own and went on: Postgres has aborted the transaction, so the
 *   mark fails with 25P02. ROLLBACK and reject as a handler failure (500): nothing was written.
 * - The claim was lost (the lease expired while the handlers ran and another copy took the id over): ROLLBACK,
 *   so only that copy's writes will count, and reject with `store_unavailable`.
 * - The store cannot do its part (no client within acquireMs, BEGIN, the mark or COMMIT failing or slower than
 *   statementMs): `store_unavailable` (503). A COMMIT whose answer was lost leaves either both the writes and the
 *   mark, or neither: the retry then answers `duplicate`, or waits out the claim's lease and runs again.
 */
export async function runUnit(u: UnitRun): Promise<void> {
  await u.ready();
  const client = await acquire(u.pool, u.acquireMs);
  const step = async (text: string, values: unknown[] | undefined, what: string) => {
    try {
      return await within(client.query(text, values), u.statementMs, () => unavailable(`Postgres did not answer ${what} within ${u.statementMs} ms.`));
    } catch (e) {
      throw e instanceof WebhookVerificationError ? e : unavailable(`Postgres failed ${what}: ${(e as Error)?.message ?? String(e)}`, e);
    }
  };
  try {
    await step("BEGIN", undefined, "a BEGIN");
  } catch (e) {
    giveBack(client, e);
    throw e;
  }
  let failed = false;
  let error: unknown;
  try {
    await u.work({ db: client });
  } catch (e) {
    failed = true;
    error = e;
  }
  if (failed) {
    await rollback(client, u.statementMs);
    throw error;
  }
  let marked: { rowCount: number | null };
  try {
    const q = u.prepared ? client.query({ name: nameOf(u.mark.text), text: u.mark.text, values: u.mark.values }) : client.query(u.mark.text, u.mark.values);
    marked = await within(q, u.statementMs, () => unavailable(`Postgres did not answer the done mark within ${u.statementMs} ms.`));
  } catch (e) {
    if ((e as { code?: string })?.code === IN_FAILED_TRANSACTION) {
      await rollback(client, u.statementMs);
      throw new AbortedTransactionError(
        "A statement in the handlers' transaction failed and a handler went on without rethrowing: Postgres aborted the transaction, so none of its writes were kept. Let the error propagate (or use a SAVEPOINT) and Gemini's retry runs the handlers again.",
        { cause: e },
      );
    }
    giveBack(client, e);
    throw e instanceof WebhookVerificationError ? e : unavailable(`Postgres failed the done mark: ${(e as Error)?.message ?? String(e)}`, e);
  }
  if (u.mark.must && marked.rowCount === 0) {
    await rollback(client, u.statementMs);
    throw unavailable(
      `The claim of ${u.key} expired while its handlers ran and another copy took it over; this run's writes were rolled back (raise leaseMs, or keep handlers shorter than it).`,
    );
  }
  try {
    await step("COMMIT", undefined, "the COMMIT");
  } catch (e) {
    giveBack(client, e);
    throw e;
  }
  giveBack(client);
}

/** ROLLBACK and give the client back (destroyed when the ROLLBACK itself fails). Never throws. */
async function rollback(client: PoolClient, ms: number): Promise<void> {
  try {
    await within(client.query("ROLLBACK"), ms, () => new Error("ROLLBACK timed out"));
    giveBack(client);
  } catch (e) {
    giveBack(client, e);
  }
}
