import { describe, expect, it } from "vitest";
import { DEFAULT_DONE_TTL_MS, memoryStore } from "@gemini-webhooks/core";

describe("memoryStore", () => {
  it("claim -> in_progress -> done; release frees it", () => {
    let t = 0;
    const s = memoryStore({ now: () => t });
    expect(s.claim("a")).toBe("new");
    expect(s.claim("a")).toBe("in_progress");
    s.release("a");
    expect(s.claim("a")).toBe("new");
    s.complete("a");
    expect(s.claim("a")).toBe("done");
    s.release("a"); // releasing a done id does not forget it
    expect(s.claim("a")).toBe("done");
  });
  it("an in-progress claim expires after the lease (a crashed process does not block retries)", () => {
    let t = 0;
    const s = memoryStore({ now: () => t, leaseMs: 1000 });
    expect(s.claim("a")).toBe("new");
    t = 999;
    expect(s.claim("a")).toBe("in_progress");
    t = 1001;
    expect(s.claim("a")).toBe("new");
  });
  it("keeps done ids at least 25 h by default", () => {
    let t = 0;
    const s = memoryStore({ now: () => t });
    expect(DEFAULT_DONE_TTL_MS).toBeGreaterThanOrEqual(25 * 3600 * 1000);
    s.claim("a");
    s.complete("a");
    t = 25 * 3600 * 1000 - 1;
    expect(s.claim("a")).toBe("done");
    t = DEFAULT_DONE_TTL_MS + 1;
    expect(s.claim("a")).toBe("new");
  });
  it("is bounded: the least recently written id is evicted", () => {
    const s = memoryStore({ maxEntries: 3 });
    for (const k of ["a", "b", "c", "d"]) {
      s.claim(k);
      s.complete(k);
    }
    expect(s.size).toBe(3);
    expect(s.claim("a")).toBe("new");
    expect(s.claim("d")).toBe("done");
  });
  it("sweeps expired entries as it goes, so size stays bounded by live ids", () => {
    let t = 0;
    const s = memoryStore({ now: () => t, doneTtlMs: 10 });
    for (let i = 0; i < 1000; i++) {
      t = i * 100;
      s.claim(`k${i}`);
      s.complete(`k${i}`);
    }
    expect(s.size).toBeLessThan(10);
  });
});
