import { Controller, HttpException, Module, Post, UseGuards, UseInterceptors, type CallHandler, type ExecutionContext, type INestApplication, type NestInterceptor } from "@nestjs/common";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { throwError } from "rxjs";
import { GeminiEvent, GeminiWebhookGuard, GeminiWebhooksModule, OnGeminiEvent, type AnyGeminiEvent } from "@gemini-webhooks/nestjs";
import type { ErrorContext } from "@gemini-webhooks/core";
import { fixture, signStatic } from "@gemini-webhooks/testing";
import { clock, NOW_S, SECRET } from "../support/receiver.js";
import { deliver, PLATFORMS, row, startApp, until } from "./helpers.js";

// Every Nest path settles a failed delivery once and reports its error to onError exactly once (issue #16:
// the guard used to release twice and report a second, wrong "ended before the route completed").
const reports: Array<{ error: unknown; ctx: ErrorContext }> = [];
const logged: string[] = [];

/** An interceptor of the app's that fails after the method ran (the guard's close listener must not report again). */
class Explode implements NestInterceptor {
  intercept(_ctx: ExecutionContext, next: CallHandler) {
    void next;
    return throwError(() => new HttpException("refused by another interceptor", 418));
  }
}

@Controller("hooks")
class HooksController {
  @Post("throws")
  @UseGuards(GeminiWebhookGuard)
  throws(@GeminiEvent() event: AnyGeminiEvent) {
    throw new Error(`boom ${event.type}`);
  }

  @Post("http-exception")
  @UseGuards(GeminiWebhookGuard)
  refuses() {
    throw new HttpException("not today", 422);
  }

  @Post("other-interceptor")
  @UseGuards(GeminiWebhookGuard)
  @UseInterceptors(Explode)
  unreachable() {
    return "never";
  }
}

class Handlers {
  @OnGeminiEvent("batch.failed")
  failed(event: AnyGeminiEvent) {
    throw new Error(`handler boom ${event.type}`);
  }
}

@Module({
  imports: [
    GeminiWebhooksModule.forRoot({
      secret: SECRET,
      now: clock(),
      onError: (error, ctx) => void reports.push({ error, ctx }),
      logger: { debug: () => {}, info: () => {}, warn: (m: string) => void logged.push(`warn ${m}`), error: (m: string) => void logged.push(`error ${m}`) },
    }),
  ],
  controllers: [HooksController],
  providers: [Handlers],
})
class AppModule {}

const send = (app: INestApplication, path: string, id: string, type: "batch.succeeded" | "batch.failed" = "batch.succeeded") =>
  deliver(app, signStatic({ event: fixture(type, { id }), secret: SECRET, id, timestamp: NOW_S }), path);

describe.each(PLATFORMS)("NestJS on %s: one failure, one report", (platform) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await startApp(platform, AppModule);
  });
  afterAll(() => app.close());
  beforeEach(() => {
    reports.length = 0;
    logged.length = 0;
  });
  const handlerReports = () => reports.filter((r) => r.ctx.stage === "handler");

  it("module controller: a throwing @OnGeminiEvent handler → 500 handler_failed, reported once, retry runs again", async () => {
    expect(row(await send(app, "/gemini-callback", `m_ctl_${platform}`, "batch.failed"))).toEqual([500, "handler_failed"]);
    expect(handlerReports()).toHaveLength(1);
    expect(logged.filter((l) => l.startsWith("error"))).toHaveLength(1);
    expect(row(await send(app, "/gemini-callback", `m_ctl_${platform}`, "batch.failed"))).toEqual([500, "handler_failed"]); // released: runs again
    expect(handlerReports()).toHaveLength(2);
  });

  it("guard: a method that throws → 500 handler_failed, reported once (after the response has closed)", async () => {
    const id = `m_throw_${platform}`;
    expect(row(await send(app, "/hooks/throws", id))).toEqual([500, "handler_failed"]);
    // the guard also listens for the response's close: give it the chance to (wrongly) report a second time
    await until(() => handlerReports().length >= 1);
    await new Promise((r) => setImmediate(r));
    expect(handlerReports()).toHaveLength(1);
    expect(String((handlerReports()[0]!.error as Error).message)).toBe("boom batch.succeeded");
    expect(reports.some((r) => /ended .* before the route completed/.test(String((r.error as Error).message)))).toBe(false);
  });

  it("guard: an HttpException from the method keeps its status and is reported once", async () => {
    const r = await send(app, "/hooks/http-exception", `m_http_${platform}`);
    expect(r.status).toBe(422);
    await until(() => handlerReports().length >= 1);
    await new Promise((r2) => setImmediate(r2));
    expect(handlerReports()).toHaveLength(1);
  });

  it("guard: another interceptor fails the request → the claim is released and reported once", async () => {
    const id = `m_icpt_${platform}`;
    expect((await send(app, "/hooks/other-interceptor", id)).status).toBe(418);
    await until(() => reports.length >= 1);
    await new Promise((r) => setImmediate(r));
    expect(reports).toHaveLength(1);
    // released: the retry is not a duplicate
    expect((await send(app, "/hooks/other-interceptor", id)).status).toBe(418);
  });
});
