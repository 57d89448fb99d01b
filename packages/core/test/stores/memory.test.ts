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

describe("memoryStore at capacity", () => {
  it("evicts the id claimed first (completing it later does not move it)", () => {
    const s = memoryStore({ maxEntries: 2 });
    s.claim("a");
    s.claim("b");
    s.complete("b");
    s.complete("a");
    s.claim("c"); // evicts a, the first claimed
    expect(s.size).toBe(2);
    expect(s.claim("b")).toBe("done");
    expect(s.claim("a")).toBe("new");
  });
  it("keeps evicting in order after releases and re-claims", () => {
    const s = memoryStore({ maxEntries: 3 });
    s.claim("a");
    s.claim("b");
    s.release("a"); // gone; a later claim of a puts it at the end
    s.claim("c");
    s.claim("a");
    s.complete("a");
    s.claim("d"); // over capacity: b is now the oldest
    expect(s.size).toBe(3);
    expect(s.claim("c")).toBe("in_progress");
    expect(s.claim("a")).toBe("done");
    expect(s.claim("b")).toBe("new");
  });
  it("stays correct through many cycles with leases, releases and expiries", () => {
    let t = 0;
    const s = memoryStore({ now: () => t, maxEntries: 50, leaseMs: 5, doneTtlMs: 100 });
    const done = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      t += 1;
      const k = `k${i % 120}`;
      const r = s.claim(k);
      const until = done.get(k);
      if (r === "done") expect(until !== undefined && until > t).toBe(true);
      if (r === "new") {
        if (i % 7 === 0) s.release(k);
        else {
          s.complete(k);
          done.set(k, t + 100);
        }
      }
      expect(s.size).toBeLessThanOrEqual(50);
    }
  });
  it("forgets claims that were never completed nor released once their lease ran out (no pile-up)", () => {
    let t = 0;
    const s = memoryStore({ now: () => t, leaseMs: 10, maxEntries: 1_000_000 });
    for (let i = 0; i < 20_000; i++) {
      t = i;
      expect(s.claim(`abandoned${i}`)).toBe("new");
    }
    // every lease but the last 10 ms' ran out: the sweep keeps the in-progress map small
    expect(s.size).toBeLessThan(2100);
    expect(s.claim("abandoned19995")).toBe("in_progress");
    expect(s.claim("abandoned100")).toBe("new");
  });
  it("renew extends only a claim still in progress", () => {
    let t = 0;
    const s = memoryStore({ now: () => t, leaseMs: 100 });
    s.claim("a");
    t = 90;
    s.renew("a");
    t = 150;
    expect(s.claim("a")).toBe("in_progress");
    s.complete("a");
    s.renew("a"); // a done id stays done
    t = 1_000;
    expect(s.claim("a")).toBe("done");
    s.renew("never-claimed");
    expect(s.claim("never-claimed")).toBe("new");
  });
  it("evicts an in-progress claim before a done id written after it", () => {
    let t = 0;
    const s = memoryStore({ now: () => t, maxEntries: 2 });
    s.claim("old-claim");
    t = 1;
    s.claim("b");
    s.complete("b");
    t = 2;
    s.claim("c"); // over capacity: the oldest write is old-claim's
    expect(s.claim("b")).toBe("done");
    expect(s.claim("old-claim")).toBe("new");
  });
});
