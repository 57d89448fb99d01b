import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { Hono } from "hono";
import { serve, type ServerType } from "@hono/node-server";
import { geminiWebhooks, type GeminiVariables } from "@gemini-webhooks/hono";
import { createGeminiWebhooks, type AnyGeminiEvent, type GeminiWebhooksOptions } from "@gemini-webhooks/core";
import { allFixtures } from "@gemini-webhooks/testing";
import { clock, SECRET, signed } from "../support/receiver.js";
import { answersTable } from "../support/answers.js";
import { deliver, outcome } from "../support/requests.js";

// Hono on Node (@hono/node-server) over real HTTP; test/runtimes runs the same middleware on Bun, Deno and workerd.

async function listen(app: Hono<any>): Promise<{ base: string; close: () => Promise<void> }> {
  let server!: ServerType;
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => resolve(info.port));
  });
  return { base: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe("Hono 4 on Node", () => {
  describe("the answers table over HTTP", () => {
    answersTable(async (options) => {
      const app = new Hono();
      app.all("/gemini-callback", geminiWebhooks(options)); // all: other methods get 405 from the receiver
      const { base, close } = await listen(app);
      return { url: `${base}/gemini-callback`, close };
    });
  });

  it("receives every catalog event type; c.get('geminiEvent') is typed and seen by a middleware before it", async () => {
    const seen: string[] = [];
    const after: (AnyGeminiEvent | undefined)[] = [];
    const app = new Hono<{ Variables: GeminiVariables }>();
    app.use("/gemini-callback", async (c, next) => {
      await next();
      after.push(c.get("geminiEvent"));
    });
    app.post("/gemini-callback", geminiWebhooks({ secret: SECRET, now: clock(), on: { "*": (e) => void seen.push(e.type) } }));
    app.post("/echo", async (c) => c.json({ youSent: await c.req.json() }));
    const { base, close } = await listen(app);
    try {
      for (const [i, ev] of allFixtures().entries()) {
        const r = await deliver(`${base}/gemini-callback`, signed(ev, { id: `msg_${i}` }));
        expect([r.status, r.body]).toEqual([200, { status: "received" }]);
      }
      expect(seen).toEqual(allFixtures().map((e) => e.type));
      expect(after.map((e) => e?.type)).toEqual(allFixtures().map((e) => e.type));
      const echo = await fetch(`${base}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' });
      expect(await echo.json()).toEqual({ youSent: { a: 1 } });
    } finally {
      await close();
    }
  });

  it("takes an instance (its .webhooks is that instance); works through app.request() without a server", async () => {
    const webhooks = createGeminiWebhooks({ secret: SECRET, now: clock(), logger: false, on: { "*": () => {} } });
    const middleware = geminiWebhooks(webhooks);
    expect(middleware.webhooks).toBe(webhooks);
    const app = new Hono().post("/gemini-callback", middleware);
    const d = signed();
    const r = await app.request("/gemini-callback", { method: "POST", headers: d.headers, body: d.body });
    expect([r.status, await r.json()]).toEqual([200, { status: "received" }]);
  });

  it("500 configuration, saying how to fix it, when a middleware read the body first", async () => {
    const app = new Hono();
    app.use("/gemini-callback", async (c, next) => {
      await c.req.json();
      await next();
    });
    app.post("/gemini-callback", geminiWebhooks({ secret: SECRET, now: clock(), logger: false } as GeminiWebhooksOptions));
    const { base, close } = await listen(app);
    try {
      const r = await deliver(`${base}/gemini-callback`, signed());
      expect([r.status, outcome(r)]).toEqual([500, "configuration"]);
      expect(r.body.error.message).toMatch(/c\.req\.json\(\)/);
    } finally {
      await close();
    }
  });
});
