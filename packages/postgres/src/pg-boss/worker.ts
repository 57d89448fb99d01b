import { GeminiWebhooksConfigError, type GeminiWebhooks, type UserMetadata } from "@gemini-webhooks/core";
import { settingsOf } from "@gemini-webhooks/core/extend";
import type { PgBossJob, PgBossLike } from "./boss.js";
import { checkNodeVersion } from "./node-version.js";
import { deserializeContext, workKeyFor, type GeminiJobData } from "./job.js";
import { DEFAULT_QUEUE_NAME, DEFAULT_QUEUE_OPTIONS, ensureQueue } from "./queue.js";
import type { TransactionalPostgresStore, PostgresUnit } from "../store.js";

export interface GeminiPgBossWorkerOptions<M = UserMetadata> {
  boss: PgBossLike;
  /** Default "gemini-webhooks": the name given to pgBossQueue. */
  queueName?: string;
  /**
   * The receiver's instance, made with `idempotency: postgresStore({ pool, transactional: true })`: its handlers
   * run here, inside that store's transaction, with `ctx.db`.
   */
  webhooks: GeminiWebhooks<M, PostgresUnit>;
  /** pg-boss work options (batchSize, pollingIntervalSeconds, localConcurrency…). */
  workOptions?: Record<string, unknown>;
  /** Every failed job run (pg-boss retries it) and every run that found its work claimed elsewhere. */
  onError?: (error: unknown, job: PgBossJob) => void;
}

export interface GeminiPgBossWorker {
  /** The id pg-boss gave this work() registration. */
  readonly workId: string;
  /** Stops taking jobs (pg-boss's offWork). */
  close(): Promise<void>;
}

/** Thrown for a job whose work is being run by another worker right now (its claim is live): pg-boss retries it. */
export class WorkInProgressError extends Error {
  override readonly name = "WorkInProgressError";
}

function isTransactional(store: unknown): store is TransactionalPostgresStore {
  return typeof (store as TransactionalPostgresStore | undefined)?.runInUnit === "function" && typeof (store as TransactionalPostgresStore).claim === "function";
}

/**
 * Runs one queued delivery exactly once in the database: claim the work key (the idempotency key + ":work"), then
 * the handlers inside the store's transaction with `ctx.db`, the work key's done mark in the same transaction.
 * A job run again after a crash (or a second copy of the job) finds the mark: "done", nothing runs.
 */
export async function runJob<M>(webhooks: GeminiWebhooks<M, PostgresUnit>, store: TransactionalPostgresStore, data: GeminiJobData): Promise<"ran" | "done"> {
  const ctx = deserializeContext(data.ctx);
  const key = workKeyFor(ctx.idempotencyKey);
  const claimed = await store.claim(key);
  if (claimed === "done") return "done";
  if (claimed === "in_progress") throw new WorkInProgressError(`The handlers of ${ctx.webhookId} are running elsewhere right now (or their lease has not expired yet); pg-boss retries this job.`);
  try {
    await store.runInUnit(key, async (extra) => {
      await webhooks.dispatch(data.event as never, { ...ctx, ...extra });
    });
  } catch (e) {
    await store.release(key).catch(() => {});
    throw e;
  }
  return "ran";
}

/**
 * The worker of durable mode: takes jobs from the queue filled by `pgBossQueue` and runs the receiver's typed
 * handlers, each job inside the transactional store's unit (exactly once in the database, a re-run after a crash
 * included). A handler that throws fails the job; pg-boss retries it with the queue's retry options.
 * pg-boss 12 needs Node >= 22.12.
 */
export async function createGeminiWorker<M = UserMetadata>(options: GeminiPgBossWorkerOptions<M>): Promise<GeminiPgBossWorker> {
  checkNodeVersion("createGeminiWorker");
  const { boss, webhooks } = options ?? ({} as GeminiPgBossWorkerOptions<M>);
  if (!boss || typeof boss.work !== "function") throw new GeminiWebhooksConfigError("createGeminiWorker.boss", "createGeminiWorker needs a started PgBoss instance: { boss }.");
  if (!webhooks || typeof webhooks.dispatch !== "function") throw new GeminiWebhooksConfigError("createGeminiWorker.webhooks", "createGeminiWorker needs { webhooks }: your createGeminiWebhooks instance.");
  const store = settingsOf(webhooks).store;
  if (!isTransactional(store)) {
    throw new GeminiWebhooksConfigError(
      "createGeminiWorker.webhooks",
      "createGeminiWorker runs handlers inside the store's transaction: make the instance with idempotency: postgresStore({ pool, transactional: true }).",
    );
  }
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  await ensureQueue(boss, queueName, DEFAULT_QUEUE_OPTIONS)();
  const workId = await boss.work(queueName, { ...options.workOptions }, async (jobs) => {
    // one job at a time (batchSize 1 by default); a batch runs each in its own unit and fails if any failed
    let failed: unknown;
    for (const job of jobs) {
      try {
        await runJob(webhooks, store, job.data as GeminiJobData);
      } catch (e) {
        options.onError?.(e, job);
        failed ??= e;
      }
    }
    if (failed !== undefined) throw failed;
  });
  return {
    workId,
    close: () => boss.offWork(queueName, { id: workId }),
  };
}
