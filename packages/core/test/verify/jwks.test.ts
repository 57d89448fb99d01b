import { describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { randomUUID } from "node:crypto";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { createTestIssuer, type JwksFault, type TestIssuer } from "@gemini-webhooks/testing";
import { NOW_S, answer, event, makeClock, post, receiver } from "../../../../test/support/dynamic.js";

async function withIssuer(fn: (iss: TestIssuer) => Promise<void>) {
  const iss = await createTestIssuer();
  try {
    await fn(iss);
  } finally {
    await iss.close();
  }
}

const v1a = (iss: TestIssuer, id?: string) => iss.signV1a({ event: event(), timestamp: NOW_S, ...(id ? { id } : {}) });
const jwt = (iss: TestIssuer, o: Parameters<TestIssuer["signJwt"]>[0] = {}) => iss.signJwt({ event: event(), timestamp: NOW_S, ...o });

describe("the JWKS cache of a receiver", () => {
  it("concurrent cold-cache deliveries (v1a and JWT) share one JWKS fetch", () =>
    withIssuer(async (iss) => {
      const wh = receiver(iss);
      const deliveries = Array.from({ length: 30 }, (_, i) => (i % 2 ? v1a(iss) : jwt(iss)));
      const results = await Promise.all(deliveries.map((d) => wh.handle(post(d))));
      expect(results.map(answer)).toEqual(deliveries.map(() => [200, "received"]));
      expect(new Set(results.map((r) => r.ctx?.scheme))).toEqual(new Set(["v1a", "jwt"]));
      expect(iss.fetchCount).toBe(1);
      // warm: no more fetches
      await wh.handle(post(v1a(iss)));
      await wh.handle(post(jwt(iss)));
      expect(iss.fetchCount).toBe(1);
      // a second receiver has its own cache
      await receiver(iss).handle(post(v1a(iss)));
      expect(iss.fetchCount).toBe(2);
    }));

  it("an unknown-kid flood is bounded by the cooldown: at most one refetch per cooldown window", () =>
    withIssuer(async (iss) => {
      const clock = makeClock();
      const wh = receiver(iss, { clock, jwks: { cooldownMs: 30_000 } });
      const flood = () => Array.from({ length: 40 }, () => jwt(iss, { kid: `kid-${randomUUID()}` }));
      // cold: sequential unknown kids
      for (const d of flood().slice(0, 20)) expect(answer(await wh.handle(post(d)))).toEqual([400, "invalid_jwt"]);
      expect(iss.fetchCount).toBe(1);
      // concurrent, still within the cooldown
      const rs = await Promise.all(flood().map((d) => wh.handle(post(d))));
      expect(rs.every((r) => r.error?.code === "invalid_jwt")).toBe(true);
      expect(iss.fetchCount).toBe(1);
      // past the cooldown: a concurrent flood costs exactly one shared refetch
      clock.advance(31);
      await Promise.all(flood().map((d) => wh.handle(post(d))));
      expect(iss.fetchCount).toBe(2);
      for (const d of flood().slice(0, 10)) await wh.handle(post(d));
      expect(iss.fetchCount).toBe(2);
      // the genuine key still works throughout
      expect(answer(await wh.handle(post(jwt(iss))))).toEqual([200, "received"]);
    }));

  it("JWT key rotation: a new kid triggers one refetch outside the cooldown", () =>
    withIssuer(async (iss) => {
      const wh = receiver(iss, { jwks: { cooldownMs: 0 } });
      expect(answer(await wh.handle(post(jwt(iss))))).toEqual([200, "received"]);
      const oldRsa = iss.rsa;
      iss.rotate({ keepOld: true });
      const r = await wh.handle(post(jwt(iss)));
      expect([answer(r), r.ctx?.keyId]).toEqual([[200, "received"], iss.rsa.kid]);
      expect(iss.fetchCount).toBe(2);
      // the old key is still served: a token with it verifies without another fetch
      expect(answer(await wh.handle(post(jwt(iss, { privateKey: oldRsa.privateKey, kid: oldRsa.kid }))))).toEqual([200, "received"]);
      expect(iss.fetchCount).toBe(2);
    }));

  it("refreshes the JWKS after cacheMaxAgeMs; when that refresh fails, cached keys still verify (stale-while-error)", () =>
    withIssuer(async (iss) => {
      const clock = makeClock();
      const wh = receiver(iss, { clock, jwks: { cacheMaxAgeMs: 60_000 } });
      await wh.handle(post(v1a(iss)));
      clock.advance(61);
      await wh.handle(post(v1a(iss)));
      expect(iss.fetchCount).toBe(2);
      clock.advance(61);
      iss.failNext("500");
      expect(answer(await wh.handle(post(v1a(iss))))).toEqual([200, "received"]);
      // the failed refresh started the cooldown: the next delivery uses the stale keys without a fetch
      expect(answer(await wh.handle(post(jwt(iss))))).toEqual([200, "received"]);
      expect(iss.fetchCount).toBe(3);
      // past the cooldown the stale set is refreshed again
      clock.advance(31);
      expect(answer(await wh.handle(post(jwt(iss))))).toEqual([200, "received"]);
      expect(iss.fetchCount).toBe(4);
    }));
});

describe("the JWKS down: 503 keys_unavailable, and the next delivery recovers once it is back", () => {
  const faults: JwksFault[] = ["500", "hang", "stall", "badjson", "notjwks"];
  for (const fault of faults) {
    it(`cold cache, fault "${fault}", v1a and JWT`, () =>
      withIssuer(async (iss) => {
        for (const make of [() => v1a(iss), () => jwt(iss)]) {
          const clock = makeClock();
          const wh = receiver(iss, { clock, jwks: { timeoutMs: 300 } }); // a cold cache for each scheme
          iss.failNext(fault);
          const d = make();
          const r = await wh.handle(post(d));
          expect(answer(r)).toEqual([503, "keys_unavailable"]);
          expect(r.error?.message).toMatch(/v1a|jwt/);
          expect(r.error?.message).not.toMatch(/BEGIN|"d"/);
          iss.heal();
          const fetches = iss.fetchCount;
          // within the cooldown the failed attempt started: 503 at once, no fetch
          expect(answer(await wh.handle(post(d)))).toEqual([503, "keys_unavailable"]);
          expect(iss.fetchCount).toBe(fetches);
          // the sender's retry after the cooldown succeeds (nothing was claimed by the failure)
          clock.advance(31);
          expect(answer(await wh.handle(post(d)))).toEqual([200, "received"]);
          expect(iss.fetchCount).toBe(fetches + 1);
        }
      }));
  }

  it("a JWKS host that refuses connections, then comes back", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const clock = makeClock();
    const wh = createGeminiWebhooks({ jwks: { uri: `http://127.0.0.1:${port}/.well-known/jwks.json`, audience: "a" }, now: clock.now, on: { "*": () => {} }, logger: false });
    const iss = await createTestIssuer({ port });
    try {
      await iss.close(); // nothing listens on the port now
      const d = v1a(iss);
      const r = await wh.handle(post(d));
      expect(answer(r)).toEqual([503, "keys_unavailable"]);
      expect(r.error?.scheme).toBe("v1a");
      expect(r.error?.message).toMatch(/unreachable/);
    } finally {
      await iss.close().catch(() => {});
    }
    // back, with the same keys: the sender's retry after the cooldown goes through
    clock.advance(31);
    const back = await createTestIssuer({ port });
    try {
      back.serve(iss.jwks());
      expect(answer(await wh.handle(post(v1a(iss))))).toEqual([200, "received"]);
      expect(back.fetchCount).toBe(1);
    } finally {
      await back.close();
    }
  });

  it("warm cache: a known key verifies while the JWKS is down; an unknown one is 503 (outside the cooldown) or 400 (inside)", () =>
    withIssuer(async (iss) => {
      const clock = makeClock();
      const wh = receiver(iss, { clock });
      await wh.handle(post(v1a(iss)));
      iss.failNext("500", 100);
      expect(answer(await wh.handle(post(v1a(iss))))).toEqual([200, "received"]);
      expect(answer(await wh.handle(post(jwt(iss))))).toEqual([200, "received"]);
      iss.rotate();
      // inside the cooldown nothing is fetched: the unknown key is simply not trusted
      expect(answer(await wh.handle(post(v1a(iss))))).toEqual([400, "signature_mismatch"]);
      clock.advance(31);
      const fetches = iss.fetchCount;
      expect(answer(await wh.handle(post(v1a(iss))))).toEqual([503, "keys_unavailable"]);
      expect(iss.fetchCount).toBe(fetches + 1);
      clock.advance(31);
      expect(answer(await wh.handle(post(jwt(iss))))).toEqual([503, "keys_unavailable"]);
      expect(iss.fetchCount).toBe(fetches + 2);
      iss.heal();
      clock.advance(31);
      expect(answer(await wh.handle(post(v1a(iss))))).toEqual([200, "received"]);
      expect(answer(await wh.handle(post(jwt(iss))))).toEqual([200, "received"]);
    }));

  // The last fetch failed, so the cached keys may be stale: a key they lack is "unknown for now", not
  // forged. DESIGN: "while cooling down with no usable key, deliveries get 503 keys_unavailable at once";
  // "when no cached key verifies and the reload fails, answer 503".
  it("warm cache, within the cooldown of a FAILED refresh: a key the stale set lacks is 503 keys_unavailable, not 400", () =>
    withIssuer(async (iss) => {
      const clock = makeClock();
      const wh = receiver(iss, { clock, logger: false });
      await wh.handle(post(v1a(iss)));
      iss.rotate();
      iss.failNext("500", Infinity);
      clock.advance(31);
      expect(answer(await wh.handle(post(v1a(iss))))).toEqual([503, "keys_unavailable"]); // this one fetched
      const fetches = iss.fetchCount;
      expect(answer(await wh.handle(post(jwt(iss))))).toEqual([503, "keys_unavailable"]);
      expect(answer(await wh.handle(post(v1a(iss))))).toEqual([503, "keys_unavailable"]);
      expect(iss.fetchCount).toBe(fetches);
    }));

  it("a hung JWKS is shared by concurrent deliveries and times out for all of them at once", () =>
    withIssuer(async (iss) => {
      const clock = makeClock();
      const wh = receiver(iss, { clock, jwks: { timeoutMs: 300 } });
      iss.failNext("hang");
      const rs = await Promise.all(Array.from({ length: 10 }, () => wh.handle(post(v1a(iss)))));
      expect(rs.map(answer)).toEqual(rs.map(() => [503, "keys_unavailable"]));
      expect(iss.fetchCount).toBe(1);
      iss.heal();
      clock.advance(31);
      expect(answer(await wh.handle(post(v1a(iss))))).toEqual([200, "received"]);
    }));
});

describe("createTestIssuer", () => {
  it("serves only public keys, on 127.0.0.1, and counts fetches", () =>
    withIssuer(async (iss) => {
      expect(iss.jwksUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json$/);
      const res = await fetch(iss.jwksUri);
      const body = (await res.json()) as { keys: Record<string, unknown>[] };
      expect(body).toEqual(iss.jwks());
      expect(body.keys.map((k) => [k.kty, k.alg, k.use])).toEqual([["OKP", "EdDSA", "sig"], ["RSA", "RS256", "sig"]]);
      for (const k of body.keys) for (const secret of ["d", "p", "q", "dp", "dq", "qi"]) expect(k).not.toHaveProperty(secret);
      expect(iss.fetchCount).toBe(1);
      expect((await fetch(iss.jwksUri.replace("jwks.json", "other"))).status).toBe(404);
      expect(iss.fetchCount).toBe(1);
      iss.failNext("badjson", 2);
      expect(await (await fetch(iss.jwksUri)).text()).toBe("{not json");
      expect(await (await fetch(iss.jwksUri)).text()).toBe("{not json");
      expect(((await (await fetch(iss.jwksUri)).json()) as { keys: unknown[] }).keys).toHaveLength(2);
      const kids = [iss.ed25519.kid, iss.rsa.kid];
      iss.rotate({ keepOld: true });
      expect(iss.jwks().keys.map((k) => k.kid)).toEqual([iss.ed25519.kid, iss.rsa.kid, ...kids]);
      iss.rotate();
      expect(iss.jwks().keys).toHaveLength(2);
    }));
});
