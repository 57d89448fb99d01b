import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGeminiWebhooks, type WebhookContext } from "@gemini-webhooks/core";
import { createTestIssuer, fixture, signStatic, type TestIssuer } from "@gemini-webhooks/testing";
import { ADAPTERS, mount, type MountedApp } from "../support/apps.js";
import { row, send, type Delivery } from "../support/http.js";
import { recordingLogger } from "../support/logger.js";
import { NOW_S, SECRET } from "../support/receiver.js";

// Issue #12, cases 1–3: a JWT is deduped on signed material only (its jti, else the SHA-256 of its signing
// input), in its own key space, over real HTTP on every adapter.

/** The same token with the unused low bits of the signature's last base64url character flipped. */
function respell(token: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const sig = token.slice(token.lastIndexOf(".") + 1);
  const bytes = Buffer.from(sig, "base64url").length;
  const unusedBits = (sig.length * 6) - bytes * 8; // 256-byte RS256 signature: 342 chars, 4 unused bits
  expect(unusedBits).toBeGreaterThan(0);
  const last = alphabet.indexOf(sig.at(-1)!);
  const other = alphabet[last ^ ((1 << unusedBits) - 1)]!;
  const out = token.slice(0, -1) + other;
  expect(out).not.toBe(token);
  expect(Buffer.from(out.slice(out.lastIndexOf(".") + 1), "base64url")).toEqual(Buffer.from(sig, "base64url"));
  return out;
}

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(() => issuer?.close());

describe.each(ADAPTERS)("%s", (adapter) => {
  let app: MountedApp;
  const runs: Array<{ id: string; scheme: string; dataId: string }> = [];
  const failFirst = new Set<string>();
  beforeAll(async () => {
    const webhooks = createGeminiWebhooks({
      secret: SECRET,
      jwks: issuer.jwksOptions(),
      now: () => NOW_S * 1000,
      logger: recordingLogger(),
      on: {
        "*": (e, ctx: WebhookContext) => {
          runs.push({ id: ctx.webhookId, scheme: ctx.scheme, dataId: String((e.data as { id?: unknown }).id) });
          if (failFirst.delete(String((e.data as { id?: unknown }).id))) throw new Error("database briefly down");
        },
      },
    });
    app = await mount(adapter, webhooks);
  });
  afterAll(() => app?.close());
  const ran = (dataId: string) => runs.filter((r) => r.dataId === dataId);

  it("(1) a captured JWT (with jti) resent with a fresh or missing webhook-id is a duplicate; the handler ran once", async () => {
    const d = issuer.signJwt({ event: fixture("batch.succeeded", { id: `b1-${adapter}` }), timestamp: NOW_S, id: `msg_jwt1_${adapter}` });
    expect(d.claims.jti).toBe(`msg_jwt1_${adapter}`);
    expect(row(await send(app.url, d))).toEqual([200, "received"]);
    const fresh: Delivery = { ...d, headers: { ...d.headers, "webhook-id": "msg_attacker_fresh" } };
    expect(row(await send(app.url, fresh))).toEqual([200, "duplicate"]);
    const { "webhook-id": _gone, ...noId } = d.headers;
    expect(row(await send(app.url, { ...d, headers: noId }))).toEqual([200, "duplicate"]);
    expect(ran(`b1-${adapter}`)).toEqual([{ id: `msg_jwt1_${adapter}`, scheme: "jwt", dataId: `b1-${adapter}` }]);
  });

  it("(1b) without a jti: keyed on the hash of the signing input, so a fresh webhook-id is still a duplicate", async () => {
    const d = issuer.signJwt({ event: fixture("batch.succeeded", { id: `b1b-${adapter}` }), timestamp: NOW_S, claims: { jti: undefined } });
    expect(row(await send(app.url, d))).toEqual([200, "received"]);
    expect(row(await send(app.url, { ...d, headers: { ...d.headers, "webhook-id": "msg_attacker_fresh2" } }))).toEqual([200, "duplicate"]);
    expect(ran(`b1b-${adapter}`)).toHaveLength(1);
  });

  it("(2) suppression: a JWT sent with webhook-id X cannot occupy X; X's genuine retry runs", async () => {
    const x = `msg_x_${adapter}`;
    const genuine = signStatic({ event: fixture("batch.succeeded", { id: `bx-${adapter}` }), secret: SECRET, id: x, timestamp: NOW_S });
    failFirst.add(`bx-${adapter}`);
    expect(row(await send(app.url, genuine))).toEqual([500, "handler_failed"]);
    // the attacker replays a captured JWT (another event) with webhook-id: X while X awaits its retry
    const captured = issuer.signJwt({ event: fixture("batch.succeeded", { id: `bj-${adapter}` }), timestamp: NOW_S });
    expect(row(await send(app.url, { ...captured, headers: { ...captured.headers, "webhook-id": x } }))).toEqual([200, "received"]);
    expect(ran(`bj-${adapter}`).map((r) => [r.scheme, r.id])).toEqual([["jwt", captured.claims.jti]]);
    // X's genuine retry is processed, not answered "duplicate"
    expect(row(await send(app.url, genuine))).toEqual([200, "received"]);
    expect(ran(`bx-${adapter}`).map((r) => [r.scheme, r.id])).toEqual([["v1", x], ["v1", x]]);
  });

  it("(3) a re-spelled signature segment (unused low bits flipped; still verifies) is the same delivery", async () => {
    const d = issuer.signJwt({ event: fixture("batch.succeeded", { id: `b3-${adapter}` }), timestamp: NOW_S, claims: { jti: undefined } });
    const other = respell(d.token);
    expect(row(await send(app.url, d))).toEqual([200, "received"]);
    expect(row(await send(app.url, { ...d, headers: { ...d.headers, "webhook-signature": other, "webhook-id": "msg_other" } }))).toEqual([200, "duplicate"]);
    // re-spelled first, original second: the same
    const e = issuer.signJwt({ event: fixture("batch.succeeded", { id: `b3b-${adapter}` }), timestamp: NOW_S, claims: { jti: undefined } });
    expect(row(await send(app.url, { ...e, headers: { ...e.headers, "webhook-signature": respell(e.token) } }))).toEqual([200, "received"]);
    expect(row(await send(app.url, e))).toEqual([200, "duplicate"]);
    expect(ran(`b3-${adapter}`)).toHaveLength(1);
    expect(ran(`b3b-${adapter}`)).toHaveLength(1);
  });
});
