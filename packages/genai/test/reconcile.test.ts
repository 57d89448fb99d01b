// reconcile / startReconciler: the real @google/genai client lists jobs from the local Gemini API; missed
// outcomes run through the receiver's own handlers, once, however (and how often) they arrive.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { memoryStore, type IdempotencyStore } from "@gemini-webhooks/core";
import { DEFAULT_CHECKPOINT_KEY, GenaiError, reconcile, startReconciler, type ReconcileReport } from "@gemini-webhooks/genai";
import { startGeminiApi, type GeminiApi } from "../../../test/support/gemini-api.js";
import { deliver, ended, iso, MIN, NOW, receiver } from "./helpers.js";

let api: GeminiApi;
beforeAll(async () => {
  api = await startGeminiApi();
});
afterAll(() => api.close());
afterEach(() => api.reset());

const now = () => NOW;

describe("reconcile", () => {
  it("dispatches the missed outcomes once, with scheme reconcile, and not the one a webhook already handled", async () => {
    const { webhooks, runs } = receiver();
    ended(api, "by-webhook", 30 * MIN);
    ended(api, "missed-ok", 20 * MIN);
    ended(api, "missed-failed", 15 * MIN, "BATCH_STATE_FAILED");
    ended(api, "missed-cancelled", 10 * MIN, "BATCH_STATE_CANCELLED");
    ended(api, "missed-expired", 5 * MIN, "BATCH_STATE_EXPIRED");
    ended(api, "too-old", 3 * 60 * MIN); // before `since`
    ended(api, "too-fresh", 30 * 1000); // inside the grace period: left to its webhook for now
    api.addBatch({ name: "batches/running", state: "BATCH_STATE_RUNNING", createTime: iso(NOW - 60 * MIN) });

    const first = await deliver(webhooks, { type: "batch.succeeded", data: { id: "batches/by-webhook", output_file_uri: "files/batch-by-webhook" } });
    expect(first.body).toEqual({ status: "received" });

    const report = await reconcile({ ai: api.client(), webhooks, since: NOW - 60 * MIN, now });
    expect(report.listed).toBe(8);
    expect(report.jobs.map((j) => [j.job, j.type, j.result])).toEqual([
      ["batches/by-webhook", "batch.succeeded", "duplicate"],
      ["batches/missed-ok", "batch.succeeded", "received"],
      ["batches/missed-failed", "batch.failed", "received"],
      ["batches/missed-cancelled", "batch.cancelled", "received"],
      ["batches/missed-expired", "batch.expired", "received"],
    ]);
    expect(report.counts).toEqual({ received: 4, duplicate: 1, ignored: 0, in_progress: 0, failed: 0 });
    expect(runs).toEqual([
      { job: "batches/by-webhook", type: "batch.succeeded", scheme: "v1" },
      { job: "batches/missed-ok", type: "batch.succeeded", scheme: "reconcile" },
      { job: "batches/missed-failed", type: "batch.failed", scheme: "reconcile" },
      { job: "batches/missed-cancelled", type: "batch.cancelled", scheme: "reconcile" },
      { job: "batches/missed-expired", type: "batch.expired", scheme: "reconcile" },
    ]);
    expect(report.until).toEqual(new Date(NOW - 2 * MIN));
    expect(report.checkpoint).toEqual(new Date(NOW - 2 * MIN));
  });

  it("reconciled events look like Gemini's: type, data.id, output_file_uri, timestamp", async () => {
    const seen: unknown[] = [];
    const { webhooks } = receiver();
    webhooks.on("*", (event) => void seen.push(event));
    ended(api, "shape", 10 * MIN);
    ended(api, "shape-failed", 9 * MIN, "BATCH_STATE_FAILED");
    await reconcile({ ai: api.client(), webhooks, since: NOW - 60 * MIN, now });
    expect(seen).toEqual([
      { type: "batch.succeeded", timestamp: iso(NOW - 10 * MIN), data: { id: "batches/shape", output_file_uri: "files/batch-shape" } },
      {
        type: "batch.failed",
        timestamp: iso(NOW - 9 * MIN),
        // The SDK's job listing carries no error for the Gemini Developer API: the event says so.
        data: { id: "batches/shape-failed", error_code: "UNKNOWN", error_message: expect.stringMatching(/gives no reason/) },
      },
    ]);
  });

  it("a second run dispatches nothing again, and a webhook arriving after reconciliation answers duplicate", async () => {
    const { webhooks, runs } = receiver();
    ended(api, "a", 20 * MIN);
    ended(api, "b", 10 * MIN);
    const first = await reconcile({ ai: api.client(), webhooks, now });
    expect(first.counts.received).toBe(2);
    const second = await reconcile({ ai: api.client(), webhooks, since: NOW - 60 * MIN, now });
    expect(second.counts).toEqual({ received: 0, duplicate: 2, ignored: 0, in_progress: 0, failed: 0 });

    const late = await deliver(webhooks, { type: "batch.succeeded", data: { id: "batches/a", output_file_uri: "files/batch-a" } });
    expect(late.status).toBe(200);
    expect(late.body).toEqual({ status: "duplicate" });
    expect(runs.map((r) => r.job)).toEqual(["batches/a", "batches/b"]);
  });

  it("keeps its checkpoint in the idempotency store and starts the next run there", async () => {
    const store = memoryStore({ now });
    const { webhooks, runs } = receiver({ store });
    ended(api, "old", 20 * MIN);
    const first = await reconcile({ ai: api.client(), webhooks, now });
    expect(first.since).toEqual(new Date(NOW - 24 * 60 * MIN)); // first run: lookbackMs (24 h)
    expect(store.get(DEFAULT_CHECKPOINT_KEY)).toBe(iso(NOW - 2 * MIN));

    // Later: a new job ended; the run starts from the checkpoint, so the old one is not even looked at.
    const later = NOW + 30 * MIN;
    ended(api, "new", -20 * MIN); // ended at NOW + 20 min
    const second = await reconcile({ ai: api.client(), webhooks, now: () => later });
    expect(second.since).toEqual(new Date(NOW - 2 * MIN));
    expect(second.jobs.map((j) => [j.job, j.result])).toEqual([["batches/new", "received"]]);
    expect(runs.map((r) => r.job)).toEqual(["batches/old", "batches/new"]);
  });

  it("a handler failure holds the checkpoint at that job, and the next run retries it", async () => {
    let failing = true;
    const { webhooks, runs } = receiver({ fail: (e) => failing && e.data.id === "batches/flaky" });
    ended(api, "before", 40 * MIN);
    ended(api, "flaky", 30 * MIN);
    ended(api, "after", 20 * MIN);
    const first = await reconcile({ ai: api.client(), webhooks, now });
    expect(first.jobs.map((j) => [j.job, j.result])).toEqual([
      ["batches/before", "received"],
      ["batches/flaky", "failed"],
      ["batches/after", "received"],
    ]);
    expect(first.jobs[1]!.error).toMatchObject({ code: "handler_failed" });
    expect(first.checkpoint).toEqual(new Date(NOW - 30 * MIN));

    failing = false;
    const second = await reconcile({ ai: api.client(), webhooks, now });
    expect(second.since).toEqual(new Date(NOW - 30 * MIN));
    expect(second.jobs.map((j) => [j.job, j.result])).toEqual([
      ["batches/flaky", "received"],
      ["batches/after", "duplicate"],
    ]);
    expect(second.checkpoint).toEqual(new Date(NOW - 2 * MIN));
    expect(runs.map((r) => r.job)).toEqual(["batches/before", "batches/after", "batches/flaky"]);
  });

  it("a job being processed by its webhook right now is left alone and held for the next run", async () => {
    const { webhooks, runs } = receiver();
    ended(api, "busy", 10 * MIN);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    webhooks.on("batch.succeeded", () => gate);
    const inFlight = deliver(webhooks, { type: "batch.succeeded", data: { id: "batches/busy", output_file_uri: "files/batch-busy" } });
    const report = await reconcile({ ai: api.client(), webhooks, now });
    expect(report.jobs.map((j) => [j.job, j.result])).toEqual([["batches/busy", "in_progress"]]);
    expect(report.checkpoint).toEqual(new Date(NOW - 10 * MIN));
    release();
    expect((await inFlight).body).toEqual({ status: "received" });
    expect(runs.map((r) => [r.job, r.scheme])).toEqual([["batches/busy", "v1"]]);
  });

  it("pages through the whole job list", async () => {
    const { webhooks, runs } = receiver();
    for (let i = 0; i < 230; i++) ended(api, `p${String(i).padStart(3, "0")}`, (5 + i) * 1000 + 3 * MIN);
    const report = await reconcile({ ai: api.client(), webhooks, now, pageSize: 100 });
    expect(report.listed).toBe(230);
    expect(report.counts.received).toBe(230);
    expect(new Set(runs.map((r) => r.job)).size).toBe(230);
    const lists = api.requests.filter((r) => r.path === "/v1beta/batches");
    expect(lists.map((r) => [r.query.pageSize, r.query.pageToken === undefined ? "first" : "token"])).toEqual([
      ["100", "first"],
      ["100", "token"],
      ["100", "token"],
    ]);
  });

  it("stops on a repeated page token: the run ends, says the listing did not, and keeps the checkpoint", async () => {
    const store = memoryStore({ now });
    store.set(DEFAULT_CHECKPOINT_KEY, iso(NOW - 50 * MIN), 60 * MIN);
    const { webhooks } = receiver({ store });
    for (let i = 0; i < 3; i++) ended(api, `s${i}`, (5 + i) * MIN);
    api.stuckPageToken = "same-token-every-time";
    const report = await reconcile({ ai: api.client(), webhooks, now, pageSize: 100 });
    expect(report.complete).toBe(false);
    expect(report.counts.received).toBe(3); // what was listed still runs, once each
    expect(api.requests.filter((r) => r.path === "/v1beta/batches")).toHaveLength(2);
    expect(store.get(DEFAULT_CHECKPOINT_KEY)).toBe(iso(NOW - 50 * MIN));
  });

  it("follows at most maxPages pages", async () => {
    const { webhooks } = receiver();
    for (let i = 0; i < 50; i++) ended(api, `m${String(i).padStart(2, "0")}`, (5 + i) * 1000 + 3 * MIN);
    const capped = await reconcile({ ai: api.client(), webhooks, now, pageSize: 10, maxPages: 3 });
    expect([capped.complete, capped.listed]).toEqual([false, 30]);
    expect(api.requests.filter((r) => r.path === "/v1beta/batches")).toHaveLength(3);
    const whole = await reconcile({ ai: api.client(), webhooks, now, pageSize: 10, maxPages: 5 });
    expect([whole.complete, whole.listed]).toEqual([true, 50]);
    await expect(reconcile({ ai: api.client(), webhooks, now, maxPages: 0 })).rejects.toThrow(/maxPages/);
  });

  it("a listing failure rejects and leaves the checkpoint where it was", async () => {
    const store = memoryStore({ now });
    store.set(DEFAULT_CHECKPOINT_KEY, iso(NOW - 50 * MIN), 60 * MIN);
    const { webhooks } = receiver({ store });
    ended(api, "x", 10 * MIN);
    api.fail(/^\/v1beta\/batches$/, 500);
    await expect(reconcile({ ai: api.client(), webhooks, now })).rejects.toMatchObject({ status: 500 });
    expect(store.get(DEFAULT_CHECKPOINT_KEY)).toBe(iso(NOW - 50 * MIN));
  });

  it("the window never starts earlier than lookbackMs, whatever the checkpoint says", async () => {
    const store = memoryStore({ now });
    store.set(DEFAULT_CHECKPOINT_KEY, iso(NOW - 10 * 24 * 60 * MIN), 60 * MIN);
    const { webhooks } = receiver({ store });
    const report = await reconcile({ ai: api.client(), webhooks, now, lookbackMs: 60 * MIN });
    expect(report.since).toEqual(new Date(NOW - 60 * MIN));
  });

  it("says what to do when there is nowhere to keep the checkpoint", async () => {
    const bare: IdempotencyStore = { claim: () => "new", complete: () => {}, release: () => {} };
    const { webhooks } = receiver({ store: bare });
    const err = await reconcile({ ai: api.client(), webhooks, now }).catch((e) => e);
    expect(err).toBeInstanceOf(GenaiError);
    expect(err.code).toBe("configuration");
    expect(err.message).toMatch(/memoryStore\(\) or redisStore\(\), or pass since/);
    // With since, it works without a checkpoint.
    ended(api, "y", 10 * MIN);
    expect((await reconcile({ ai: api.client(), webhooks, now, since: NOW - 60 * MIN })).counts.received).toBe(1);
  });

  it("a 401 from the API rejects with the SDK's error (no key in it)", async () => {
    const { webhooks } = receiver();
    const err = await reconcile({ ai: api.client("bad-key-xyz"), webhooks, now, since: 0 }).catch((e) => e);
    expect(err.status).toBe(401);
    expect(String(err.message)).not.toContain("bad-key-xyz");
  });
});

describe("startReconciler", () => {
  it("runs at start and then every `every` ms, until stopped", async () => {
    const { webhooks, runs } = receiver();
    ended(api, "r1", 10 * MIN);
    const reports: ReconcileReport[] = [];
    let second!: () => void;
    const twoRuns = new Promise<void>((r) => (second = r));
    let t = NOW;
    const rec = startReconciler({
      ai: api.client(),
      webhooks,
      now: () => t,
      every: 5,
      onReport: (r) => {
        reports.push(r);
        if (reports.length === 1) {
          // Time passes; another job ends after the first run.
          t = NOW + 20 * MIN;
          ended(api, "r2", -5 * MIN);
        }
        if (reports.length === 2) second();
      },
    });
    await twoRuns;
    await rec.stop();
    const count = reports.length;
    expect(reports[0]!.jobs.map((j) => j.job)).toEqual(["batches/r1"]);
    expect(reports[1]!.jobs.map((j) => [j.job, j.result])).toEqual(expect.arrayContaining([["batches/r2", "received"]]));
    expect(runs.map((r) => r.job)).toEqual(["batches/r1", "batches/r2"]);
    expect(rec.lastReport).toBe(reports[count - 1]);
    // Stopped: runNow still works on demand, but no timer fires any more.
    await rec.runNow();
    expect(reports.length).toBe(count + 1);
  });

  it("reports a failed run to onError and keeps going", async () => {
    const { webhooks } = receiver();
    api.fail(/^\/v1beta\/batches$/, 503);
    const errors: unknown[] = [];
    let recovered!: (r: ReconcileReport) => void;
    const ok = new Promise<ReconcileReport>((r) => (recovered = r));
    const rec = startReconciler({ ai: api.client(), webhooks, now, every: 5, onError: (e) => errors.push(e), onReport: (r) => recovered(r) });
    const report = await ok;
    await rec.stop();
    expect(errors).toHaveLength(1);
    expect((errors[0] as { status?: number }).status).toBe(503);
    expect(report.listed).toBe(0);
  });

  it("runNow during a run joins it instead of starting a second", async () => {
    const { webhooks } = receiver();
    const rec = startReconciler({ ai: api.client(), webhooks, now, every: 60_000, runAtStart: false });
    const [a, b] = [rec.runNow(), rec.runNow()];
    expect(a).toBe(b);
    await a;
    await rec.stop();
    expect(api.requests.filter((r) => r.path === "/v1beta/batches")).toHaveLength(1);
  });

  it("rejects a bad interval at start", () => {
    const { webhooks } = receiver();
    expect(() => startReconciler({ ai: api.client(), webhooks, every: 0 })).toThrow(/every must be/);
  });
});
