import type { GeminiJobData, SerializedContext } from "@gemini-webhooks/core/extend";

// A job carries core's serialized context (one home: @gemini-webhooks/core/extend).
export { serializeContext, deserializeContext } from "@gemini-webhooks/core/extend";
export type { GeminiJobData, SerializedContext };

/**
 * The BullMQ job id for an idempotency key. BullMQ refuses custom ids that contain ":" (unless they look like
 * its own repeat ids) or that are integers, and our keys are `namespace:webhook-id`. The mapping escapes "%"
 * and ":" percent-style, so it is deterministic and one-to-one: the same delivery always maps to the same job,
 * two deliveries never share one. An all-digit result (impossible for namespaced keys) gets a leading "%".
 */
export function jobIdFor(idempotencyKey: string): string {
  const id = idempotencyKey.replace(/%/g, "%25").replace(/:/g, "%3A");
  return /^\d+$/.test(id) ? `%${id}` : id;
}
