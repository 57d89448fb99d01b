export { redisStore, type RedisStore, type RedisStoreOptions } from "./store.js";
export type { RedisClientLike, IoRedisLike, NodeRedisLike } from "./client.js";
export { RedisTimeoutError } from "./timeout.js";
// The BullMQ queue and worker are in "@gemini-webhooks/redis/bullmq" (their types import bullmq).
export { redisDeadLetters, type RedisDeadLetters, type RedisDeadLettersOptions } from "./dead-letters.js";
