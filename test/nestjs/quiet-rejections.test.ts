import { ConsoleLogger, Module, type INestApplication } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { ExpressAdapter } from "@nestjs/platform-express";
import { describe, expect, it } from "vitest";
import { GeminiWebhooksModule, OnGeminiEvent, nestLogger, type AnyGeminiEvent } from "@gemini-webhooks/nestjs";
import { fixture, signStatic } from "@gemini-webhooks/testing";
import { clock, NOW_S, SECRET, signed } from "../support/receiver.js";
import { deliver, row } from "./helpers.js";

/** Nest's own console logger at its default levels (every level printed), its output captured instead of written. */
class Captured extends ConsoleLogger {
  readonly lines: string[] = [];
  protected override printMessages(messages: unknown[], context?: string, level?: string): void {
    for (const m of messages) this.lines.push(`${level} [${context}] ${String(m)}`);
  }
}

class Handlers {
  @OnGeminiEvent("batch.failed")
  failed(event: AnyGeminiEvent) {
    throw new Error(`handler boom ${event.type}`);
  }
}

async function start(logger: Captured, verbose: boolean): Promise<INestApplication> {
  @Module({
    imports: [GeminiWebhooksModule.forRoot({ secret: SECRET, now: clock(), ...(verbose ? { logger: nestLogger("GeminiWebhooks", { verbose: true }) } : {}) })],
    providers: [Handlers],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, new ExpressAdapter(), { rawBody: true, logger, abortOnError: false });
  await app.listen(0, "127.0.0.1");
  return app;
}

describe("NestJS: rejected deliveries under Nest's default logger", () => {
  // (one app at a time: Nest's Logger forwards to the logger of the app created last)
  const forged = () => signed(undefined, { id: `msg_forged_${Math.random()}`, secret: "whsec_" + Buffer.alloc(24, 7).toString("base64") });
  const stale = () => signed(undefined, { id: `msg_stale_${Math.random()}`, timestamp: NOW_S - 3600 });

  it("a flood of forged and stale deliveries writes nothing by default; a handler failure is one error entry", async () => {
    const logs = new Captured();
    const app = await start(logs, false);
    try {
      const before = logs.lines.filter((l) => l.includes("GeminiWebhooks")).length;
      for (let i = 0; i < 20; i++) expect((await deliver(app, i % 2 ? forged() : stale())).status).toBe(400);
      expect(logs.lines.filter((l) => l.includes("GeminiWebhooks")).length).toBe(before);
      expect(row(await deliver(app, signStatic({ event: fixture("batch.failed"), secret: SECRET, id: "msg_nest_fail", timestamp: NOW_S })))).toEqual([500, "handler_failed"]);
      const errors = logs.lines.filter((l) => l.startsWith("error [GeminiWebhooks]"));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain("handler boom batch.failed");
    } finally {
      await app.close();
    }
  });

  it("with nestLogger({ verbose: true }) the rejections go to Nest's verbose level", async () => {
    const logs = new Captured();
    const app = await start(logs, true);
    try {
      expect((await deliver(app, forged())).status).toBe(400);
      const verbose = logs.lines.filter((l) => l.startsWith("verbose [GeminiWebhooks]"));
      expect(verbose).toHaveLength(1);
      expect(verbose[0]).toContain("signature_mismatch");
    } finally {
      await app.close();
    }
  });
});
