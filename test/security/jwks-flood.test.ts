import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { createTestIssuer, fixture, type TestIssuer } from "@gemini-webhooks/testing";
import { mount } from "../support/apps.js";
import { row, send } from "../support/http.js";

// Issue #12, case 5: every read is bounded while it happens. A JWKS that streams 400 MB (chunked, no
// content-length; generated on the fly by the test issuer, never held in memory) is abandoned at its 512 KiB
// cap: the delivery is 503 keys_unavailable and the process's memory barely moves.

const NOW_S = 1_800_000_000;
const MB = 1024 * 1024;
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(() => issuer?.close());

describe("a JWKS flood", () => {
  it("400 MB chunked without content-length: 503, abandoned at the cap, RSS growth under 50 MB", async () => {
    const webhooks = createGeminiWebhooks({ jwks: issuer.jwksOptions({ timeoutMs: 60_000 }), now: () => NOW_S * 1000, logger: false, on: { "*": () => {} } });
    const app = await mount("core-fetch", webhooks);
    try {
      issuer.inject({ kind: "flood", bytes: 400 * MB });
      const before = process.memoryUsage().rss;
      const a = await send(app.url, issuer.signV1a({ event: fixture("batch.succeeded"), timestamp: NOW_S }));
      const growth = process.memoryUsage().rss - before;
      expect(row(a)).toEqual([503, "keys_unavailable"]);
      expect(a.body.error.message).toMatch(/over 524288 bytes/);
      expect(growth).toBeLessThan(50 * MB);
      // the issuer generates only what the receiver reads (plus socket buffers): nowhere near 400 MB
      expect(issuer.floodBytes).toBeLessThan(16 * MB);
      console.info(`[figure] JWKS flood of 400 MB (chunked): RSS growth ${(growth / MB).toFixed(1)} MB; the issuer generated ${(issuer.floodBytes / MB).toFixed(2)} MB before the receiver hung up`);
    } finally {
      issuer.heal();
      await app.close();
    }
  });

  it("the same flood declared in content-length is refused before its body is read", async () => {
    const webhooks = createGeminiWebhooks({ jwks: issuer.jwksOptions(), now: () => NOW_S * 1000, logger: false });
    const app = await mount("core-fetch", webhooks);
    try {
      const generated = issuer.floodBytes;
      issuer.inject({ kind: "flood", bytes: 400 * MB, declareLength: true });
      const a = await send(app.url, issuer.signJwt({ event: fixture("batch.succeeded"), timestamp: NOW_S }));
      expect(row(a)).toEqual([503, "keys_unavailable"]);
      expect(a.body.error.message).toMatch(/over 524288 bytes/);
      expect(issuer.floodBytes - generated).toBeLessThan(16 * MB);
    } finally {
      issuer.heal();
      await app.close();
    }
  });

  it("a JWKS that trickles in is abandoned at jwks.timeoutMs (the whole response, body included)", async () => {
    const webhooks = createGeminiWebhooks({ jwks: issuer.jwksOptions({ timeoutMs: 300 }), now: () => NOW_S * 1000, logger: false });
    const app = await mount("core-fetch", webhooks);
    try {
      issuer.inject({ kind: "drip", intervalMs: 50 });
      const a = await send(app.url, issuer.signV1a({ event: fixture("batch.succeeded"), timestamp: NOW_S }));
      expect(row(a)).toEqual([503, "keys_unavailable"]);
      expect(a.body.error.message).toMatch(/did not answer within 300 ms/);
    } finally {
      issuer.heal();
      await app.close();
    }
  });
});
