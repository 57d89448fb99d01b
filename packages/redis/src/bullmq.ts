import { createRequire } from "node:module";
import type * as BullMQ from "bullmq";

let loaded: typeof BullMQ | undefined;

/**
 * bullmq is an optional peer: loaded on first use, so `redisStore` alone needs neither bullmq nor ioredis.
 */
export function loadBullmq(): typeof BullMQ {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)("bullmq") as typeof BullMQ;
  } catch (e) {
    throw new Error('The durable queue needs the "bullmq" package next to @gemini-webhooks/redis: npm install bullmq', { cause: e });
  }
  return loaded;
}
