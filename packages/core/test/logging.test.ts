import { afterEach, describe, expect, it, vi } from "vitest";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { fixture, signStatic } from "@gemini-webhooks/testing";
import { inspect } from "node:util";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NOW_S = 1_800_000_000;

afterEach(() => vi.restoreAllMocks());

describe("the default logger (console at warn)", () => {
  it("a handler failure is one console entry with the stack once", async () => {
    const calls: unknown[][] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void calls.push(args));
    vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => void calls.push(args));
    const wh = createGeminiWebhooks({ secret: SECRET, now: () => NOW_S * 1000, on: { "batch.failed": () => Promise.reject(new Error("db down")) } });
    const r = await wh.handle({ ...signStatic({ event: fixture("batch.failed"), secret: SECRET, id: "msg_once", timestamp: NOW_S }), method: "POST" });
    expect(r.status).toBe(500);
    expect(calls).toHaveLength(1);
    // what console prints: every argument, objects inspected as console.error would
    const printed = calls[0]!.map((a) => (typeof a === "string" ? a : inspect(a))).join(" ");
    expect(printed).toContain("msg_once");
    expect(printed.match(/Error: db down/g)).toHaveLength(1);
    expect(printed.match(/\n\s+at /g)?.length ?? 0).toBeGreaterThan(0);
  });
});
