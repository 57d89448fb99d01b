import { generateKeyPairSync, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { createTestIssuer, fixture, type TestIssuer } from "@gemini-webhooks/testing";
import { mount, type MountedApp } from "../support/apps.js";
import { row, send, type Delivery } from "../support/http.js";

// Issue #12, case 6: outages do not amplify. With the JWKS failing, N forged deliveries cause at most
// 1 + elapsed / cooldownMs fetches: at most one in flight, every attempt (failed or not) starts the cooldown,
// and while cooling down with no usable key a delivery gets 503 at once. The clock is injected: "elapsed" is
// the receiver's clock, advanced by whole cooldown windows.

const START_S = 1_800_000_000;
const COOLDOWN_MS = 30_000;
const FORGED = 200;
const rogueEd = generateKeyPairSync("ed25519").privateKey;
const rogueRsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(() => issuer?.close());

function receiverApp(o: { cacheMaxAgeMs?: number } = {}) {
  const clock = { ms: START_S * 1000 };
  const ran: string[] = [];
  const webhooks = createGeminiWebhooks({
    jwks: issuer.jwksOptions({ cooldownMs: COOLDOWN_MS, ...o }),
    now: () => clock.ms,
    logger: false,
    on: { "*": (_e, ctx) => void ran.push(ctx.webhookId) },
  });
  return { clock, ran, webhooks, nowS: () => Math.floor(clock.ms / 1000) };
}

/** `n` forged deliveries (v1a and JWT, by keys the JWKS never served), all sent at once over HTTP. */
async function flood(url: string, n: number, timestamp: number) {
  const forged: Delivery[] = Array.from({ length: n }, (_, i) =>
    i % 2
      ? issuer.signV1a({ event: fixture("batch.succeeded"), timestamp, privateKey: rogueEd })
      : issuer.signJwt({ event: fixture("batch.succeeded"), timestamp, privateKey: rogueRsa, kid: `kid-${randomUUID()}` }),
  );
  return Promise.all(forged.map((d) => send(url, d)));
}

describe(`JWKS outage: ${FORGED} forged deliveries per cooldown window`, () => {
  let app: MountedApp;
  afterAll(() => app?.close());

  it("cold cache: exactly 1 fetch within one window, at most 1 + k after k windows; every answer 503", async () => {
    const r = receiverApp();
    app = await mount("core-fetch", r.webhooks);
    issuer.failNext("500", Infinity);
    const base = issuer.fetchCount;
    const perWindow: number[] = [];
    const first = await flood(app.url, FORGED, r.nowS());
    expect(new Set(first.map((a) => row(a).join(" ")))).toEqual(new Set(["503 keys_unavailable"]));
    expect(issuer.fetchCount - base).toBe(1);
    perWindow.push(issuer.fetchCount - base);
    for (let k = 1; k <= 5; k++) {
      r.clock.ms += COOLDOWN_MS; // one more window of the receiver's clock
      const before = issuer.fetchCount;
      const answers = await flood(app.url, FORGED, r.nowS());
      expect(answers.every((a) => a.status === 503)).toBe(true);
      perWindow.push(issuer.fetchCount - before);
      expect(issuer.fetchCount - base).toBeLessThanOrEqual(1 + k);
    }
    expect(r.ran).toEqual([]);
    console.info(`[figure] JWKS outage, cold cache: fetches per ${COOLDOWN_MS / 1000} s window under ${FORGED} forged deliveries: ${perWindow.join(", ")}`);
    // the outage ends: the first delivery after the cooldown fetches, and a genuine one goes through
    issuer.heal();
    r.clock.ms += COOLDOWN_MS;
    expect(row(await send(app.url, issuer.signV1a({ event: fixture("batch.succeeded"), timestamp: r.nowS() })))).toEqual([200, "received"]);
  });

  it("warm cache going stale during the outage: forged deliveries cost ≤ 1 fetch per window; genuine ones still verify", async () => {
    const r = receiverApp({ cacheMaxAgeMs: 60_000 });
    const warm = await mount("core-fetch", r.webhooks);
    try {
      expect(row(await send(warm.url, issuer.signV1a({ event: fixture("batch.succeeded"), timestamp: r.nowS() })))).toEqual([200, "received"]);
      issuer.failNext("500", Infinity);
      r.clock.ms += 61_000; // stale: every delivery wants a refresh
      const base = issuer.fetchCount;
      for (let k = 0; k < 3; k++) {
        if (k > 0) r.clock.ms += COOLDOWN_MS;
        const answers = await flood(warm.url, FORGED, r.nowS());
        // never a 200 for a forgery; a 400 (cached keys say no) or a 503 (the refresh failed)
        expect(answers.every((a) => a.status === 400 || a.status === 503)).toBe(true);
        expect(issuer.fetchCount - base).toBeLessThanOrEqual(1 + k);
        // the genuine key still verifies from the stale cache, with no extra fetch within the window
        const fetches = issuer.fetchCount;
        expect(row(await send(warm.url, issuer.signJwt({ event: fixture("batch.succeeded"), timestamp: r.nowS() })))).toEqual([200, "received"]);
        expect(issuer.fetchCount).toBe(fetches);
      }
      expect(r.ran).toHaveLength(4);
    } finally {
      issuer.heal();
      await warm.close();
    }
  });

  it("a hung JWKS: concurrent deliveries share the one fetch in flight", async () => {
    const r = receiverApp();
    const hung = await mount("core-fetch", createGeminiWebhooks({ jwks: issuer.jwksOptions({ timeoutMs: 300, cooldownMs: COOLDOWN_MS }), now: () => r.clock.ms, logger: false }));
    try {
      issuer.failNext("hang", Infinity);
      const base = issuer.fetchCount;
      const answers = await flood(hung.url, 50, r.nowS());
      expect(answers.every((a) => row(a).join(" ") === "503 keys_unavailable")).toBe(true);
      expect(issuer.fetchCount - base).toBe(1);
    } finally {
      issuer.heal();
      await hung.close();
    }
  });
});
