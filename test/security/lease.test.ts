import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGeminiWebhooks, memoryStore, type IdempotencyStore } from "@gemini-webhooks/core";
import { fixture, signStatic } from "@gemini-webhooks/testing";
import { ADAPTERS, mount, type MountedApp } from "../support/apps.js";
import { row, send } from "../support/http.js";
import { recordingLogger } from "../support/logger.js";
import { signal } from "../support/signal.js";
import { SECRET } from "../support/receiver.js";

// Issue #12, case 8: no second copy runs while the first is alive. A handler slower than the lease
// (memoryStore({ leaseMs: 200 })) keeps its claim: a copy arriving 300 ms into the run gets 409 in_progress.
// The store's clock is injected and moved 300 ms; the renewal is the receiver's real timer (every leaseMs / 3),
// so the test waits for the store to see a renew call after the move: an event, not a sleep.

const NOW_S = 1_800_000_000;
const LEASE_MS = 200;

/** A memoryStore on a settable clock whose renew() calls can be awaited. */
function observedStore() {
  const clock = { ms: 0 };
  const inner = memoryStore({ leaseMs: LEASE_MS, now: () => clock.ms });
  let waiting: Array<() => void> = [];
  const store: IdempotencyStore = {
    claim: (k) => inner.claim(k),
    complete: (k) => inner.complete(k),
    release: (k) => inner.release(k),
    renew: (k) => {
      inner.renew(k);
      const w = waiting;
      waiting = [];
      for (const f of w) f();
    },
    leaseMs: inner.leaseMs,
    doneTtlMs: inner.doneTtlMs,
  };
  const nextRenew = () => new Promise<void>((r) => waiting.push(r));
  return { store, clock, nextRenew, inner };
}

describe.each(ADAPTERS)("%s", (adapter) => {
  let app: MountedApp;
  const s = observedStore();
  let started = signal();
  let finish = signal();
  let runs = 0;
  beforeAll(async () => {
    const webhooks = createGeminiWebhooks({
      secret: SECRET,
      now: () => NOW_S * 1000,
      idempotency: s.store,
      logger: recordingLogger(),
      on: {
        "*": async () => {
          runs++;
          started.resolve();
          await finish.promise;
        },
      },
    });
    app = await mount(adapter, webhooks);
  });
  afterAll(() => app?.close());

  it("a handler slower than leaseMs keeps its claim: a copy 300 ms in gets 409 in_progress; the handler ran once", async () => {
    const d = signStatic({ event: fixture("batch.succeeded"), secret: SECRET, id: `msg_slow_${adapter}`, timestamp: NOW_S });
    started = signal();
    finish = signal();
    const first = send(app.url, d);
    await started.promise;
    s.clock.ms += 300; // past the 200 ms lease, as far as the store can tell…
    await s.nextRenew(); // …until the receiver's lease timer renews the live claim
    const copy = await send(app.url, d);
    expect(row(copy)).toEqual([409, "in_progress"]);
    finish.resolve();
    expect(row(await first)).toEqual([200, "received"]);
    expect(row(await send(app.url, d))).toEqual([200, "duplicate"]);
    expect(runs).toBe(1);
  });
});

it("control: without a renewal, the same move of the store's clock lets a copy in (what the lease timer prevents)", () => {
  const other = observedStore();
  expect(other.inner.claim("k")).toBe("new");
  other.clock.ms += 300;
  expect(other.inner.claim("k")).toBe("new");
});
