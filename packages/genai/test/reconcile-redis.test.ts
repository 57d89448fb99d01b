// Two receivers sharing one real redis-server (each with its own client and store, as two instances behind a
// load balancer) reconcile the same jobs at the same time, while webhooks arrive for some of them: every job
// outcome runs exactly once, and the checkpoint is shared.
import { afterAll, beforeAll, expect, it } from "vitest";
import { Redis } from "ioredis";
import { redisStore } from "@gemini-webhooks/redis";
import { DEFAULT_CHECKPOINT_KEY, reconcile } from "@gemini-webhooks/genai";
import { startGeminiApi, type GeminiApi } from "../../../test/support/gemini-api.js";
import { describeRedis, startRedis, type RedisServer } from "../../../test/support/redis-server.js";
import { deliver, ended, iso, MIN, NOW, receiver } from "./helpers.js";

describeRedis("reconcile with redisStore across instances", () => {
  let server: RedisServer;
  let api: GeminiApi;
  const clients: Redis[] = [];
  const client = () => {
    const c = new Redis(server.url, { maxRetriesPerRequest: 1 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startRedis();
    api = await startGeminiApi();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await api?.close();
    await server?.dispose();
  });

  it("two receivers reconcile concurrently while webhooks arrive: each outcome runs once", { timeout: 60_000 }, async () => {
    const JOBS = 120;
    for (let i = 0; i < JOBS; i++) ended(api, `j${i}`, 5 * MIN + i * 1000, i % 10 === 9 ? "BATCH_STATE_FAILED" : "BATCH_STATE_SUCCEEDED");
    const now = () => NOW;
    // Handlers that take a moment, so the two runs overlap job by job.
    const a = receiver({ store: redisStore(client(), { prefix: "rc1:" }), now, workMs: 2 });
    const b = receiver({ store: redisStore(client(), { prefix: "rc1:" }), now, workMs: 2 });

    // Webhooks for every third job, to either receiver, racing the reconcilers.
    const webhooks = Array.from({ length: JOBS / 3 }, (_, k) => {
      const i = k * 3;
      const type = i % 10 === 9 ? "batch.failed" : "batch.succeeded";
      const data = type === "batch.failed" ? { id: `batches/j${i}`, error_code: "13", error_message: "x" } : { id: `batches/j${i}`, output_file_uri: `files/batch-j${i}` };
      return deliver((k % 2 ? a : b).webhooks, { type, data });
    });
    const [ra, rb, ...answers] = await Promise.all([
      reconcile({ ai: api.client(), webhooks: a.webhooks, now }),
      reconcile({ ai: api.client(), webhooks: b.webhooks, now }),
      ...webhooks,
    ]);

    // A copy that found the outcome in progress elsewhere (409 / in_progress) is settled by the next run.
    const again = await Promise.all([reconcile({ ai: api.client(), webhooks: a.webhooks, now }), reconcile({ ai: api.client(), webhooks: b.webhooks, now })]);

    const c = (r: typeof ra) => `${r.counts.received} received, ${r.counts.duplicate} duplicate, ${r.counts.in_progress} in progress`;
    console.log(`reconciler A: ${c(ra)}; reconciler B: ${c(rb)}; webhooks: ${answers.filter((r) => r.status === 200).length}/${answers.length} answered 200`);
    const runs = [...a.runs, ...b.runs];
    const perJob = new Map<string, number>();
    for (const r of runs) perJob.set(r.job, (perJob.get(r.job) ?? 0) + 1);
    expect(perJob.size).toBe(JOBS);
    expect([...perJob.values()].every((n) => n === 1)).toBe(true);
    expect(runs.filter((r) => r.scheme === "reconcile").length).toBe(
      ra.counts.received + rb.counts.received + again[0].counts.received + again[1].counts.received,
    );
    // Nothing lost, nothing doubled: the reconcilers' "received" plus the webhooks' "received" is every job.
    const byWebhook = answers.filter((r) => r.status === 200 && (r.body as { status?: string }).status === "received").length;
    expect(ra.counts.received + rb.counts.received + again[0].counts.received + again[1].counts.received + byWebhook).toBe(JOBS);
    for (const res of answers) expect([200, 409]).toContain(res.status);
    expect(again[0].counts.failed + again[1].counts.failed).toBe(0);
    expect(again[0].counts.in_progress + again[1].counts.in_progress).toBe(0);

    // A webhook arriving after all that answers duplicate on either instance.
    const late = await deliver(b.webhooks, { type: "batch.succeeded", data: { id: "batches/j1", output_file_uri: "files/batch-j1" } });
    expect(late.body).toEqual({ status: "duplicate" });
  });

  it("the checkpoint is kept in Redis and shared by the instances", { timeout: 30_000 }, async () => {
    api.reset();
    const storeA = redisStore(client(), { prefix: "rc2:" });
    const storeB = redisStore(client(), { prefix: "rc2:" });
    const a = receiver({ store: storeA, now: () => NOW });
    const b = receiver({ store: storeB, now: () => NOW + 30 * MIN });
    ended(api, "k1", 10 * MIN);
    const first = await reconcile({ ai: api.client(), webhooks: a.webhooks, now: () => NOW });
    expect(first.counts.received).toBe(1);
    expect(await storeB.get(DEFAULT_CHECKPOINT_KEY)).toBe(iso(NOW - 2 * MIN));

    ended(api, "k2", -10 * MIN); // ends after A's run
    const second = await reconcile({ ai: api.client(), webhooks: b.webhooks, now: () => NOW + 30 * MIN });
    expect(second.since).toEqual(new Date(NOW - 2 * MIN)); // B starts where A stopped
    expect(second.jobs.map((j) => [j.job, j.result])).toEqual([["batches/k2", "received"]]);
    expect([...a.runs, ...b.runs].map((r) => r.job)).toEqual(["batches/k1", "batches/k2"]);
  });
});
