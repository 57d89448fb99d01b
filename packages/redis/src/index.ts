export { redisStore, type RedisStore, type RedisStoreOptions } from "./store.js";
export type { RedisClientLike, IoRedisLike, NodeRedisLike } from "./client.js";
export { RedisTimeoutError } from "./timeout.js";
export {
  bullmqQueue,
  failedDeliveries,
  DEFAULT_QUEUE_NAME,
  DEFAULT_JOB_OPTIONS,
  type BullmqQueueOptions,
  type GeminiBullmqQueue,
  type FailedDelivery,
} from "./queue.js";
export { createGeminiWorker, geminiProcessor, type GeminiWorker, type GeminiWorkerOptions, type GeminiJobResult } from "./worker.js";
export { jobIdFor, serializeContext, deserializeContext, type GeminiJobData, type SerializedContext } from "./job.js";
export { redisDeadLetters, type RedisDeadLetters, type RedisDeadLettersOptions } from "./dead-letters.js";
