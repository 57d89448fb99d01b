import { All, Controller, HttpCode, HttpException, Inject, Injectable, Module, Post, UseGuards, UseInterceptors, type CallHandler, type ExecutionContext, type INestApplication, type NestInterceptor } from "@nestjs/common";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import request from "supertest";
import { map } from "rxjs";
import {
  GeminiContext,
  GeminiEvent,
  GeminiWebhookContext,
  GeminiWebhookGuard,
  GeminiWebhooksModule,
  type AnyGeminiEvent,
  type WebhookContext,
} from "@gemini-webhooks/nestjs";
import type { IdempotencyStore } from "@gemini-webhooks/core";
import { allFixtures, fixture, generateSecret, signStatic } from "@gemini-webhooks/testing";
import { clock, NOW_S, SECRET, signed } from "../support/receiver.js";
import { code, deliver, gate, PLATFORMS, row, startApp, until } from "./helpers.js";

/** What the controller methods did. */
@Injectable()
class Recorder {
  readonly runs: string[] = [];
  failuresLeft = 1;
  slowStarted = false;
  readonly hold = gate();
}

/** An interceptor of the user's own, to show the guard path composes with them. */
class Wrap implements NestInterceptor {
  intercept(_ctx: ExecutionContext, next: CallHandler) {
    return next.handle().pipe(map((v) => ({ wrapped: v })));
  }
}

@Controller("hooks")
class HooksController {
  constructor(@Inject(Recorder) private readonly rec: Recorder) {}

  /** The DESIGN's shape: @Post() @UseGuards(GeminiWebhookGuard) handle(@GeminiEvent() e) {} */
  @Post("gemini")
  @UseGuards(GeminiWebhookGuard)
  async handle(@GeminiEvent() event: AnyGeminiEvent, @GeminiWebhookContext() ctx: WebhookContext) {
    if (event.data.id === "flaky" && this.rec.failuresLeft-- > 0) throw new Error("database briefly unavailable");
    if (event.data.id === "slow") {
      this.rec.slowStarted = true;
      await this.rec.hold.wait;
    }
    if (event.type === "batch.succeeded") this.rec.runs.push(`succeeded ${event.data.output_file_uri}`);
    this.rec.runs.push(`${event.type} ${ctx.webhookId} ${ctx.scheme} ${ctx.rawBody.length}`);
  }

  /** A method that answers something of its own, with its own status code. */
  @Post("custom")
  @HttpCode(202)
  @UseGuards(GeminiWebhookGuard)
  custom(@GeminiEvent() event: AnyGeminiEvent, @GeminiContext() ctx: WebhookContext) {
    return { accepted: event.data.id, webhookId: ctx.webhookId };
  }

  /** A method that rejects on purpose: its HttpException is kept, and the claim released. */
  @Post("reject")
  @UseGuards(GeminiWebhookGuard)
  reject() {
    throw new HttpException({ nope: true }, 422);
  }

  @All("any")
  @UseGuards(GeminiWebhookGuard)
  @UseInterceptors(Wrap)
  any(@GeminiEvent() event: AnyGeminiEvent) {
    return event.type;
  }
}

/** Guarded at the class level. */
@Controller("class-guarded")
@UseGuards(GeminiWebhookGuard)
class ClassGuardedController {
  @Post() receive(@GeminiEvent() event: AnyGeminiEvent) {
    void event;
  }
}

@Module({
  imports: [GeminiWebhooksModule.forRoot({ secret: SECRET, now: clock(), maxBodyBytes: 4096, path: false })],
  controllers: [HooksController, ClassGuardedController],
  providers: [Recorder],
})
class AppModule {}

describe.each(PLATFORMS)("GeminiWebhookGuard on %s", (platform) => {
  let app: INestApplication;
  let rec: Recorder;
  const send = (d: { body: string; headers: Record<string, string> }, path = "/hooks/gemini") => deliver(app, d, path);
  beforeAll(async () => {
    app = await startApp(platform, AppModule);
    rec = app.get(Recorder);
  });
  afterAll(() => app?.close());

  it("200 received for every catalog type: the method gets the verified event and its context", async () => {
    for (const [i, ev] of allFixtures().entries()) {
      const d = signed(ev, { id: `msg_g${i}` });
      const r = await send(d);
      expect([r.status, r.body]).toEqual([200, { status: "received" }]);
      expect(rec.runs).toContain(`${ev.type} msg_g${i} v1 ${Buffer.byteLength(d.body)}`);
    }
    expect(rec.runs).toContain("succeeded gs://my-bucket/results.jsonl");
  });

  it("200 duplicate without running the method again", async () => {
    const before = rec.runs.length;
    const r = await send(signed(allFixtures()[0], { id: "msg_g0" }));
    expect([r.status, r.body]).toEqual([200, { status: "duplicate" }]);
    expect(rec.runs.length).toBe(before);
  });

  it("a method's own answer and @HttpCode are kept; a duplicate is still 200 duplicate", async () => {
    const d = signed(fixture("batch.cancelled"), { id: "msg_custom" });
    const r = await send(d, "/hooks/custom");
    expect([r.status, r.body]).toEqual([202, { accepted: "batches/batch_123458", webhookId: "msg_custom" }]);
    expect(row(await send(d, "/hooks/custom"))).toEqual([200, "duplicate"]);
  });

  it("user interceptors still apply", async () => {
    const r = await send(signed(fixture("batch.cancelled"), { id: "msg_wrap" }), "/hooks/any");
    expect([r.status, r.body]).toEqual([200, { wrapped: "batch.cancelled" }]);
  });

  it("500 handler_failed when the method throws; the claim is released and the retry succeeds", async () => {
    const d = signed(fixture("batch.failed", { id: "flaky" }), { id: "msg_gflaky" });
    const first = await send(d);
    expect([first.status, code(first)]).toEqual([500, "handler_failed"]);
    expect(first.body).toEqual({ error: { code: "handler_failed", message: expect.stringMatching(/retry/) } });
    expect(rec.runs.some((x) => x.startsWith("batch.failed msg_gflaky"))).toBe(false);
    const retry = await send(d);
    expect([retry.status, retry.body]).toEqual([200, { status: "received" }]);
    expect(rec.runs.filter((x) => x.startsWith("batch.failed msg_gflaky"))).toHaveLength(1);
    expect(row(await send(d))).toEqual([200, "duplicate"]);
  });

  it("an HttpException thrown by the method is kept, and the claim released", async () => {
    const d = signed(undefined, { id: "msg_rej" });
    const r = await send(d, "/hooks/reject");
    expect([r.status, r.body]).toEqual([422, { nope: true }]);
    expect((await send(d, "/hooks/reject")).status).toBe(422);
  });

  it("409 in_progress while the same delivery is still being handled", async () => {
    const d = signed(fixture("batch.expired", { id: "slow" }), { id: "msg_gslow" });
    const slow = send(d).then((r) => r);
    await until(() => rec.slowStarted);
    const second = await send(d);
    expect([second.status, second.body]).toEqual([409, { error: { code: "in_progress", message: expect.any(String) } }]);
    rec.hold.open();
    expect(row(await slow)).toEqual([200, "received"]);
    expect(row(await send(d))).toEqual([200, "duplicate"]);
  });

  it("400 with core's exact JSON error body for every kind of bad delivery; the method never runs", async () => {
    const before = rec.runs.length;
    const d = signed(undefined, { id: "msg_gbad" });
    const noSig = await request(app.getHttpServer())
      .post("/hooks/gemini")
      .set({ "content-type": "application/json", "webhook-id": "msg_gbad", "webhook-timestamp": String(NOW_S) })
      .send(d.body);
    expect([noSig.status, noSig.body]).toEqual([400, { error: { code: "missing_header", message: expect.stringMatching(/webhook-signature/) } }]);
    expect(noSig.headers["content-type"]).toMatch(/^application\/json/);
    const rows: [string, { body: string; headers: Record<string, string> }][] = [
      ["invalid_header", { ...d, headers: { ...d.headers, "webhook-timestamp": "soon" } }],
      ["unsupported_signature", { ...d, headers: { ...d.headers, "webhook-signature": "v9,abc" } }],
      ["timestamp_too_old", signed(undefined, { id: "msg_gold", timestamp: NOW_S - 301 })],
      ["timestamp_too_new", signed(undefined, { id: "msg_gnew", timestamp: NOW_S + 301 })],
      ["signature_mismatch", signed(undefined, { id: "msg_gforged", secret: generateSecret() })],
      ["signature_mismatch", { ...d, body: d.body.replace("gs://x", "gs://evil") }],
      ["invalid_json", signStatic({ body: "[1,2]", secret: SECRET, id: "msg_gnj", timestamp: NOW_S })],
    ];
    for (const [expected, delivery] of rows) {
      const r = await send(delivery);
      expect([r.status, r.body]).toEqual([400, { error: { code: expected, message: expect.any(String) } }]);
    }
    expect(rec.runs.length).toBe(before);
  });

  it("413 body_too_large past maxBodyBytes", async () => {
    const r = await send(signed({ type: "batch.succeeded", data: { id: "b", output_file_uri: "p".repeat(5000) } }, { id: "msg_gbig" }));
    expect([r.status, code(r)]).toEqual([413, "body_too_large"]);
  });

  it("405 method_not_allowed with Allow: POST on a route that takes every method", async () => {
    const r = await request(app.getHttpServer()).get("/hooks/any");
    expect([r.status, r.body.error?.code, r.headers.allow]).toEqual([405, "method_not_allowed", "POST"]);
  });

  it("a guard on the controller class guards its routes the same way", async () => {
    const d = signed(undefined, { id: "msg_cls" });
    expect([(await send(d, "/class-guarded")).status, (await send(d, "/class-guarded")).body]).toEqual([200, { status: "duplicate" }]);
    expect(code(await send({ ...d, body: d.body.replace("b1", "b2") }, "/class-guarded"))).toBe("signature_mismatch");
  });
});

describe.each(PLATFORMS)("GeminiWebhookGuard, other setups, on %s", (platform) => {
  it("500 configuration naming rawBody: true when the app was created without it", async () => {
    const app = await startApp(platform, AppModule, { rawBody: false });
    try {
      const rec = app.get(Recorder);
      const r = await deliver(app, signed(undefined, { id: "msg_noraw" }), "/hooks/gemini");
      expect([r.status, code(r)]).toEqual([500, "configuration"]);
      expect(r.body.error.message).toMatch(/rawBody: true/);
      expect(rec.runs).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it("503 store_unavailable when the store is down; the method does not run", async () => {
    let ran = 0;
    const down: IdempotencyStore = { claim: async () => { throw new Error("ECONNREFUSED"); }, complete: () => {}, release: () => {} };
    @Controller()
    class C {
      @Post("wh") @UseGuards(GeminiWebhookGuard) receive() {
        ran++;
      }
    }
    @Module({ imports: [GeminiWebhooksModule.forRoot({ secret: SECRET, now: clock(), idempotency: down, path: false })], controllers: [C] })
    class M {}
    const app = await startApp(platform, M);
    try {
      const r = await deliver(app, signed(), "/wh");
      expect([r.status, r.body]).toEqual([503, { error: { code: "store_unavailable", message: expect.any(String) } }]);
      expect(ran).toBe(0);
    } finally {
      await app.close();
    }
  });

  it("503 keys_unavailable when the JWKS cannot be fetched for a v1a delivery", async () => {
    @Controller()
    class C {
      @Post("wh") @UseGuards(GeminiWebhookGuard) receive() {}
    }
    @Module({
      imports: [GeminiWebhooksModule.forRoot({ secret: SECRET, now: clock(), jwks: { uri: "http://127.0.0.1:9/jwks.json", timeoutMs: 1000 }, path: false })],
      controllers: [C],
    })
    class M {}
    const app = await startApp(platform, M);
    try {
      const d = signed();
      const r = await deliver(app, { ...d, headers: { ...d.headers, "webhook-signature": `v1a,${Buffer.alloc(64, 1).toString("base64")}` } }, "/wh");
      expect([r.status, code(r)]).toEqual([503, "keys_unavailable"]);
    } finally {
      await app.close();
    }
  });

  it("idempotency: false: no dedupe, the method runs for each copy", async () => {
    let ran = 0;
    @Controller()
    class C {
      @Post("wh") @UseGuards(GeminiWebhookGuard) receive() {
        ran++;
      }
    }
    @Module({ imports: [GeminiWebhooksModule.forRoot({ secret: SECRET, now: clock(), idempotency: false, path: false })], controllers: [C] })
    class M {}
    const app = await startApp(platform, M);
    try {
      expect(row(await deliver(app, signed(), "/wh"))).toEqual([200, "received"]);
      expect(row(await deliver(app, signed(), "/wh"))).toEqual([200, "received"]);
      expect(ran).toBe(2);
    } finally {
      await app.close();
    }
  });

  it("receiving only on a guarded route (no @OnGeminiEvent, no on), the module's own route is not mapped (no second endpoint)", async () => {
    @Controller()
    class C {
      @Post("wh") @UseGuards(GeminiWebhookGuard) receive() {}
    }
    @Module({ imports: [GeminiWebhooksModule.forRoot({ secret: SECRET, now: clock(), logger: false })], controllers: [C] })
    class M {}
    const app = await startApp(platform, M);
    try {
      expect(row(await deliver(app, signed(), "/wh"))).toEqual([200, "received"]);
      const other = await deliver(app, signed({ type: "batch.succeeded", data: { id: "b2", output_file_uri: "gs://y" } }, { id: "msg_other" }), "/gemini-callback");
      expect(other.status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it("a module path given explicitly stays mapped beside a guarded route; both share one receiver and one store", async () => {
    @Controller()
    class C {
      @Post("wh") @UseGuards(GeminiWebhookGuard) receive() {}
    }
    @Module({ imports: [GeminiWebhooksModule.forRoot({ secret: SECRET, now: clock(), on: { "*": () => {} }, path: "gemini-callback" })], controllers: [C] })
    class M {}
    const app = await startApp(platform, M);
    try {
      expect(row(await deliver(app, signed(), "/wh"))).toEqual([200, "received"]);
      expect(row(await deliver(app, signed(), "/gemini-callback"))).toEqual([200, "duplicate"]);
    } finally {
      await app.close();
    }
  });
});
