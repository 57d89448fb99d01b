import { describe, expect, it, vi } from "vitest";
import { createGeminiWebhooks, ERROR_CODES, ERROR_STATUS, memoryStore, WebhookVerificationError, type IdempotencyStore } from "@gemini-webhooks/core";
import { fixtures, signStatic } from "@gemini-webhooks/testing";
import { clock, NOW_S, receiver, SECRET, signed } from "../../../../test/support/receiver.js";

const post = (d: { body: string; headers: Record<string, string> }) => ({ ...d, method: "POST" });

describe("the Standard Webhooks spec vector", () => {
  it("verifies the published example", async () => {
    const wh = createGeminiWebhooks({ secret: SECRET, now: clock(1614265330), on: { "*": () => {} } });
    const headers = {
      "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
      "webhook-timestamp": "1614265330",
      "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    };
    // The vector's body is not an event envelope: it verifies, then fails envelope parsing.
    const r = await wh.handle({ body: '{"test": 2432232314}', headers, method: "POST" });
    expect(r.status).toBe(400);
    expect(r.error?.code).toBe("invalid_json");
    // …and a single changed signature bit is a mismatch, proving the HMAC check ran.
    const bad = await wh.handle({ body: '{"test": 2432232314}', headers: { ...headers, "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE" }, method: "POST" });
    expect(bad.error?.code).toBe("signature_mismatch");
  });
  it("signStatic reproduces the vector", () => {
    const d = signStatic({ body: '{"test": 2432232314}', secret: SECRET, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330 });
    expect(d.headers["webhook-signature"]).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });
});

describe("answers: DESIGN's status table", () => {
  it("200 received, with typed handler, ctx and result.event", async () => {
    const seen: unknown[] = [];
    const wh = receiver({ on: { "batch.succeeded": (e, ctx) => void seen.push([e.data.output_file_uri, ctx.scheme, ctx.webhookId, ctx.secretIndex, ctx.timestamp.getTime(), ctx.rawBody.length]) } });
    const d = signed();
    const r = await wh.handle(post(d));
    expect(r).toMatchObject({ status: 200, body: { status: "received" } });
    expect(r.headers["content-type"]).toMatch(/application\/json/);
    expect(r.event?.type).toBe("batch.succeeded");
    expect(seen).toEqual([["gs://x", "v1", "msg_1", 0, NOW_S * 1000, Buffer.byteLength(d.body)]]);
  });
  it("200 ignored when no handler takes the type; claimed all the same", async () => {
    const wh = receiver({ on: { "batch.failed": () => {} } });
    const r = await wh.handle(post(signed()));
    expect(r.body).toEqual({ status: "ignored" });
    expect((await wh.handle(post(signed()))).body).toEqual({ status: "duplicate" });
  });
  it("200 duplicate after processing; the handler ran once", async () => {
    const fn = vi.fn();
    const wh = receiver({ on: { "*": fn } });
    await wh.handle(post(signed()));
    const r = await wh.handle(post(signed(undefined, { timestamp: NOW_S + 5 })));
    expect(r).toMatchObject({ status: 200, body: { status: "duplicate" } });
    expect(fn).toHaveBeenCalledTimes(1);
  });
  it("409 in_progress while the same id is being processed", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const started = new Promise<void>((r) => (entered = r));
    const wh = receiver({ on: { "*": () => (entered(), gate) } });
    const first = wh.handle(post(signed()));
    await started; // the first delivery holds its claim inside the handler
    const second = await wh.handle(post(signed()));
    expect(second.status).toBe(409);
    expect(second.body).toEqual({ error: { code: "in_progress", message: expect.any(String) } });
    release();
    expect((await first).status).toBe(200);
  });
  it("500 handler_failed releases the claim so the retry succeeds; onError sees the error", async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const wh = receiver({
      on: { "batch.succeeded": () => { if (++calls === 1) throw new Error("db down: password=hunter2"); } },
      onError: (e, ctx) => errors.push([ctx.stage, (e as Error).message]),
    });
    const r1 = await wh.handle(post(signed()));
    expect(r1.status).toBe(500);
    expect(r1.error?.code).toBe("handler_failed");
    expect(JSON.stringify(r1.body)).not.toContain("hunter2");
    const r2 = await wh.handle(post(signed()));
    expect(r2.body).toEqual({ status: "received" });
    expect(calls).toBe(2);
    expect(errors).toEqual([["handler", "db down: password=hunter2"]]);
  });
  it("several handlers per type and '*' all run; one failing fails the delivery", async () => {
    const order: string[] = [];
    const wh = receiver({ on: { "batch.succeeded": [() => void order.push("a"), () => void order.push("b")], "*": () => void order.push("*") } });
    wh.on("batch.succeeded", () => void order.push("c"));
    const off = wh.on("batch.succeeded", () => { throw new Error("x"); });
    off();
    expect((await wh.handle(post(signed()))).status).toBe(200);
    expect(order.sort()).toEqual(["*", "a", "b", "c"]);
  });
  it("unknown types reach '*' (forward compatible), unknown fields kept", async () => {
    const seen: unknown[] = [];
    const wh = receiver({ on: { "*": (e) => void seen.push(e) } });
    const ev = { type: "model.tuned", data: { id: "t1", extra: { deep: [1] } }, user_metadata: { team: "x" } };
    expect((await wh.handle(post(signed(ev)))).body).toEqual({ status: "received" });
    expect(seen).toEqual([ev]);
  });
  it("400 missing_header for each required header", async () => {
    const wh = receiver();
    for (const h of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
      const d = signed();
      const headers: Record<string, string> = { ...d.headers };
      delete headers[h];
      const r = await wh.handle({ body: d.body, headers, method: "POST" });
      expect([r.status, r.error?.code, r.error?.message.includes(h)]).toEqual([400, "missing_header", true]);
    }
  });
  it("400 invalid_header: bad timestamps, duplicated headers, bad ids", async () => {
    const wh = receiver();
    const d = signed();
    for (const ts of ["", "abc", "1.5", "-1", "1e9", " 1800000000", "1234567890123456", "0x10"]) {
      const r = await wh.handle({ body: d.body, headers: { ...d.headers, "webhook-timestamp": ts }, method: "POST" });
      expect([ts, r.error?.code]).toEqual([ts, "invalid_header"]);
    }
    const dup = await wh.handle({ body: d.body, headers: { ...d.headers, "webhook-id": ["msg_1", "msg_2"] as unknown as string }, method: "POST" });
    expect(dup.error?.code).toBe("invalid_header");
    const joined = await wh.handle({ body: d.body, headers: { ...d.headers, "webhook-signature": `${d.headers["webhook-signature"]}, v1,AAAA` }, method: "POST" });
    expect(joined.error?.code).toBe("invalid_header");
    const twoCases = await wh.handle({ body: d.body, headers: { ...d.headers, "Webhook-Id": "msg_1" }, method: "POST" });
    expect(twoCases.error?.code).toBe("invalid_header");
    const longId = await wh.handle({ body: d.body, headers: { ...d.headers, "webhook-id": "x".repeat(300) }, method: "POST" });
    expect(longId.error?.code).toBe("invalid_header");
  });
  it("headers are matched case-insensitively, from Headers, IncomingHttpHeaders-like and plain records", async () => {
    const wh = receiver({ idempotency: false });
    const d = signed();
    const upper = Object.fromEntries(Object.entries(d.headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect((await wh.handle({ body: d.body, headers: upper, method: "POST" })).status).toBe(200);
    expect((await wh.handle({ body: d.body, headers: new Headers(d.headers), method: "POST" })).status).toBe(200);
    expect((await wh.handle({ body: d.body, headers: { ...d.headers, "webhook-id": ["msg_1"] as unknown as string }, method: "POST" })).status).toBe(200);
    const fetchDup = new Headers(d.headers);
    fetchDup.append("webhook-id", "msg_2");
    expect((await wh.handle({ body: d.body, headers: fetchDup, method: "POST" })).error?.code).toBe("invalid_header");
  });
  it("400 unsupported_signature for unknown versions, naming what it saw", async () => {
    const wh = receiver();
    const d = signed();
    for (const sig of ["v2,abc", "v1b,abc", "garbage", "", "   "]) {
      const r = await wh.handle({ body: d.body, headers: { ...d.headers, "webhook-signature": sig }, method: "POST" });
      expect([sig, r.status, r.error?.code]).toEqual([sig, 400, "unsupported_signature"]);
    }
  });
  it("400 timestamp_too_old / timestamp_too_new; the edge is inside, both directions", async () => {
    const wh = receiver({ on: { "*": () => {} }, idempotency: false });
    const at = async (ts: number) => (await wh.handle(post(signed(undefined, { timestamp: ts })))).error?.code ?? "ok";
    expect(await at(NOW_S - 300)).toBe("ok");
    expect(await at(NOW_S + 300)).toBe("ok");
    expect(await at(NOW_S - 301)).toBe("timestamp_too_old");
    expect(await at(NOW_S + 301)).toBe("timestamp_too_new");
    const narrow = receiver({ toleranceSeconds: 10, idempotency: false });
    expect((await narrow.handle(post(signed(undefined, { timestamp: NOW_S - 11 })))).error?.code).toBe("timestamp_too_old");
  });
  it("400 signature_mismatch: wrong secret, tampered body, wrong id, and the message says what to check", async () => {
    const wh = receiver();
    const other = "whsec_" + Buffer.alloc(24, 7).toString("base64");
    const r = await wh.handle(post(signed(undefined, { secret: other })));
    expect(r.error?.code).toBe("signature_mismatch");
    expect(r.error?.message).toMatch(/v1/);
    expect(r.error?.message).toMatch(/raw/);
    const d = signed();
    expect((await wh.handle({ ...d, body: d.body.replace("b1", "b2"), method: "POST" })).error?.code).toBe("signature_mismatch");
    expect((await wh.handle({ ...d, headers: { ...d.headers, "webhook-id": "msg_2" }, method: "POST" })).error?.code).toBe("signature_mismatch");
  });
  it("one valid entry among several is enough; a rotated secret list matches either, reporting which", async () => {
    const old = "whsec_" + Buffer.alloc(32, 9).toString("base64");
    const wh = receiver({ secret: [SECRET, old], on: { "*": () => {} }, idempotency: false });
    const d = signed(undefined, { secret: old });
    const r = await wh.handle({ ...d, headers: { ...d.headers, "webhook-signature": `v1,AAAA v1a,BBBB ${d.headers["webhook-signature"]}` }, method: "POST" });
    expect(r.status).toBe(200);
    expect(r.ctx?.secretIndex).toBe(1);
  });
  it("400 invalid_json: verified but not JSON, or not an envelope", async () => {
    const wh = receiver();
    for (const body of ["not json", "[1,2]", '{"data":{}}', '{"type":""}', '{"type":"x","data":[1]}', "null"]) {
      const d = signStatic({ body, secret: SECRET, id: "msg_j", timestamp: NOW_S });
      const r = await wh.handle(post(d));
      expect([body, r.status, r.error?.code]).toEqual([body, 400, "invalid_json"]);
    }
  });
  it("413 body_too_large", async () => {
    const wh = receiver({ maxBodyBytes: 100 });
    const r = await wh.handle(post(signed({ type: "x", data: { pad: "y".repeat(200) } })));
    expect([r.status, r.error?.code]).toEqual([413, "body_too_large"]);
  });
  it("405 method_not_allowed with an Allow header", async () => {
    const wh = receiver();
    const r = await wh.handle({ ...signed(), method: "GET" });
    expect([r.status, r.error?.code, r.headers.allow]).toEqual([405, "method_not_allowed", "POST"]);
  });
  it("503 store_unavailable when the store throws; the handler never runs", async () => {
    const fn = vi.fn();
    const broken: IdempotencyStore = { claim: async () => { throw new Error("ECONNREFUSED"); }, complete: async () => {}, release: async () => {} };
    const wh = receiver({ idempotency: broken, on: { "*": fn } });
    const r = await wh.handle(post(signed()));
    expect([r.status, r.error?.code]).toEqual([503, "store_unavailable"]);
    expect(fn).not.toHaveBeenCalled();
  });
  it("500 configuration: a parsed object body, no body", async () => {
    const wh = receiver();
    const d = signed();
    const parsed = await wh.handle({ body: JSON.parse(d.body), headers: d.headers, method: "POST" });
    expect([parsed.status, parsed.error?.code]).toEqual([500, "configuration"]);
    expect(parsed.error?.message).toMatch(/raw/);
    const none = await wh.handle({ body: undefined as never, headers: d.headers, method: "POST" });
    expect(none.error?.code).toBe("configuration");
  });
  it("400 unsupported_signature naming the option to add: a v1 signature with no secret, a JWT or v1a without jwks", async () => {
    const wh = receiver({ logger: false });
    const d = signed();
    const jwtOnly = createGeminiWebhooks({ jwks: { audience: "a", uri: "http://127.0.0.1:9/jwks.json" }, now: clock(), logger: false });
    const v1 = await jwtOnly.handle(post(d));
    expect([v1.status, v1.error?.code]).toEqual([400, "unsupported_signature"]);
    expect(v1.error?.message).toMatch(/secret/);
    const jwt = await wh.handle({ ...d, headers: { ...d.headers, "webhook-signature": "eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ.c2ln" }, method: "POST" });
    expect([jwt.status, jwt.error?.code]).toEqual([400, "unsupported_signature"]);
    expect(jwt.error?.message).toMatch(/jwks/);
    const v1a = await wh.handle({ ...d, headers: { ...d.headers, "webhook-signature": "v1a,AAAA" }, method: "POST" });
    expect([v1a.status, v1a.error?.code]).toEqual([400, "unsupported_signature"]);
    expect(v1a.error?.message).toMatch(/jwks/);
  });
  it("idempotency: false disables dedupe", async () => {
    const fn = vi.fn();
    const wh = receiver({ idempotency: false, on: { "*": fn } });
    await wh.handle(post(signed()));
    await wh.handle(post(signed()));
    expect(fn).toHaveBeenCalledTimes(2);
  });
  it("namespaces idempotency keys per receiver", async () => {
    const store = memoryStore();
    const a = receiver({ idempotency: store, namespace: "a", on: { "*": () => {} } });
    const b = receiver({ idempotency: store, namespace: "b", on: { "*": () => {} } });
    expect((await a.handle(post(signed()))).ctx?.idempotencyKey).toBe("a:msg_1");
    expect((await b.handle(post(signed()))).body).toEqual({ status: "received" });
    expect((await a.handle(post(signed()))).body).toEqual({ status: "duplicate" });
  });
  it("ack: immediate answers before the handlers finish; a handler error goes to onError", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const errors: string[] = [];
    const wh = receiver({ ack: "immediate", on: { "*": async () => { await gate; throw new Error("late"); } }, onError: (e) => errors.push((e as Error).message) });
    const r = await wh.handle(post(signed()));
    expect(r.body).toEqual({ status: "received" });
    expect(errors).toEqual([]);
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(errors).toEqual(["late"]);
  });
  it("queue mode: verify, claim, enqueue, complete, 200; a failed enqueue releases and answers 503", async () => {
    const jobs: string[] = [];
    let fail = true;
    const handler = vi.fn();
    const wh = receiver({
      on: { "*": handler },
      queue: { enqueue: async (_e, ctx) => { if (fail) throw new Error("redis down"); jobs.push(ctx.idempotencyKey); } },
    });
    const r1 = await wh.handle(post(signed()));
    expect([r1.status, r1.error?.code]).toEqual([503, "store_unavailable"]);
    fail = false;
    expect((await wh.handle(post(signed()))).body).toEqual({ status: "received" });
    expect((await wh.handle(post(signed()))).body).toEqual({ status: "duplicate" });
    expect(jobs).toEqual(["gemini:msg_1"]);
    expect(handler).not.toHaveBeenCalled();
  });
  it("verify() returns the typed event or throws WebhookVerificationError", async () => {
    const wh = receiver();
    const ev = await wh.verify(signed(fixtures["batch.failed"]));
    expect(ev.type).toBe("batch.failed");
    await expect(wh.verify({ ...signed(), body: "{}" })).rejects.toBeInstanceOf(WebhookVerificationError);
  });
  it("body may be a string, Buffer, Uint8Array or ArrayBuffer", async () => {
    const wh = receiver({ idempotency: false, on: { "*": () => {} } });
    const d = signed();
    const buf = Buffer.from(d.body);
    for (const body of [d.body, buf, new Uint8Array(buf), buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)]) {
      expect((await wh.handle({ body, headers: d.headers, method: "POST" })).status).toBe(200);
    }
  });
  it("every error code has a status and the union is closed", () => {
    expect(ERROR_CODES).toHaveLength(18);
    expect(ERROR_STATUS.body_timeout).toBe(408);
    for (const c of ERROR_CODES) expect(ERROR_STATUS[c]).toBeGreaterThanOrEqual(400);
  });
  it("no answer echoes the secret or the expected signature", async () => {
    const wh = receiver();
    const good = signed();
    const bad = { ...good, body: good.body + " " };
    const r = await wh.handle(post(bad));
    const text = JSON.stringify(r.body);
    expect(text).not.toContain(SECRET.slice(6));
    expect(text).not.toContain(good.headers["webhook-signature"].slice(3));
    expect(text).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe("fetch(): web-standard Request -> Response", () => {
  it("answers like handle()", async () => {
    const wh = receiver({ on: { "*": () => {} } });
    const d = signed();
    const res = await wh.fetch(new Request("http://x/cb", { method: "POST", body: d.body, headers: d.headers }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "received" });
    const get = await wh.fetch(new Request("http://x/cb"));
    expect([get.status, get.headers.get("allow")]).toEqual([405, "POST"]);
  });
  it("413 as soon as a streamed body passes maxBodyBytes", async () => {
    const wh = receiver({ maxBodyBytes: 1000 });
    const stream = new ReadableStream<Uint8Array>({
      pull(c) { c.enqueue(new Uint8Array(600)); },
    });
    const res = await wh.fetch(new Request("http://x/cb", { method: "POST", body: stream, headers: signed().headers, duplex: "half" } as RequestInit));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("body_too_large");
  });
});

describe("begin(): verify → claim, for integrations that run the handler themselves", () => {
  it("answers rejected and duplicate deliveries; a claimed delivery settles exactly once", async () => {
    const errors: string[] = [];
    const wh = receiver({ onError: (_e, ctx) => errors.push(ctx.stage) });
    const bad = await wh.begin({ ...signed(), body: "{}", method: "POST" });
    expect(bad.answer?.error?.code).toBe("signature_mismatch");

    const first = await wh.begin({ ...signed(), method: "POST" });
    expect(first.delivery?.event.type).toBe("batch.succeeded");
    expect((await wh.begin({ ...signed(), method: "POST" })).answer?.status).toBe(409);
    const failed = await first.delivery!.fail(new Error("db down"));
    expect([failed.status, failed.error?.code]).toEqual([500, "handler_failed"]);

    const retry = await wh.begin({ ...signed(), method: "POST" });
    expect((await retry.delivery!.complete()).body).toEqual({ status: "received" });
    expect((await wh.begin({ ...signed(), method: "POST" })).answer?.body).toEqual({ status: "duplicate" });
    expect(errors).toEqual(["verify", "handler"]);
  });
});
