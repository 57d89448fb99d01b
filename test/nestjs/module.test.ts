import { Controller, Get, Inject, Injectable, Module, SetMetadata, type CanActivate, type ExecutionContext, type INestApplication } from "@nestjs/common";
import { APP_GUARD, Reflector } from "@nestjs/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import request from "supertest";
import {
  GEMINI_WEBHOOKS,
  GeminiWebhooksModule,
  OnGeminiEvent,
  type AnyGeminiEvent,
  type BatchFailedEvent,
  type BatchSucceededEvent,
  type GeminiWebhooks,
  type VideoGeneratedEvent,
  type WebhookContext,
} from "@gemini-webhooks/nestjs";
import { createGeminiWebhooks, type IdempotencyStore } from "@gemini-webhooks/core";
import { allFixtures, fixture, generateSecret, signStatic } from "@gemini-webhooks/testing";
import { clock, NOW_S, SECRET, signed } from "../support/receiver.js";
import { code, deliver, gate, PLATFORMS, row, startApp, until } from "./helpers.js";

/** Handlers on an ordinary provider, found at startup by the module. */
@Injectable()
class BatchHandlers {
  readonly runs: string[] = [];
  failuresLeft = 1;
  expiredStarted = false;
  readonly hold = gate();

  @OnGeminiEvent("batch.succeeded")
  onSucceeded(event: BatchSucceededEvent, ctx: WebhookContext) {
    this.runs.push(`succeeded ${event.data.output_file_uri} ${ctx.webhookId} ${ctx.scheme}`);
  }

  @OnGeminiEvent("batch.failed")
  async onFailed(event: BatchFailedEvent) {
    if (this.failuresLeft-- > 0) throw new Error("database briefly unavailable");
    this.runs.push(`failed ${event.data.error_code}`);
  }

  @OnGeminiEvent("batch.expired")
  async onExpired() {
    this.expiredStarted = true;
    await this.hold.wait;
    this.runs.push("expired");
  }

  @OnGeminiEvent("video.generated", "interaction.completed")
  onOther(event: VideoGeneratedEvent | AnyGeminiEvent) {
    this.runs.push(`other ${event.type}`);
  }
}

@Controller("health")
class HealthController {
  @Get() ok() {
    return { ok: true };
  }
}

@Module({
  imports: [GeminiWebhooksModule.forRoot({ secret: SECRET, now: clock(), maxBodyBytes: 4096 })],
  controllers: [HealthController],
  providers: [BatchHandlers],
})
class AppModule {}

describe.each(PLATFORMS)("module controller + @OnGeminiEvent on %s", (platform) => {
  let app: INestApplication;
  let handlers: BatchHandlers;
  beforeAll(async () => {
    app = await startApp(platform, AppModule);
    handlers = app.get(BatchHandlers);
  });
  afterAll(() => app?.close());

  it("200 received: the decorated provider method runs with the verified, typed event", async () => {
    const r = await deliver(app, signed(undefined, { id: "msg_ok" }));
    expect([r.status, r.body]).toEqual([200, { status: "received" }]);
    expect(r.headers["content-type"]).toMatch(/^application\/json/);
    expect(handlers.runs).toContain("succeeded gs://x msg_ok v1");
  });

  it("200 duplicate: the same delivery again does not run the method again", async () => {
    const before = handlers.runs.length;
    const r = await deliver(app, signed(undefined, { id: "msg_ok" }));
    expect([r.status, r.body]).toEqual([200, { status: "duplicate" }]);
    expect(handlers.runs.length).toBe(before);
  });

  it("200 ignored: no handler for the type", async () => {
    const r = await deliver(app, signed(fixture("batch.cancelled"), { id: "msg_ign" }));
    expect([r.status, r.body]).toEqual([200, { status: "ignored" }]);
  });

  it("a method listening to several types receives each of them", async () => {
    expect(row(await deliver(app, signed(fixture("video.generated"), { id: "msg_v" })))).toEqual([200, "received"]);
    expect(row(await deliver(app, signed(fixture("interaction.completed"), { id: "msg_i" })))).toEqual([200, "received"]);
    expect(handlers.runs).toEqual(expect.arrayContaining(["other video.generated", "other interaction.completed"]));
  });

  it("500 handler_failed when the method throws; the claim is released and Gemini's retry succeeds", async () => {
    const d = signed(fixture("batch.failed"), { id: "msg_flaky" });
    const first = await deliver(app, d);
    expect([first.status, code(first)]).toEqual([500, "handler_failed"]);
    expect(first.body.error.message).not.toMatch(/database briefly unavailable|at .*\.ts/);
    const retry = await deliver(app, d);
    expect([retry.status, retry.body]).toEqual([200, { status: "received" }]);
    expect(handlers.runs.filter((x) => x.startsWith("failed"))).toEqual(["failed INVALID_ARGUMENT"]);
    expect(row(await deliver(app, d))).toEqual([200, "duplicate"]);
  });

  it("409 in_progress while the same delivery is still being handled", async () => {
    const d = signed(fixture("batch.expired"), { id: "msg_slow" });
    const slow = deliver(app, d).then((r) => r);
    await until(() => handlers.expiredStarted);
    const second = await deliver(app, d);
    expect([second.status, code(second)]).toEqual([409, "in_progress"]);
    handlers.hold.open();
    expect(row(await slow)).toEqual([200, "received"]);
    expect(handlers.runs.filter((x) => x === "expired")).toHaveLength(1);
  });

  it("400 for every kind of bad delivery, with core's JSON error body", async () => {
    const d = signed(undefined, { id: "msg_bad" });
    const noSig = await request(app.getHttpServer())
      .post("/gemini-callback")
      .set({ "content-type": "application/json", "webhook-id": "msg_bad", "webhook-timestamp": String(NOW_S) })
      .send(d.body);
    expect([noSig.status, code(noSig)]).toEqual([400, "missing_header"]);
    expect(noSig.body.error.message).toEqual(expect.any(String));
    expect(Object.keys(noSig.body)).toEqual(["error"]);
    expect(code(await deliver(app, { ...d, headers: { ...d.headers, "webhook-timestamp": "soon" } }))).toBe("invalid_header");
    expect(code(await deliver(app, { ...d, headers: { ...d.headers, "webhook-signature": "v9,abc" } }))).toBe("unsupported_signature");
    const old = await deliver(app, signed(undefined, { id: "msg_old", timestamp: NOW_S - 301 }));
    expect([old.status, code(old)]).toEqual([400, "timestamp_too_old"]);
    const future = await deliver(app, signed(undefined, { id: "msg_new", timestamp: NOW_S + 301 }));
    expect([future.status, code(future)]).toEqual([400, "timestamp_too_new"]);
    const forged = await deliver(app, signed(undefined, { id: "msg_forged", secret: generateSecret() }));
    expect([forged.status, code(forged)]).toEqual([400, "signature_mismatch"]);
    const tampered = await deliver(app, { ...d, body: d.body.replace("gs://x", "gs://evil") });
    expect([tampered.status, code(tampered)]).toEqual([400, "signature_mismatch"]);
    const notEvent = await deliver(app, signStatic({ body: '{"hello":"world"}', secret: SECRET, id: "msg_nj", timestamp: NOW_S }));
    expect([notEvent.status, code(notEvent)]).toEqual([400, "invalid_json"]);
    expect(handlers.runs.some((x) => x.includes("evil"))).toBe(false);
  });

  it("the edge of the replay window is inside it", async () => {
    expect(row(await deliver(app, signed(undefined, { id: "msg_edge", timestamp: NOW_S - 300 })))).toEqual([200, "received"]);
  });

  it("413 body_too_large past maxBodyBytes", async () => {
    const r = await deliver(app, signed({ type: "batch.succeeded", data: { id: "b", output_file_uri: "p".repeat(5000) } }, { id: "msg_big" }));
    expect([r.status, code(r)]).toEqual([413, "body_too_large"]);
  });

  it("405 method_not_allowed (with Allow: POST) for other methods on the webhook path", async () => {
    const r = await request(app.getHttpServer()).get("/gemini-callback");
    expect([r.status, code(r), r.headers.allow]).toEqual([405, "method_not_allowed", "POST"]);
    const put = await request(app.getHttpServer()).put("/gemini-callback").set("content-type", "application/json").send("{}");
    expect([put.status, code(put)]).toEqual([405, "method_not_allowed"]);
  });

  it("leaves the rest of the app alone", async () => {
    const r = await request(app.getHttpServer()).get("/health");
    expect([r.status, r.body]).toEqual([200, { ok: true }]);
  });
});

describe.each(PLATFORMS)("module options on %s", (platform) => {
  it('"*" receives every catalog type and unknown types; on-option handlers run beside decorated methods', async () => {
    const seen: string[] = [];
    @Injectable()
    class All {
      @OnGeminiEvent("*") any(event: AnyGeminiEvent) {
        seen.push(`*:${event.type}`);
      }
    }
    @Module({
      imports: [GeminiWebhooksModule.forRoot({ secret: SECRET, now: clock(), on: { "batch.succeeded": (e) => void seen.push(`on:${e.data.id}`) } })],
      providers: [All],
    })
    class M {}
    const app = await startApp(platform, M);
    try {
      for (const [i, ev] of allFixtures().entries()) expect(row(await deliver(app, signed(ev, { id: `msg_all_${i}` })))).toEqual([200, "received"]);
      expect(row(await deliver(app, signed({ type: "batch.paused", data: { id: "z" } }, { id: "msg_unknown" })))).toEqual([200, "received"]);
      expect(seen.filter((s) => s.startsWith("*:"))).toHaveLength(11);
      expect(seen).toContain("*:batch.paused");
      expect(seen).toContain("on:batches/batch_123456");
    } finally {
      await app.close();
    }
  });

  it("503 store_unavailable when the idempotency store is down, and no handler runs", async () => {
    let ran = 0;
    const down: IdempotencyStore = { claim: async () => { throw new Error("ECONNREFUSED"); }, complete: () => {}, release: () => {} };
    @Injectable()
    class H {
      @OnGeminiEvent("*") any() {
        ran++;
      }
    }
    @Module({ imports: [GeminiWebhooksModule.forRoot({ secret: SECRET, now: clock(), idempotency: down })], providers: [H] })
    class M {}
    const app = await startApp(platform, M);
    try {
      const r = await deliver(app, signed());
      expect([r.status, code(r)]).toEqual([503, "store_unavailable"]);
      expect(ran).toBe(0);
    } finally {
      await app.close();
    }
  });

  it("forRootAsync: the secret comes from a config service, on a custom path; GEMINI_WEBHOOKS is injectable", async () => {
    const env = { GEMINI_WEBHOOK_SECRET: SECRET };
    @Injectable()
    class ConfigService {
      get(key: keyof typeof env): string {
        return env[key];
      }
    }
    @Module({ providers: [ConfigService], exports: [ConfigService] })
    class ConfigModule {}
    const seen: string[] = [];
    @Injectable()
    class H {
      constructor(@Inject(GEMINI_WEBHOOKS) readonly webhooks: GeminiWebhooks) {}
      @OnGeminiEvent("batch.succeeded") ok(event: BatchSucceededEvent) {
        seen.push(event.data.id);
      }
    }
    @Module({
      imports: [
        GeminiWebhooksModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: async (config: ConfigService) => ({ secret: config.get("GEMINI_WEBHOOK_SECRET"), now: clock() }),
          path: "webhooks/gemini",
        }),
      ],
      providers: [H],
    })
    class M {}
    const app = await startApp(platform, M);
    try {
      expect(row(await deliver(app, signed(), "/webhooks/gemini"))).toEqual([200, "received"]);
      expect(seen).toEqual(["b1"]);
      expect((await deliver(app, signed(), "/gemini-callback")).status).toBe(404);
      expect(typeof app.get(H).webhooks.handle).toBe("function");
      expect(app.get(GEMINI_WEBHOOKS)).toBe(app.get(H).webhooks);
    } finally {
      await app.close();
    }
  });

  it("forRoot with a ready instance; handlers are removed when the app closes (no doubles on restart)", async () => {
    const wh = createGeminiWebhooks({ secret: SECRET, now: clock() });
    let runs = 0;
    @Injectable()
    class H {
      @OnGeminiEvent("batch.succeeded") ok() {
        runs++;
      }
    }
    @Module({ imports: [GeminiWebhooksModule.forRoot(wh)], providers: [H] })
    class M {}
    for (const id of ["msg_r1", "msg_r2"]) {
      const app = await startApp(platform, M);
      try {
        expect(app.get(GEMINI_WEBHOOKS)).toBe(wh);
        expect(row(await deliver(app, signed(undefined, { id })))).toEqual([200, "received"]);
      } finally {
        await app.close();
      }
    }
    expect(runs).toBe(2);
    expect(wh.hasHandlers("batch.succeeded")).toBe(false);
  });

  it("a bad secret fails at startup with a clear message, not per request", async () => {
    @Module({ imports: [GeminiWebhooksModule.forRoot({ secret: "whsec_short" })] })
    class M {}
    await expect(startApp(platform, M)).rejects.toThrow(/secret/i);
  });

  it("503 keys_unavailable when the JWKS cannot be fetched for a v1a delivery", async () => {
    @Module({ imports: [GeminiWebhooksModule.forRoot({ secret: SECRET, now: clock(), jwks: { uri: "http://127.0.0.1:9/jwks.json", timeoutMs: 1000 } })] })
    class M {}
    const app = await startApp(platform, M);
    try {
      const d = signed();
      const r = await deliver(app, { ...d, headers: { ...d.headers, "webhook-signature": `v1a,${Buffer.alloc(64, 1).toString("base64")}` } });
      expect([r.status, code(r)]).toEqual([503, "keys_unavailable"]);
    } finally {
      await app.close();
    }
  });

  it("decorators: lets the module's route past a global auth guard (e.g. a @Public() marker)", async () => {
    const IS_PUBLIC = "isPublic";
    @Injectable()
    class AuthGuard implements CanActivate {
      constructor(@Inject(Reflector) private readonly reflector: Reflector) {}
      canActivate(ctx: ExecutionContext) {
        return this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [ctx.getHandler(), ctx.getClass()]) === true;
      }
    }
    const make = (decorators: ClassDecorator[]) => {
      @Module({
        imports: [GeminiWebhooksModule.forRoot({ secret: SECRET, now: clock(), on: { "*": () => {} }, decorators })],
        providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
      })
      class M {}
      return M;
    };
    for (const [decorators, status] of [[[], 403], [[SetMetadata(IS_PUBLIC, true)], 200]] as const) {
      const app = await startApp(platform, make([...decorators]));
      try {
        expect((await deliver(app, signed())).status).toBe(status);
      } finally {
        await app.close();
      }
    }
  });

  it("path: false registers no controller", async () => {
    @Module({ imports: [GeminiWebhooksModule.forRoot({ secret: SECRET, now: clock(), path: false })] })
    class M {}
    const app = await startApp(platform, M);
    try {
      expect((await deliver(app, signed())).status).toBe(404);
    } finally {
      await app.close();
    }
  });
});

describe.each(PLATFORMS)("an app started without rawBody: true on %s", (platform) => {
  it("500 configuration naming the fix, and no handler runs", async () => {
    let ran = 0;
    @Injectable()
    class H {
      @OnGeminiEvent("*") any() {
        ran++;
      }
    }
    @Module({ imports: [GeminiWebhooksModule.forRoot({ secret: SECRET, now: clock() })], providers: [H] })
    class M {}
    const app = await startApp(platform, M, { rawBody: false });
    try {
      const r = await deliver(app, signed());
      expect([r.status, code(r)]).toEqual([500, "configuration"]);
      expect(r.body.error.message).toMatch(/rawBody: true/);
      expect(r.body.error.message).toMatch(/NestFactory\.create/);
      expect(ran).toBe(0);
    } finally {
      await app.close();
    }
  });
});
