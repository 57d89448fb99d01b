import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createGeminiWebhooks, type ErrorContext } from "@gemini-webhooks/core";
import { fixture, signJwt, signStatic, signV1a } from "@gemini-webhooks/testing";
import { mount } from "../support/apps.js";
import { row, send } from "../support/http.js";
import { recordingLogger } from "../support/logger.js";
import { SECRET } from "../support/receiver.js";

// Issue #12, case 8: a delivery in a scheme the receiver is not configured for is 400 unsupported_signature
// (the message names the option to add), never a 500 configuration; one warning per scheme per process.
// This file is its own process (vitest forks one per file), so the first warning of each scheme is ours.

const NOW_S = 1_800_000_000;
const ed = generateKeyPairSync("ed25519").privateKey;
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;

describe("forged deliveries in schemes the receiver does not take", () => {
  it("secret only: v1a and JWT are 400 unsupported_signature, onError never sees 'configuration', one warn line per scheme", async () => {
    const logger = recordingLogger();
    const errors: Array<{ code: string | undefined; ctx: ErrorContext }> = [];
    let ran = 0;
    const webhooks = createGeminiWebhooks({
      secret: SECRET,
      now: () => NOW_S * 1000,
      logger,
      onError: (e, ctx) => void errors.push({ code: (e as { code?: string }).code, ctx }),
      on: { "*": () => void ran++ },
    });
    const app = await mount("express", webhooks);
    try {
      for (let i = 0; i < 5; i++) {
        const v1a = await send(app.url, signV1a({ event: fixture("batch.succeeded"), timestamp: NOW_S, privateKey: ed }));
        expect(row(v1a)).toEqual([400, "unsupported_signature"]);
        expect(v1a.body.error.message).toMatch(/jwks/);
        const jwt = await send(app.url, signJwt({ event: fixture("batch.succeeded"), timestamp: NOW_S, privateKey: rsa, audience: "a" }));
        expect(row(jwt)).toEqual([400, "unsupported_signature"]);
        expect(jwt.body.error.message).toMatch(/jwks: \{ audience/);
      }
    } finally {
      await app.close();
    }
    expect(ran).toBe(0);
    expect(errors.map((e) => e.code)).not.toContain("configuration");
    expect(logger.at("error")).toEqual([]);
    const warns = logger.at("warn");
    expect(warns).toHaveLength(2);
    expect(warns.filter((w) => /v1a/.test(w))).toHaveLength(1);
    expect(warns.filter((w) => /JWT/.test(w))).toHaveLength(1);
  });

  it("jwks without audience: a JWT is 400 naming jwks.audience; jwks only: a v1 is 400 naming secret (one warning each)", async () => {
    const logger = recordingLogger();
    const webhooks = createGeminiWebhooks({ jwks: { uri: "http://127.0.0.1:9/jwks.json" }, now: () => NOW_S * 1000, logger });
    const app = await mount("koa", webhooks);
    try {
      for (let i = 0; i < 3; i++) {
        const v1 = await send(app.url, signStatic({ event: fixture("batch.succeeded"), secret: SECRET, timestamp: NOW_S }));
        expect(row(v1)).toEqual([400, "unsupported_signature"]);
        expect(v1.body.error.message).toMatch(/secret/);
        const jwt = await send(app.url, signJwt({ event: fixture("batch.succeeded"), timestamp: NOW_S, privateKey: rsa, audience: "a" }));
        expect(row(jwt)).toEqual([400, "unsupported_signature"]);
        expect(jwt.body.error.message).toMatch(/jwks\.audience/);
      }
    } finally {
      await app.close();
    }
    // v1 warns once here (first time in this process); the JWT scheme already warned in the test above
    expect(logger.at("warn")).toHaveLength(1);
    expect(logger.at("warn")[0]).toMatch(/v1 \(HMAC\)/);
  });
});
