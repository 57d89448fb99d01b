import { describe, expect, it } from "vitest";
import { allFixtures } from "@gemini-webhooks/testing";
import { clock, SECRET, signed } from "../core/helpers.js";
import { deliver, outcome } from "../support/requests.js";

// The runnable example (examples/fastify/app.mjs): a Fastify 5 app with JSON routes and an onSend hook.
const appPath = new URL("../../examples/fastify/app.mjs", import.meta.url).href;

describe("examples/fastify", () => {
  it("receives every event type; duplicates and forgeries answered; the app's JSON routes are unchanged", async () => {
    const seen: string[] = [];
    const { createApp } = (await import(appPath)) as { createApp: (o: unknown) => Promise<{ listen(o: object): Promise<string>; close(): Promise<void> }> };
    const app = await createApp({ secret: SECRET, now: clock(), logger: false, on: { "*": (e: { type: string }) => void seen.push(e.type) } });
    const base = await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      for (const [i, ev] of allFixtures().entries()) {
        const r = await deliver(`${base}/gemini-callback`, signed(ev, { id: `msg_${i}` }));
        expect([r.status, r.body, r.headers["x-gemini-event"]]).toEqual([200, { status: "received" }, ev.type]);
      }
      expect(seen).toHaveLength(allFixtures().length);
      const d = signed(allFixtures()[0], { id: "msg_0" });
      expect(outcome(await deliver(`${base}/gemini-callback`, d))).toBe("duplicate");
      const forged = await deliver(`${base}/gemini-callback`, { ...d, body: d.body.replace("}", ',"x":1}') });
      expect([forged.status, outcome(forged)]).toEqual([400, "signature_mismatch"]);
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true });
      const echo = await fetch(`${base}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' });
      expect(await echo.json()).toEqual({ youSent: { a: 1 } });
    } finally {
      await app.close();
    }
  });
});
