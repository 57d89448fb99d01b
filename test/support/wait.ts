/**
 * Resolves once `cond()` holds, polling every 25 ms; throws "gave up waiting for <what>" past the deadline.
 * For conditions that have no event to wait on (state in Redis, a client's connection status). The deadline
 * is only a bound for a broken run, never part of what a test asserts.
 */
export async function until(cond: () => Promise<boolean> | boolean, what: string, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
