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
  ensureBuilt("core");
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

  it("core's fetch(): v1, v1a and JWT accepted, duplicates answered, tampered deliveries refused", async () => {
    const v1 = signStatic({ event: event(`${runtime}-v1`), secret: SECRET });
    const v1a = issuer.signV1a({ event: event(`${runtime}-v1a`) });
    const jwt = issuer.signJwt({ event: event(`${runtime}-jwt`) });
    expect(await post("/core", v1)).toEqual([200, "received"]);
    expect(await post("/core", v1a)).toEqual([200, "received"]);
    expect(await post("/core", jwt)).toEqual([200, "received"]);
    expect(await post("/core", v1)).toEqual([200, "duplicate"]);

    const forged = (d: Delivery, id: string): Delivery => ({ ...d, body: d.body.replace(`${runtime}-`, `${runtime}-forged-`), headers: { ...d.headers, "webhook-id": id } });
    expect(await post("/core", forged(signStatic({ event: event(`${runtime}-t1`), secret: SECRET }), "t1"))).toEqual([400, "signature_mismatch"]);
    expect(await post("/core", forged(issuer.signV1a({ event: event(`${runtime}-t2`) }), "t2"))).toEqual([400, "signature_mismatch"]);
    expect(await post("/core", { ...jwt, body: jwt.body.replace(`${runtime}-jwt`, `${runtime}-forged`) })).toEqual([400, "body_mismatch"]);

    const seen = (await (await fetch(`${server.url}/seen`)).json()) as { route: string; id: string; scheme: string }[];
    expect(seen).toEqual([
      { route: "core", type: "batch.succeeded", id: `${runtime}-v1`, scheme: "v1" },
      { route: "core", type: "batch.succeeded", id: `${runtime}-v1a`, scheme: "v1a" },
      { route: "core", type: "batch.succeeded", id: `${runtime}-jwt`, scheme: "jwt" },
    ]);
  });
});
