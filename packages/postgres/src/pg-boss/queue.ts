import { GeminiWebhooksConfigError, type AnyGeminiEvent, type WebhookContext, type WebhookQueue } from "@gemini-webhooks/core";
import { jobIdFor, serializeContext, type GeminiJobData } from "./job.js";
import type { PgBossLike } from "./boss.js";
import { checkNodeVersion } from "./node-version.js";

export const DEFAULT_QUEUE_NAME = "gemini-webhooks";

/** Queue options the queue is created with (when it does not exist yet), unless `queueOptions` overrides them. */
export const DEFAULT_QUEUE_OPTIONS = {
  /** 10 runs, 1 s, 2 s, 4 s … apart, then the job is failed (visible in pg-boss, never dropped). */
  retryLimit: 10,
  retryDelay: 1,
  retryBackoff: true,
  /** Jobs are kept 25 h after they end, so a re-enqueue of the same delivery in Gemini's retry window is a no-op. */
  deleteAfterSeconds: 25 * 60 * 60,
} as const;

export interface PgBossQueueOptions {
  /** A started PgBoss instance (`await new PgBoss(url).start()`). */
  boss: PgBossLike;
  /** Default "gemini-webhooks". The worker must use the same name. */
  queueName?: string;
  /** Merged over DEFAULT_QUEUE_OPTIONS when the queue is created on first use. */
  queueOptions?: Record<string, unknown>;
}

export interface GeminiPgBossQueue extends WebhookQueue {
  readonly queueName: string;
}

/** Creates the queue once per process (pg-boss's createQueue is idempotent), retried after a failure. */
export function ensureQueue(boss: PgBossLike, name: string, options: Record<string, unknown>): () => Promise<void> {
  let done = false;
  let pending: Promise<void> | undefined;
  return () => {
    if (done) return Promise.resolve();
    pending ??= boss
      .createQueue(name, options)
      .then(() => void (done = true))
      .finally(() => (pending = undefined));
    return pending;
  };
}

/**
 * Core's `queue` option on pg-boss: the receiver verifies, claims, enqueues and answers 200 once the job is
 * committed in Postgres. Every copy of a delivery names the same job (its id is derived from the idempotency key,
 * which is also the `singletonKey`), so copies enqueue once. A failed enqueue answers 503 and Gemini retries.
 */
export function pgBossQueue(options: PgBossQueueOptions): GeminiPgBossQueue {
  checkNodeVersion("pgBossQueue");
  const boss = options?.boss;
  if (!boss || typeof boss.send !== "function" || typeof boss.createQueue !== "function") {
    throw new GeminiWebhooksConfigError("pgBossQueue.boss", "pgBossQueue needs a started PgBoss instance: pgBossQueue({ boss: await new PgBoss(url).start() }).");
  }
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const ready = ensureQueue(boss, queueName, { ...DEFAULT_QUEUE_OPTIONS, ...options.queueOptions });
  return {
    queueName,
    async enqueue(event: AnyGeminiEvent, ctx: WebhookContext) {
      await ready();
      const data: GeminiJobData = { event, ctx: serializeContext(ctx) };
      // null: a job with this id exists already (a copy): nothing to add
      await boss.send(queueName, data, { id: jobIdFor(ctx.idempotencyKey), singletonKey: ctx.idempotencyKey });
    },
  };
}
