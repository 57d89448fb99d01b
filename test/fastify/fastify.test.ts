import { describe, expect, it } from "vitest";
import fastify5, { type FastifyInstance, type FastifyRequest } from "fastify";
import fastify4 from "fastify4";
import { geminiWebhooks } from "@gemini-webhooks/fastify";
import { createGeminiWebhooks, type AnyGeminiEvent, type GeminiWebhooksOptions } from "@gemini-webhooks/core";
import { allFixtures } from "@gemini-webhooks/testing";
import { clock, SECRET, signed } from "../support/receiver.js";
import { answersTable } from "../support/answers.js";
import { deliver, outcome } from "../support/requests.js";

type Fastify = typeof fastify5;
const versions: [string, Fastify, number][] = [
  ["Fastify 5", fastify5, 5],
  ["Fastify 4", fastify4 as unknown as Fastify, 4],
];

describe.each(versions)("%s", (_name, fastify, major) => {
  it(`is Fastify ${major}`, () => {
    expect(Number(fastify().version.split(".")[0])).toBe(major);
  });

  /** An app with its own JSON routes and the plugin registered as the README says; listening on 127.0.0.1. */
  async function serve(options: Parameters<typeof geminiWebhooks>[1], setup?: (app: FastifyInstance) => void) {
    const app = fastify() as unknown as FastifyInstance;
    app.post("/echo", async (request) => ({ youSent: request.body }));
    setup?.(app);
    await app.register(geminiWebhooks, options);
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    return { app, base: address, close: () => app.close() };
  }

  describe("the answers table over HTTP", () => {
    answersTable(async (options) => {
      const { base, close } = await serve({ path: "/gemini-callback", ...options });
      return { url: `${base}/gemini-callback`, close };
    });
  });

  it("receives every catalog event type; request.geminiEvent is set; the app's JSON parser is untouched", async () => {
    const seen: string[] = [];
    const events: (AnyGeminiEvent | null | undefined)[] = [];
    const { base, close } = await serve({ secret: SECRET, now: clock(), on: { "*": (e) => void seen.push(e.type) } }, (app) => {
      app.addHook("onResponse", async (request: FastifyRequest) => void events.push(request.geminiEvent));
    });
    try {
      for (const [i, ev] of allFixtures().entries()) {
        const r = await deliver(`${base}/gemini-callback`, signed(ev, { id: `msg_${i}` }));
        expect([r.status, r.body]).toEqual([200, { status: "received" }]);
      }
      expect(seen).toEqual(allFixtures().map((e) => e.type));
      expect(events.map((e) => e?.type)).toEqual(allFixtures().map((e) => e.type));
      const echo = await fetch(`${base}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' });
      expect(await echo.json()).toEqual({ youSent: { a: 1 } });
    } finally {
      await close();
    }
  });

  it("takes an instance, a prefix and its own path; bodies without a content-type are read too", async () => {
    const webhooks = createGeminiWebhooks({ secret: SECRET, now: clock(), logger: false, on: { "*": () => {} } });
    const app = fastify();
    await app.register(geminiWebhooks, { prefix: "/hooks", path: "/gemini", webhooks });
    const base = await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const d = signed();
      const headers = Object.fromEntries(Object.entries(d.headers).filter(([k]) => k !== "content-type"));
      const r = await fetch(`${base}/hooks/gemini`, { method: "POST", headers, body: new TextEncoder().encode(d.body) });
      expect([r.status, await r.json()]).toEqual([200, { status: "received" }]);
      expect((await deliver(`${base}/gemini-callback`, d)).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it("500 configuration, saying how to fix it, when a hook read the body stream first", async () => {
    const { base, close } = await serve({ secret: SECRET, now: clock(), logger: false } as GeminiWebhooksOptions & { path?: string }, (app) => {
      app.addHook("onRequest", async (request: FastifyRequest) => {
        for await (const _ of request.raw) void _; // an app-wide hook that drains every request
      });
    });
    try {
      const r = await deliver(`${base}/gemini-callback`, signed());
      expect([r.status, outcome(r)]).toEqual([500, "configuration"]);
      expect(r.body.error.message).toMatch(/fastify|plugin|hook/i);
    } finally {
      await close();
    }
  });
});
