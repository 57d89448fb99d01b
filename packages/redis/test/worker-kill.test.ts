// A worker process killed mid-job (SIGKILL while the handler runs): once a new worker starts, BullMQ's
// stalled-job check hands the job to it and the event is processed — once.
import { afterAll, beforeAll, expect, it } from "vitest";
import express from "express";
import request from "supertest";
import { Redis } from "ioredis";
import { geminiWebhooks } from "@gemini-webhooks/express";
import { redisStore } from "@gemini-webhooks/redis";
import { bullmqQueue, jobIdFor, type GeminiBullmqQueue } from "@gemini-webhooks/redis/bullmq";
import { signStatic } from "@gemini-webhooks/testing";
import { SECRET } from "../../../test/support/receiver.js";
import { ensureBuilt, startChild, type Child } from "./processes.js";
import { describeRedis, startRedis, type RedisServer } from "../../../test/support/redis-server.js";
import { until } from "../../../test/support/wait.js";

describeRedis("durable mode: a worker process killed mid-job", () => {
  let server: RedisServer;
  let redis: Redis;
  let queue: GeminiBullmqQueue;
  const children: Child[] = [];

  beforeAll(async () => {
    ensureBuilt();
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill("SIGKILL")));
    await queue?.close();
    redis?.disconnect();
    await server?.dispose();
  });

  it("the job the dead worker held is processed by the next worker, exactly once", { timeout: 60_000 }, async () => {
    queue = bullmqQueue({ connection: { host: "127.0.0.1", port: server.port }, queueName: "kill" });
    const app = express();
    app.post("/gemini-callback", geminiWebhooks({ secret: SECRET, queue, idempotency: redisStore(redis, { prefix: "kill:" }) }));
    const deliver = async (id: string, type = "batch.succeeded") => {
      const d = signStatic({ event: { type, version: "v1", timestamp: "2026-01-22T12:00:00Z", data: { id, output_file_uri: "gs://b/o" } }, secret: SECRET, id });
      const res = await request(app).post("/gemini-callback").set(d.headers).send(d.body);
      expect([res.status, res.body]).toEqual([200, { status: "received" }]);
    };
    const effect = async (id: string) => redis.hget("wk:effects", id);
    const env = { REDIS_PORT: String(server.port), QUEUE: "kill", PREFIX: "wk:", LOCK_MS: "1000", STALLED_MS: "300" };

    const first = startChild("worker.mjs", { ...env, BLOCK_ID: "msg_kill" });
    children.push(first);
    await first.waitFor(/READY/);
    await deliver("msg_before");
    await until(async () => (await effect("msg_before")) === "1", "the first worker to process msg_before");

    await deliver("msg_kill");
    await first.waitFor(/BLOCKED msg_kill/);
    await first.kill("SIGKILL");
    expect(first.proc.signalCode).toBe("SIGKILL");
    expect(await effect("msg_kill")).toBeNull();
    expect(await (await queue.queue.getJob(jobIdFor("gemini:msg_kill")))?.getState()).toBe("active"); // held by a dead worker

    await deliver("msg_while_down"); // accepted while no worker runs: it waits in Redis

    const second = startChild("worker.mjs", env);
    children.push(second);
    await second.waitFor(/READY/);
    await until(async () => (await effect("msg_kill")) === "1" && (await effect("msg_while_down")) === "1", "the new worker to process both");
    await until(async () => (await queue.queue.getJobCounts("completed")).completed === 3, "all three jobs to be completed");
    expect(await (await queue.queue.getJob(jobIdFor("gemini:msg_kill")))?.getState()).toBe("completed");
    expect(await redis.hgetall("wk:effects")).toEqual({ msg_before: "1", msg_kill: "1", msg_while_down: "1" });
    expect((await queue.queue.getJobCounts("failed")).failed).toBe(0);
    await second.kill();
  });
});
