import { describe, expect, it } from "vitest";
import { createGeminiWebhooks, GeminiWebhooksConfigError } from "@gemini-webhooks/core";
import { SECRET } from "../../../../test/support/receiver.js";

const make = (o: object) => () => createGeminiWebhooks(o as never);

describe("construction validates options once, at startup", () => {
  it("needs a secret or jwks", () => {
    expect(make({})).toThrow(GeminiWebhooksConfigError);
    expect(make({})).toThrow(/secret.*jwks/);
  });
  it("rejects an empty secret", () => {
    expect(make({ secret: "" })).toThrow(/empty/);
    expect(make({ secret: "   \n" })).toThrow(/empty/);
    expect(make({ secret: [] })).toThrow(/empty array/);
  });
  it("rejects a secret that is not base64 after whsec_", () => {
    expect(make({ secret: "whsec_not*base64!!" })).toThrow(/not base64/);
    expect(make({ secret: "whsec_" })).toThrow(/prefix/);
  });
  it("rejects a secret under 16 bytes", () => {
    expect(make({ secret: "whsec_" + Buffer.alloc(15, 1).toString("base64") })).toThrow(/15 bytes/);
    expect(make({ secret: "whsec_" + Buffer.alloc(16, 1).toString("base64") })).not.toThrow();
  });
  it("trims surrounding whitespace but rejects whitespace inside", () => {
    expect(make({ secret: `  ${SECRET}\n` })).not.toThrow();
    expect(make({ secret: SECRET.slice(0, 12) + " " + SECRET.slice(12) })).toThrow(/whitespace inside/);
  });
  it("accepts the whsec_ prefix as optional, and several secrets", () => {
    expect(make({ secret: SECRET.slice(6) })).not.toThrow();
    expect(make({ secret: [SECRET, SECRET.slice(6)] })).not.toThrow();
  });
  it("names the bad entry of a secret list and never echoes the secret", () => {
    let msg = "";
    try {
      createGeminiWebhooks({ secret: [SECRET, "whsec_c2hvcnQ="] });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/secret\[1\]/);
    expect(msg).not.toContain("c2hvcnQ");
  });
  it("a non-string secret is a clear error", () => {
    expect(make({ secret: 42 })).toThrow(/must be a string/);
  });
  it("secret: undefined with jwks is fine", () => {
    expect(make({ secret: undefined, jwks: { audience: "a" } })).not.toThrow();
  });
  it("validates numbers and modes", () => {
    expect(make({ secret: SECRET, toleranceSeconds: -1 })).toThrow(/toleranceSeconds/);
    expect(make({ secret: SECRET, maxBodyBytes: 0 })).toThrow(/maxBodyBytes/);
    expect(make({ secret: SECRET, ack: "later" })).toThrow(/ack/);
    expect(make({ secret: SECRET, queue: {} })).toThrow(/enqueue/);
  });
});
