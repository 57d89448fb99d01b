import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGeminiWebhooks, GeminiWebhooksConfigError, type WebhookContext } from "@gemini-webhooks/core";
import { createSender, createTestIssuer, fixture, generateSecret, secretBytes, signStatic, type TestIssuer } from "@gemini-webhooks/testing";
import { mount } from "../../../test/support/apps.js";
import { send } from "../../../test/support/http.js";

// The testing kit's signers and its test issuer (packages/testing/src/sign-*.ts, issuer.ts).

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(() => issuer?.close());

describe("signJwt", () => {
  it("puts the delivery id in jti (and webhook-id); { jti: undefined } leaves it out; id: null sends no header and a fresh jti", () => {
    const d = issuer.signJwt({ event: fixture("batch.succeeded"), id: "msg_1" });
    expect([d.claims.jti, d.headers["webhook-id"]]).toEqual(["msg_1", "msg_1"]);
    expect(issuer.signJwt({ event: fixture("batch.succeeded"), id: "msg_1", claims: { jti: undefined } }).claims).not.toHaveProperty("jti");
    expect(issuer.signJwt({ event: fixture("batch.succeeded"), claims: { jti: "mine" } }).claims.jti).toBe("mine");
    const a = issuer.signJwt({ event: fixture("batch.succeeded"), id: null });
    const b = issuer.signJwt({ event: fixture("batch.succeeded"), id: null });
    expect(a.headers).not.toHaveProperty("webhook-id");
    expect(a.claims.jti).toMatch(/^msg_/);
    expect(a.claims.jti).not.toBe(b.claims.jti);
  });

  it("two calls are two deliveries; re-signing under the same id (a retry with a fresh timestamp) is the same one", async () => {
    const now = 1_800_000_000;
    const wh = createGeminiWebhooks({ jwks: issuer.jwksOptions(), now: () => now * 1000, logger: false, on: { "*": () => {} } });
    const post = (d: { body: string; headers: Record<string, string> }) => wh.handle({ body: d.body, headers: d.headers, method: "POST" });
    const status = async (d: { body: string; headers: Record<string, string> }) => ((await post(d)).body as { status?: string }).status;
    expect(await status(issuer.signJwt({ event: fixture("batch.succeeded"), timestamp: now }))).toBe("received");
    expect(await status(issuer.signJwt({ event: fixture("batch.succeeded"), timestamp: now }))).toBe("received");
    expect(await status(issuer.signJwt({ event: fixture("batch.succeeded"), timestamp: now, id: "msg_r" }))).toBe("received");
    expect(await status(issuer.signJwt({ event: fixture("batch.succeeded"), timestamp: now - 10, id: "msg_r" }))).toBe("duplicate");
  });

  it("the sender's JWT duplicates (same id, fresh signature) are deduped by a receiver keying on the jti", async () => {
    const runs: string[] = [];
    const app = await mount("core-fetch", createGeminiWebhooks({ jwks: issuer.jwksOptions(), logger: false, on: { "*": (_e, ctx: WebhookContext) => void runs.push(ctx.webhookId) } }));
    try {
      // every signature one second later than the last: a duplicate's token differs from the original's
      let t = Date.now();
      const sender = createSender({ url: app.url, issuer, scheme: "jwt", duplicateRate: 1, sleep: async () => undefined, now: () => (t += 1000) });
      const reports = await sender.send([fixture("batch.succeeded"), fixture("batch.failed")]);
      expect(reports.every((r) => r.delivered)).toBe(true);
      expect(reports.map((r) => [r.attempts.map((a) => a.answer), r.duplicates.map((a) => a.answer)])).toEqual([
        [["received"], ["duplicate"]],
        [["received"], ["duplicate"]],
      ]);
      expect(runs).toHaveLength(2);
      expect(new Set(runs)).toEqual(new Set(reports.map((r) => r.id)));
    } finally {
      await app.close();
    }
  });
});

describe("secretBytes / signStatic parse secrets like the receiver (core's decodeSecret)", () => {
  it("decodes whsec_ secrets, trims, and refuses what the receiver would refuse", () => {
    const secret = generateSecret(32);
    expect(secretBytes(secret)).toEqual(Buffer.from(secret.slice(6), "base64"));
    expect(secretBytes(`  ${secret}\n`)).toEqual(secretBytes(secret));
    for (const bad of ["", "whsec_", "whsec_" + Buffer.alloc(8).toString("base64"), "whsec_not*base64!!", "whsec_ab cd"]) {
      expect(() => secretBytes(bad), JSON.stringify(bad)).toThrow(GeminiWebhooksConfigError);
      expect(() => signStatic({ event: fixture("batch.succeeded"), secret: bad })).toThrow(GeminiWebhooksConfigError);
    }
  });
});

describe("createTestIssuer faults", () => {
  it("redirect (needs a location), flood (counted as generated), drip, and faults until heal()", async () => {
    expect(() => issuer.inject({ kind: "redirect" })).toThrow(/location/);
    issuer.inject({ kind: "redirect", location: "http://127.0.0.1:9/elsewhere", status: 307 });
    const r = await fetch(issuer.jwksUri, { redirect: "manual" });
    expect([r.status, r.headers.get("location")]).toEqual([307, "http://127.0.0.1:9/elsewhere"]);

    issuer.inject({ kind: "flood", bytes: 1024 * 1024 });
    const flood = await fetch(issuer.jwksUri);
    expect(flood.headers.get("content-length")).toBeNull();
    const text = await flood.text();
    expect(text.length).toBe(1024 * 1024 + 11);
    expect(JSON.parse(text)).toEqual({ keys: [] });
    expect(issuer.floodBytes).toBeGreaterThanOrEqual(1024 * 1024);

    issuer.inject({ kind: "flood", bytes: 100, declareLength: true });
    expect((await fetch(issuer.jwksUri)).headers.get("content-length")).toBe("111");

    issuer.inject({ kind: "drip", intervalMs: 1, chunkBytes: 64 });
    expect(await (await fetch(issuer.jwksUri)).json()).toEqual(issuer.jwks());

    issuer.failNext("500", Infinity);
    for (let i = 0; i < 5; i++) expect((await fetch(issuer.jwksUri)).status).toBe(500);
    issuer.heal();
    expect((await fetch(issuer.jwksUri)).status).toBe(200);
  });
});

it("signV1a and signStatic deliveries still verify end to end (the split kept the signers' output)", async () => {
  const secret = generateSecret();
  const runs: string[] = [];
  const app = await mount("express", createGeminiWebhooks({ secret, jwks: issuer.jwksOptions(), logger: false, on: { "*": (_e, ctx) => void runs.push(ctx.scheme) } }));
  try {
    expect((await send(app.url, signStatic({ event: fixture("batch.succeeded"), secret }))).status).toBe(200);
    expect((await send(app.url, issuer.signV1a({ event: fixture("batch.succeeded") }))).status).toBe(200);
    expect((await send(app.url, issuer.signJwt({ event: fixture("batch.succeeded") }))).status).toBe(200);
    expect(runs).toEqual(["v1", "v1a", "jwt"]);
  } finally {
    await app.close();
  }
});
