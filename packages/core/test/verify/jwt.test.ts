import { describe, expect, it } from "vitest";
import { createHash, generateKeyPairSync } from "node:crypto";
import { createGeminiWebhooks, GeminiWebhooksConfigError, memoryStore, type WebhookContext } from "@gemini-webhooks/core";
import { createTestIssuer, publicKeyPem, signJwt } from "@gemini-webhooks/testing";
import { NOW_S, answer, event, makeClock, post, receiver, useIssuer } from "../../../../test/support/dynamic.js";

const issuer = useIssuer();
const jwt = (o: Parameters<typeof issuer.current.signJwt>[0] = {}) => issuer.current.signJwt({ event: event(), timestamp: NOW_S, ...o });

describe("JWT scheme: a valid token", () => {
  it("hash-bound (body_sha256, hex): the event is the body; ctx has scheme, claims, keyId, the jti as webhookId, webhook-timestamp", async () => {
    let ctx: WebhookContext | undefined;
    let uri: string | undefined;
    const wh = receiver(issuer.current, { on: { "batch.succeeded": (e, c) => void ((uri = e.data.output_file_uri), (ctx = c)) } });
    const d = jwt({ id: "msg_jwt_1", timestamp: NOW_S - 5 });
    expect(answer(await wh.handle(post(d)))).toEqual([200, "received"]);
    expect(uri).toBe("gs://my-bucket/results.jsonl");
    // signJwt puts the delivery id in the jti; the receiver keys the JWT on it
    expect(d.claims.jti).toBe("msg_jwt_1");
    expect(ctx).toMatchObject({ scheme: "jwt", webhookId: "msg_jwt_1", keyId: issuer.current.rsa.kid, timestamp: new Date((NOW_S - 5) * 1000) });
    expect(ctx!.claims).toEqual(d.claims);
    expect(ctx!.claims).toMatchObject({ aud: "test-audience", iss: "https://test-issuer.local", body_sha256: createHash("sha256").update(d.body).digest("hex") });
    expect(answer(await wh.handle(post(d)))).toEqual([200, "duplicate"]);
  });

  it("hash claims: request_body_sha256, base64url, uppercase hex, several audiences", async () => {
    const wh = receiver(issuer.current, { jwks: { audience: ["other", "test-audience"] } });
    for (const o of [
      { hashClaim: "request_body_sha256" as const },
      { hashEncoding: "base64url" as const },
      { hashClaim: "request_body_sha256" as const, hashEncoding: "base64url" as const },
    ]) {
      expect(answer(await wh.handle(post(jwt(o))))).toEqual([200, "received"]);
    }
    const body = JSON.stringify(event("batches/upper"));
    const upper = createHash("sha256").update(body).digest("hex").toUpperCase();
    expect(answer(await wh.handle(post(jwt({ body, claims: { body_sha256: upper } }))))).toEqual([200, "received"]);
  });

  it("claims-bound: the event is the claims without the registered ones, empty body or the same event in any key order", async () => {
    const seen: unknown[] = [];
    const wh = receiver(issuer.current, { on: { "*": (e) => void seen.push(e) } });
    const ev = { ...event("batches/claims"), user_metadata: { tenant: "acme", n: 1 } };
    expect(answer(await wh.handle(post(jwt({ event: ev, bindBody: "claims", body: "" }))))).toEqual([200, "received"]);
    expect(seen[0]).toEqual(ev);
    const reordered = JSON.stringify({ data: { output_file_uri: ev.data.output_file_uri, id: ev.data.id }, timestamp: ev.timestamp, type: ev.type });
    expect(answer(await wh.handle(post(jwt({ event: ev, bindBody: "claims", body: reordered }))))).toEqual([200, "received"]);
    // the handler still gets the signed claims, not the unsigned extras of the body
    expect(seen[1]).toEqual(ev);
  });

  it("dedupe key: the jti, else the SHA-256 of the signing input, in the jwt: key space; never the webhook-id header; ctx.timestamp: webhook-timestamp, else iat", async () => {
    const wh = receiver(issuer.current);
    const withJti = jwt({ id: "msg_header", claims: { jti: "jti-123" } });
    const r1 = await wh.handle(post(withJti));
    expect([r1.ctx?.webhookId, r1.ctx?.idempotencyKey]).toEqual(["jti-123", "gemini:jwt:jti-123"]);
    // another token with the same jti is the same delivery, whatever its webhook-id header
    expect(answer(await wh.handle(post(jwt({ id: null, claims: { jti: "jti-123" }, timestamp: NOW_S - 1 }))))).toEqual([200, "duplicate"]);
    expect(answer(await wh.handle(post(jwt({ id: "msg_other", claims: { jti: "jti-123" }, timestamp: NOW_S - 2 }))))).toEqual([200, "duplicate"]);

    const bare = jwt({ id: null, sendTimestamp: false, timestamp: NOW_S - 7, claims: { jti: undefined } });
    expect(bare.claims).not.toHaveProperty("jti");
    const r2 = await wh.handle(post(bare));
    const signingInput = bare.token.slice(0, bare.token.lastIndexOf("."));
    expect(r2.ctx?.webhookId).toBe(createHash("sha256").update(signingInput).digest("hex"));
    expect(r2.ctx?.idempotencyKey).toBe(`gemini:jwt:${r2.ctx?.webhookId}`);
    expect(r2.ctx?.timestamp).toEqual(new Date((NOW_S - 7) * 1000));
    expect(answer(await wh.handle(post(bare)))).toEqual([200, "duplicate"]);
    // the same token with a webhook-id header: still keyed on the hash, so a duplicate
    const withHeader = await wh.handle(post({ ...bare, headers: { ...bare.headers, "webhook-id": "msg_fresh" } }));
    expect([answer(withHeader), withHeader.ctx?.webhookId]).toEqual([[200, "duplicate"], r2.ctx?.webhookId]);
  });

  it("a jti that is not 1 to 256 visible ASCII characters is not a key: the hash of the signing input is", async () => {
    const wh = receiver(issuer.current);
    for (const jti of ["", "x".repeat(257), "ä-jti", "two words", 42]) {
      const d = jwt({ claims: { jti } });
      const r = await wh.handle(post(d));
      expect(answer(r)).toEqual([200, "received"]);
      const signingInput = d.token.slice(0, d.token.lastIndexOf("."));
      expect(r.ctx?.webhookId).toBe(createHash("sha256").update(signingInput).digest("hex"));
    }
  });

  it("exp within the clock tolerance passes; requiredClaims: [] accepts a token without exp", async () => {
    const wh = receiver(issuer.current);
    expect(answer(await wh.handle(post(jwt({ timestamp: NOW_S - 100, expiresIn: 80 }))))).toEqual([200, "received"]); // expired 20 s ago, tolerance 30
    const noExp = receiver(issuer.current, { jwks: { requiredClaims: [] } });
    expect(answer(await noExp.handle(post(jwt({ expiresIn: null }))))).toEqual([200, "received"]);
  });

  it("EdDSA tokens verify against the Ed25519 key when allowed", async () => {
    const wh = receiver(issuer.current, { jwks: { algorithms: ["RS256", "EdDSA"] } });
    const r = await wh.handle(post(jwt({ signWith: "ed25519" })));
    expect([answer(r), r.ctx?.keyId]).toEqual([[200, "received"], issuer.current.ed25519.kid]);
    // not allowed by default
    expect(answer(await receiver(issuer.current).handle(post(jwt({ signWith: "ed25519" }))))).toEqual([400, "invalid_jwt"]);
  });

  it("a token without kid is tried against every RSA key", async () => {
    const wh = receiver(issuer.current);
    expect(answer(await wh.handle(post(jwt({ kid: undefined }))))).toEqual([200, "received"]);
  });
});

describe("JWT scheme: attacks and bad tokens are 400 invalid_jwt", () => {
  const rejects = async (d: { body: string; headers: Record<string, string> }, wh = receiver(issuer.current)) => {
    const r = await wh.handle(post(d));
    expect(answer(r)).toEqual([400, "invalid_jwt"]);
    expect(r.error?.scheme).toBe("jwt");
    expect(r.error?.message).toMatch(/jwt/);
    return r;
  };

  it("alg none, with and without a kid, never fetches keys", async () => {
    const wh = receiver(issuer.current);
    const before = issuer.current.fetchCount;
    await rejects(jwt({ unsigned: true }), wh);
    await rejects(jwt({ unsigned: true, kid: issuer.current.rsa.kid }), wh);
    await rejects(jwt({ header: { alg: "none" } }), wh);
    await rejects(jwt({ header: { alg: "None" } }), wh);
    expect(issuer.current.fetchCount).toBe(before);
  });

  it("HS256 keyed with the RSA public key (PEM and JWK n), and HS256 can't even be configured", async () => {
    const pem = publicKeyPem(issuer.current.rsa);
    await rejects(jwt({ hmacKey: pem, kid: issuer.current.rsa.kid }));
    await rejects(jwt({ hmacKey: String(issuer.current.rsa.jwk.n), kid: issuer.current.rsa.kid }));
    expect(() => createGeminiWebhooks({ jwks: { audience: "a", algorithms: ["HS256"] } })).toThrow(GeminiWebhooksConfigError);
    expect(() => createGeminiWebhooks({ jwks: { audience: "a", algorithms: ["RS256", "none"] } })).toThrow(/none/);
  });

  it("a rogue RSA key, even under our kid; PS256 or ES256 where only RS256 is allowed", async () => {
    const rogue = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    await rejects(jwt({ privateKey: rogue, kid: issuer.current.rsa.kid }));
    await rejects(jwt({ privateKey: rogue }));
    await rejects(jwt({ header: { alg: "PS256" } }));
    await rejects(jwt({ privateKey: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey }));
  });

  it("jku, x5u and embedded jwk headers are ignored: never fetched, never trusted", async () => {
    const attacker = await createTestIssuer();
    try {
      const wh = receiver(issuer.current);
      const evil = { privateKey: attacker.rsa.privateKey, kid: attacker.rsa.kid };
      await rejects(jwt({ ...evil, header: { jku: attacker.jwksUri } }), wh);
      await rejects(jwt({ ...evil, header: { x5u: attacker.jwksUri } }), wh);
      await rejects(jwt({ ...evil, header: { jwk: attacker.rsa.jwk } }), wh);
      await rejects(jwt({ privateKey: attacker.rsa.privateKey, header: { jwk: attacker.rsa.jwk } }), wh);
      expect(attacker.fetchCount).toBe(0);
      // on a genuine token, such headers change nothing: our JWKS decides
      expect(answer(await wh.handle(post(jwt({ header: { jku: attacker.jwksUri, x5u: attacker.jwksUri } }))))).toEqual([200, "received"]);
      expect(attacker.fetchCount).toBe(0);
    } finally {
      await attacker.close();
    }
  });

  it("exp further ahead than the store remembers a delivery (25 h by default, or the store's doneTtlMs); neither exp nor iat", async () => {
    const r = await rejects(jwt({ expiresIn: 26 * 3600 }));
    expect(r.error?.message).toMatch(/25 h/);
    expect(answer(await receiver(issuer.current).handle(post(jwt({ expiresIn: 24 * 3600 }))))).toEqual([200, "received"]);
    const shortMemory = receiver(issuer.current, { idempotency: memoryStore({ doneTtlMs: 3600_000 }) });
    await rejects(jwt({ expiresIn: 2 * 3600 }), shortMemory);
    // requiredClaims: [] lets a token without exp through only when it has an iat
    const noExp = receiver(issuer.current, { jwks: { requiredClaims: [] } });
    const neither = await rejects(jwt({ expiresIn: null, claims: { iat: undefined } }), noExp);
    expect(neither.error?.message).toMatch(/neither exp nor iat/);
  });

  it("expired, nbf in the future, iat outside the replay window, exp missing", async () => {
    await rejects(jwt({ timestamp: NOW_S - 200, expiresIn: 100 })); // expired 100 s ago
    await rejects(jwt({ claims: { nbf: NOW_S + 120 } }));
    await rejects(jwt({ timestamp: NOW_S - 400, expiresIn: 3600, sendTimestamp: false })); // iat 400 s old
    await rejects(jwt({ timestamp: NOW_S + 400, sendTimestamp: false })); // iat in the future
    const r = await rejects(jwt({ expiresIn: null }));
    expect(r.error?.message).toMatch(/exp/);
  });

  it("wrong or missing audience, wrong or missing issuer", async () => {
    await rejects(jwt({ audience: "someone-else" }));
    await rejects(jwt({ claims: { aud: undefined } }));
    await rejects(jwt({ issuer: "https://evil.example" }));
    await rejects(jwt({ claims: { iss: undefined } }));
    // no issuer configured: any iss is fine
    const noIss = receiver(issuer.current, { jwks: { issuer: undefined } });
    expect(answer(await noIss.handle(post(jwt({ issuer: "https://anyone.example" }))))).toEqual([200, "received"]);
  });

  it("an oversize token is refused before any parsing or fetching", async () => {
    const wh = receiver(issuer.current);
    const before = issuer.current.fetchCount;
    const big = jwt({ claims: { pad: "x".repeat(9000) } });
    expect(big.token.length).toBeGreaterThan(8192);
    const r = await rejects(big, wh);
    expect(r.error?.message).toMatch(/8192/);
    expect(issuer.current.fetchCount).toBe(before);
    // a garbage blob of the same size: the same answer, no parse error
    await rejects({ ...big, headers: { ...big.headers, "webhook-signature": `${"a".repeat(9000)}.b.c` } }, wh);
    // the cap is configurable
    const roomy = receiver(issuer.current, { jwks: { maxTokenBytes: 16_000 } });
    expect(answer(await roomy.handle(post(big)))).toEqual([200, "received"]);
  });

  it("an unknown crit header parameter", async () => {
    await rejects(jwt({ header: { crit: ["exp-ext"], "exp-ext": 1 } }));
    await rejects(jwt({ header: { crit: ["b64"], b64: true } }));
  });

  it("malformed tokens", async () => {
    const d = jwt();
    const [h, p, s] = d.token.split(".");
    for (const token of [`${h}.${p}.${s}x`, `${h}.${p}.`, `e30.${p}.${s}`, `bm90IGpzb24.${p}.${s}`, `${h}.bm90IGpzb24.${s}`, `${h}.${p}.${s!.slice(2)}`]) {
      await rejects({ ...d, headers: { ...d.headers, "webhook-signature": token } });
    }
  });

  it("a stale or future webhook-timestamp next to a JWT: timestamp_too_old / timestamp_too_new; the webhook-id header is not read", async () => {
    const wh = receiver(issuer.current);
    const d = jwt();
    const old = await wh.handle(post({ ...d, headers: { ...d.headers, "webhook-timestamp": String(NOW_S - 301) } }));
    expect([answer(old), old.error?.scheme]).toEqual([[400, "timestamp_too_old"], "jwt"]);
    expect(answer(await wh.handle(post({ ...d, headers: { ...d.headers, "webhook-timestamp": String(NOW_S + 301) } })))).toEqual([400, "timestamp_too_new"]);
    expect(answer(await wh.handle(post({ ...d, headers: { ...d.headers, "webhook-timestamp": "soon" } })))).toEqual([400, "invalid_header"]);
    // the webhook-id header is not signed by a JWT and keys nothing: it is not validated either
    expect(answer(await wh.handle(post({ ...d, headers: { ...d.headers, "webhook-id": "x".repeat(300) } })))).toEqual([200, "received"]);
  });
});

describe("JWT scheme: body binding", () => {
  it("a body that does not hash to the claim: 400 body_mismatch", async () => {
    const wh = receiver(issuer.current);
    const d = jwt();
    const r = await wh.handle(post({ ...d, body: d.body.replace("gs://my-bucket", "gs://evil-bucket") }));
    expect([answer(r), r.error?.scheme]).toEqual([[400, "body_mismatch"], "jwt"]);
    expect(answer(await wh.handle(post({ ...d, body: "" })))).toEqual([400, "body_mismatch"]);
    expect(answer(await wh.handle(post(jwt({ claims: { body_sha256: "zz" } }))))).toEqual([400, "body_mismatch"]);
    expect(answer(await wh.handle(post(jwt({ claims: { body_sha256: 42 } }))))).toEqual([400, "body_mismatch"]);
    // both hash claims present: both must match
    expect(answer(await wh.handle(post(jwt({ claims: { request_body_sha256: "0".repeat(64) } }))))).toEqual([400, "body_mismatch"]);
  });

  it("claims-bound with a body that is another event, or not JSON: 400 body_mismatch", async () => {
    const wh = receiver(issuer.current);
    const ev = event("batches/signed");
    const other = (patch: object) => JSON.stringify({ ...ev, ...patch });
    for (const body of [
      other({ data: { ...ev.data, output_file_uri: "gs://evil/x" } }),
      other({ type: "batch.failed" }),
      other({ timestamp: "2030-01-01T00:00:00Z" }),
      JSON.stringify({ type: ev.type, data: ev.data }),
      "not json",
      "[]",
    ]) {
      expect(answer(await wh.handle(post(jwt({ event: ev, bindBody: "claims", body }))))).toEqual([400, "body_mismatch"]);
    }
  });

  it("a token that binds no content: 400 unbound_body, the handler never runs", async () => {
    let ran = false;
    const wh = receiver(issuer.current, { on: { "*": () => void (ran = true) } });
    expect(answer(await wh.handle(post(jwt({ bindBody: "none" }))))).toEqual([400, "unbound_body"]);
    expect(answer(await wh.handle(post(jwt({ bindBody: "none", claims: { type: "batch.succeeded" } }))))).toEqual([400, "unbound_body"]);
    expect(ran).toBe(false);
  });

  it("hash-bound body that is not JSON: invalid_json", async () => {
    const wh = receiver(issuer.current);
    expect(answer(await wh.handle(post(jwt({ body: "plain text" }))))).toEqual([400, "invalid_json"]);
  });
});

describe("JWT scheme: configuration", () => {
  it("a JWT while jwks.audience is not configured: 400 unsupported_signature naming the option, before any fetch", async () => {
    const wh = createGeminiWebhooks({ jwks: { uri: issuer.current.jwksUri }, now: makeClock().now, logger: false });
    const before = issuer.current.fetchCount;
    const r = await wh.handle(post(jwt()));
    expect([answer(r), r.error?.scheme]).toEqual([[400, "unsupported_signature"], "jwt"]);
    expect(r.error?.message).toMatch(/audience/);
    expect(issuer.current.fetchCount).toBe(before);
  });

  it("bad jwks options throw at construction", () => {
    const make = (jwks: object) => () => createGeminiWebhooks({ jwks } as never);
    expect(make({ uri: "not a url" })).toThrow(GeminiWebhooksConfigError);
    expect(make({ uri: "ftp://x/jwks.json" })).toThrow(/https/);
    expect(make({ audience: "" })).toThrow(/audience/);
    expect(make({ audience: [] })).toThrow(/audience/);
    expect(make({ algorithms: [] })).toThrow(/algorithms/);
    expect(make({ cooldownMs: -1 })).toThrow(/cooldownMs/);
    expect(make({ timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(make({ maxTokenBytes: Number.NaN })).toThrow(/maxTokenBytes/);
    expect(make({ requiredClaims: "exp" })).toThrow(/requiredClaims/);
    expect(make({})).not.toThrow();
    expect(make({ audience: ["a", "b"], issuer: "i", algorithms: ["RS256", "ES256", "EdDSA"] })).not.toThrow();
  });
});

it("standalone signJwt takes any key (RS256 by default for RSA)", async () => {
  const d = signJwt({ event: event(), audience: issuer.current.audience, issuer: issuer.current.issuer, privateKey: issuer.current.rsa.privateKey, kid: issuer.current.rsa.kid, timestamp: NOW_S });
  expect(JSON.parse(Buffer.from(d.token.split(".")[0]!, "base64url").toString())).toMatchObject({ alg: "RS256", kid: issuer.current.rsa.kid });
  expect(answer(await receiver(issuer.current).handle(post(d)))).toEqual([200, "received"]);
});
