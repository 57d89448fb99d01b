// The answers table (DESIGN.md, "The pipeline and its answers") over real HTTP, for any adapter: each adapter's
// test gives a way to serve a receiver at a URL, and every row is checked against it.
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import type { GeminiWebhooksOptions, IdempotencyStore } from "@gemini-webhooks/core";
import { createTestIssuer, signStatic, type TestIssuer } from "@gemini-webhooks/testing";
import { clock, NOW_S, SECRET, signed } from "../support/receiver.js";
import { deliver, outcome, rawRequest } from "./requests.js";

export interface Served {
  /** The full URL of the webhook route. */
  url: string;
  close(): Promise<void>;
}

/** Serves a receiver made from these options on 127.0.0.1 and gives the route's URL. */
export type Serve = (options: GeminiWebhooksOptions) => Promise<Served>;

const JSON_TYPE = /^application\/json/;

/** Defines one `it` per row of the answers table (call it inside a describe). */
export function answersTable(serve: Serve, options: { name?: string } = {}): void {
  const served: Served[] = [];
  let issuer: TestIssuer;
  const start = async (o: Partial<GeminiWebhooksOptions> = {}) => {
    const s = await serve({ secret: SECRET, now: clock(), logger: false, ...o } as GeminiWebhooksOptions);
    served.push(s);
    return s.url;
  };
  beforeAll(async () => {
    issuer = await createTestIssuer();
  });
  afterAll(() => issuer.close());
  afterEach(async () => {
    await Promise.all(served.splice(0).map((s) => s.close()));
  });
  const label = (row: string) => (options.name ? `${options.name}: ${row}` : row);

  it(label("200 received, then duplicate; 200 ignored for a type without a handler; the handler saw the typed event"), async () => {
    const seen: string[] = [];
    const url = await start({ on: { "batch.succeeded": (e, ctx) => void seen.push(`${e.data.output_file_uri} ${ctx.webhookId}`) } });
    const first = await deliver(url, signed());
    expect([first.status, first.body]).toEqual([200, { status: "received" }]);
    expect(first.headers["content-type"]).toMatch(JSON_TYPE);
    expect(outcome(await deliver(url, signed()))).toBe("duplicate");
    expect(outcome(await deliver(url, signed({ type: "batch.cancelled", data: { id: "c" } }, { id: "msg_ign" })))).toBe("ignored");
    expect(seen).toEqual(["gs://x msg_1"]);
  });

  it(label("409 in_progress while the first copy is in its handler; 200 once it is done"), async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const started = new Promise<void>((r) => (entered = r));
    const url = await start({ on: { "*": () => (entered(), gate) } });
    const first = deliver(url, signed());
    await started;
    const copy = await deliver(url, signed());
    expect([copy.status, outcome(copy)]).toEqual([409, "in_progress"]);
    release();
    expect(outcome(await first)).toBe("received");
  });

  it(label("500 handler_failed (no message or stack in the answer), then the retry is received"), async () => {
    let fail = true;
    const url = await start({ on: { "*": () => { if (fail) { fail = false; throw new Error("db down at secret.ts:1"); } } } });
    const failed = await deliver(url, signed());
    expect([failed.status, outcome(failed)]).toEqual([500, "handler_failed"]);
    expect(JSON.stringify(failed.body)).not.toMatch(/db down|secret\.ts/);
    expect(outcome(await deliver(url, signed()))).toBe("received");
  });

  it(label("400 for missing and malformed headers, a bad signature, stale or future timestamps, non-JSON"), async () => {
    let ran = 0;
    const url = await start({ on: { "*": () => void ran++ } });
    const d = signed();
    const rows: [{ body: string; headers: Record<string, string> }, string][] = [
      [{ body: d.body, headers: { "webhook-id": "a", "webhook-timestamp": String(NOW_S) } }, "missing_header"],
      [{ ...d, headers: { ...d.headers, "webhook-timestamp": "soon" } }, "invalid_header"],
      [{ ...d, headers: { ...d.headers, "webhook-signature": "v9,abc" } }, "unsupported_signature"],
      [{ ...d, body: d.body.replace("gs://x", "gs://evil") }, "signature_mismatch"],
      [signed(undefined, { id: "msg_old", timestamp: NOW_S - 301 }), "timestamp_too_old"],
      [signed(undefined, { id: "msg_new", timestamp: NOW_S + 301 }), "timestamp_too_new"],
      [signStatic({ body: "hello", secret: SECRET, id: "msg_nj", timestamp: NOW_S }), "invalid_json"],
    ];
    for (const [delivery, code] of rows) {
      const r = await deliver(url, delivery);
      expect([r.status, outcome(r)]).toEqual([400, code]);
      expect(r.headers["content-type"]).toMatch(JSON_TYPE);
    }
    expect(ran).toBe(0);
  });

  it(label("405 method_not_allowed with allow: POST for other methods"), async () => {
    const url = await start();
    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
      const r = await deliver(url, signed(), method);
      expect([method, r.status, outcome(r), r.headers.allow]).toEqual([method, 405, "method_not_allowed", "POST"]);
    }
  });

  it(label("413 body_too_large: by content-length, and while a chunked body streams past the limit"), async () => {
    let ran = 0;
    const url = await start({ maxBodyBytes: 1024, on: { "*": () => void ran++ } });
    const big = signed({ type: "batch.succeeded", data: { id: "b", pad: "p".repeat(4000) } });
    const byLength = await deliver(url, big);
    expect([byLength.status, outcome(byLength)]).toEqual([413, "body_too_large"]);
    expect(byLength.body.error.message).toMatch(/1024/);
    // no content-length: the answer comes as soon as 1024 bytes have passed, the request never ends
    const streamed = await rawRequest(url, { headers: { ...big.headers, "transfer-encoding": "chunked" }, chunks: [big.body], end: false });
    expect([streamed.status, outcome(streamed), streamed.headers.connection]).toEqual([413, "body_too_large", "close"]);
    expect(ran).toBe(0);
  });

  it(label("408 body_timeout when the body stops arriving (readTimeoutMs), connection closed"), async () => {
    const url = await start({ readTimeoutMs: 300 });
    const d = signed();
    const r = await rawRequest(url, { headers: { ...d.headers, "content-length": String(d.body.length) }, chunks: [d.body.slice(0, 10)], end: false });
    expect([r.status, outcome(r), r.headers.connection]).toEqual([408, "body_timeout", "close"]);
  });

  it(label("503 store_unavailable when the idempotency store is down; no handler runs"), async () => {
    let ran = 0;
    const down: IdempotencyStore = {
      claim: async () => {
        throw new Error("ECONNREFUSED 127.0.0.1:6379");
      },
      complete: async () => {},
      release: async () => {},
    };
    const url = await start({ idempotency: down, on: { "*": () => void ran++ } });
    const r = await deliver(url, signed());
    expect([r.status, outcome(r)]).toEqual([503, "store_unavailable"]);
    expect(JSON.stringify(r.body)).not.toMatch(/ECONNREFUSED/);
    expect(ran).toBe(0);
  });

  it(label("503 keys_unavailable when the JWKS cannot be fetched (v1a); 200 once it answers again"), async () => {
    let now = NOW_S * 1000;
    const url = await start({ now: () => now, jwks: issuer.jwksOptions({ cooldownMs: 1000 }) });
    const v1a = (id: string) => issuer.signV1a({ event: { type: "batch.succeeded", data: { id } }, id, timestamp: NOW_S });
    issuer.failNext("500");
    const r = await deliver(url, v1a("msg_k"));
    expect([r.status, outcome(r)]).toEqual([503, "keys_unavailable"]);
    now += 2000; // past the cooldown: the next delivery may fetch the keys again
    const again = await deliver(url, v1a("msg_k"));
    expect(outcome(again)).toBe("ignored");
  });
}
