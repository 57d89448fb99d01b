import { once } from "node:events";
import type { Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import request from "supertest";
import Koa3, { type Middleware } from "koa";
import Koa2 from "koa2";
import Router from "@koa/router";
import { bodyParser as koaBodyParser } from "@koa/bodyparser";
import koaBodyparser from "koa-bodyparser";
import { geminiWebhooks, type GeminiKoaState } from "@gemini-webhooks/koa";
import { createGeminiWebhooks, type GeminiWebhooksOptions, type IdempotencyStore } from "@gemini-webhooks/core";
import { allFixtures, signStatic } from "@gemini-webhooks/testing";
import { clock, NOW_S, SECRET, signed } from "../support/receiver.js";

type KoaCtor = typeof Koa3;
const versions: [string, KoaCtor][] = [["Koa 3", Koa3], ["Koa 2", Koa2]];

const base = (o: Partial<GeminiWebhooksOptions> = {}) => ({ secret: SECRET, now: clock(), ...o }) as GeminiWebhooksOptions;
const failedEvent = { type: "batch.failed", data: { id: "f", error_code: "X", error_message: "y" } };
const code = (r: request.Response) => r.body?.error?.code;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A real server on 127.0.0.1 (supertest then talks to it over HTTP). */
async function listen(app: { listen: (port: number, host: string) => Server }): Promise<Server> {
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  servers.push(server);
  return server;
}

function send(server: Server, d: { body: string; headers: Record<string, string> }, path = "/gemini-callback") {
  return request(server).post(path).set(d.headers).send(d.body);
}

/** A hand-written JSON parser that keeps no raw body (the way many apps parse with co-body or by hand). */
async function readAll(stream: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

describe.each(versions)("%s", (_name, Koa) => {
  function routed(mw: Middleware, ...before: Middleware[]) {
    const app = new Koa();
    for (const m of before) app.use(m);
    const router = new Router();
    router.post("/gemini-callback", mw);
    app.use(router.routes()).use(router.allowedMethods());
    return listen(app);
  }

  it("receives every catalog event type, typed, over real HTTP", async () => {
    const seen: string[] = [];
    const server = await routed(geminiWebhooks(base({ on: { "*": (e) => void seen.push(e.type) } })));
    for (const [i, ev] of allFixtures().entries()) {
      const res = await send(server, signed(ev, { id: `msg_${i}` }));
      expect([res.status, res.body]).toEqual([200, { status: "received" }]);
      expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    }
    expect(seen).toEqual(allFixtures().map((e) => e.type));
  });

  it("every status row of the table over HTTP", async () => {
    let failOnce = true;
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const runs: string[] = [];
    const server = await routed(
      geminiWebhooks(
        base({
          maxBodyBytes: 2048,
          on: {
            "batch.succeeded": (e, ctx) => void runs.push(`${e.type}:${ctx.webhookId}`),
            "batch.failed": (_e, ctx) => {
              runs.push(`batch.failed:${ctx.webhookId}`);
              if (failOnce) {
                failOnce = false;
                throw new Error("database briefly down");
              }
            },
            "batch.expired": () => {
              entered();
              return gate;
            },
          },
        }),
      ),
    );

    expect((await send(server, signed())).body).toEqual({ status: "received" });
    const dup = await send(server, signed());
    expect([dup.status, dup.body]).toEqual([200, { status: "duplicate" }]);
    expect(runs).toEqual(["batch.succeeded:msg_1"]);
    const ign = await send(server, signed({ type: "batch.cancelled", data: { id: "c" } }, { id: "msg_ign" }));
    expect([ign.status, ign.body]).toEqual([200, { status: "ignored" }]);

    const r500 = await send(server, signed(failedEvent, { id: "msg_f" }));
    expect([r500.status, code(r500)]).toEqual([500, "handler_failed"]);
    expect(JSON.stringify(r500.body)).not.toMatch(/database briefly down|at .*\.ts/);
    const retry = await send(server, signed(failedEvent, { id: "msg_f" }));
    expect([retry.status, retry.body]).toEqual([200, { status: "received" }]);
    expect(runs.filter((r) => r === "batch.failed:msg_f")).toHaveLength(2);

    const slow = send(server, signed({ type: "batch.expired", data: { id: "e" } }, { id: "msg_slow" })).then((r) => r);
    await inHandler;
    const r409 = await send(server, signed({ type: "batch.expired", data: { id: "e" } }, { id: "msg_slow" }));
    expect([r409.status, code(r409)]).toEqual([409, "in_progress"]);
    release();
    expect(((await slow) as request.Response).body).toEqual({ status: "received" });

    const d = signed(undefined, { id: "msg_x" });
    const noSig = await request(server).post("/gemini-callback").set({ "webhook-id": "a", "webhook-timestamp": String(NOW_S) }).send(d.body);
    expect([noSig.status, code(noSig)]).toEqual([400, "missing_header"]);
    const badTs = await send(server, { ...d, headers: { ...d.headers, "webhook-timestamp": "soon" } });
    expect([badTs.status, code(badTs)]).toEqual([400, "invalid_header"]);
    const unsup = await send(server, { ...d, headers: { ...d.headers, "webhook-signature": "v9,abc" } });
    expect([unsup.status, code(unsup)]).toEqual([400, "unsupported_signature"]);
    const old = await send(server, signed(undefined, { id: "msg_old", timestamp: NOW_S - 301 }));
    expect([old.status, code(old)]).toEqual([400, "timestamp_too_old"]);
    const future = await send(server, signed(undefined, { id: "msg_new", timestamp: NOW_S + 301 }));
    expect([future.status, code(future)]).toEqual([400, "timestamp_too_new"]);
    const forged = await send(server, { ...d, body: d.body.replace("gs://x", "gs://evil") });
    expect([forged.status, code(forged)]).toEqual([400, "signature_mismatch"]);
    const otherSecret = await send(server, signed(undefined, { id: "msg_o", secret: "whsec_" + Buffer.alloc(32, 7).toString("base64") }));
    expect([otherSecret.status, code(otherSecret)]).toEqual([400, "signature_mismatch"]);
    const notJson = await send(server, signStatic({ body: "hello", secret: SECRET, id: "msg_nj", timestamp: NOW_S }));
    expect([notJson.status, code(notJson)]).toEqual([400, "invalid_json"]);
    const big = await send(server, signed({ type: "x", data: { pad: "p".repeat(5000) } }, { id: "msg_big" }));
    expect([big.status, code(big)]).toEqual([413, "body_too_large"]);
    expect(big.body.error.message).toMatch(/2048/);
    // none of the rejected deliveries reached a handler
    expect(runs).toEqual(["batch.succeeded:msg_1", "batch.failed:msg_f", "batch.failed:msg_f"]);
    for (const r of [dup, r409, noSig, big]) expect(r.headers["content-type"]).toBe("application/json; charset=utf-8");
  });

  it("mounted with app.use: 405 for other methods (with Allow), 200 for a POST on any path", async () => {
    const app = new Koa();
    app.use(geminiWebhooks(base({ on: { "*": () => {} } })));
    const server = await listen(app);
    for (const method of ["get", "put", "delete", "patch"] as const) {
      const r = await request(server)[method]("/anything");
      expect([r.status, code(r), r.headers.allow]).toEqual([405, "method_not_allowed", "POST"]);
    }
    const head = await request(server).head("/gemini-callback");
    expect([head.status, head.headers.allow]).toEqual([405, "POST"]);
    expect((await send(server, signed(), "/hooks/gemini")).body).toEqual({ status: "received" });
  });

  it("503 store_unavailable when the store's claim throws; no handler runs", async () => {
    let ran = 0;
    const store: IdempotencyStore = {
      claim: async () => {
        throw new Error("ECONNREFUSED 127.0.0.1:6379");
      },
      complete: async () => {},
      release: async () => {},
    };
    const server = await routed(geminiWebhooks(base({ idempotency: store, on: { "*": () => void ran++ } })));
    const r = await send(server, signed());
    expect([r.status, code(r)]).toEqual([503, "store_unavailable"]);
    expect(JSON.stringify(r.body)).not.toMatch(/ECONNREFUSED/);
    expect(ran).toBe(0);
  });

  it("a header sent twice is rejected", async () => {
    const server = await routed(geminiWebhooks(base()));
    const d = signed();
    const r = await request(server).post("/gemini-callback").set(d.headers).set("webhook-id", ["msg_1", "msg_2"] as unknown as string).send(d.body);
    expect([r.status, code(r)]).toEqual([400, "invalid_header"]);
  });

  describe("body parsers before it", () => {
    it("koa-bodyparser (keeps ctx.request.rawBody): verified over the raw bytes, tampering caught, duplicate deduped", async () => {
      const seen: unknown[] = [];
      const server = await routed(geminiWebhooks(base({ on: { "*": (e) => void seen.push(e.data) } })), koaBodyparser());
      expect((await send(server, signed())).body).toEqual({ status: "received" });
      expect((await send(server, signed())).body).toEqual({ status: "duplicate" });
      const d = signed(undefined, { id: "msg_t" });
      // the same JSON value re-serialised differently must still fail: only the raw bytes count
      const r = await send(server, { ...d, body: JSON.stringify(JSON.parse(d.body), null, 1) });
      expect([r.status, code(r)]).toEqual([400, "signature_mismatch"]);
      expect(seen).toHaveLength(1);
    });

    it("@koa/bodyparser (keeps ctx.request.rawBody), also with patchNode", async () => {
      for (const opts of [{}, { patchNode: true }]) {
        const server = await routed(geminiWebhooks(base({ on: { "*": () => {} } })), koaBodyParser(opts));
        expect((await send(server, signed())).body).toEqual({ status: "received" });
        const d = signed(undefined, { id: "msg_t" });
        expect(code(await send(server, { ...d, body: d.body.replace("b1", "b2") }))).toBe("signature_mismatch");
      }
    });

    it("a kept raw body over maxBodyBytes is still 413", async () => {
      const server = await routed(geminiWebhooks(base({ maxBodyBytes: 1024 })), koaBodyparser());
      const r = await send(server, signed({ type: "x", data: { pad: "p".repeat(3000) } }));
      expect([r.status, code(r)]).toEqual([413, "body_too_large"]);
    });

    it("multi-byte UTF-8 is verified over its exact bytes, from the stream and from a parser's raw body", async () => {
      const body = '{"type":"x","data":{"s":"€ 😀 ü"}}';
      for (const before of [[], [koaBodyparser()], [koaBodyParser()]] as Middleware[][]) {
        const got: unknown[] = [];
        const server = await routed(geminiWebhooks(base({ on: { "*": (e) => void got.push(e.data) } })), ...before);
        const r = await send(server, signStatic({ body, secret: SECRET, id: "msg_u", timestamp: NOW_S }));
        expect([r.status, r.body]).toEqual([200, { status: "received" }]);
        expect(got).toEqual([{ s: "€ 😀 ü" }]);
      }
    });

    it("a parser that consumed the body without keeping it: 500 configuration naming the fix", async () => {
      const handParser: Middleware = async (ctx, next) => {
        (ctx.request as { body?: unknown }).body = JSON.parse(await readAll(ctx.req));
        await next();
      };
      // koa-bodyparser skips (a body is already there), so no raw body is kept either
      for (const before of [[handParser], [handParser, koaBodyparser()]]) {
        let ran = 0;
        const server = await routed(geminiWebhooks(base({ on: { "*": () => void ran++ } })), ...before);
        const r = await send(server, signed());
        expect([r.status, code(r)]).toEqual([500, "configuration"]);
        expect(r.body.error.message).toMatch(/before the body parser/);
        expect(r.body.error.message).toMatch(/ctx\.request\.rawBody/);
        expect(ran).toBe(0);
      }
    });

    it("@koa/bodyparser with enableRawChecking over a node-level parser (no raw body): 500 configuration", async () => {
      const nodeParser: Middleware = async (ctx, next) => {
        (ctx.req as { body?: unknown }).body = JSON.parse(await readAll(ctx.req));
        await next();
      };
      const server = await routed(geminiWebhooks(base()), nodeParser, koaBodyParser({ enableRawChecking: true }));
      const r = await send(server, signed());
      expect([r.status, code(r)]).toEqual([500, "configuration"]);
    });

    it("a parser that left the stream alone (other content type, or ctx.disableBodyParser) lets it read the stream", async () => {
      const disable: Middleware = async (ctx, next) => {
        if (ctx.path === "/gemini-callback") ctx.disableBodyParser = true;
        await next();
      };
      const setups: Middleware[][] = [
        [koaBodyparser({ enableTypes: ["form"] })],
        [koaBodyParser({ enableTypes: ["form"] })],
        [disable, koaBodyparser()],
        [disable, koaBodyParser()],
      ];
      for (const before of setups) {
        const server = await routed(geminiWebhooks(base({ on: { "*": () => {} } })), ...before);
        expect((await send(server, signed())).body).toEqual({ status: "received" });
      }
    });
  });

  describe("@koa/router mounting and ctx.state.geminiEvent", () => {
    it("middleware after it on the route sees ctx.state.geminiEvent, once per first-time delivery", async () => {
      const app = new Koa();
      const after: string[] = [];
      const upstream: string[] = [];
      app.use(async (ctx, next) => {
        await next();
        upstream.push(`${ctx.status} ${ctx.state.geminiEvent?.type ?? "-"}`);
      });
      const router = new Router<GeminiKoaState>({ prefix: "/hooks" });
      let fail = true;
      router.post(
        "/gemini",
        geminiWebhooks(base({ on: { "batch.succeeded": () => {}, "batch.failed": () => { if (fail) { fail = false; throw new Error("x"); } } } })),
        async (ctx) => {
          after.push(`${ctx.state.geminiEvent?.type}:${ctx.state.geminiEvent?.data.id}`);
        },
      );
      router.get("/health", (ctx) => void (ctx.body = { ok: true }));
      app.use(router.routes()).use(router.allowedMethods());
      const server = await listen(app);

      const first = await send(server, signed(), "/hooks/gemini");
      expect([first.status, first.body]).toEqual([200, { status: "received" }]);
      expect(after).toEqual(["batch.succeeded:b1"]);
      expect((await send(server, signed(), "/hooks/gemini")).body).toEqual({ status: "duplicate" });
      expect((await send(server, signed({ type: "batch.expired", data: { id: "e" } }, { id: "m_i" }), "/hooks/gemini")).body).toEqual({ status: "ignored" });
      expect(code(await send(server, signed(failedEvent, { id: "m_f" }), "/hooks/gemini"))).toBe("handler_failed");
      expect(code(await send(server, { ...signed(), body: "{}" }, "/hooks/gemini"))).toBe("signature_mismatch");
      expect((await send(server, signed(failedEvent, { id: "m_f" }), "/hooks/gemini")).body).toEqual({ status: "received" });
      // later middleware: first-time deliveries only (not the duplicate, not errors)
      expect(after).toEqual(["batch.succeeded:b1", "batch.expired:e", "batch.failed:f"]);
      // upstream middleware sees the event (when one was verified) after next()
      expect(upstream).toEqual(["200 batch.succeeded", "200 batch.succeeded", "200 batch.expired", "500 batch.failed", "400 -", "200 batch.failed"]);

      expect((await request(server).get("/hooks/health")).body).toEqual({ ok: true });
      const get = await request(server).get("/hooks/gemini");
      expect([get.status, get.headers.allow]).toEqual([405, "POST"]);
      expect((await request(server).post("/elsewhere").send("{}")).status).toBe(404);
    });

    it("accepts a ready instance and exposes it; handlers added later with .on() run", async () => {
      const wh = createGeminiWebhooks(base());
      const mw = geminiWebhooks(wh);
      expect(mw.webhooks).toBe(wh);
      const server = await routed(mw);
      expect((await send(server, signed())).body).toEqual({ status: "ignored" });
      const seen: string[] = [];
      wh.on("batch.succeeded", (e) => void seen.push(e.data.output_file_uri));
      expect((await send(server, signed(undefined, { id: "msg_2" }))).body).toEqual({ status: "received" });
      expect(seen).toEqual(["gs://x"]);
    });

    it("two receivers on two routes keep separate idempotency", async () => {
      const app = new Koa();
      const router = new Router();
      router.post("/a", geminiWebhooks(base({ on: { "*": () => {} } })));
      router.post("/b", geminiWebhooks(base({ on: { "*": () => {} } })));
      app.use(router.routes());
      const server = await listen(app);
      expect((await send(server, signed(), "/a")).body).toEqual({ status: "received" });
      expect((await send(server, signed(), "/b")).body).toEqual({ status: "received" });
      expect((await send(server, signed(), "/a")).body).toEqual({ status: "duplicate" });
    });
  });
});
