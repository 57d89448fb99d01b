import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { serve } from "@hono/node-server";
import { clock, SECRET } from "../support/receiver.js";
import { expectExampleReceives } from "../support/example-app.js";
import { deliver, outcome } from "../support/requests.js";

// The runnable example (examples/hono/app.mjs) on Node, as its server.mjs serves it.
const appPath = new URL("../../examples/hono/app.mjs", import.meta.url).href;

describe("examples/hono", () => {
  it("receives every event type; duplicates, forgeries and other methods answered; the rest of the app is unchanged", async () => {
    const seen: string[] = [];
    const { createApp } = (await import(appPath)) as { createApp: (o: unknown) => { fetch: (r: Request) => Response | Promise<Response> } };
    const app = createApp({ secret: SECRET, now: clock(), logger: false, on: { "*": (e: { type: string }) => void seen.push(e.type) } });
    let close!: () => Promise<void>;
    const port = await new Promise<number>((resolve) => {
      const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => resolve(info.port));
      close = () => new Promise((r) => server.close(() => r()));
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      const d = await expectExampleReceives(base, seen);
      const get = await deliver(`${base}/gemini-callback`, d, "GET");
      expect([get.status, outcome(get), get.headers.allow]).toEqual([405, "method_not_allowed", "POST"]);
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true });
      const echo = await fetch(`${base}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' });
      expect(await echo.json()).toEqual({ youSent: { a: 1 } });
    } finally {
      await close();
    }
  });
});
