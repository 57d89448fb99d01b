import { describe, expect, it } from "vitest";
import { formatStats } from "../src/stats.js";

describe("formatStats", () => {
  it("prints the counters", () => {
    const text = formatStats({
      deliveries: 10, delivered: 9, failed: 1, pending: 0, attempts: 14, retries: 4, timeouts: 1, networkErrors: 0, duplicatesSent: 2,
      answers: { "200 received": 9, "500 handler_failed": 3, timeout: 1, "200 duplicate": 2 }, attemptsPerDelivery: { 1: 7, 2: 2 }, maxAttempts: 3,
    });
    expect(text).toContain("deliveries 10: 9 delivered, 1 failed");
    expect(text).toContain("attempts 14 (4 retries, 28.6%; 1 timeouts, 0 network errors); most for one delivery: 3");
    expect(text).toContain("answers: 200 received ×9, 500 handler_failed ×3, 200 duplicate ×2, timeout ×1");
    expect(text).toContain("attempts per delivered event: 1:7 2:2");
  });
});
