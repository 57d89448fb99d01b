import { WebhookVerificationError } from "../errors.js";

/** The value of 1 to 15 ASCII digits, else -1. */
function wholeSeconds(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Checks `webhook-timestamp` syntax and the replay window (both directions, edge inclusive). */
export function checkTimestamp(value: string, state: { now: () => number; toleranceSeconds: number }, scheme: "v1" | "v1a" | "jwt"): Date {
  const ts = wholeSeconds(value);
  if (ts < 0) {
    throw new WebhookVerificationError("invalid_header", `webhook-timestamp must be whole seconds since the epoch, 1 to 15 digits (${scheme}).`, { scheme });
  }
  const nowSec = Math.floor(state.now() / 1000);
  const tol = state.toleranceSeconds;
  if (ts < nowSec - tol) {
    throw new WebhookVerificationError("timestamp_too_old", `webhook-timestamp is ${nowSec - ts} s old, outside the ${tol} s replay window (${scheme}); a replayed or long-delayed delivery.`, { scheme });
  }
  if (ts > nowSec + tol) {
    throw new WebhookVerificationError("timestamp_too_new", `webhook-timestamp is ${ts - nowSec} s in the future, outside the ${tol} s window (${scheme}); check the server clock.`, { scheme });
  }
  return new Date(ts * 1000);
}

