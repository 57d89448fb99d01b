import type { SignatureScheme } from "../errors.js";

/**
 * Every idempotency-key format, and the job-id rule, in one place. Keys are namespaced per receiver
 * (`namespace` option), so several receivers can share one store:
 * - `ns:<webhook-id>`            a v1 / v1a delivery (the id is inside the signed string)
 * - `ns:jwt:<jti or hash>`       a JWT delivery: its own key space, so a JWT can never occupy, complete or
 *                                release a v1/v1a delivery's id
 * - `ns:<scheme>:<id>`           an event that did not come over HTTP (`process()`, e.g. scheme "reconcile")
 * - `ns:event:<type>:<job id>`   `dedupeBy: "event"`: one job outcome, whichever way it arrived; an alias
 *                                type counts as its canonical type
 */

/** v1 / v1a: the delivery's signed `webhook-id`. */
export function deliveryKey(namespace: string, webhookId: string): string {
  return `${namespace}:${webhookId}`;
}

/** JWT: the `jti`, else the SHA-256 of the token's signing input. */
export function jwtKey(namespace: string, id: string): string {
  return `${namespace}:jwt:${id}`;
}

/** An event handed to `process()` (reconciliation, a replay): keyed by its scheme and id. */
export function processKey(namespace: string, scheme: SignatureScheme, id: string): string {
  return `${namespace}:${scheme}:${id}`;
}

/** Event types that are another name for a known one: `batch.completed` appears in Gemini's examples for `batch.succeeded`. */
const ALIASES: Readonly<Record<string, string>> = { "batch.completed": "batch.succeeded" };

/** The canonical type of an event type (an alias maps to the type it stands for). */
export function canonicalEventType(type: string): string {
  return ALIASES[type] ?? type;
}

/** A job outcome: the canonical event type and the job id, so every way an outcome arrives shares one key. */
export function eventKey(namespace: string, type: string, jobId: string): string {
  return `${namespace}:event:${canonicalEventType(type)}:${normalizeJobId(jobId)}`;
}

const RESOURCE_PREFIX = /^(batches|interactions|operations|files|models\/[^/]+\/operations)\//;

/** A job id without its resource-name prefix (`batches/b1` and `b1` are one job). */
export function normalizeJobId(id: string): string {
  return id.replace(RESOURCE_PREFIX, "");
}

/** The job an event is about: `data.id`, else the video's `file_id` / `file_name`; normalised. */
export function jobIdOf(event: { data?: unknown }): string | undefined {
  const data = event.data as Record<string, unknown> | undefined;
  if (data === null || typeof data !== "object") return undefined;
  for (const field of ["id", "file_id", "file_name"]) {
    const v = data[field];
    if (typeof v === "string" && v !== "") return normalizeJobId(v);
  }
  return undefined;
}
