import { createHash } from "node:crypto";
import type { GeminiJobData, SerializedContext } from "@gemini-webhooks/core/extend";

// A job carries core's serialized context (one home: @gemini-webhooks/core/extend).
export { serializeContext, deserializeContext } from "@gemini-webhooks/core/extend";
export type { GeminiJobData, SerializedContext };

/**
 * The pg-boss job id of a delivery: a UUID derived from its idempotency key (SHA-256, shaped as a version 8
 * UUID), so every copy of one delivery names the same job and pg-boss's insert skips the copies while the job
 * is kept (its retention). pg-boss job ids must be UUIDs; our keys are `namespace:webhook-id`.
 */
export function jobIdFor(idempotencyKey: string): string {
  const h = createHash("sha256").update(idempotencyKey, "utf8").digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The key the worker claims for a delivery's handlers: apart from the receiver's (which the enqueue completes). */
export function workKeyFor(idempotencyKey: string): string {
  return `${idempotencyKey}:work`;
}
