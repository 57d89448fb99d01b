import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGeminiWebhooks, GeminiWebhooksConfigError } from "@gemini-webhooks/core";
import { createTestIssuer, fixture, type TestIssuer } from "@gemini-webhooks/testing";
import { mount } from "../support/apps.js";
import { row, send } from "../support/http.js";
import { recordingLogger } from "../support/logger.js";

// Issue #12, case 7: no credential echo. Messages and logs show jwks.uri as origin + path only; a uri with
// user:pass@ is refused at startup; plain http only on a loopback host.

const NOW_S = 1_800_000_000;
const TOKEN = "s3cr3t-query-token";
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(() => issuer?.close());

describe("a JWKS uri with a token in its query", () => {
  it("every failure message and log line shows origin + path, never the query", async () => {
    const logger = recordingLogger();
    let now = NOW_S * 1000;
    const uri = `${issuer.jwksUri}?access_token=${TOKEN}`;
    const webhooks = createGeminiWebhooks({ jwks: { uri, audience: issuer.audience, timeoutMs: 300, cooldownMs: 1000 }, now: () => now, logger });
    const app = await mount("core-fetch", webhooks);
    const messages: string[] = [];
    try {
      for (const fault of ["500", "hang", "badjson", "notjwks"] as const) {
        issuer.failNext(fault);
        now += 1001; // past the cooldown the previous failure started
        const a = await send(app.url, issuer.signV1a({ event: fixture("batch.succeeded"), timestamp: Math.floor(now / 1000) }));
        expect(row(a)).toEqual([503, "keys_unavailable"]);
        messages.push(a.body.error.message);
      }
      issuer.inject({ kind: "redirect", location: `${issuer.jwksUri}?again=${TOKEN}` });
      now += 1001;
      const redirected = await send(app.url, issuer.signJwt({ event: fixture("batch.succeeded"), timestamp: Math.floor(now / 1000) }));
      expect(row(redirected)).toEqual([503, "keys_unavailable"]);
      messages.push(redirected.body.error.message);
    } finally {
      issuer.heal();
      await app.close();
    }
    for (const m of messages) expect(m).toContain(issuer.jwksUri);
    const everything = [...messages, ...logger.lines.map((l) => l.message)].join("\n");
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain("access_token");
  });
});

describe("jwks.uri is checked at construction", () => {
  const make = (uri: string) => () => createGeminiWebhooks({ jwks: { uri, audience: "a" } });

  it("user:pass@ is refused with a GeminiWebhooksConfigError that does not echo the password", () => {
    for (const uri of ["https://user:hunter2@keys.example/jwks.json", "http://user:hunter2@127.0.0.1:9/jwks.json", "https://:hunter2@keys.example/jwks.json", "https://user@keys.example/jwks.json"]) {
      let error: unknown;
      try {
        make(uri)();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(GeminiWebhooksConfigError);
      expect(error).toMatchObject({ code: "configuration", option: "jwks.uri" });
      expect((error as Error).message).toMatch(/credentials/);
      expect((error as Error).message).not.toContain("hunter2");
    }
  });

  it("plain http to a host that is not loopback is refused; https anywhere and http on loopback are fine", () => {
    for (const uri of ["http://keys.example/jwks.json", "http://10.0.0.1/jwks.json", "http://0.0.0.0/jwks.json", "http://127.0.0.1.evil.example/jwks.json", "http://localhost.evil.example/jwks.json", "ftp://127.0.0.1/jwks.json"]) {
      expect(make(uri), uri).toThrow(GeminiWebhooksConfigError);
      expect(make(uri), uri).toThrow(/https/);
    }
    for (const uri of ["https://keys.example/jwks.json", "http://127.0.0.1:8080/jwks.json", "http://127.1.2.3/jwks.json", "http://localhost:3000/jwks.json", "http://[::1]:3000/jwks.json"]) {
      expect(make(uri), uri).not.toThrow();
    }
  });
});
