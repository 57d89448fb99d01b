import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { readNodeBody } from "@gemini-webhooks/core/node";
import { WebhookVerificationError } from "@gemini-webhooks/core";

/** A request stream as node:http hands it over (headers, then the body as it arrives). */
function stream(headers: Record<string, string> = {}) {
  const s = new PassThrough() as PassThrough & { headers: Record<string, string> };
  s.headers = headers;
  return s;
}

const opts = (timeoutMs: number, limit = 1 << 20) => ({ limit, timeoutMs, framework: "node" as const });

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "read",
    (e: unknown) => (e instanceof WebhookVerificationError ? e.code : (e as Error).name),
  );

describe("readNodeBody: read deadlines, limit, aborts", () => {
  it("each read gets its own deadline: the stalled ones time out, the others are read", async () => {
    const a = stream();
    const b = stream();
    const c = stream();
    const started = Date.now();
    const ra = readNodeBody(a, opts(150));
    const rb = codeOf(readNodeBody(b, opts(150)));
    const rc = readNodeBody(c, opts(150));
    a.end("first");
    c.write("third, ");
    setTimeout(() => c.end("in two parts"), 50);
    expect(Buffer.from(await ra).toString()).toBe("first");
    expect(Buffer.from(await rc).toString()).toBe("third, in two parts");
    // a read started later than b stalls too: it times out on its own deadline, not b's
    await new Promise((r) => setTimeout(r, 60));
    const d = stream();
    const dStarted = Date.now();
    const rd = codeOf(readNodeBody(d, opts(150)));
    expect(await rb).toBe("body_timeout");
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(await rd).toBe("body_timeout");
    expect(Date.now() - dStarted).toBeGreaterThanOrEqual(140);
  });

  it("different readTimeoutMs values keep separate deadlines", async () => {
    const slow = stream();
    const fast = stream();
    const started = Date.now();
    const rs = codeOf(readNodeBody(slow, opts(400)));
    const rf = codeOf(readNodeBody(fast, opts(80)));
    expect(await rf).toBe("body_timeout");
    const fastAfter = Date.now() - started;
    expect(fastAfter).toBeLessThan(350);
    slow.end("made it");
    expect(await rs).toBe("read");
  });

  it("a body over the limit is refused at once; a later error or close on the stream is absorbed", async () => {
    const s = stream();
    const r = codeOf(readNodeBody(s, opts(1000, 10)));
    s.write("0123456789ab");
    expect(await r).toBe("body_too_large");
    s.destroy(new Error("socket reset after the answer"));
    await new Promise((res) => setImmediate(res));
    const ok = stream();
    const r2 = readNodeBody(ok, opts(1000));
    ok.end("{}");
    expect(Buffer.from(await r2).toString()).toBe("{}");
  });

  it("a client that goes away mid-body is a ClientAbortError, not a timeout", async () => {
    const s = stream();
    const r = codeOf(readNodeBody(s, opts(1000)));
    s.write("part");
    s.destroy();
    expect(await r).toBe("ClientAbortError");
  });
});
