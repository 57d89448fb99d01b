import { describe, expect, it } from "vitest";
import { createGeminiWebhooks, GeminiWebhooksConfigError, memoryDeadLetters, memoryStore, webCryptoProvider, type GeminiWebhooksOptions } from "@gemini-webhooks/core";
import { settingsOf } from "@gemini-webhooks/core/adapter";
import { SECRET } from "../../../../test/support/receiver.js";

// Every option is validated at construction: one error class, code "configuration", the option at fault.
function configError(options: unknown): GeminiWebhooksConfigError {
  try {
    createGeminiWebhooks(options as GeminiWebhooksOptions);
  } catch (e) {
    expect(e).toBeInstanceOf(GeminiWebhooksConfigError);
    return e as GeminiWebhooksConfigError;
  }
  throw new Error("did not throw");
}

describe("construction: every option checked once, one error class with a code", () => {
  it.each([
    ["idempotency: {} (would answer 503 to every delivery for 24 h)", { idempotency: {} }, "idempotency", /claim, complete and release/],
    ["idempotency without release", { idempotency: { claim: () => "new", complete: () => {} } }, "idempotency", /release/],
    ["now: a string", { now: "x" }, "now", /function/],
    ["onError: a string (was silently ignored)", { onError: "x" }, "onError", /function/],
    ["logger without warn", { logger: { debug() {}, info() {}, error() {} } }, "logger", /debug, info, warn and error/],
    ["hooks without onDelivery function", { hooks: { onDelivery: 1 } }, "hooks", /onDelivery/],
    ["deadLetters: {}", { deadLetters: {} }, "deadLetters", /record, remove, get and list/],
    ["dedupeBy: 'job'", { dedupeBy: "job" }, "dedupeBy", /delivery.*event/],
    ["crypto: 'web'", { crypto: "web" }, "crypto", /CryptoProvider/],
    ["readTimeoutMs: 0", { readTimeoutMs: 0 }, "readTimeoutMs", /≥ 1/],
    ["maxBodyBytes: NaN", { maxBodyBytes: Number.NaN }, "maxBodyBytes", /number/],
    ["toleranceSeconds: -1", { toleranceSeconds: -1 }, "toleranceSeconds", /≥ 0/],
    ["ack: 'later'", { ack: "later" }, "ack", /handled/],
    ["queue without enqueue", { queue: {} }, "queue", /enqueue/],
    ["namespace: ''", { namespace: "" }, "namespace", /non-empty/],
    ["on: a function", { on: () => {} }, "on", /object of handlers/],
    ["on: a handler that is not a function", { on: { "batch.failed": "x" } }, "on", /must be a function/],
    ["a secret that is not base64", { secret: "whsec_!!!" }, "secret", /base64/],
    ["jwks.uri with credentials", { jwks: { uri: "https://user:pw@keys.example/jwks.json" } }, "jwks.uri", /credentials/],
    ["jwks.uri over plain http to a remote host", { jwks: { uri: "http://keys.example/jwks.json" } }, "jwks.uri", /https/],
  ])("%s", (_name, extra, option, message) => {
    const e = configError({ secret: SECRET, ...(extra as object) });
    expect(e.code).toBe("configuration");
    expect(e.option).toBe(option);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain("pw@");
  });

  it("memoryStore and memoryDeadLetters refuse bad options with the same class", () => {
    for (const make of [() => memoryStore({ leaseMs: 0 }), () => memoryStore({ maxEntries: Number.NaN }), () => memoryDeadLetters({ maxEntries: 0 })]) {
      expect(make).toThrow(GeminiWebhooksConfigError);
    }
  });

  it("good options build, a loopback http JWKS included, and adapters' instances expose what the seam needs", () => {
    const wh = createGeminiWebhooks({
      secret: SECRET,
      jwks: { uri: "http://127.0.0.1:9/jwks.json" },
      crypto: webCryptoProvider(),
      logger: false,
      deadLetters: false,
      dedupeBy: "event",
      readTimeoutMs: 1000,
      hooks: [{ onDelivery: () => undefined }],
    });
    const { maxBodyBytes, readTimeoutMs } = settingsOf(wh);
    expect([maxBodyBytes, readTimeoutMs]).toEqual([1 << 20, 1000]);
    expect(() => createGeminiWebhooks({ jwks: { uri: "http://[::1]:9/jwks.json" } })).not.toThrow();
    expect(() => createGeminiWebhooks({ jwks: { uri: "http://localhost:9/jwks.json" } })).not.toThrow();
  });
});
