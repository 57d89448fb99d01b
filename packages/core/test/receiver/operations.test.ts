import { describe, expect, it } from "vitest";
import { memoryDeadLetters, memoryStore, type DeadLetterStore, type DeliveryObserver, type HandleResult, type WebhookLogger } from "@gemini-webhooks/core";
import { settingsOf } from "@gemini-webhooks/core/adapter";
import { fixture } from "@gemini-webhooks/testing";
import { NOW_S, receiver, SECRET, signed } from "../../../../test/support/receiver.js";

const post = (d: { body: string; headers: Record<string, string> }) => ({ ...d, method: "POST" });
const answer = (r: HandleResult) => [r.status, "status" in r.body ? r.body.status : r.body.error.code];

/** A logger that records every line with its level. */
function recorder(): WebhookLogger & { lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  const at = (level: string) => (message: string) => void lines.push([level, message]);
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

describe("logging: nothing fails silently, a forged flood writes nothing", () => {
  it("a throwing handler writes one error line with the event type, the webhook id and the stack", async () => {
    const log = recorder();
    const wh = receiver({ logger: log, on: { "batch.failed": () => Promise.reject(new Error("db down")) } });
    expect(answer(await wh.handle(post(signed(fixture("batch.failed"), { id: "msg_log" }))))).toEqual([500, "handler_failed"]);
    const errors = log.lines.filter(([l]) => l === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]![1]).toContain("batch.failed");
    expect(errors[0]![1]).toContain("msg_log");
    expect(errors[0]![1]).toMatch(/Error: db down\n\s+at /);
  });

  it("2,000 forged, stale and malformed requests write nothing above debug", async () => {
    const log = recorder();
    const wh = receiver({ logger: log, on: { "*": () => {} } });
    for (let i = 0; i < 2000; i++) {
      const d = signed(undefined, { id: `f${i}`, secret: i % 3 === 0 ? "whsec_" + Buffer.alloc(24, i % 250).toString("base64") : SECRET, timestamp: i % 3 === 1 ? NOW_S - 3600 : NOW_S });
      const req = i % 3 === 2 ? { ...d, headers: { ...d.headers, "webhook-timestamp": "soon" } } : d;
      expect((await wh.handle(post(req))).status).toBe(400);
    }
    expect(log.lines.filter(([l]) => l !== "debug")).toEqual([]);
    expect(log.lines.length).toBe(2000);
  });

  it("a logger (or onError) that throws never changes an answer; logger: false writes nothing", async () => {
    const boom = () => {
      throw new Error("logger down");
    };
    const wh = receiver({ logger: { debug: boom, info: boom, warn: boom, error: boom }, onError: boom, on: { "*": () => Promise.reject(new Error("x")) } });
    expect(answer(await wh.handle(post(signed())))).toEqual([500, "handler_failed"]);
    expect(answer(await wh.handle(post(signed(undefined, { secret: "whsec_" + Buffer.alloc(24, 9).toString("base64") }))))).toEqual([400, "signature_mismatch"]);
    const quiet = receiver({ logger: false, on: { "*": () => Promise.reject(new Error("x")) } });
    expect(answer(await quiet.handle(post(signed())))).toEqual([500, "handler_failed"]);
  });

  it("the store being down is a warn line, not an error", async () => {
    const log = recorder();
    const down = { claim: () => Promise.reject(new Error("ECONNREFUSED")), complete: () => {}, release: () => {} };
    const wh = receiver({ logger: log, idempotency: down, on: { "*": () => {} } });
    expect(answer(await wh.handle(post(signed())))).toEqual([503, "store_unavailable"]);
    expect(log.lines.map(([l]) => l)).toEqual(["warn"]);
  });
});

describe("dead letters: nothing is lost for good", () => {
  it("a failed delivery is kept with event, ctx, error, attempts; a later success removes it", async () => {
    let fail = 2;
    const wh = receiver({ logger: false, on: { "batch.failed": () => (fail-- > 0 ? Promise.reject(new Error(`attempt failed`)) : undefined) } });
    const d = signed(fixture("batch.failed", { id: "batches/dl" }), { id: "msg_dl" });
    expect(answer(await wh.handle(post(d)))).toEqual([500, "handler_failed"]);
    expect(answer(await wh.handle(post(d)))).toEqual([500, "handler_failed"]);
    const [entry] = await wh.deadLetters.list();
    expect(entry).toMatchObject({
      id: "gemini:msg_dl",
      event: { type: "batch.failed", data: { id: "batches/dl" } },
      ctx: { webhookId: "msg_dl", scheme: "v1", secretIndex: 0, timestamp: new Date(NOW_S * 1000).toISOString() },
      error: { name: "Error", message: "attempt failed", code: "handler_failed" },
      attempts: 2,
    });
    expect(entry!.firstSeen).toBeLessThanOrEqual(entry!.lastSeen);
    expect(answer(await wh.handle(post(d)))).toEqual([200, "received"]);
    expect(await wh.deadLetters.list()).toEqual([]);
  });

  it("replay(id) runs the handlers through the claim rules: once, and never after the delivery succeeded", async () => {
    let fail = true;
    let runs = 0;
    const wh = receiver({ logger: false, on: { "*": () => (runs++, fail ? Promise.reject(new Error("down")) : undefined) } });
    const d = signed(undefined, { id: "msg_rp" });
    await wh.handle(post(d));
    fail = false;
    expect(answer((await wh.deadLetters.replay("gemini:msg_rp"))!)).toEqual([200, "received"]);
    expect(await wh.deadLetters.get("gemini:msg_rp")).toBeUndefined();
    expect(answer(await wh.handle(post(d)))).toEqual([200, "duplicate"]); // Gemini's retry after the replay
    expect(runs).toBe(2);
    expect(await wh.deadLetters.replay("gemini:msg_rp")).toBeUndefined();

    // a delivery that succeeded meanwhile (the dead letter is stale): replay answers duplicate, runs nothing
    const stale = memoryDeadLetters();
    const wh2 = receiver({ logger: false, deadLetters: stale, on: { "*": () => void runs++ } });
    await wh2.handle(post(signed(undefined, { id: "msg_ok" })));
    await stale.record({ id: "gemini:msg_ok", event: fixture("batch.succeeded"), ctx: { webhookId: "msg_ok", scheme: "v1", timestamp: new Date().toISOString() }, error: { name: "Error", message: "old" } }, 1);
    const before = runs;
    expect(answer((await wh2.deadLetters.replay("gemini:msg_ok"))!)).toEqual([200, "duplicate"]);
    expect(runs).toBe(before);
    expect(await wh2.deadLetters.list()).toEqual([]);
    await wh2.deadLetters.delete("nothing");
  });

  it("a dead-letter store that is down never blocks or changes the answer (it is logged)", async () => {
    const log = recorder();
    const never = new Promise<never>(() => {});
    const down: DeadLetterStore = { record: () => never, remove: () => Promise.reject(new Error("down")), get: () => undefined, list: () => [] };
    const wh = receiver({ logger: log, deadLetters: down, on: { "batch.failed": () => Promise.reject(new Error("x")), "batch.succeeded": () => {} } });
    expect(answer(await wh.handle(post(signed(fixture("batch.failed"), { id: "a" }))))).toEqual([500, "handler_failed"]);
    expect(answer(await wh.handle(post(signed(fixture("batch.succeeded"), { id: "b" }))))).toEqual([200, "received"]);
    await new Promise((r) => setImmediate(r));
    expect(log.lines.some(([l, m]) => l === "warn" && /dead_letters/.test(m))).toBe(true);
  });

  it("the memory list is bounded", async () => {
    const dl = memoryDeadLetters({ maxEntries: 3 });
    for (let i = 0; i < 10; i++) await dl.record({ id: `k${i}`, event: fixture("batch.failed"), ctx: { webhookId: `k${i}`, scheme: "v1", timestamp: "" }, error: { name: "E", message: "m" } }, i);
    expect((await dl.list()).map((e) => e.id)).toEqual(["k9", "k8", "k7"]);
  });
});

describe("hooks: the lifecycle seam", () => {
  it("one observer per delivery: verified, each handler wrapped, end with the answer; a throwing hook changes nothing", async () => {
    const seen: string[] = [];
    const observer = (): DeliveryObserver => ({
      verified: (e, ctx) => void seen.push(`verified ${e.type} ${ctx.webhookId}`),
      handler: async (info, run) => {
        seen.push(`handler ${info.index} ${info.name}`);
        return run();
      },
      end: (r) => void seen.push(`end ${r.status}`),
    });
    const thrower = { onDelivery: () => ({ verified: () => { throw new Error("hook bug"); }, handler: () => { throw new Error("hook bug"); }, end: () => { throw new Error("hook bug"); } }) };
    const wh = receiver({ logger: false, hooks: [{ onDelivery: observer }, thrower as never], on: { "batch.succeeded": function onBatch() {}, "*": () => {} } });
    expect(answer(await wh.handle(post(signed(undefined, { id: "h1" }))))).toEqual([200, "received"]);
    expect(answer(await wh.handle(post(signed(undefined, { id: "h1" }))))).toEqual([200, "duplicate"]);
    expect(answer(await wh.handle({ ...post(signed(undefined, { id: "h2" })), method: "GET" }))).toEqual([405, "method_not_allowed"]);
    expect(seen).toEqual([
      "verified batch.succeeded h1",
      "handler 0 onBatch",
      "handler 1 *", // an arrow function in an object literal is named by its key
      "end 200",
      "verified batch.succeeded h1",
      "end 200",
      "end 405",
    ]);
  });
});

describe("process(): events that did not come over HTTP", () => {
  it("dedupeBy 'event': a webhook and a reconciliation of the same job outcome run once", async () => {
    let runs = 0;
    const wh = receiver({ dedupeBy: "event", on: { "batch.succeeded": () => void runs++ } });
    const event = fixture("batch.succeeded", { id: "batches/job1" });
    const first = await wh.process(event, { webhookId: "batches/job1", scheme: "reconcile" });
    expect(answer(first)).toEqual([200, "received"]);
    expect(first.ctx).toMatchObject({ scheme: "reconcile", idempotencyKey: "gemini:event:batch.succeeded:job1" });
    expect(answer(await wh.handle(post(signed(event, { id: "msg_static" }))))).toEqual([200, "duplicate"]);
    expect(answer(await wh.handle(post(signed(event, { id: "msg_dynamic" }))))).toEqual([200, "duplicate"]);
    // the same job named without the SDK's resource prefix is the same job
    expect(answer(await wh.handle(post(signed(fixture("batch.succeeded", { id: "job1" }), { id: "msg_bare" }))))).toEqual([200, "duplicate"]);
    expect(settingsOf(wh).dedupeBy).toBe("event");
    expect(answer(await wh.process(fixture("batch.failed", { id: "batches/job1" }), { webhookId: "batches/job1", scheme: "reconcile" }))).toEqual([200, "ignored"]);
    expect(runs).toBe(1);
    expect(answer(await wh.process({ nope: 1 } as never, { webhookId: "x", scheme: "reconcile" }))).toEqual([400, "invalid_json"]);
  });
});

describe("leases: a slow handler in a live process never lets a copy start", () => {
  it("the claim is renewed while the handler runs (memoryStore with a 60 ms lease)", async () => {
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    let runs = 0;
    // the store's clock is injected: each real renewal tick moves it 50 ms, so three ticks put it 150 ms past the
    // claim, well past the 60 ms lease: only renewals keep the claim alive. The test waits on the renewals, not a timer.
    let t = Date.now();
    const store = memoryStore({ leaseMs: 60, now: () => t });
    let renewals = 0;
    let renewedThrice!: () => void;
    const thrice = new Promise<void>((r) => (renewedThrice = r));
    const renew = store.renew.bind(store);
    store.renew = (key) => {
      t += 50;
      renew(key);
      if (++renewals === 3) renewedThrice();
    };
    const wh = receiver({ now: Date.now, idempotency: store, on: { "*": () => ((runs++, started()), new Promise<void>((r) => (release = r))) } });
    const d = signed(undefined, { id: "slow", timestamp: Math.floor(Date.now() / 1000) });
    const first = wh.handle(post(d));
    await running;
    await thrice;
    expect(answer(await wh.handle(post(d)))).toEqual([409, "in_progress"]);
    release();
    expect(answer(await first)).toEqual([200, "received"]);
    expect(runs).toBe(1);
  });

});
