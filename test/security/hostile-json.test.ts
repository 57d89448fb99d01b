import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGeminiWebhooks, type AnyGeminiEvent, type WebhookContext } from "@gemini-webhooks/core";
import { createTestIssuer, signJwsCompact, signStatic, type TestIssuer } from "@gemini-webhooks/testing";
import { ADAPTERS, mount, type MountedApp } from "../support/apps.js";
import { row, send } from "../support/http.js";
import { recordingLogger } from "../support/logger.js";
import { SECRET } from "../support/receiver.js";

// Issue #12, case 8: hostile JSON stays data. A "__proto__" key (in a body or in JWT claims) never changes
// an object's prototype; nesting deeper than 64 levels is a 400 invalid_json, never a crash.

const NOW_S = 1_800_000_000;
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(() => issuer?.close());

/** A JWT whose claims carry the event (claims-bound), written as JSON text so "__proto__" stays an own key. */
function protoJwt(jti: string): { body: string; headers: Record<string, string> } {
  const claimsJson =
    `{"iss":${JSON.stringify(issuer.issuer)},"aud":${JSON.stringify(issuer.audience)},"iat":${NOW_S},"exp":${NOW_S + 300},"jti":"${jti}",` +
    `"type":"batch.succeeded","timestamp":"2026-01-22T12:00:00Z",` +
    `"data":{"id":"b-proto","output_file_uri":"gs://x","__proto__":{"isAdmin":true}},` +
    `"__proto__":{"polluted":true,"type":"batch.failed"}}`;
  const claims = JSON.parse(claimsJson) as Record<string, unknown>;
  expect(Object.keys(claims)).toContain("__proto__");
  const token = signJwsCompact({ alg: "RS256", typ: "JWT", kid: issuer.rsa.kid }, claims, { privateKey: issuer.rsa.privateKey });
  return { body: "", headers: { "webhook-signature": token, "webhook-timestamp": String(NOW_S), "content-type": "application/json" } };
}

/** `{"type":…,"data":{"deep":[[[…]]]}}` with `levels` nested arrays. */
function deepBody(levels: number): string {
  return `{"type":"batch.succeeded","data":{"id":"deep","deep":${"[".repeat(levels)}${"]".repeat(levels)}}}`;
}

describe.each(ADAPTERS)("%s", (adapter) => {
  let app: MountedApp;
  const seen: Array<{ event: AnyGeminiEvent; ctx: WebhookContext }> = [];
  beforeAll(async () => {
    const webhooks = createGeminiWebhooks({
      secret: SECRET,
      jwks: issuer.jwksOptions(),
      now: () => NOW_S * 1000,
      logger: recordingLogger(),
      on: { "*": (event, ctx) => void seen.push({ event, ctx }) },
    });
    app = await mount(adapter, webhooks);
  });
  afterAll(() => app?.close());

  it("a JWT whose claims carry __proto__ (event and data): the prototypes are untouched, the keys stay data", async () => {
    expect(row(await send(app.url, protoJwt(`jti-proto-${adapter}`)))).toEqual([200, "received"]);
    const { event, ctx } = seen.at(-1)!;
    expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(event.data)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(ctx.claims)).toBe(Object.prototype);
    expect(event.type).toBe("batch.succeeded");
    expect((event as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect((event.data as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(event, "__proto__")?.value).toEqual({ polluted: true, type: "batch.failed" });
  });

  it("a v1 body with __proto__ keys: the same", async () => {
    const body = `{"type":"batch.succeeded","data":{"id":"b-proto-v1","__proto__":{"isAdmin":true}},"__proto__":{"polluted":true}}`;
    expect(row(await send(app.url, signStatic({ body, secret: SECRET, id: `msg_proto_${adapter}`, timestamp: NOW_S })))).toEqual([200, "received"]);
    const { event } = seen.at(-1)!;
    expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
    expect((event as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect((event.data as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it("nesting past 64 levels is 400 invalid_json (10 000 levels too, no crash); the server answers afterwards", async () => {
    const n = seen.length;
    for (const levels of [64, 10_000]) {
      const a = await send(app.url, signStatic({ body: deepBody(levels), secret: SECRET, id: `msg_deep_${levels}_${adapter}`, timestamp: NOW_S }));
      expect(row(a)).toEqual([400, "invalid_json"]);
      expect(a.body.error.message).toMatch(/64 levels/);
    }
    expect(seen.length).toBe(n);
    // 62 arrays under data (two more levels: the envelope and data) is as deep as an event may go
    expect(row(await send(app.url, signStatic({ body: deepBody(62), secret: SECRET, id: `msg_deep_ok_${adapter}`, timestamp: NOW_S })))).toEqual([200, "received"]);
  });

  it("deep nesting inside JWT claims is 400 invalid_json", async () => {
    const claims = JSON.parse(
      `{"iss":${JSON.stringify(issuer.issuer)},"aud":${JSON.stringify(issuer.audience)},"iat":${NOW_S},"exp":${NOW_S + 300},"jti":"deep-${adapter}","type":"batch.succeeded","data":{"deep":${"[".repeat(2000)}${"]".repeat(2000)}}}`,
    ) as Record<string, unknown>;
    const token = signJwsCompact({ alg: "RS256", kid: issuer.rsa.kid }, claims, { privateKey: issuer.rsa.privateKey });
    const a = await send(app.url, { body: "", headers: { "webhook-signature": token, "content-type": "application/json" } });
    expect(row(a)).toEqual([400, "invalid_json"]);
  });
});
