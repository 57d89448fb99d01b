import { execSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import request from "supertest";
import { clock, NOW_S, SECRET, signed } from "../support/receiver.js";
import { PLATFORMS } from "./helpers.js";

// A Nest app's default build is CommonJS: this loads the *built* package with require() (the "require"
// condition of its exports map) and uses it from plain JavaScript, decorators applied by hand and no
// emitted design:paramtypes, so the package's own classes must not depend on decorator metadata.
const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL("../../", import.meta.url));
const built = (p: string) => existsSync(`${root}packages/${p}/dist/index.cjs`);

beforeAll(() => {
  if (!built("core") || !built("nestjs")) {
    execSync("pnpm --filter @gemini-webhooks/core --filter @gemini-webhooks/nestjs build", { cwd: root, stdio: "inherit" });
  }
});

describe.each(PLATFORMS)("the CommonJS build, required by a plain-JS Nest app on %s", (platform) => {
  it("resolves to dist/index.cjs and receives over HTTP on the module route and a guarded route", async () => {
    expect(require.resolve("@gemini-webhooks/nestjs")).toMatch(/packages\/nestjs\/dist\/index\.cjs$/);
    const nest = require("@gemini-webhooks/nestjs");
    const common = require("@nestjs/common");
    const { NestFactory } = require("@nestjs/core");
    const { ExpressAdapter } = require("@nestjs/platform-express");
    const { FastifyAdapter } = require("@nestjs/platform-fastify");
    expect(typeof nest.GeminiWebhooksModule.forRoot).toBe("function");

    const seen: string[] = [];
    const method = (cls: { prototype: object }, name: string, ...decorators: MethodDecorator[]) => {
      const d = Object.getOwnPropertyDescriptor(cls.prototype, name)!;
      for (const decorate of decorators.reverse()) decorate(cls.prototype, name, d);
    };

    class Handlers {
      onBatch(event: { data: { id: string } }) {
        seen.push(`handler ${event.data.id}`);
      }
    }
    common.Injectable()(Handlers);
    method(Handlers, "onBatch", nest.OnGeminiEvent("batch.succeeded"));

    class Hooks {
      receive(event: { type: string }) {
        seen.push(`guarded ${event.type}`);
      }
    }
    nest.GeminiEvent()(Hooks.prototype, "receive", 0);
    method(Hooks, "receive", common.Post("guarded"), common.UseGuards(nest.GeminiWebhookGuard));
    common.Controller("hooks")(Hooks);

    class AppModule {}
    common.Module({ imports: [nest.GeminiWebhooksModule.forRoot({ secret: SECRET, now: clock() })], controllers: [Hooks], providers: [Handlers] })(AppModule);

    const adapter = platform === "express" ? new ExpressAdapter() : new FastifyAdapter();
    const app = await NestFactory.create(AppModule, adapter, { rawBody: true, logger: false, abortOnError: false });
    await app.listen(0, "127.0.0.1");
    try {
      const post = (path: string, d: { body: string; headers: Record<string, string> }) =>
        request(app.getHttpServer()).post(path).set(d.headers).send(d.body);
      expect((await post("/gemini-callback", signed(undefined, { id: "msg_c1" }))).body).toEqual({ status: "received" });
      expect((await post("/gemini-callback", signed(undefined, { id: "msg_c1" }))).body).toEqual({ status: "duplicate" });
      const g = await post("/hooks/guarded", signed({ type: "batch.expired", data: { id: "e" } }, { id: "msg_c2" }));
      expect([g.status, g.body]).toEqual([200, { status: "received" }]);
      const old = await post("/hooks/guarded", signed(undefined, { id: "msg_c3", timestamp: NOW_S - 1000 }));
      expect([old.status, old.body.error.code]).toEqual([400, "timestamp_too_old"]);
      expect(seen).toEqual(["handler b1", "guarded batch.expired"]);
    } finally {
      await app.close();
    }
  });
});

describe("the ESM build", () => {
  it("imports from dist/index.js with the same exports as the CommonJS build", async () => {
    const esm = await import(`${root}packages/nestjs/dist/index.js`);
    const cjs = require("@gemini-webhooks/nestjs");
    expect(Object.keys(esm).sort()).toEqual(Object.keys(cjs).filter((k) => k !== "__esModule").sort());
    expect(typeof esm.GeminiWebhooksModule.forRootAsync).toBe("function");
  });
});
