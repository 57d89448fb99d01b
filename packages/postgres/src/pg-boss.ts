// `@gemini-webhooks/postgres/pg-boss`: durable mode on pg-boss 12 (Node >= 22.12). A subpath of its own, so that
// apps that use only the store (Node >= 20) need no pg-boss.
export { pgBossQueue, DEFAULT_QUEUE_NAME, DEFAULT_QUEUE_OPTIONS, type PgBossQueueOptions, type GeminiPgBossQueue } from "./pg-boss/queue.js";
export { createGeminiWorker, runJob, WorkInProgressError, type GeminiPgBossWorker, type GeminiPgBossWorkerOptions } from "./pg-boss/worker.js";
export { jobIdFor, workKeyFor, serializeContext, deserializeContext, type GeminiJobData, type SerializedContext } from "./pg-boss/job.js";
export type { PgBossLike, PgBossJob } from "./pg-boss/boss.js";
