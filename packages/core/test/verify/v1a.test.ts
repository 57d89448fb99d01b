import { describe, expect, it } from "vitest";
import { generateKeyPairSync } from "node:crypto";
import { webCryptoProvider, createGeminiWebhooks, type WebhookContext } from "@gemini-webhooks/core";
import { createTestIssuer, signStatic, signV1a } from "@gemini-webhooks/testing";
import { NOW_S, SECRET, answer, event, makeClock, post, receiver, useIssuer } from "../../../../test/support/dynamic.js";

const issuer = useIssuer();

describe("Standard Webhooks v1a (Ed25519 against the JWKS)", () => {
  it("accepts a v1a delivery: typed event, ctx.scheme v1a, ctx.keyId, exact raw body", async () => {
    let got: { type?: string; ctx?: WebhookContext } = {};
    const wh = receiver(issuer.current, { on: { "batch.succeeded": (e, ctx) => void (got = { type: e.data.output_file_uri, ctx }) } });
    const d = issuer.current.signV1a({ event: event(), timestamp: NOW_S, id: "msg_v1a_1" });
    const r = await wh.handle(post(d));
    expect(answer(r)).toEqual([200, "received"]);
    expect(got.type).toBe("gs://my-bucket/results.jsonl");
    expect(got.ctx).toMatchObject({ scheme: "v1a", webhookId: "msg_v1a_1", keyId: issuer.current.ed25519.kid, timestamp: new Date(NOW_S * 1000) });
    expect(got.ctx?.claims).toBeUndefined();
    expect(Buffer.from(got.ctx!.rawBody).toString()).toBe(d.body);
    // the same delivery again is a duplicate (same dedupe as v1)
    expect(answer(await wh.handle(post(d)))).toEqual([200, "duplicate"]);
  });

  it("verify() returns the event; one valid v1a entry among several is enough", async () => {
    const wh = receiver(issuer.current);
    const d = issuer.current.signV1a({ event: event(), timestamp: NOW_S });
    const bogus = `v1a,${Buffer.alloc(64, 7).toString("base64")}`;
    const headers = { ...d.headers, "webhook-signature": `${bogus} ${d.headers["webhook-signature"]} v2,xyz` };
    await expect(wh.verify({ body: d.body, headers })).resolves.toMatchObject({ type: "batch.succeeded" });
  });

  it("v1 and v1a on the same endpoint, chosen per request", async () => {
    const wh = receiver(issuer.current, { secret: SECRET });
    const v1 = signStatic({ event: event("batches/v1"), secret: SECRET, timestamp: NOW_S });
    const v1a = issuer.current.signV1a({ event: event("batches/v1a"), timestamp: NOW_S });
    const r1 = await wh.handle(post(v1));
    const r2 = await wh.handle(post(v1a));
    expect([answer(r1), r1.ctx?.scheme]).toEqual([[200, "received"], "v1"]);
    expect([answer(r2), r2.ctx?.scheme]).toEqual([[200, "received"], "v1a"]);
  });

  it("rejects a tampered body, id or timestamp: 400 signature_mismatch naming v1a", async () => {
    const wh = receiver(issuer.current);
    const d = issuer.current.signV1a({ event: event(), timestamp: NOW_S, id: "msg_t" });
    const cases = [
      { ...d, body: d.body.replace("gs://my-bucket", "gs://evil-bucket") },
      { ...d, body: d.body + " " },
      { ...d, headers: { ...d.headers, "webhook-id": "msg_u" } },
      { ...d, headers: { ...d.headers, "webhook-timestamp": String(NOW_S + 1) } },
    ];
    for (const c of cases) {
      const r = await wh.handle(post(c));
      expect(answer(r)).toEqual([400, "signature_mismatch"]);
      expect(r.error?.scheme).toBe("v1a");
      expect(r.error?.message).toMatch(/v1a/);
    }
  });

  it("rejects tampered signatures, including non-canonical base64 spellings of the valid one", async () => {
    const wh = receiver(issuer.current);
    const d = issuer.current.signV1a({ event: event(), timestamp: NOW_S });
    const sig = d.headers["webhook-signature"].slice(4);
    const raw = Buffer.from(sig, "base64");
    const flipped = Buffer.from(raw);
    flipped[10] = flipped[10]! ^ 1;
    // 64 bytes -> 86 chars + "=="; the last char carries 4 unused bits: setting one is the same bytes, not canonical
    const last = sig[85]!;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const sameBytes = sig.slice(0, 85) + alphabet[alphabet.indexOf(last) + 1] + "==";
    expect(Buffer.from(sameBytes, "base64").equals(raw)).toBe(true);
    for (const bad of [flipped.toString("base64"), sig.replace(/=+$/, ""), sameBytes, sig.slice(0, 40), "", "!!!!", raw.subarray(0, 63).toString("base64")]) {
      const r = await wh.handle(post({ ...d, headers: { ...d.headers, "webhook-signature": `v1a,${bad}` } }));
      expect(answer(r)).toEqual([400, "signature_mismatch"]);
    }
    // and the untouched one still passes
    expect(answer(await wh.handle(post(d)))).toEqual([200, "received"]);
  });

  it("rejects a rogue key (not in the JWKS) with signature_mismatch, and a flood of them costs at most one refetch per cooldown", async () => {
    const wh = receiver(issuer.current);
    const rogue = generateKeyPairSync("ed25519").privateKey;
    await wh.handle(post(issuer.current.signV1a({ event: event(), timestamp: NOW_S })));
    const before = issuer.current.fetchCount;
    for (let i = 0; i < 25; i++) {
      const r = await wh.handle(post(signV1a({ event: event(), timestamp: NOW_S, id: `msg_rogue_${i}`, privateKey: rogue })));
      expect(answer(r)).toEqual([400, "signature_mismatch"]);
    }
    // the cache is younger than the 30 s cooldown: not one refetch
    expect(issuer.current.fetchCount - before).toBe(0);
  });

  it("signatures that are not even 64-byte base64 never cause a JWKS fetch", async () => {
    const wh = receiver(issuer.current);
    const before = issuer.current.fetchCount;
    const d = issuer.current.signV1a({ event: event(), timestamp: NOW_S });
    const r = await wh.handle(post({ ...d, headers: { ...d.headers, "webhook-signature": "v1a,AAAA" } }));
    expect(answer(r)).toEqual([400, "signature_mismatch"]);
    expect(issuer.current.fetchCount).toBe(before);
  });

  it("rejects a stale or future timestamp before any key work (same window as v1)", async () => {
    const wh = receiver(issuer.current, { toleranceSeconds: 300 });
    const before = issuer.current.fetchCount;
    const old = await wh.handle(post(issuer.current.signV1a({ event: event(), timestamp: NOW_S - 301 })));
    const future = await wh.handle(post(issuer.current.signV1a({ event: event(), timestamp: NOW_S + 301 })));
    expect([answer(old), old.error?.scheme]).toEqual([[400, "timestamp_too_old"], "v1a"]);
    expect(answer(future)).toEqual([400, "timestamp_too_new"]);
    expect(issuer.current.fetchCount).toBe(before);
    // the edge is inside
    expect(answer(await wh.handle(post(issuer.current.signV1a({ event: event(), timestamp: NOW_S - 300 }))))).toEqual([200, "received"]);
  });

  it("tries every Ed25519 key, with or without kid; skips keys that are not Ed25519 signing keys", async () => {
    const iss = await createTestIssuer({ ed25519WithoutKid: true });
    try {
      const good = iss.jwks().keys;
      const other = generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" });
      iss.serve({
        keys: [
          { ...other, kid: "first" },
          { kty: "OKP", crv: "Ed25519", x: "not-a-key" },
          { ...good[0], use: "enc" },
          { kty: "OKP", crv: "X25519", x: good[0]!.x },
          "junk-is-not-here",
          ...good,
        ].filter((k) => typeof k === "object"),
      });
      const wh = receiver(iss);
      const r = await wh.handle(post(iss.signV1a({ event: event(), timestamp: NOW_S })));
      expect(answer(r)).toEqual([200, "received"]);
      expect(r.ctx?.keyId).toBeUndefined();
    } finally {
      await iss.close();
    }
  });

  it("key rotation: a new key is picked up by one reload outside the cooldown; within it, the delivery fails and its retry succeeds", async () => {
    const iss = await createTestIssuer();
    try {
      const clock = makeClock();
      const wh = receiver(iss, { clock });
      expect(answer(await wh.handle(post(iss.signV1a({ event: event(), timestamp: NOW_S }))))).toEqual([200, "received"]);
      expect(iss.fetchCount).toBe(1);

      const oldKey = iss.ed25519.privateKey;
      iss.rotate();
      const d = iss.signV1a({ event: event("batches/after-rotation"), timestamp: NOW_S + 10 });
      clock.advance(10); // inside the 30 s cooldown: no refetch, the new key is unknown
      expect(answer(await wh.handle(post(d)))).toEqual([400, "signature_mismatch"]);
      expect(iss.fetchCount).toBe(1);

      clock.advance(25); // past the cooldown: the retry reloads once and verifies
      const r = await wh.handle(post(d));
      expect(answer(r)).toEqual([200, "received"]);
      expect(r.ctx?.keyId).toBe(iss.ed25519.kid);
      expect(iss.fetchCount).toBe(2);

      // the old key left the JWKS: a delivery signed with it no longer verifies
      expect(answer(await wh.handle(post(signV1a({ event: event(), timestamp: NOW_S + 35, privateKey: oldKey }))))).toEqual([400, "signature_mismatch"]);
    } finally {
      await iss.close();
    }
  });

  it("cooldownMs: 0 picks up a rotated key on the first delivery", async () => {
    const iss = await createTestIssuer();
    try {
      const wh = receiver(iss, { jwks: { cooldownMs: 0 } });
      expect(answer(await wh.handle(post(iss.signV1a({ event: event(), timestamp: NOW_S }))))).toEqual([200, "received"]);
      iss.rotate({ keepOld: true });
      expect(answer(await wh.handle(post(iss.signV1a({ event: event("batches/2"), timestamp: NOW_S }))))).toEqual([200, "received"]);
      expect(iss.fetchCount).toBe(2);
    } finally {
      await iss.close();
    }
  });

  it("v1a without a jwks option is a 400 unsupported_signature naming the fix; with only jwks, a v1 delivery is one too", async () => {
    const v1only = createGeminiWebhooks({ secret: SECRET, now: makeClock().now, logger: false });
    const r = await v1only.handle(post(issuer.current.signV1a({ event: event(), timestamp: NOW_S })));
    expect([answer(r), r.error?.scheme]).toEqual([[400, "unsupported_signature"], "v1a"]);
    expect(r.error?.message).toMatch(/jwks/);
    const dynOnly = receiver(issuer.current, { logger: false });
    const r2 = await dynOnly.handle(post(signStatic({ event: event(), secret: SECRET, timestamp: NOW_S })));
    expect([answer(r2), r2.error?.scheme]).toEqual([[400, "unsupported_signature"], "v1"]);
    expect(r2.error?.message).toMatch(/secret/);
  });
});

describe("v1a and JWT on the Web Crypto backend (edge runtimes)", () => {
  it("verifies and rejects exactly like the node:crypto path", async () => {
    {
      const wh = receiver(issuer.current, { crypto: webCryptoProvider() });
      const d = issuer.current.signV1a({ event: event(), timestamp: NOW_S });
      expect(answer(await wh.handle(post({ ...d, body: d.body.replace("my-bucket", "evil") })))).toEqual([400, "signature_mismatch"]);
      expect(answer(await wh.handle(post(d)))).toEqual([200, "received"]);
      const j = issuer.current.signJwt({ event: event(), timestamp: NOW_S, hashEncoding: "base64url" });
      expect(answer(await wh.handle(post({ ...j, body: j.body.replace("my-bucket", "evil") })))).toEqual([400, "body_mismatch"]);
      expect(answer(await wh.handle(post(j)))).toEqual([200, "received"]);
    }
  });
});
