import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGeminiWebhooks, WebhookVerificationError } from "@gemini-webhooks/core";
import { createTestIssuer, fixture, signStatic, type TestIssuer } from "@gemini-webhooks/testing";
import { mount, type MountedApp } from "../support/apps.js";
import { deliver, outcome } from "../support/requests.js";
import { recordingLogger } from "../support/logger.js";

// DESIGN.md, "Exact rules": "Every verification error's message names the scheme it tried", and
// "A delivery in a scheme this receiver is not configured for ... is 400 unsupported_signature, whose message
// names the option to add". Black-box, over real HTTP (core's fetch() on node:http) and through verify().

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NOW_S = 1_800_000_000;
const now = () => NOW_S * 1000;
const sign = (o: { body?: string; id?: string; timestamp?: number } = {}) =>
  signStatic({ secret: SECRET, timestamp: o.timestamp ?? NOW_S, ...(o.id ? { id: o.id } : {}), ...(o.body !== undefined ? { body: o.body } : { event: fixture("batch.succeeded") }) });
const without = (h: Record<string, string>, name: string) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== name));

describe("v1: each verification error names the scheme it tried (answer message and error.scheme)", () => {
  let app: MountedApp;
  beforeAll(async () => {
    app = await mount("core-fetch", createGeminiWebhooks({ secret: SECRET, now, logger: recordingLogger() }));
  });
  afterAll(() => app?.close());

  const d = sign();
  const cases: [string, { body: string; headers: Record<string, string> }, string][] = [
    ["missing webhook-id", { body: d.body, headers: without(d.headers, "webhook-id") }, "missing_header"],
    ["missing webhook-timestamp", { body: d.body, headers: without(d.headers, "webhook-timestamp") }, "missing_header"],
    ["webhook-id not visible ASCII", { body: d.body, headers: { ...d.headers, "webhook-id": "msg one" } }, "invalid_header"],
    ["webhook-timestamp not digits", { body: d.body, headers: { ...d.headers, "webhook-timestamp": "+1800000000" } }, "invalid_header"],
    ["stale timestamp", sign({ timestamp: NOW_S - 301 }), "timestamp_too_old"],
    ["future timestamp", sign({ timestamp: NOW_S + 301 }), "timestamp_too_new"],
    ["tampered body", { body: d.body.replace("gs://", "gs://evil-"), headers: d.headers }, "signature_mismatch"],
    ["signed body that is not JSON", sign({ body: "not json" }), "invalid_json"],
    ["signed JSON that is not an envelope", sign({ body: "[1,2]" }), "invalid_json"],
  ];

  it.each(cases)("%s", async (_name, delivery, code) => {
    const a = await deliver(app.url, delivery);
    expect([a.status, outcome(a)]).toEqual([400, code]);
    expect(a.body.error.message).toMatch(/\bv1\b/);
  });

  it("verify() throws WebhookVerificationError with code, status 400 and scheme v1 for those", async () => {
    const webhooks = createGeminiWebhooks({ secret: SECRET, now, logger: false });
    for (const [, delivery, code] of cases) {
      const e = await webhooks.verify(delivery).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(WebhookVerificationError);
      const err = e as WebhookVerificationError;
      expect([err.code, err.status, err.scheme]).toEqual([code, 400, "v1"]);
    }
  });
});

describe("v1a: an invalid body after a valid Ed25519 signature names v1a", () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer();
  });
  afterAll(() => issuer?.close());

  it("400 invalid_json, message and scheme v1a", async () => {
    const webhooks = createGeminiWebhooks({ jwks: issuer.jwksOptions(), logger: false });
    const app = await mount("core-fetch", webhooks);
    try {
      const a = await deliver(app.url, issuer.signV1a({ body: '{"no":"type"}' }));
      expect([a.status, outcome(a)]).toEqual([400, "invalid_json"]);
      expect(a.body.error.message).toMatch(/\bv1a\b/);
    } finally {
      await app.close();
    }
  });
});

describe("a scheme the receiver is not configured for is unsupported_signature before any other check", () => {
  it("jwks only: a v1 delivery is 400 unsupported_signature naming `secret`, even with a stale timestamp or no webhook-id", async () => {
    const webhooks = createGeminiWebhooks({ jwks: { uri: "http://127.0.0.1:9/jwks.json" }, now, logger: recordingLogger() });
    const app = await mount("core-fetch", webhooks);
    try {
      const stale = sign({ timestamp: NOW_S - 3600 });
      const noId = sign();
      for (const d of [sign(), stale, { body: noId.body, headers: without(noId.headers, "webhook-id") }]) {
        const a = await deliver(app.url, d);
        expect([a.status, outcome(a)]).toEqual([400, "unsupported_signature"]);
        expect(a.body.error.message).toMatch(/secret/);
      }
    } finally {
      await app.close();
    }
  });

  it("secret only: a v1a delivery is 400 unsupported_signature naming `jwks`, even with a stale timestamp", async () => {
    const issuer = await createTestIssuer();
    const webhooks = createGeminiWebhooks({ secret: SECRET, now, logger: recordingLogger() });
    const app = await mount("core-fetch", webhooks);
    try {
      const a = await deliver(app.url, issuer.signV1a({ event: fixture("batch.succeeded"), timestamp: NOW_S - 3600 }));
      expect([a.status, outcome(a)]).toEqual([400, "unsupported_signature"]);
      expect(a.body.error.message).toMatch(/jwks/);
    } finally {
      await app.close();
      await issuer.close();
    }
  });
});
