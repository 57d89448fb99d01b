import { describe, expect, it } from "vitest";
import { clock, SECRET } from "../support/receiver.js";
import { expectExampleReceives } from "../support/example-app.js";

// The runnable example (examples/fastify/app.mjs): a Fastify 5 app with JSON routes and an onSend hook.
const appPath = new URL("../../examples/fastify/app.mjs", import.meta.url).href;

describe("examples/fastify", () => {
  it("receives every event type; duplicates and forgeries answered; the app's JSON routes are unchanged", async () => {
    const seen: string[] = [];
    const { createApp } = (await import(appPath)) as { createApp: (o: unknown) => Promise<{ listen(o: object): Promise<string>; close(): Promise<void> }> };
    const app = await createApp({ secret: SECRET, now: clock(), logger: false, on: { "*": (e: { type: string }) => void seen.push(e.type) } });
    const base = await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      await expectExampleReceives(base, seen);
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true });
      const echo = await fetch(`${base}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' });
      expect(await echo.json()).toEqual({ youSent: { a: 1 } });
    } finally {
      await app.close();
    }
  });
});
