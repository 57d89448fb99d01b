import { describe, expect, it } from "vitest";
import request from "supertest";
import express5 from "express";
import express4 from "express4";
import { captureRawBody, geminiWebhooks } from "@gemini-webhooks/express";
import { createGeminiWebhooks, type GeminiWebhooksOptions } from "@gemini-webhooks/core";
import { allFixtures, signStatic } from "@gemini-webhooks/testing";
import { clock, NOW_S, SECRET, signed } from "../support/receiver.js";

type Express = typeof express5;
const versions: [string, Express][] = [["Express 5", express5], ["Express 4", express4 as unknown as Express]];

const base = (o: Partial<GeminiWebhooksOptions> = {}) => ({ secret: SECRET, now: clock(), ...o }) as GeminiWebhooksOptions;

function send(app: unknown, d: { body: string; headers: Record<string, string> }, path = "/gemini-callback") {
  return request(app as never).post(path).set(d.headers).send(d.body);
}

describe.each(versions)("%s", (_name, express) => {
  it("receives every catalog event type, typed, over real HTTP", async () => {
    const seen: string[] = [];
    const app = express();
    app.post("/gemini-callback", geminiWebhooks(base({ on: { "*": (e) => void seen.push(e.type) } })));
    for (const [i, ev] of allFixtures().entries()) {
      const res = await send(app, signed(ev, { id: `msg_${i}` }));
      expect([res.status, res.body]).toEqual([200, { status: "received" }]);
      expect(res.headers["content-type"]).toMatch(/application\/json/);
    }
    expect(seen).toHaveLength(10);
  });

  it("every status row over HTTP", async () => {
    let fail = true;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const started = new Promise<void>((r) => (entered = r));
    const app = express();
    app.post(
      "/gemini-callback",
      geminiWebhooks(
        base({
          maxBodyBytes: 2048,
          on: {
            "batch.succeeded": () => {},
            "batch.failed": () => { if (fail) { fail = false; throw new Error("boom"); } },
            "batch.expired": () => (entered(), gate),
          },
        }),
      ),
    );
    app.use("/any", geminiWebhooks(base()));
    const code = (r: request.Response) => r.body?.error?.code;

    expect((await send(app, signed())).body).toEqual({ status: "received" });
    expect((await send(app, signed())).body).toEqual({ status: "duplicate" });
    expect((await send(app, signed({ type: "batch.cancelled", data: { id: "c" } }, { id: "msg_ign" }))).body).toEqual({ status: "ignored" });

    const failed = { type: "batch.failed", data: { id: "f", error_code: "X", error_message: "y" } };
    const r500 = await send(app, signed(failed, { id: "msg_f" }));
    expect([r500.status, code(r500)]).toEqual([500, "handler_failed"]);
    expect((await send(app, signed(failed, { id: "msg_f" }))).body).toEqual({ status: "received" });

    const slow = send(app, signed({ type: "batch.expired", data: { id: "e" } }, { id: "msg_slow" })).then((r) => r);
    await started; // the first delivery holds its claim inside the handler
    const r409 = await send(app, signed({ type: "batch.expired", data: { id: "e" } }, { id: "msg_slow" }));
    expect([r409.status, code(r409)]).toEqual([409, "in_progress"]);
    release();
    expect((await slow).status).toBe(200);

    const d = signed();
    const noSig = await request(app).post("/gemini-callback").set({ "webhook-id": "a", "webhook-timestamp": String(NOW_S) }).send(d.body);
    expect([noSig.status, code(noSig)]).toEqual([400, "missing_header"]);
    const badTs = await send(app, { ...d, headers: { ...d.headers, "webhook-timestamp": "soon" } });
    expect([badTs.status, code(badTs)]).toEqual([400, "invalid_header"]);
    const unsup = await send(app, { ...d, headers: { ...d.headers, "webhook-signature": "v9,abc" } });
    expect([unsup.status, code(unsup)]).toEqual([400, "unsupported_signature"]);
    const old = await send(app, signed(undefined, { id: "msg_old", timestamp: NOW_S - 301 }));
    expect([old.status, code(old)]).toEqual([400, "timestamp_too_old"]);
    const future = await send(app, signed(undefined, { id: "msg_new", timestamp: NOW_S + 301 }));
    expect([future.status, code(future)]).toEqual([400, "timestamp_too_new"]);
    const forged = await send(app, { ...d, body: d.body.replace("gs://x", "gs://evil") });
    expect([forged.status, code(forged)]).toEqual([400, "signature_mismatch"]);
    const notJson = await send(app, signStatic({ body: "hello", secret: SECRET, id: "msg_nj", timestamp: NOW_S }));
    expect([notJson.status, code(notJson)]).toEqual([400, "invalid_json"]);
    const big = await send(app, signed({ type: "x", data: { pad: "p".repeat(5000) } }, { id: "msg_big" }));
    expect([big.status, code(big)]).toEqual([413, "body_too_large"]);
    const get = await request(app).get("/any");
    expect([get.status, code(get), get.headers.allow]).toEqual([405, "method_not_allowed", "POST"]);
  });

  it("503 store_unavailable when the store is down", async () => {
    const app = express();
    const store = { claim: async () => { throw new Error("down"); }, complete: async () => {}, release: async () => {} };
    app.post("/gemini-callback", geminiWebhooks(base({ idempotency: store, on: { "*": () => { throw new Error("must not run"); } } })));
    const r = await send(app, signed());
    expect([r.status, r.body.error.code]).toEqual([503, "store_unavailable"]);
  });

  it("a header sent twice is rejected", async () => {
    const app = express();
    app.post("/gemini-callback", geminiWebhooks(base()));
    const d = signed();
    const r = await request(app).post("/gemini-callback").set(d.headers).set("webhook-id", ["msg_1", "msg_2"] as unknown as string).send(d.body);
    expect([r.status, r.body.error.code]).toEqual([400, "invalid_header"]);
  });

  it("express.json() before it: 500 configuration naming the fix", async () => {
    const app = express();
    app.use(express.json());
    app.post("/gemini-callback", geminiWebhooks(base()));
    const r = await send(app, signed());
    expect([r.status, r.body.error.code]).toEqual([500, "configuration"]);
    expect(r.body.error.message).toMatch(/captureRawBody/);
  });

  it("a global express.json() and express.raw() on the route: still 500 (the body is gone), the message names captureRawBody", async () => {
    const app = express();
    app.use(express.json());
    app.post("/gemini-callback", express.raw({ type: "application/json" }), geminiWebhooks(base()));
    const r = await send(app, signed());
    expect([r.status, r.body.error.code]).toEqual([500, "configuration"]);
    expect(r.body.error.message).toMatch(/express\.json\(\{ verify: captureRawBody \}\)/);
    expect(r.body.error.message).not.toMatch(/add express\.raw|use express\.raw/i);
  });

  it("a hand-written reader that consumed the stream and kept nothing: 500 configuration, not a hang", async () => {
    const app = express();
    app.use((req, _res, next) => {
      req.on("data", () => {});
      req.on("end", () => next());
    });
    app.post("/gemini-callback", geminiWebhooks(base()));
    const r = await send(app, signed());
    expect([r.status, r.body.error.code]).toEqual([500, "configuration"]);
  });

  it("express.json({ verify: captureRawBody }) before it works", async () => {
    const app = express();
    app.use(express.json({ verify: captureRawBody }));
    app.post("/gemini-callback", geminiWebhooks(base({ on: { "*": () => {} } })));
    expect((await send(app, signed())).body).toEqual({ status: "received" });
    const d = signed(undefined, { id: "msg_t" });
    expect((await send(app, { ...d, body: d.body.replace("b1", "b2") })).status).toBe(400);
  });

  it("express.raw() before it works (req.body is the Buffer)", async () => {
    const app = express();
    app.use(express.raw({ type: "*/*" }));
    app.post("/gemini-callback", geminiWebhooks(base({ on: { "*": () => {} } })));
    expect((await send(app, signed())).body).toEqual({ status: "received" });
  });

  it("express.text() before it works (the exact string)", async () => {
    const app = express();
    app.use(express.text({ type: "*/*" }));
    app.post("/gemini-callback", geminiWebhooks(base({ on: { "*": () => {} } })));
    expect((await send(app, signed())).body).toEqual({ status: "received" });
  });

  it("a JSON parser on another content type leaves the stream alone", async () => {
    const app = express();
    app.use(express.json({ type: "application/vnd.other+json" }));
    app.post("/gemini-callback", geminiWebhooks(base({ on: { "*": () => {} } })));
    expect((await send(app, signed())).body).toEqual({ status: "received" });
  });

  it("accepts a ready instance and exposes it; puts the event on res.locals", async () => {
    const wh = createGeminiWebhooks(base());
    const seen: string[] = [];
    wh.on("batch.succeeded", (e) => void seen.push(e.data.id));
    const mw = geminiWebhooks(wh);
    expect(mw.webhooks).toBe(wh);
    const app = express();
    app.post("/gemini-callback", mw, (_req, res) => res.end("unreachable"));
    const r = await send(app, signed());
    expect(r.body).toEqual({ status: "received" });
    expect(seen).toEqual(["b1"]);
  });

  it("multi-byte UTF-8 bodies are verified over their exact bytes", async () => {
    const app = express();
    const got: unknown[] = [];
    app.post("/gemini-callback", geminiWebhooks(base({ on: { "*": (e) => void got.push(e.data) } })));
    const body = Buffer.concat([Buffer.from('{"type":"x","data":{"s":"'), Buffer.from([0xe2, 0x82, 0xac]), Buffer.from('"}}')]);
    const d = signStatic({ body: new Uint8Array(body), secret: SECRET, id: "msg_u", timestamp: NOW_S });
    // (superagent would JSON-encode a Buffer sent as application/json, so send the exact string)
    const r = await request(app).post("/gemini-callback").set(d.headers).send(body.toString("utf8"));
    expect([r.status, r.body]).toEqual([200, { status: "received" }]);
    expect(got).toEqual([{ s: "€" }]);
  });
});
