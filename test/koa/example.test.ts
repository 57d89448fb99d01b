import { once } from "node:events";
import type { Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import request from "supertest";
import { allFixtures } from "@gemini-webhooks/testing";
import { clock, SECRET, signed } from "../support/receiver.js";

// The runnable example (examples/koa/app.mjs): a Koa 3 app with @koa/router and a global @koa/bodyparser.
const appPath = new URL("../../examples/koa/app.mjs", import.meta.url).href;
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function start(options: Record<string, unknown>): Promise<Server> {
  const { createApp } = (await import(appPath)) as { createApp: (o: unknown) => { listen(p: number, h: string): Server } };
  const server = createApp({ secret: SECRET, now: clock(), ...options }).listen(0, "127.0.0.1");
  await once(server, "listening");
  servers.push(server);
  return server;
}

describe("examples/koa", () => {
  it("receives every event type behind the app's body parser; the rest of the app is unchanged", async () => {
    const seen: string[] = [];
    const server = await start({ on: { "*": (e: { type: string }) => void seen.push(e.type) } });
    for (const [i, ev] of allFixtures().entries()) {
      const d = signed(ev, { id: `msg_${i}` });
      const r = await request(server).post("/gemini-callback").set(d.headers).send(d.body);
      expect([r.status, r.body, r.headers["x-gemini-event"]]).toEqual([200, { status: "received" }, ev.type]);
    }
    expect(seen).toHaveLength(allFixtures().length);
    const d = signed(allFixtures()[0], { id: "msg_0" });
    const dup = await request(server).post("/gemini-callback").set(d.headers).send(d.body);
    expect([dup.status, dup.body, dup.headers["x-gemini-event"]]).toEqual([200, { status: "duplicate" }, undefined]);
    const forged = await request(server).post("/gemini-callback").set(d.headers).send(d.body.replace("}", ',"x":1}'));
    expect([forged.status, forged.body.error.code]).toEqual([400, "signature_mismatch"]);
    expect((await request(server).get("/healthz")).body).toEqual({ ok: true });
    expect((await request(server).post("/echo").send({ a: 1 })).body).toEqual({ youSent: { a: 1 } });
  });
});
