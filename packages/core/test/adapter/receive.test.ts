import { describe, expect, it, vi } from "vitest";
import { ClientAbortError, receive } from "@gemini-webhooks/core/adapter";
import { WebhookVerificationError } from "@gemini-webhooks/core";
import { receiver, signed } from "../../../../test/support/receiver.js";

/** receive() over every shape an adapter's body() may give: the body in hand, a promise, another thenable, a throw. */
describe("receive: the body as an adapter gives it", () => {
  const delivery = () => signed(undefined, { id: `msg_${Math.random().toString(36).slice(2)}` });

  it("a body in hand (string or bytes) goes to handle() and is answered", async () => {
    const handler = vi.fn();
    const wh = receiver({ on: { "batch.succeeded": handler } });
    const a = delivery();
    const b = delivery();
    expect((await receive(wh, { method: "POST", headers: a.headers, body: () => a.body })).body).toEqual({ status: "received" });
    expect((await receive(wh, { method: "POST", headers: b.headers, body: () => new TextEncoder().encode(b.body) })).body).toEqual({ status: "received" });
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it("a promise, a thenable that is not a Promise, and an ArrayBuffer are each read and answered", async () => {
    const handler = vi.fn();
    const wh = receiver({ on: { "batch.succeeded": handler } });
    const [a, b, c] = [delivery(), delivery(), delivery()];
    const thenable = { then: (ok: (v: string) => void) => ok(b.body) };
    const answers = await Promise.all([
      receive(wh, { method: "POST", headers: a.headers, body: () => Promise.resolve(a.body) }),
      receive(wh, { method: "POST", headers: b.headers, body: () => thenable as unknown as Promise<string> }),
      receive(wh, { method: "POST", headers: c.headers, body: () => new TextEncoder().encode(c.body).buffer as unknown as Uint8Array }),
    ]);
    expect(answers.map((r) => r.body)).toEqual([{ status: "received" }, { status: "received" }, { status: "received" }]);
    expect(handler).toHaveBeenCalledTimes(3);
  });

  it("a read that throws or rejects is answered with its code; a client abort is marked aborted; no handler runs", async () => {
    const handler = vi.fn();
    const wh = receiver({ on: { "batch.succeeded": handler }, logger: false });
    const d = delivery();
    const tooLarge = () => new WebhookVerificationError("body_too_large", "too large");
    const thrown = await receive(wh, { method: "POST", headers: d.headers, body: () => { throw tooLarge(); } });
    const rejected = await receive(wh, { method: "POST", headers: d.headers, body: () => Promise.reject(tooLarge()) });
    const aborted = await receive(wh, { method: "POST", headers: d.headers, body: () => Promise.reject(new ClientAbortError()) });
    expect([thrown.status, rejected.status]).toEqual([413, 413]);
    expect((rejected.body as { error: { code: string } }).error.code).toBe("body_too_large");
    expect(aborted.aborted).toBe(true);
    expect(handler).not.toHaveBeenCalled();
  });

  it("another method is 405 and the body is never read", async () => {
    const body = vi.fn(() => "");
    const result = await receive(receiver(), { method: "GET", headers: {}, body });
    expect(result.status).toBe(405);
    expect(result.headers.allow).toBe("POST");
    expect(body).not.toHaveBeenCalled();
  });
});
