import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import type { GeminiWebhooksOptions } from "@gemini-webhooks/core";
import { createSender, fixture, generateSecret } from "@gemini-webhooks/testing";
import { formatStats } from "../../packages/cli/src/stats.js";
import { seeded, sleep } from "../support/sender.js";

// The fault test of the issue: the sender delivers 5,000 events to examples/express, whose handler fails
// 30% of the time at random and stalls past the sender's timeout 5% of the time, with 10% duplicates
// injected. Every event's effect must happen exactly once, and none may be lost.
const appPath = new URL("../../examples/express/app.mjs", import.meta.url).href;

const EVENTS = 5_000;
const FAIL_RATE = 0.3;
const STALL_RATE = 0.05;
const DUPLICATE_RATE = 0.1;
const TIMEOUT_MS = 500;
const STALL_MS = TIMEOUT_MS + 200;
const SEED = Number(process.env.FAULT_SEED ?? 20260122);

describe("fault: 5,000 events to examples/express through a flaky, stalling handler", () => {
  it("every event's effect happens exactly once, none is lost, and the run prints its retry statistics", { timeout: 120_000 }, async () => {
    const random = seeded(SEED);
    const secret = generateSecret();
    const effects = new Map<string, number>(); // event data.id -> times the effect happened
    const handler = { runs: 0, failures: 0, stalls: 0, running: 0 };

    const { createApp } = (await import(appPath)) as { createApp: (o: GeminiWebhooksOptions) => { listen(port: number, host: string): Server } };
    const app = createApp({
      secret,
      on: {
        "*": async (event) => {
          handler.runs++;
          handler.running++;
          try {
            if (random() < STALL_RATE) {
              handler.stalls++;
              await sleep(STALL_MS); // the sender has given this attempt up by now
            }
            if (random() < FAIL_RATE) {
              handler.failures++;
              throw new Error("injected failure");
            }
            // the effect: recorded only when the handler succeeds
            const id = String(event.data.id);
            effects.set(id, (effects.get(id) ?? 0) + 1);
          } finally {
            handler.running--;
          }
        },
      },
    });
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gemini-callback`;
      const sender = createSender({
        url,
        secret,
        // Gemini's schedule (5 s doubling to 1 h, for 24 h) compressed 100×; the timeout stays real
        retry: { timeoutMs: TIMEOUT_MS, timeScale: 0.01, baseDelayMs: 1_000, maxDelayMs: 60_000 },
        duplicateRate: DUPLICATE_RATE,
        reorder: true,
        concurrency: 32,
        random: seeded(SEED + 1),
      });
      const events = Array.from({ length: EVENTS }, (_, i) => fixture("batch.succeeded", { id: `batches/fault-${i}` }));
      const reports = await sender.send(events);
      // a stalled handler whose attempt timed out may still be finishing: wait for it (bounded)
      for (let i = 0; i < 100 && handler.running > 0; i++) await sleep(50);
      const stats = sender.stats;

      console.log(
        `\nfault run (seed ${SEED}): ${EVENTS} events, handler runs ${handler.runs}, injected failures ${handler.failures}, stalls ${handler.stalls}\n${formatStats(stats)}\n`,
      );

      // none lost: every event delivered, every effect present
      expect(reports.filter((r) => !r.delivered)).toEqual([]);
      expect(effects.size).toBe(EVENTS);
      // exactly once
      const notOnce = [...effects].filter(([, n]) => n !== 1);
      expect(notOnce).toEqual([]);
      for (let i = 0; i < EVENTS; i++) expect(effects.get(`batches/fault-${i}`)).toBe(1);
      expect(handler.running).toBe(0);

      // the faults really happened, and the sender saw them as a sender should
      expect(handler.failures).toBeGreaterThan(EVENTS * FAIL_RATE * 0.8);
      expect(handler.stalls).toBeGreaterThan(EVENTS * STALL_RATE * 0.6);
      // every 500 the sender saw is a handler failure (a failure inside a timed-out attempt is never seen)
      expect(stats.answers["500 handler_failed"]).toBeGreaterThan(0);
      expect(stats.answers["500 handler_failed"]).toBeLessThanOrEqual(handler.failures);
      // stalls (and, on a busy machine, any slow answer) are timeouts, retried; a retry that finds the
      // stalled run still going is told 409 in_progress, and one that comes after it is told "duplicate"
      expect(stats.timeouts).toBeGreaterThan(0);
      expect(stats.answers["409 in_progress"]).toBeGreaterThan(0);
      expect(stats.retries).toBe(stats.attempts - EVENTS);
      expect(stats.delivered).toBe(EVENTS);
      // duplicates: about 10%, each answered "duplicate" and without a second effect
      expect(stats.duplicatesSent).toBeGreaterThan(EVENTS * DUPLICATE_RATE * 0.7);
      expect(stats.duplicatesSent).toBeLessThan(EVENTS * DUPLICATE_RATE * 1.3);
      // (a duplicate is one attempt: on a very busy machine it may time out, which changes nothing)
      const answered = reports.flatMap((r) => r.duplicates).filter((d) => d.outcome !== "timeout");
      expect(answered.length).toBeGreaterThan(stats.duplicatesSent * 0.9);
      expect(answered.every((d) => d.status === 200 && d.answer === "duplicate")).toBe(true);
      // same webhook-id on every attempt of a delivery, a different one per event
      expect(new Set(reports.map((r) => r.id)).size).toBe(EVENTS);
    } finally {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
    }
  });
});
