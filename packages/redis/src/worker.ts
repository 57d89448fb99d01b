import { createGeminiWebhooks, type GeminiWebhooks, type HandlerMap, type UserMetadata } from "@gemini-webhooks/core";
import { Worker, type ConnectionOptions, type Job, type WorkerOptions } from "bullmq";
import { deserializeContext, type GeminiJobData } from "./job.js";
import { DEFAULT_QUEUE_NAME } from "./queue.js";

/** What a finished job returns: how many handlers ran. */
export interface GeminiJobResult {
  handlers: number;
}

export type GeminiWorker = Worker<GeminiJobData, GeminiJobResult>;

export interface GeminiWorkerOptions<M = UserMetadata> {
  /** Redis connection for BullMQ (ioredis options or an ioredis instance with `maxRetriesPerRequest: null`). */
  connection: ConnectionOptions;
  /** Default "gemini-webhooks": the name given to bullmqQueue. */
  queueName?: string;
  /** BullMQ key prefix, as given to bullmqQueue. */
  prefix?: string;
  /** The receiver's instance: its handlers (`on` option and `.on()` calls) run here. Or give `on`. */
  webhooks?: GeminiWebhooks<M>;
  /** Handlers per event type, as in createGeminiWebhooks. Used when `webhooks` is not given. */
  on?: HandlerMap<M>;
  /** Jobs run at the same time by this worker. Default 1 (BullMQ's). */
  concurrency?: number;
  /** More BullMQ worker options: lockDuration, stalledInterval, maxStalledCount, limiter, autorun… */
  workerOptions?: Omit<WorkerOptions, "connection" | "concurrency" | "prefix">;
  /** Every failed attempt (`final`: no attempt left, the job is now in the failed set) and connection errors. */
  onError?: (error: unknown, info: { job?: Job<GeminiJobData>; final?: boolean }) => void;
}

/** A throwaway secret: the worker's own instance never verifies a request, it only dispatches. */
function internalSecret(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${Buffer.from(bytes).toString("base64")}`;
}

/** The BullMQ processor: runs the typed handlers for one queued delivery; rejects (so BullMQ retries) if one threw. */
export function geminiProcessor<M>(webhooks: GeminiWebhooks<M>): (job: Job<GeminiJobData>) => Promise<GeminiJobResult> {
  return async (job) => {
    const ctx = deserializeContext(job.data.ctx);
    const handlers = await webhooks.dispatch(job.data.event as never, ctx);
    return { handlers };
  };
}

/**
 * Runs the same typed handlers as the receiver, from the queue filled by `bullmqQueue`. A handler that throws
 * fails the attempt; BullMQ retries it with the job's attempts and backoff (bullmqQueue's defaults: 10 attempts,
 * exponential from 1 s) and then keeps it in the failed set. A worker that dies mid-job leaves a stalled job that
 * another worker picks up once the lock (`lockDuration`, default 30 s) has expired.
 */
export function createGeminiWorker<M = UserMetadata>(options: GeminiWorkerOptions<M>): GeminiWorker {
  if (options === null || typeof options !== "object") throw new TypeError("createGeminiWorker needs { connection, webhooks | on }.");
  if (!options.connection) throw new TypeError("createGeminiWorker needs a Redis connection: { connection: { host, port } }.");
  if (!options.webhooks && !options.on) throw new TypeError("createGeminiWorker needs the handlers: { webhooks } (your createGeminiWebhooks instance) or { on }.");
  const webhooks = options.webhooks ?? createGeminiWebhooks<M>({ secret: internalSecret(), idempotency: false, on: options.on! });
  const worker = new Worker<GeminiJobData, GeminiJobResult>(options.queueName ?? DEFAULT_QUEUE_NAME, geminiProcessor(webhooks), {
    ...options.workerOptions,
    connection: options.connection,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
  });
  const onError = options.onError;
  if (onError) {
    const safe = (error: unknown, info: { job?: Job<GeminiJobData>; final?: boolean }) => {
      try {
        onError(error, info);
      } catch {
        /* a throwing onError must not stop the worker */
      }
    };
    worker.on("error", (error) => safe(error, {}));
    worker.on("failed", (job, error) => {
      const final = job ? job.attemptsMade >= (job.opts.attempts ?? 1) : undefined;
      safe(error, { ...(job ? { job } : {}), ...(final !== undefined ? { final } : {}) });
    });
  }
  return worker;
}
