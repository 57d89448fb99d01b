import { afterEach, describe, expect, it } from "vitest";
import { createGeminiWebhooks, type GeminiWebhooksOptions } from "@gemini-webhooks/core";
import { createSender, createTestIssuer, fixture, generateSecret, type SenderOptions } from "@gemini-webhooks/testing";
import { rawServer, seeded, sleep } from "../../../test/support/sender.js";

const SECRET = generateSecret();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function server(reply: Parameters<typeof rawServer>[0]) {
  const s = await rawServer(reply);
  closers.push(s.close);
  return s;
}

/** A real receiver (core's pipeline) behind node:http. */
async function coreServer(options: Partial<GeminiWebhooksOptions>) {
  const webhooks = createGeminiWebhooks({ secret: SECRET, ...options } as GeminiWebhooksOptions);
  return server(async (req) => {
    const r = await webhooks.handle({ body: req.body, headers: req.headers as Record<string, string>, method: "POST" });
    return { status: r.status, body: JSON.stringify(r.body) };
  });
}

/** Backoff waits are recorded, not slept: the only thing mocked is the clock. */
function fakeSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

const send = (o: Partial<SenderOptions> & { url: string }) => createSender({ secret: SECRET, ...o });

describe("createSender: delivering like Gemini", () => {
  it("signs with v1 and a 2xx is one attempt; core verifies it and the handler gets the event", async () => {
    const seen: { type: string; id: string }[] = [];
    const s = await coreServer({ on: { "*": (e, ctx) => void seen.push({ type: e.type, id: ctx.webhookId }) } });
    const report = await send({ url: s.url }).send(fixture("batch.succeeded"));
    expect(report).toMatchObject({ type: "batch.succeeded", delivered: true, duplicates: [], scheduleMs: 0 });
    expect(report.attempts).toHaveLength(1);
    expect(report.attempts[0]).toMatchObject({ n: 1, kind: "delivery", outcome: "ok", status: 200, answer: "received", delayMs: 0 });
    expect(seen).toEqual([{ type: "batch.succeeded", id: report.id }]);
    expect(s.requests[0]!.headers["webhook-signature"]).toMatch(/^v1,/);
  });

  it("retries every non-2xx and every timeout, re-signing each attempt with a fresh timestamp under the same webhook-id", async () => {
    const script = [
      { status: 500, body: '{"error":{"code":"handler_failed","message":"boom"}}' },
      { status: 409, body: '{"error":{"code":"in_progress","message":"busy"}}' },
      { status: 400, body: '{"error":{"code":"timestamp_too_old","message":"old"}}' },
      { status: 503, body: "upstream unavailable" },
      "stall",
      { status: 302, body: "" },
      { status: 202, body: '{"status":"received"}' },
    ] as const;
    const s = await server(async (_req, n) => {
      const step = script[n - 1]!;
      if (step === "stall") {
        await sleep(400);
        return { status: 200, body: '{"status":"received"}' };
      }
      return step;
    });
    let t = 1_800_000_000_000;
    const clock = fakeSleep();
    const report = await send({ url: s.url, now: () => (t += 7_000), sleep: clock.sleep, retry: { timeoutMs: 150, jitter: 0 } }).send(fixture("batch.failed"));
    expect(report.delivered).toBe(true);
    expect(report.attempts.map((a) => [a.outcome, a.status, a.answer])).toEqual([
      ["rejected", 500, "handler_failed"],
      ["rejected", 409, "in_progress"],
      ["rejected", 400, "timestamp_too_old"],
      ["rejected", 503, "upstream unavailable"],
      ["timeout", undefined, undefined],
      ["rejected", 302, undefined],
      ["ok", 202, "received"],
    ]);
    expect(report.attempts[0]!.message).toBe("boom");
    expect(s.requests.map((r) => r.body)).toEqual(Array(7).fill(s.requests[0]!.body));
    const ids = new Set(s.requests.map((r) => r.headers["webhook-id"]));
    expect([...ids]).toEqual([report.id]);
    const stamps = s.requests.map((r) => Number(r.headers["webhook-timestamp"]));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(new Set(stamps).size).toBe(7);
    expect(new Set(s.requests.map((r) => r.headers["webhook-signature"])).size).toBe(7);
    // every attempt's signature is valid for its own timestamp
    for (const r of s.requests) {
      const verifier = createGeminiWebhooks({ secret: SECRET, now: () => Number(r.headers["webhook-timestamp"]) * 1000 });
      await expect(verifier.verify({ body: r.body, headers: r.headers as Record<string, string> })).resolves.toMatchObject({ type: "batch.failed" });
    }
    expect(clock.waits).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000]);
  });

  it("backs off exponentially with jitter, capped, scaled by timeScale, and gives up after maxAttempts", async () => {
    const s = await server(() => ({ status: 500, body: '{"error":{"code":"handler_failed","message":"no"}}' }));
    const run = async (r: number) => {
      const clock = fakeSleep();
      const report = await send({
        url: s.url,
        random: () => r,
        sleep: clock.sleep,
        retry: { maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 5000, jitter: 0.5, timeScale: 0.5 },
      }).send(fixture("batch.expired"));
      return { report, waits: clock.waits };
    };
    const mid = await run(0.5);
    expect(mid.report.attempts.map((a) => a.delayMs)).toEqual([0, 1000, 2000, 4000, 5000, 5000]);
    expect(mid.waits).toEqual([500, 1000, 2000, 2500, 2500]);
    expect(mid.report).toMatchObject({ delivered: false, gaveUp: "max_attempts", scheduleMs: 17_000 });
    const low = await run(0);
    expect(low.report.attempts.map((a) => a.delayMs)).toEqual([0, 500, 1000, 2000, 2500, 2500]);
    const high = await run(0.999999);
    expect(high.report.attempts.map((a) => a.delayMs)).toEqual([0, 1500, 3000, 6000, 7500, 7500]);
  });

  it("keeps retrying for Gemini's 24 h horizon, then gives up (default schedule: 5 s doubling to 1 h)", async () => {
    const s = await server(() => ({ status: 503, body: "down" }));
    const clock = fakeSleep();
    const report = await send({ url: s.url, random: () => 0.5, sleep: clock.sleep }).send(fixture("batch.succeeded"));
    expect(report.gaveUp).toBe("horizon");
    expect(report.attempts).toHaveLength(33);
    expect(report.scheduleMs).toBeLessThanOrEqual(24 * 3600_000);
    expect(report.scheduleMs + 3600_000).toBeGreaterThan(24 * 3600_000);
    expect(clock.waits.slice(0, 4)).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(Math.max(...clock.waits)).toBe(3600_000);

    const short = await send({ url: s.url, random: () => 0.5, sleep: fakeSleep().sleep, retry: { baseDelayMs: 3600_000, maxDelayMs: 6 * 3600_000 } }).send(fixture("batch.succeeded"));
    expect(short.attempts.map((a) => a.delayMs / 3600_000)).toEqual([0, 1, 2, 4, 6, 6]);
    expect(short).toMatchObject({ gaveUp: "horizon", scheduleMs: 19 * 3600_000 });
  });

  it("a handler slower than the timeout: the retry sees 409 in_progress, then 200 duplicate; the effect happens once", async () => {
    let runs = 0;
    let effects = 0;
    const s = await coreServer({
      on: {
        "*": async () => {
          runs++;
          await sleep(300);
          effects++;
        },
      },
    });
    const report = await send({ url: s.url, retry: { timeoutMs: 100, baseDelayMs: 40, jitter: 0 } }).send(fixture("video.generated"));
    expect(report.delivered).toBe(true);
    const answers = report.attempts.map((a) => a.answer ?? a.outcome);
    expect(answers[0]).toBe("timeout");
    expect(answers).toContain("in_progress");
    expect(answers[answers.length - 1]).toBe("duplicate");
    expect([runs, effects]).toEqual([1, 1]);
  });

  it("network errors count as failures: a refused connection, and an injected reset", async () => {
    const gone = await rawServer(() => ({ status: 200 }));
    await gone.close();
    const refused = await send({ url: gone.url, sleep: fakeSleep().sleep, retry: { maxAttempts: 2 } }).send(fixture("batch.succeeded"));
    expect(refused).toMatchObject({ delivered: false, gaveUp: "max_attempts" });
    expect(refused.attempts.map((a) => [a.outcome, a.message])).toEqual([
      ["network_error", "ECONNREFUSED"],
      ["network_error", "ECONNREFUSED"],
    ]);

    const s = await coreServer({ on: { "*": () => {} } });
    let calls = 0;
    const faulty: typeof fetch = (input, init) => {
      if (++calls === 1) return Promise.reject(new TypeError("fetch failed", { cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }) }));
      return fetch(input, init);
    };
    const sender = send({ url: s.url, fetch: faulty, sleep: fakeSleep().sleep });
    const report = await sender.send(fixture("batch.succeeded"));
    expect(report.attempts.map((a) => a.outcome)).toEqual(["network_error", "ok"]);
    expect(report.attempts[0]!.message).toBe("ECONNRESET: socket hang up");
    expect(sender.stats).toMatchObject({ attempts: 2, retries: 1, networkErrors: 1, delivered: 1 });
  });

  it("injects duplicates (same webhook-id, fresh signature, after delivery): the receiver dedupes them", async () => {
    const effects = new Map<string, number>();
    const s = await coreServer({ on: { "*": (_e, ctx) => void effects.set(ctx.webhookId, (effects.get(ctx.webhookId) ?? 0) + 1) } });
    const sender = send({ url: s.url, duplicateRate: 1, retry: { baseDelayMs: 20 } });
    const events = Array.from({ length: 20 }, (_, i) => fixture("batch.succeeded", { id: `batches/d${i}` }));
    const reports = await sender.send(events);
    expect(reports.every((r) => r.delivered && r.duplicates.length === 1)).toBe(true);
    expect(reports.map((r) => [r.duplicates[0]!.kind, r.duplicates[0]!.status, r.duplicates[0]!.answer])).toEqual(Array(20).fill(["duplicate", 200, "duplicate"]));
    expect([...effects.values()]).toEqual(Array(20).fill(1));
    expect(s.requests).toHaveLength(40);
    for (const r of reports) {
      const sent = s.requests.filter((q) => q.headers["webhook-id"] === r.id);
      expect(sent).toHaveLength(2);
      expect(sent[0]!.body).toBe(sent[1]!.body);
    }
    expect(sender.stats).toMatchObject({ deliveries: 20, delivered: 20, attempts: 20, duplicatesSent: 20, answers: { "200 received": 20, "200 duplicate": 20 } });

    const none = await send({ url: s.url, duplicateRate: 0 }).send(events.slice(0, 5));
    expect(none.every((r) => r.duplicates.length === 0)).toBe(true);
  });

  it("reorders: a shuffled batch, or shuffles within windows; without it, input order; reports stay in input order", async () => {
    const arrived: number[] = [];
    const s = await coreServer({ on: { "*": (e) => void arrived.push(Number(String(e.data.id).slice(1))) } });
    const events = Array.from({ length: 30 }, (_, i) => fixture("batch.cancelled", { id: `b${i}` }));
    const inOrder = Array.from({ length: 30 }, (_, i) => i);

    await send({ url: s.url, concurrency: 1 }).send(events);
    expect(arrived.splice(0)).toEqual(inOrder);

    const reports = await send({ url: s.url, concurrency: 1, reorder: true, random: seeded(7) }).send(events);
    const shuffled = arrived.splice(0);
    expect(shuffled).not.toEqual(inOrder);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(inOrder);
    expect(reports.map((r) => r.type)).toEqual(Array(30).fill("batch.cancelled"));

    await send({ url: s.url, concurrency: 1, reorder: 5, random: seeded(11) }).send(events);
    const windowed = arrived.splice(0);
    expect(windowed).not.toEqual(inOrder);
    expect(windowed.map((v, i) => Math.floor(v / 5) === Math.floor(i / 5))).toEqual(Array(30).fill(true));
  });

  it("keeps at most `concurrency` attempts in flight", async () => {
    let inFlight = 0;
    let most = 0;
    const s = await server(async () => {
      most = Math.max(most, ++inFlight);
      await sleep(15);
      inFlight--;
      return { status: 200, body: '{"status":"received"}' };
    });
    const reports = await send({ url: s.url, concurrency: 3 }).send(Array.from({ length: 24 }, () => fixture("batch.expired")));
    expect(reports.every((r) => r.delivered)).toBe(true);
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBeGreaterThan(1);
  });

  it("signs dynamic deliveries with a test issuer: v1a (as delivered) and JWT (as documented)", async () => {
    const issuer = await createTestIssuer();
    closers.push(() => issuer.close());
    const schemes: string[] = [];
    const s = await coreServer({ secret: undefined, jwks: issuer.jwksOptions(), on: { "*": (_e, ctx) => void schemes.push(ctx.scheme) } });
    const v1a = await createSender({ url: s.url, issuer }).send(fixture("interaction.completed"));
    const jwt = await createSender({ url: s.url, issuer, scheme: "jwt" }).send(fixture("interaction.failed"));
    expect([v1a.delivered, jwt.delivered]).toEqual([true, true]);
    expect(schemes).toEqual(["v1a", "jwt"]);
    expect(s.requests[0]!.headers["webhook-signature"]).toMatch(/^v1a,/);
    expect(s.requests[1]!.headers["webhook-signature"]).toMatch(/^eyJ/);
  });

  it("sends an exact body given as a string", async () => {
    const s = await coreServer({ on: { "*": () => {} } });
    const body = '{"type":"batch.expired","data":{"id":"b-raw"},  "extra":true}';
    const report = await send({ url: s.url }).send(body);
    expect([report.type, report.delivered, s.requests[0]!.body]).toEqual(["batch.expired", true, body]);
  });

  it("rejects bad options at construction", () => {
    expect(() => createSender({ url: "not a url", secret: SECRET })).toThrow(/valid URL/);
    expect(() => createSender({ url: "ftp://x/y", secret: SECRET })).toThrow(/http/);
    expect(() => createSender({ url: "http://127.0.0.1:1/" })).toThrow(/issuer/);
    expect(() => createSender({ url: "http://127.0.0.1:1/", scheme: "v1" })).toThrow(/secret/);
    expect(() => createSender({ url: "http://127.0.0.1:1/", secret: SECRET, duplicateRate: 2 })).toThrow(/duplicateRate/);
    expect(() => createSender({ url: "http://127.0.0.1:1/", secret: SECRET, retry: { jitter: -1 } })).toThrow(/jitter/);
    expect(() => createSender({ url: "http://127.0.0.1:1/", secret: SECRET, retry: { maxAttempts: 0 } })).toThrow(/maxAttempts/);
  });
});
