// The one fast path (src/pipeline/fast-path.ts) against the pipeline: the same deliveries through a receiver
// that takes it (memoryStore, synchronous) and one that cannot (the same store without `synchronous`) give
// the same answers, the same handler calls, the same store state, dead letters and reports.
import { describe, expect, it } from "vitest";
import { createGeminiWebhooks, memoryDeadLetters, memoryStore, webCryptoProvider, type GeminiWebhooksOptions, type IdempotencyStore, type WebhookHooks } from "@gemini-webhooks/core";
import { signStatic, signV1a, generateV1aKeyPair } from "@gemini-webhooks/testing";
import { clock, NOW_S, SECRET, signed } from "../../../../test/support/receiver.js";

type Handler = (event: any, ctx: any) => unknown;

/** A receiver with a memoryStore that says it is synchronous (fast) or the same store without the flag (pipeline). */
function pair(on: Record<string, Handler | Handler[]>, extra: Partial<GeminiWebhooksOptions> = {}) {
  const make = (fast: boolean) => {
    const mem = memoryStore({ now: clock() });
    const store: IdempotencyStore = fast ? mem : { claim: (k) => mem.claim(k), complete: (k) => mem.complete(k), release: (k) => mem.release(k), renew: (k) => mem.renew(k) };
    const deadLetters = memoryDeadLetters();
    const reports: string[] = [];
    const wh = createGeminiWebhooks({
      secret: SECRET,
      now: clock(),
      idempotency: store,
      deadLetters,
      logger: false,
      onError: (e, info) => void reports.push(`${info.stage}:${info.code ?? ""}:${e instanceof Error ? e.message : String(e)}`),
      on: on as never,
      ...extra,
    } as GeminiWebhooksOptions);
    return { wh, mem, deadLetters, reports };
  };
  return { fast: make(true), slow: make(false) };
}

const post = (d: { body: string | Uint8Array; headers: Record<string, string> }) => ({ method: "POST", body: d.body, headers: d.headers });

/** What one delivery did: the answer (without the verified context's object identity) and what it left. */
async function outcome(r: ReturnType<typeof pair>["fast"], d: { body: string | Uint8Array; headers: Record<string, string> }) {
  const res = await r.wh.handle(post(d));
  const id = d.headers["webhook-id"];
  return {
    status: res.status,
    body: res.body,
    headers: res.headers,
    code: res.error?.code,
    event: res.event?.type,
    ctx: res.ctx ? { webhookId: res.ctx.webhookId, scheme: res.ctx.scheme, secretIndex: res.ctx.secretIndex, key: res.ctx.idempotencyKey } : undefined,
    remembered: r.mem.size,
    deadLetters: (await r.deadLetters.list()).map((l) => [l.id, l.error.code, l.attempts]),
    reports: [...r.reports],
  };
}

const OK = { type: "batch.succeeded", data: { id: "b1", output_file_uri: "gs://x" } };

const deliveries: Record<string, () => { body: string | Uint8Array; headers: Record<string, string> }> = {
  valid: () => signed(OK, { id: "msg_a" }),
  "valid, bytes": () => {
    const d = signed(OK, { id: "msg_b" });
    return { body: new TextEncoder().encode(d.body), headers: d.headers };
  },
  "another type (no handler: ignored)": () => signed({ type: "video.generated", data: { id: "v1" } }, { id: "msg_c" }),
  "forged signature": () => {
    const d = signed(OK, { id: "msg_d" });
    return { ...d, headers: { ...d.headers, "webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" } };
  },
  "another secret": () => signed(OK, { id: "msg_e", secret: "whsec_" + Buffer.alloc(24, 7).toString("base64") }),
  "tampered body": () => {
    const d = signed(OK, { id: "msg_f" });
    return { ...d, body: d.body.replace("gs://x", "gs://y") };
  },
  "stale timestamp": () => signed(OK, { id: "msg_g", timestamp: NOW_S - 3600 }),
  "missing webhook-id": () => {
    const d = signed(OK, { id: "msg_h" });
    const { "webhook-id": _, ...headers } = d.headers;
    return { body: d.body, headers };
  },
  "missing signature": () => {
    const d = signed(OK, { id: "msg_i" });
    const { "webhook-signature": _, ...headers } = d.headers;
    return { body: d.body, headers };
  },
  "not JSON": () => signStatic({ body: "not json", secret: SECRET, id: "msg_j", timestamp: NOW_S }),
  "not an envelope": () => signStatic({ body: '{"kind":1}', secret: SECRET, id: "msg_k", timestamp: NOW_S }),
  "v1a only (not configured)": () => {
    const keys = generateV1aKeyPair();
    return signV1a({ event: OK, privateKey: keys.secretKey, id: "msg_l", timestamp: NOW_S });
  },
};

describe("the fast path answers as the pipeline does", () => {
  for (const [name, make] of Object.entries(deliveries)) {
    it(name, async () => {
      const seen = { fast: [] as string[], slow: [] as string[] };
      const fast = pair({ "batch.succeeded": (e, ctx) => void seen.fast.push(`${e.type}:${ctx.webhookId}`) }).fast;
      const slow = pair({ "batch.succeeded": (e, ctx) => void seen.slow.push(`${e.type}:${ctx.webhookId}`) }).slow;
      const d = make();
      expect(await outcome(fast, d)).toEqual(await outcome(slow, d));
      expect(seen.fast).toEqual(seen.slow);
      // the same delivery again: a duplicate, or the same refusal
      expect(await outcome(fast, d)).toEqual(await outcome(slow, d));
      expect(seen.fast).toEqual(seen.slow);
    });
  }
});

describe("when the fast path runs", () => {
  it("a synchronous handler has run when handle() returns (the pipeline runs it a tick later)", async () => {
    const { fast, slow } = pair({});
    let ran = { fast: false, slow: false };
    fast.wh.on("batch.succeeded", () => void (ran.fast = true));
    slow.wh.on("batch.succeeded", () => void (ran.slow = true));
    const pf = fast.wh.handle(post(signed(OK, { id: "msg_1" })));
    const ps = slow.wh.handle(post(signed(OK, { id: "msg_1" })));
    expect(ran).toEqual({ fast: true, slow: false });
    expect((await pf).body).toEqual({ status: "received" });
    expect((await ps).body).toEqual({ status: "received" });
  });

  it("not with Web Crypto (its HMAC is a promise): the pipeline answers, the same", async () => {
    let ran = false;
    const wh = createGeminiWebhooks({ secret: SECRET, now: clock(), crypto: webCryptoProvider(), on: { "batch.succeeded": () => void (ran = true) } });
    const p = wh.handle(post(signed(OK, { id: "msg_w1" })));
    expect(ran).toBe(false);
    expect((await p).body).toEqual({ status: "received" });
    expect((await wh.handle(post(signed(OK, { id: "msg_w1" })))).body).toEqual({ status: "duplicate" });
  });

  it("not with a hook that wraps handlers", async () => {
    let ran = false;
    const wrapped: string[] = [];
    const hooks: WebhookHooks = { onDelivery: () => ({ handler: (info, run) => (wrapped.push(info.name), run()) }) };
    const wh = createGeminiWebhooks({ secret: SECRET, now: clock(), hooks: [hooks], on: { "batch.succeeded": function h() { ran = true; } } });
    const p = wh.handle(post(signed(OK, { id: "msg_h1" })));
    expect(ran).toBe(false);
    expect((await p).body).toEqual({ status: "received" });
    expect(wrapped).toEqual(["h"]);
  });
});

describe("handlers on the fast path settle as the pipeline's", () => {
  const cases: Record<string, Handler[]> = {
    "a handler that throws": [() => { throw new Error("boom"); }],
    "a handler that rejects": [async () => { throw new Error("later"); }],
    "an async handler": [async () => { await new Promise((r) => setTimeout(r, 5)); }],
    "two handlers, one failing": [() => undefined, async () => { throw new Error("second"); }],
    "a handler returning a thenable": [() => ({ then: (ok: () => void) => ok() })],
  };
  for (const [name, list] of Object.entries(cases)) {
    it(name, async () => {
      const a = pair({ "batch.succeeded": list }).fast;
      const b = pair({ "batch.succeeded": list }).slow;
      const d = signed(OK, { id: "msg_x" });
      expect(await outcome(a, d)).toEqual(await outcome(b, d));
      // the retry: processed after a success (duplicate), run again after a failure
      expect(await outcome(a, d)).toEqual(await outcome(b, d));
    });
  }

  it("a handler that fails once and then succeeds: the retry removes the dead letter", async () => {
    const failingOnce = () => {
      let calls = 0;
      return () => {
        if (calls++ === 0) throw new Error("first time");
      };
    };
    const a = pair({ "batch.succeeded": failingOnce() }).fast;
    const b = pair({ "batch.succeeded": failingOnce() }).slow;
    const d = signed(OK, { id: "msg_r" });
    const first = await outcome(a, d);
    expect(first.deadLetters).toHaveLength(1);
    expect(first).toEqual(await outcome(b, d));
    const retry = await outcome(a, d);
    expect(retry.deadLetters).toEqual([]);
    expect(retry).toEqual(await outcome(b, d));
  });

  it("dedupeBy: event keys the claim by the job on the fast path too", async () => {
    const calls: string[] = [];
    const wh = createGeminiWebhooks({ secret: SECRET, now: clock(), dedupeBy: "event", on: { "batch.succeeded": (e, ctx) => void calls.push(ctx.idempotencyKey) } });
    const r1 = await wh.handle(post(signed(OK, { id: "msg_e1" })));
    const r2 = await wh.handle(post(signed(OK, { id: "msg_e2" })));
    expect([r1.body, r2.body]).toEqual([{ status: "received" }, { status: "duplicate" }]);
    expect(calls).toHaveLength(1);
  });

  it("a store that says synchronous and returns promises is waited for", async () => {
    const mem = memoryStore({ now: clock() });
    const store: IdempotencyStore = { synchronous: true, claim: async (k) => mem.claim(k), complete: async (k) => mem.complete(k), release: async (k) => mem.release(k) };
    const wh = createGeminiWebhooks({ secret: SECRET, now: clock(), idempotency: store, on: { "batch.succeeded": () => undefined } });
    expect((await wh.handle(post(signed(OK, { id: "msg_s1" })))).body).toEqual({ status: "received" });
    expect((await wh.handle(post(signed(OK, { id: "msg_s1" })))).body).toEqual({ status: "duplicate" });
  });

  it("a store whose claim throws: 503 store_unavailable, reported", async () => {
    const reports: string[] = [];
    const store: IdempotencyStore = { synchronous: true, claim: () => { throw new Error("down"); }, complete: () => undefined, release: () => undefined };
    const wh = createGeminiWebhooks({ secret: SECRET, now: clock(), idempotency: store, logger: false, onError: (_e, i) => void reports.push(`${i.stage}:${i.code}`), on: { "batch.succeeded": () => undefined } });
    const r = await wh.handle(post(signed(OK, { id: "msg_s2" })));
    expect([r.status, r.error?.code]).toEqual([503, "store_unavailable"]);
    expect(reports).toEqual(["store:store_unavailable"]);
  });

  it("a store whose complete throws: still 200, the failure reported", async () => {
    const reports: string[] = [];
    const mem = memoryStore({ now: clock() });
    const store: IdempotencyStore = { synchronous: true, claim: (k) => mem.claim(k), complete: () => { throw new Error("lost"); }, release: (k) => mem.release(k) };
    const wh = createGeminiWebhooks({ secret: SECRET, now: clock(), idempotency: store, logger: false, onError: (_e, i) => void reports.push(i.stage), on: { "batch.succeeded": () => undefined } });
    const r = await wh.handle(post(signed(OK, { id: "msg_s3" })));
    expect(r.body).toEqual({ status: "received" });
    expect(reports).toEqual(["complete"]);
  });
});

describe("verify() on the fast path", () => {
  /** What verifyDelivery() gave: the event and context, or the error's code, status and message. */
  async function verified(wh: ReturnType<typeof createGeminiWebhooks>, d: { body: string | Uint8Array; headers: Record<string, string> }) {
    try {
      const v = await wh.verifyDelivery({ body: d.body, headers: d.headers });
      const { rawBody, ...ctx } = v.ctx;
      return { event: v.event, ctx, raw: Buffer.from(rawBody).toString("utf8") };
    } catch (e: any) {
      return { name: e?.name, code: e?.code, status: e?.status, message: e?.message };
    }
  }
  for (const [name, make] of Object.entries(deliveries)) {
    it(`${name}: as the pipeline's (Web Crypto takes the pipeline's way)`, async () => {
      const d = make();
      const fast = createGeminiWebhooks({ secret: SECRET, now: clock() });
      const slow = createGeminiWebhooks({ secret: SECRET, now: clock(), crypto: webCryptoProvider() });
      expect(await verified(fast, d)).toEqual(await verified(slow, d));
    });
  }
  it("a request that is not an object is a rejection, not a throw", async () => {
    const wh = createGeminiWebhooks({ secret: SECRET, now: clock() });
    const p = wh.verify(null as never);
    await expect(p).rejects.toMatchObject({ code: "configuration" });
  });
});
