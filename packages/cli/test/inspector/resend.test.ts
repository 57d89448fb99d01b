import { once } from "node:events";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, generateSecret, signStatic } from "@gemini-webhooks/testing";
import { startListen, until } from "../../../../test/support/cli.js";
import { resendUrl } from "../../src/inspector/resend.js";

// The inspector's resend signs with the app's secret: it must go to the listener's own origin only, whatever
// request-target the sender chose for the original delivery.
const SECRET = generateSecret();

describe("resendUrl", () => {
  it("keeps the listener's origin for every request-target form, path normalised", () => {
    const at = "http://127.0.0.1:4000";
    expect(resendUrl(at, "/gemini-callback?x=1")).toBe("http://127.0.0.1:4000/gemini-callback?x=1");
    expect(resendUrl(at, "//evil.example:81/x")).toBe("http://127.0.0.1:4000/evil.example:81/x");
    expect(resendUrl(at, "http://evil.example:81/x?y")).toBe("http://127.0.0.1:4000/x?y");
    expect(resendUrl(at, "/\\evil.example:81/x")).toBe("http://127.0.0.1:4000/evil.example:81/x");
    expect(resendUrl(at, "\\\\evil.example/x")).toBe("http://127.0.0.1:4000/evil.example/x");
    expect(resendUrl(at, "*")).toBe("http://127.0.0.1:4000/");
  });
});

describe("inspector resend over HTTP", () => {
  let evil: Server;
  let evilHits = 0;
  let l: Awaited<ReturnType<typeof startListen>>;

  beforeAll(async () => {
    evil = createServer((req, res) => {
      evilHits++;
      req.resume();
      res.end("{}");
    }).listen(0, "127.0.0.1");
    await once(evil, "listening");
    l = await startListen(["--secret", SECRET, "--ui"]);
  });
  afterAll(async () => {
    await l?.stop();
    evil?.closeAllConnections();
    await new Promise((r) => evil?.close(r));
  });

  /** POSTs a signed delivery with a raw request-target, as a hostile sender can. */
  function deliverAs(target: string): Promise<number> {
    const d = signStatic({ event: fixture("batch.succeeded"), secret: SECRET });
    const { port } = new URL(l.info.listening);
    return new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method: "POST", path: target, headers: d.headers }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on("error", reject);
      req.end(d.body);
    });
  }

  it("a delivery sent as //host, absolute-form or /\\host is resent to the listener, never to that host", async () => {
    const evilAt = `127.0.0.1:${(evil.address() as AddressInfo).port}`;
    const targets = [`//${evilAt}/x`, `http://${evilAt}/x`, `/\\${evilAt}/x`];
    for (const t of targets) expect(await deliverAs(t)).toBe(200);
    await until(() => l.deliveries().length === 3, "3 deliveries");
    const inspector = new URL(l.info.inspector!).origin;
    for (let seq = 1; seq <= 3; seq++) {
      for (const fresh of [false, true]) {
        const res = await fetch(`${inspector}/resend/${seq}`, { method: "POST", headers: { origin: inspector, "content-type": "application/json" }, body: JSON.stringify({ fresh }) });
        expect(res.status).toBe(202);
      }
    }
    const resent = await until(() => {
      const r = l.deliveries().filter((d) => d.resendOf !== undefined);
      return r.length === 6 ? r : undefined;
    }, "6 resends at the listener");
    expect(resent.map((d) => d.status).sort()).toEqual([200, 200, 200, 200, 200, 200]);
    expect(resent.every((d) => typeof d.path === "string" && d.path.startsWith("/") && !d.path.startsWith("//"))).toBe(true);
    expect(evilHits).toBe(0);
  });
});
