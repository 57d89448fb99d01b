import { describe, expect, it } from "vitest";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { fixture, signV1a } from "@gemini-webhooks/testing";
import { cliOnce } from "../../../test/support/cli.js";

describe("gemini-webhooks secret", () => {
  it("prints a whsec_ secret the receiver accepts; --json wraps it", async () => {
    const r = await cliOnce(["secret"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^whsec_[A-Za-z0-9+/]{43}=\n$/);
    expect(() => createGeminiWebhooks({ secret: r.stdout })).not.toThrow();
    const j = await cliOnce(["secret", "--json", "--bytes", "24"]);
    expect(Buffer.from(JSON.parse(j.stdout).secret.slice(6), "base64")).toHaveLength(24);
  });

  it("--v1a prints a whsk_/whpk_ pair: the signing key signs what a receiver pinned to the public key verifies", async () => {
    const r = await cliOnce(["secret", "--v1a"]);
    expect(r.code).toBe(0);
    const [secretKey, publicKey] = r.stdout.trim().split("\n");
    expect(secretKey).toMatch(/^whsk_/);
    expect(publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    const now = Math.floor(Date.now() / 1000);
    const wh = createGeminiWebhooks({ publicKey: publicKey!, logger: false, on: { "*": () => {} } });
    const answer = await wh.handle({ ...signV1a({ event: fixture("batch.succeeded"), privateKey: secretKey!, timestamp: now }), method: "POST" });
    expect(answer.body).toEqual({ status: "received" });
    const j = JSON.parse((await cliOnce(["secret", "--v1a", "--json"])).stdout);
    expect(Object.keys(j).sort()).toEqual(["publicKey", "secretKey"]);
    expect((await cliOnce(["secret", "--v1a", "--bytes", "32"])).code).toBe(2);
  });
});
