import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { geminiWebhooks } from "@gemini-webhooks/express";
import { createGeminiWebhooks, type WebhookContext } from "@gemini-webhooks/core";
import { fixture, signStatic } from "@gemini-webhooks/testing";
import { NOW_S, SECRET, event, makeClock, useIssuer } from "../support/dynamic.js";

// One endpoint for every scheme, over real HTTP: an Express app on 127.0.0.1 whose receiver fetches the
// test issuer's JWKS over HTTP too.
const issuer = useIssuer();
const clock = makeClock();
const seen: Array<{ type: string; ctx: WebhookContext }> = [];
let server: Server;
let url: string;

beforeAll(async () => {
  const app = express();
  app.post(
    "/gemini-callback",
    geminiWebhooks({
      secret: SECRET,
      jwks: issuer.current.jwksOptions({ timeoutMs: 500 }),
      now: clock.now,
      on: { "*": (e, ctx) => void seen.push({ type: e.type, ctx }) },
    }),
  );
  server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gemini-callback`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function deliver(d: { body: string; headers: Record<string, string> }) {
  const res = await fetch(url, { method: "POST", headers: d.headers, body: d.body });
  return { status: res.status, json: (await res.json()) as { status?: string; error?: { code: string; message: string } }, type: res.headers.get("content-type") };
}

describe("v1, v1a and JWT on one Express endpoint, over HTTP", () => {
  it("accepts each scheme and reports it in ctx", async () => {
    // The JWKS is down for the very first dynamic delivery: 503, and the sender's retry goes through.
    issuer.current.failNext("500");
    const first = issuer.current.signV1a({ event: fixture("video.generated"), timestamp: NOW_S });
    const down = await deliver(first);
    expect([down.status, down.json.error?.code]).toEqual([503, "keys_unavailable"]);
    expect(down.type).toMatch(/application\/json/);
    // within the cooldown every attempt started, a retry is answered 503 at once, without a fetch
    expect((await deliver(first)).status).toBe(503);
    expect(issuer.current.fetchCount).toBe(1);
    // the sender's retry after the cooldown goes through
    clock.advance(31);
    expect(await deliver(first)).toMatchObject({ status: 200, json: { status: "received" } });

    const jwt = issuer.current.signJwt({ event: fixture("batch.failed"), timestamp: NOW_S });
    expect(await deliver(jwt)).toMatchObject({ status: 200, json: { status: "received" } });
    const claims = issuer.current.signJwt({ event: fixture("interaction.completed"), bindBody: "claims", body: "", timestamp: NOW_S });
    expect(await deliver(claims)).toMatchObject({ status: 200, json: { status: "received" } });
    const v1 = signStatic({ event: fixture("batch.succeeded"), secret: SECRET, timestamp: NOW_S });
    expect(await deliver(v1)).toMatchObject({ status: 200, json: { status: "received" } });

    expect(seen.map((s) => [s.type, s.ctx.scheme])).toEqual([
      ["video.generated", "v1a"],
      ["batch.failed", "jwt"],
      ["interaction.completed", "jwt"],
      ["batch.succeeded", "v1"],
    ]);
    expect(seen[1]!.ctx.claims).toMatchObject({ aud: issuer.current.audience });
    expect(issuer.current.fetchCount).toBe(2);
  });

  it("answers every dynamic failure with the contract's status and code", async () => {
    const d = issuer.current.signJwt({ event: event(), timestamp: NOW_S });
    const cases: Array<[{ body: string; headers: Record<string, string> }, number, string]> = [
      [issuer.current.signJwt({ event: event(), unsigned: true, timestamp: NOW_S }), 400, "invalid_jwt"],
      [issuer.current.signJwt({ event: event(), audience: "nope", timestamp: NOW_S }), 400, "invalid_jwt"],
      [{ ...d, body: d.body.replace("my-bucket", "evil") }, 400, "body_mismatch"],
      [issuer.current.signJwt({ event: event(), bindBody: "none", timestamp: NOW_S }), 400, "unbound_body"],
      [(() => { const v = issuer.current.signV1a({ event: event(), timestamp: NOW_S }); return { ...v, body: v.body.replace("my-bucket", "evil") }; })(), 400, "signature_mismatch"],
      [issuer.current.signV1a({ event: event(), timestamp: NOW_S - 3600 }), 400, "timestamp_too_old"],
    ];
    for (const [delivery, status, code] of cases) {
      const r = await deliver(delivery);
      expect([r.status, r.json.error?.code]).toEqual([status, code]);
    }
  });

  it("a receiver without audience answers a JWT with 400 unsupported_signature over HTTP, before any fetch", async () => {
    const app = express();
    app.post("/cb", geminiWebhooks(createGeminiWebhooks({ jwks: { uri: issuer.current.jwksUri }, now: clock.now, logger: false })));
    const fetches = issuer.current.fetchCount;
    const s = app.listen(0, "127.0.0.1");
    await once(s, "listening");
    try {
      const d = issuer.current.signJwt({ event: event(), timestamp: NOW_S });
      const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/cb`, { method: "POST", headers: d.headers, body: d.body });
      expect(res.status).toBe(400);
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe("unsupported_signature");
      expect(error.message).toMatch(/jwks.*audience/);
      expect(issuer.current.fetchCount).toBe(fetches);
    } finally {
      await new Promise<void>((r) => s.close(() => r()));
    }
  });
});
