// Durable mode: receiver → BullMQ queue → createGeminiWorker, against a real redis-server, in one process.
import { afterAll, beforeAll, expect, it } from "vitest";
import express from "express";
import request from "supertest";
import { Redis } from "ioredis";
import { createGeminiWebhooks, type AnyGeminiEvent, type GeminiWebhooksOptions, type WebhookContext } from "@gemini-webhooks/core";
import { geminiWebhooks } from "@gemini-webhooks/express";
import { redisStore } from "@gemini-webhooks/redis";
import {
  bullmqQueue,
  createGeminiWorker,
  deserializeContext,
  jobIdFor,
  serializeContext,
  type GeminiBullmqQueue,
  type GeminiWorker,
} from "@gemini-webhooks/redis/bullmq";
import { SECRET, clock, signed } from "../../../test/support/receiver.js";
import { describeRedis, startRedis, type RedisServer } from "../../../test/support/redis-server.js";
import { until } from "../../../test/support/wait.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeRedis("durable mode: bullmqQueue + createGeminiWorker", () => {
  let server: RedisServer;
  let redis: Redis;
  const closers: (() => Promise<unknown>)[] = [];
  const connection = () => ({ host: "127.0.0.1", port: server.port });

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    redis?.disconnect();
    await server?.dispose();
  });

  function queueOf(queueName: string, o: Partial<Parameters<typeof bullmqQueue>[0]> = {}): GeminiBullmqQueue {
    const q = bullmqQueue({ connection: connection(), queueName, ...o });
    closers.push(() => q.close());
    return q;
  }
  function workerOf(w: GeminiWorker): GeminiWorker {
    closers.push(() => w.close());
    return w;
  }
  function app(queue: GeminiBullmqQueue, prefix: string, extra: Partial<GeminiWebhooksOptions> = {}) {
    const a = express();
    a.post("/gemini-callback", geminiWebhooks({ secret: SECRET, now: clock(), queue, idempotency: redisStore(redis, { prefix }), ...extra } as GeminiWebhooksOptions));
    return a;
  }
  const post = (a: express.Express, d: ReturnType<typeof signed>) => request(a).post("/gemini-callback").set(d.headers).send(d.body);

  it("jobIdFor: BullMQ-safe, deterministic, one-to-one", () => {
    expect(jobIdFor("gemini:msg_1")).toBe("gemini%3Amsg_1");
    expect(jobIdFor("gemini:msg_1")).toBe(jobIdFor("gemini:msg_1"));
    const keys = ["a:b", "a%3Ab", "a%b", "a%25b", "a::b", "123", "%123", ":", "%3A"];
    const ids = keys.map(jobIdFor);
    expect(new Set(ids).size).toBe(keys.length);
    for (const id of ids) {
      expect(id).not.toContain(":");
      expect(id).not.toMatch(/^\d+$/);
    }
  });

  it("the receiver answers 200 only after the job is in Redis; the worker runs the typed handler with the same ctx", async () => {
    const queue = queueOf("q-ctx");
    const a = app(queue, "ctx:");
    const d = signed(undefined, { id: "msg_q1" });
    const res = await post(a, d);
    expect([res.status, res.body]).toEqual([200, { status: "received" }]);
    // Already durable at the 200, before any worker exists:
    const job = await queue.queue.getJob(jobIdFor("gemini:msg_q1"));
    expect(job?.data.event).toEqual(JSON.parse(d.body));
    expect((await queue.queue.getJobCounts("waiting")).waiting).toBe(1);
    // A copy of the delivery is a duplicate, and no second job.
    expect((await post(a, d)).body).toEqual({ status: "duplicate" });

    const seen: { event: AnyGeminiEvent; ctx: WebhookContext }[] = [];
    const webhooks = createGeminiWebhooks({ secret: SECRET, idempotency: false });
    webhooks.on("batch.succeeded", (event, ctx) => {
      event.data.output_file_uri satisfies string; // typed as in the receiver
      seen.push({ event, ctx });
    });
    const worker = workerOf(createGeminiWorker({ connection: connection(), queueName: "q-ctx", webhooks }));
    await until(() => seen.length === 1, "the worker to run the handler");
    const { event, ctx } = seen[0]!;
    expect(event).toEqual(JSON.parse(d.body));
    expect(ctx).toMatchObject({ webhookId: "msg_q1", scheme: "v1", secretIndex: 0, idempotencyKey: "gemini:msg_q1" });
    expect(ctx.timestamp).toBeInstanceOf(Date);
    expect(ctx.timestamp.getTime()).toBe(Number(d.headers["webhook-timestamp"]) * 1000);
    expect(Buffer.from(ctx.rawBody).toString("utf8")).toBe(d.body);
    await until(async () => (await queue.queue.getJobCounts("completed")).completed === 1, "the job to complete");
    expect((await queue.queue.getJob(jobIdFor("gemini:msg_q1")))?.returnvalue).toEqual({ handlers: 1 });
    await worker.close();
  });

  it("enqueue is idempotent on the idempotency key, also after the job completed", async () => {
    const queue = queueOf("q-idem");
    const webhooks = createGeminiWebhooks({ secret: SECRET, now: clock(), idempotency: false });
    const { event, ctx } = await webhooks.verifyDelivery(signed(undefined, { id: "msg_idem" }));
    await Promise.all([queue.enqueue(event, ctx), queue.enqueue(event, ctx), queue.enqueue(event, ctx)]);
    expect(await queue.queue.getJobCountByTypes("waiting", "active", "completed", "failed", "delayed")).toBe(1);
    let runs = 0;
    const worker = workerOf(createGeminiWorker({ connection: connection(), queueName: "q-idem", on: { "*": () => void runs++ } }));
    await until(async () => (await queue.queue.getJobCounts("completed")).completed === 1, "the job to complete");
    await queue.enqueue(event, ctx);
    await sleep(200);
    expect(await queue.queue.getJobCountByTypes("waiting", "active", "completed", "failed", "delayed")).toBe(1);
    expect(runs).toBe(1);
    await worker.close();
  });

  it("a handler that keeps failing is retried with backoff, then stays in the failed set (visible, retryable)", async () => {
    const queue = queueOf("q-fail", { jobOptions: { attempts: 3, backoff: { type: "exponential", delay: 20 } } });
    const a = app(queue, "fail:");
    let broken = true;
    let attempts = 0;
    const errors: { final?: boolean; message: string }[] = [];
    const worker = workerOf(
      createGeminiWorker({
        connection: connection(),
        queueName: "q-fail",
        on: {
          "batch.failed": () => {
            attempts++;
            if (broken) throw new Error("downstream is down");
          },
        },
        onError: (e, info) => errors.push({ message: (e as Error).message, ...(info.final !== undefined ? { final: info.final } : {}) }),
      }),
    );
    const d = signed({ type: "batch.failed", data: { id: "b", error_code: "X", error_message: "y" } }, { id: "msg_fail" });
    expect((await post(a, d)).body).toEqual({ status: "received" });
    await until(async () => (await queue.queue.getJobCounts("failed")).failed === 1, "the job to reach the failed set");
    expect(attempts).toBe(3);
    expect(errors).toEqual([
      { message: "downstream is down", final: false },
      { message: "downstream is down", final: false },
      { message: "downstream is down", final: true },
    ]);
    const failed = await queue.failed();
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ jobId: jobIdFor("gemini:msg_fail"), failedReason: "downstream is down", attemptsMade: 3, event: JSON.parse(d.body) });
    expect(failed[0]!.ctx.webhookId).toBe("msg_fail");
    // Still failed a while later: not dropped, not retried forever.
    await sleep(200);
    expect(await queue.queue.getJobCounts("failed", "completed")).toEqual({ failed: 1, completed: 0 });
    // After the fix, a retry from the failed set runs it.
    broken = false;
    await failed[0]!.job.retry();
    await until(async () => (await queue.queue.getJobCounts("completed")).completed === 1, "the retried job to complete");
    expect(attempts).toBe(4);
    await worker.close();
  });

  it("Redis for the queue down: 503 store_unavailable and the claim is released, so the retry is accepted later", async () => {
    const queueServer = await startRedis();
    closers.push(() => queueServer.dispose());
    const queue = bullmqQueue({ connection: { host: "127.0.0.1", port: queueServer.port }, queueName: "q-down", timeoutMs: 300, onError: () => {} });
    closers.push(() => queue.close());
    await queue.queue.waitUntilReady();
    const a = app(queue, "qdown:");
    await queueServer.stop();
    const d = signed(undefined, { id: "msg_qdown" });
    const r = await post(a, d);
    expect([r.status, r.body.error?.code]).toEqual([503, "store_unavailable"]);
    expect(await redis.get("qdown:gemini:msg_qdown")).toBeNull(); // released: not "in progress" for a lease
    await queueServer.start();
    let last: request.Response | undefined;
    await until(async () => {
      last = await post(a, d);
      return last.status === 200;
    }, "the queue to reconnect");
    expect(last!.body).toEqual({ status: "received" });
    expect((await queue.queue.getJobCounts("waiting")).waiting).toBe(1);
  });

  it("serializeContext/deserializeContext round-trip every field", () => {
    const ctx: WebhookContext = {
      webhookId: "msg_x",
      timestamp: new Date("2026-01-22T12:00:00Z"),
      scheme: "jwt",
      keyId: "k1",
      claims: { aud: "me", iat: 1 },
      rawBody: new Uint8Array([0, 1, 2, 250, 255]),
      idempotencyKey: "gemini:msg_x",
    };
    const back = deserializeContext(JSON.parse(JSON.stringify(serializeContext(ctx))));
    expect(back).toEqual(ctx);
  });
});
