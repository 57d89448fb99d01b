// `@gemini-webhooks/redis/bullmq`: the durable queue and its worker. A subpath of its own, so that apps that
// use only `redisStore` need neither bullmq installed nor its types (`skipLibCheck: false` included).
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
