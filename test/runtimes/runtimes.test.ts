// The runtime matrix: core's fetch() served by Node, Bun, Deno and Cloudflare's workerd (each from its npm
// package, offline), driven over real HTTP from here. v1 (HMAC), v1a (Ed25519) and JWT against a local JWKS on
// 127.0.0.1 are accepted; tampered deliveries are refused before any handler runs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestIssuer, fixture, generateSecret, signStatic, type TestIssuer } from "@gemini-webhooks/testing";
import { ensureBuilt } from "../support/build.js";
import { RUNTIMES, startServer, type Server } from "./servers.js";

const SECRET = generateSecret();
let issuer: TestIssuer;

beforeAll(async () => {
  ensureBuilt("core", "hono");
  issuer = await createTestIssuer({ audience: "runtime-matrix" });
});
afterAll(() => issuer?.close());

type Delivery = { body: string; headers: Record<string, string> };
const event = (id: string) => ({ ...fixture("batch.succeeded"), data: { ...fixture("batch.succeeded").data, id } });

describe.each(RUNTIMES)("%s", (runtime) => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer(runtime, { SECRET, JWKS_URI: issuer.jwksUri, AUDIENCE: issuer.audience, ISSUER: issuer.issuer });
  }, 60_000);
  afterAll(() => server?.stop());

  async function post(path: string, d: Delivery) {
    const res = await fetch(server.url + path, { method: "POST", headers: d.headers, body: d.body });
    const body = (await res.json()) as { status?: string; error?: { code: string } };
    return [res.status, body.status ?? body.error?.code];
  }

  it("is served by that runtime", async () => {
    expect(await (await fetch(`${server.url}/runtime`)).json()).toMatch(new RegExp(`^${runtime}\\b`));
  });

  for (const route of ["core", "hono"] as const) {
    it(`${route}: v1, v1a and JWT accepted, duplicates answered, tampered deliveries refused`, async () => {
      const id = (kind: string) => `${runtime}-${route}-${kind}`;
      const v1 = signStatic({ event: event(id("v1")), secret: SECRET });
      const v1a = issuer.signV1a({ event: event(id("v1a")) });
      const jwt = issuer.signJwt({ event: event(id("jwt")) });
      expect(await post(`/${route}`, v1)).toEqual([200, "received"]);
      expect(await post(`/${route}`, v1a)).toEqual([200, "received"]);
      expect(await post(`/${route}`, jwt)).toEqual([200, "received"]);
      expect(await post(`/${route}`, v1)).toEqual([200, "duplicate"]);

      const forged = (d: Delivery): Delivery => ({ ...d, body: d.body.replace(`${runtime}-`, `${runtime}-forged-`) });
      expect(await post(`/${route}`, forged(signStatic({ event: event(id("t1")), secret: SECRET })))).toEqual([400, "signature_mismatch"]);
      expect(await post(`/${route}`, forged(issuer.signV1a({ event: event(id("t2")) })))).toEqual([400, "signature_mismatch"]);
      expect(await post(`/${route}`, forged(issuer.signJwt({ event: event(id("t3")) })))).toEqual([400, "body_mismatch"]);
      const big = signStatic({ event: { ...event(id("big")), pad: "p".repeat(5000) }, secret: SECRET });
      expect(await post(`/${route}`, big)).toEqual([413, "body_too_large"]);

      const seen = (await (await fetch(`${server.url}/seen`)).json()) as { route: string }[];
      expect(seen.filter((s) => s.route === route)).toEqual([
        { route, type: "batch.succeeded", id: id("v1"), scheme: "v1" },
        { route, type: "batch.succeeded", id: id("v1a"), scheme: "v1a" },
        { route, type: "batch.succeeded", id: id("jwt"), scheme: "jwt" },
      ]);
    });
  }

  it("hono: other methods get 405 with allow: POST", async () => {
    const res = await fetch(`${server.url}/hono`, { method: "PUT", body: "{}" });
    expect([res.status, res.headers.get("allow"), ((await res.json()) as { error: { code: string } }).error.code]).toEqual([405, "POST", "method_not_allowed"]);
  });
});
