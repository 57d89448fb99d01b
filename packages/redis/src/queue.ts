import type { AnyGeminiEvent, WebhookContext, WebhookQueue } from "@gemini-webhooks/core";
import { Queue, type ConnectionOptions, type Job, type JobsOptions } from "bullmq";
import { deserializeContext, jobIdFor, serializeContext, type GeminiJobData } from "./job.js";
import { checkMs, withTimeout } from "./timeout.js";

export const DEFAULT_QUEUE_NAME = "gemini-webhooks";

/** Job options every enqueued delivery gets unless `jobOptions` overrides them. */
export const DEFAULT_JOB_OPTIONS = {
  /** 10 runs, 1 s, 2 s, 4 s … apart (about 17 min in all), then the failed set. */
  attempts: 10,
  backoff: { type: "exponential", delay: 1000 },
  /** Completed jobs are kept 25 h, so a re-enqueue of the same delivery in Gemini's retry window is a no-op. */
  removeOnComplete: { age: 25 * 60 * 60 },
  /** Failed jobs stay in the failed set until you retry or remove them: visible, never dropped. */
  removeOnFail: false,
} as const satisfies JobsOptions;

export interface BullmqQueueOptions {
  /** Redis connection for BullMQ (ioredis options or an ioredis instance). Not needed when `queue` is given. */
  connection?: ConnectionOptions;
  /** Default "gemini-webhooks". The worker must use the same name (and prefix). */
  queueName?: string;
  /** BullMQ key prefix. Default BullMQ's ("bull"). */
  prefix?: string;
  /** Merged over DEFAULT_JOB_OPTIONS (attempts, backoff, removeOnComplete, removeOnFail). `jobId` is always ours. */
  jobOptions?: Omit<JobsOptions, "jobId">;
  /** Longest wait for Redis to accept the job, ms; past it the delivery gets 503 and Gemini retries. Default 2000; 0: no limit. */
  timeoutMs?: number;
  /** A BullMQ Queue you made yourself, instead of `connection` + `queueName`. */
  queue?: Queue;
  /** Connection errors of the queue (BullMQ prints them with console.error when this is not set). */
  onError?: (error: unknown) => void;
}

/** A delivery in the failed set. */
export interface FailedDelivery {
  jobId: string;
  event: AnyGeminiEvent;
  ctx: WebhookContext;
  failedReason: string;
  attemptsMade: number;
  /** The BullMQ job (`await failed.job.retry()` runs it again). */
  job: Job<GeminiJobData>;
}

export interface GeminiBullmqQueue extends WebhookQueue {
  /** The BullMQ queue. */
  readonly queue: Queue<GeminiJobData>;
  /** Deliveries whose handlers failed on every attempt, oldest first by default. */
  failed(start?: number, end?: number): Promise<FailedDelivery[]>;
  /** Closes the queue's connection (not a connection instance you passed in). */
  close(): Promise<void>;
}

/** Reads the failed set of a webhook queue. */
export async function failedDeliveries(queue: Queue, start = 0, end = -1): Promise<FailedDelivery[]> {
  const jobs = (await queue.getFailed(start, end)) as Job<GeminiJobData>[];
  return jobs
    .filter((job): job is Job<GeminiJobData> => Boolean(job?.data?.event && job.data.ctx))
    .map((job) => ({
      jobId: String(job.id),
      event: job.data.event,
      ctx: deserializeContext(job.data.ctx),
      failedReason: job.failedReason,
      attemptsMade: job.attemptsMade,
      job,
    }));
}

/**
 * Durable mode for core's `queue` option: the receiver verifies, claims, adds the event to a BullMQ queue
 * (job id derived from the idempotency key, so a second enqueue of one delivery is a no-op) and only then
 * answers 200. Run the handlers with `createGeminiWorker`.
 */
export function bullmqQueue(options: BullmqQueueOptions): GeminiBullmqQueue {
  if (options === null || typeof options !== "object") throw new TypeError("bullmqQueue needs { connection, queueName? }.");
  if (!options.queue && !options.connection) throw new TypeError("bullmqQueue needs a Redis connection: bullmqQueue({ connection: { host, port } }).");
  checkMs("bullmqQueue", "timeoutMs", options.timeoutMs, 0);
  const timeoutMs = options.timeoutMs ?? 2000;
  const jobOptions: JobsOptions = { ...DEFAULT_JOB_OPTIONS, ...options.jobOptions };
  const own = !options.queue;
  let queue: Queue<GeminiJobData>;
  if (options.queue) {
    queue = options.queue as Queue<GeminiJobData>;
  } else {
    queue = new Queue<GeminiJobData>(options.queueName ?? DEFAULT_QUEUE_NAME, {
      connection: options.connection!,
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    });
  }
  if (options.onError) queue.on("error", options.onError);

  return {
    queue,
    async enqueue(event, ctx) {
      const data: GeminiJobData = { event, ctx: serializeContext(ctx) };
      // An existing job with this id (waiting, active, completed within 25 h or failed) makes add() a no-op.
      const add = (queue as Queue).add(event.type, data, { ...jobOptions, jobId: jobIdFor(ctx.idempotencyKey) });
      add.catch(() => {});
      await withTimeout(add, timeoutMs, "an enqueue");
    },
    failed: (start, end) => failedDeliveries(queue as Queue, start, end),
    async close() {
      if (own) await queue.close();
    },
  };
}
