import { describe, expect, it } from "vitest";
import { createGeminiWebhooks, GeminiWebhooksConfigError } from "@gemini-webhooks/core";
import { fixture, generateV1aKeyPair, signV1a, v1aPublicKey } from "@gemini-webhooks/testing";

const NOW_S = 1_800_000_000;
const now = () => NOW_S * 1000;
const post = (d: { body: string; headers: Record<string, string> }) => ({ ...d, method: "POST" });

// The Standard Webhooks Go library's v1a signing vector (libraries/go/webhook_asymmetric_test.go,
// TestAsymmetricWebhookSign): a 32-byte seed key, the spec's message id, timestamp and body.
const GO_VECTOR = {
  secretKey: "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==",
};

describe('publicKey: "whpk_…" (Standard Webhooks v1a with a pinned Ed25519 key)', () => {
  it("the testing kit's signer reproduces the Go library's vector, and the receiver verifies it", async () => {
    const d = signV1a({ body: GO_VECTOR.body, privateKey: GO_VECTOR.secretKey, id: GO_VECTOR.id, timestamp: GO_VECTOR.timestamp });
    expect(d.headers["webhook-signature"]).toBe(GO_VECTOR.signature);
    const wh = createGeminiWebhooks({ publicKey: v1aPublicKey(GO_VECTOR.secretKey), now: () => GO_VECTOR.timestamp * 1000, logger: false });
    // the vector's body is not an event envelope: it verifies (v1a), then fails envelope parsing
    const r = await wh.handle(post(d));
    expect(r.error?.code).toBe("invalid_json");
    expect(r.error?.scheme).toBe("v1a");
    // one changed signature byte is a mismatch: the Ed25519 check ran
    const bad = { ...d, headers: { ...d.headers, "webhook-signature": GO_VECTOR.signature.replace("tQ9", "tQ8") } };
    expect((await wh.handle(post(bad))).error?.code).toBe("signature_mismatch");
  });

  it("alone is enough: a v1a delivery is received with typed handlers; a v1 one is unsupported_signature naming secret", async () => {
    const { secretKey, publicKey } = generateV1aKeyPair();
    const seen: string[] = [];
    const wh = createGeminiWebhooks({ publicKey, now, logger: false, on: { "batch.succeeded": (e, ctx) => void seen.push(`${e.data.output_file_uri} ${ctx.scheme}`) } });
    const d = signV1a({ event: fixture("batch.succeeded"), privateKey: secretKey, timestamp: NOW_S });
    expect((await wh.handle(post(d))).body).toEqual({ status: "received" });
    expect(seen).toEqual([`${fixture("batch.succeeded").data.output_file_uri} v1a`]);
    const v1 = { ...d, headers: { ...d.headers, "webhook-signature": "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=" } };
    const r = await wh.handle(post(v1));
    expect(r.error?.code).toBe("unsupported_signature");
    expect(r.error?.message).toMatch(/secret/);
  });

  it("a key not pinned is signature_mismatch; several keys (a rotation) each verify; both whsk_ forms sign alike", async () => {
    const a = generateV1aKeyPair();
    const b = generateV1aKeyPair();
    const rogue = generateV1aKeyPair();
    const wh = createGeminiWebhooks({ publicKey: [a.publicKey, b.publicKey], now, logger: false, on: { "*": () => {} } });
    for (const k of [a, b]) expect((await wh.handle(post(signV1a({ event: fixture("batch.failed"), privateKey: k.secretKey, timestamp: NOW_S })))).status).toBe(200);
    const forged = await wh.handle(post(signV1a({ event: fixture("batch.failed"), privateKey: rogue.secretKey, timestamp: NOW_S })));
    expect(forged.error?.code).toBe("signature_mismatch");
    expect(forged.error?.message).toMatch(/pinned public key/);
    // the 32-byte seed form of a's key signs exactly as its 64-byte form
    const seed = `whsk_${Buffer.from(a.secretKey.slice(5), "base64").subarray(0, 32).toString("base64")}`;
    const s1 = signV1a({ body: "{}", privateKey: a.secretKey, id: "m", timestamp: NOW_S });
    const s2 = signV1a({ body: "{}", privateKey: seed, id: "m", timestamp: NOW_S });
    expect(s2.headers["webhook-signature"]).toBe(s1.headers["webhook-signature"]);
    expect(v1aPublicKey(seed)).toBe(a.publicKey);
  });

  it("pinned keys are tried before the JWKS: a pinned-key delivery verifies while the JWKS is unreachable", async () => {
    const { secretKey, publicKey } = generateV1aKeyPair();
    const wh = createGeminiWebhooks({ publicKey, jwks: { uri: "http://127.0.0.1:9/jwks.json", timeoutMs: 500 }, now, logger: false, on: { "*": () => {} } });
    expect((await wh.handle(post(signV1a({ event: fixture("batch.succeeded"), privateKey: secretKey, timestamp: NOW_S })))).body).toEqual({ status: "received" });
    // a key that is not pinned goes on to the JWKS, which is down: 503, the sender retries
    const other = generateV1aKeyPair();
    expect((await wh.handle(post(signV1a({ event: fixture("batch.succeeded"), privateKey: other.secretKey, timestamp: NOW_S })))).error?.code).toBe("keys_unavailable");
  });

  it("an empty or malformed key is a config error at construction that names the format", () => {
    const { publicKey, secretKey } = generateV1aKeyPair();
    for (const bad of ["", "whpk_", "whpk_not base64", "whpk_" + Buffer.alloc(31).toString("base64"), "whpk_" + Buffer.alloc(33).toString("base64"), 42, [], secretKey]) {
      let err: unknown;
      try {
        createGeminiWebhooks({ publicKey: bad as string });
      } catch (e) {
        err = e;
      }
      expect(err, String(bad)).toBeInstanceOf(GeminiWebhooksConfigError);
      expect((err as GeminiWebhooksConfigError).option).toBe("publicKey");
    }
    expect(() => createGeminiWebhooks({ publicKey: ` ${publicKey}\n` })).not.toThrow(); // whitespace around it, from an env file
    expect(() => createGeminiWebhooks({ publicKey: publicKey.slice(5) })).not.toThrow(); // the prefix is optional
  });
});
