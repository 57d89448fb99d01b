import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { createTestIssuer, fixture, type TestIssuer } from "@gemini-webhooks/testing";
import { mount, type MountedApp } from "../support/apps.js";
import { row, send } from "../support/http.js";
import { recordingLogger } from "../support/logger.js";

// Issue #12, case 4: keys come from jwks.uri and nowhere else. The JWKS answers a redirect to another local
// server that serves an attacker's keys: deliveries signed by the attacker are 503 keys_unavailable, never 200,
// and the attacker's server is never even asked.

const NOW_S = 1_800_000_000;
let trusted: TestIssuer;
let attacker: TestIssuer;
beforeAll(async () => {
  [trusted, attacker] = await Promise.all([createTestIssuer(), createTestIssuer()]);
});
afterAll(() => Promise.all([trusted?.close(), attacker?.close()]));

describe.each([301, 302, 303, 307, 308] as const)("jwks.uri answers %i to the attacker's JWKS", (status) => {
  let app: MountedApp;
  let ran = 0;
  const logger = recordingLogger();
  beforeAll(async () => {
    trusted.inject({ kind: "redirect", location: attacker.jwksUri, status, times: Infinity });
    const webhooks = createGeminiWebhooks({ jwks: trusted.jwksOptions(), now: () => NOW_S * 1000, logger, on: { "*": () => void ran++ } });
    app = await mount("core-fetch", webhooks);
  });
  afterAll(async () => {
    trusted.heal();
    await app?.close();
  });

  it("v1a and JWT signed with the attacker's keys (its audience and issuer copied) are 503 keys_unavailable", async () => {
    const v1a = attacker.signV1a({ event: fixture("batch.succeeded"), timestamp: NOW_S });
    const jwt = attacker.signJwt({ event: fixture("batch.succeeded"), timestamp: NOW_S, audience: trusted.audience, issuer: trusted.issuer });
    const fetchesBefore = trusted.fetchCount;
    const a = await send(app.url, v1a);
    expect(row(a)).toEqual([503, "keys_unavailable"]);
    expect(a.body.error.message).toMatch(/redirect/);
    expect(a.body.error.message).toMatch(/final URL/);
    expect(a.body.error.message).not.toContain(attacker.jwksUri);
    expect(trusted.fetchCount).toBe(fetchesBefore + 1);
    // within the cooldown the next one is refused at once (no key ever came)
    expect(row(await send(app.url, jwt))).toEqual([503, "keys_unavailable"]);
    expect(attacker.fetchCount).toBe(0);
    expect(ran).toBe(0);
    expect(logger.at("warn").join("\n")).toMatch(/keys_unavailable/);
  });
});

it("a redirect after a good fetch does not replace the cached keys with the attacker's", async () => {
  let now = NOW_S * 1000;
  const ran: string[] = [];
  const webhooks = createGeminiWebhooks({ jwks: trusted.jwksOptions({ cacheMaxAgeMs: 60_000 }), now: () => now, logger: false, on: { "*": (_e, ctx) => void ran.push(ctx.webhookId) } });
  const app = await mount("core-fetch", webhooks);
  try {
    expect(row(await send(app.url, trusted.signV1a({ event: fixture("batch.succeeded"), timestamp: NOW_S, id: "msg_good" })))).toEqual([200, "received"]);
    trusted.inject({ kind: "redirect", location: attacker.jwksUri, times: Infinity });
    now += 61_000; // the cache is stale: the next delivery refetches and meets the redirect
    const forged = attacker.signV1a({ event: fixture("batch.succeeded"), timestamp: NOW_S + 61, id: "msg_forged" });
    expect(row(await send(app.url, forged))).toEqual([503, "keys_unavailable"]);
    // the trusted keys still verify (stale while error); the attacker's still do not
    expect(row(await send(app.url, trusted.signV1a({ event: fixture("batch.succeeded"), timestamp: NOW_S + 61, id: "msg_good2" })))).toEqual([200, "received"]);
    expect(attacker.fetchCount).toBe(0);
    expect(ran).toEqual(["msg_good", "msg_good2"]);
  } finally {
    trusted.heal();
    await app.close();
  }
});
