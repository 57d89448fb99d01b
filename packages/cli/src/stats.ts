import type { SenderStats } from "@gemini-webhooks/testing";

/** The retry statistics as a few plain lines (for logs and the CLI). */
export function formatStats(stats: SenderStats): string {
  const pct = (a: number, b: number) => (b === 0 ? "0%" : `${((100 * a) / b).toFixed(1)}%`);
  const answers = Object.entries(stats.answers)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ×${v}`)
    .join(", ");
  const histogram = Object.entries(stats.attemptsPerDelivery)
    .map(([k, v]) => `${k}:${v}`)
    .join(" ");
  return [
    `deliveries ${stats.deliveries}: ${stats.delivered} delivered, ${stats.failed} failed${stats.pending ? `, ${stats.pending} pending` : ""}`,
    `attempts ${stats.attempts} (${stats.retries} retries, ${pct(stats.retries, stats.attempts)}; ${stats.timeouts} timeouts, ${stats.networkErrors} network errors); most for one delivery: ${stats.maxAttempts}`,
    `duplicates injected: ${stats.duplicatesSent}`,
    `answers: ${answers || "none"}`,
    `attempts per delivered event: ${histogram || "none"}`,
  ].join("\n");
}
