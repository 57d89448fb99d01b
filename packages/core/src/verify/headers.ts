import { WebhookVerificationError } from "../errors.js";

/** Anything that carries request headers: a fetch `Headers`, Node's `IncomingHttpHeaders`, or a plain record. */
export type HeadersInput =
  | { get(name: string): string | null; forEach?: unknown }
  | Readonly<Record<string, string | readonly string[] | number | undefined | null>>;

/** The three Standard Webhooks headers, read once. */
export interface WebhookHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

type Wanted = "webhook-id" | "webhook-timestamp" | "webhook-signature";

function duplicate(name: string): WebhookVerificationError {
  return new WebhookVerificationError("invalid_header", `The ${name} header arrived more than once; send it once.`);
}

function single(name: Wanted, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) {
    if (value.length > 1) throw duplicate(name);
    return value.length === 0 ? undefined : String(value[0]);
  }
  return String(value);
}

/**
 * Reads `webhook-id`, `webhook-timestamp` and `webhook-signature`, case-insensitively, from any header shape.
 * A header that arrives twice is rejected (`invalid_header`): as two record keys, as an array, or joined by
 * ", " the way Node and fetch join repeated headers (none of the three legitimately contains ", ").
 */
export function readWebhookHeaders(input: HeadersInput): WebhookHeaders {
  const out: WebhookHeaders = { id: undefined, timestamp: undefined, signature: undefined };
  if (input === null || typeof input !== "object") return out;
  // (each header written to its own named slot: a keyed store over the three names would be a megamorphic
  // inline cache on every delivery)
  if (typeof (input as { get?: unknown }).get === "function" && !(input instanceof Map)) {
    const h = input as { get(name: string): string | null };
    out.id = h.get("webhook-id") ?? undefined;
    out.timestamp = h.get("webhook-timestamp") ?? undefined;
    out.signature = h.get("webhook-signature") ?? undefined;
  } else {
    const rec = input as Record<string, unknown>;
    for (const key in rec) {
      // only "webhook-id" (10) and "webhook-timestamp"/"webhook-signature" (17) can match: skip the rest cheaply
      if ((key.length !== 10 && key.length !== 17) || (key.charCodeAt(0) | 0x20) !== 0x77 /* w or W */) continue;
      // (Node gives header names in lower case: only another spelling is lowered)
      const name = key === "webhook-id" || key === "webhook-timestamp" || key === "webhook-signature" ? key : key.toLowerCase();
      if (name !== "webhook-id" && name !== "webhook-timestamp" && name !== "webhook-signature") continue;
      const v = single(name, rec[key]);
      if (v === undefined) continue;
      if (name === "webhook-id") out.id = once(out.id, v, name);
      else if (name === "webhook-timestamp") out.timestamp = once(out.timestamp, v, name);
      else out.signature = once(out.signature, v, name);
    }
  }
  // (written out, not a loop over the names: this runs for every delivery)
  if (out.id !== undefined && out.id.includes(", ")) throw duplicate("webhook-id");
  if (out.timestamp !== undefined && out.timestamp.includes(", ")) throw duplicate("webhook-timestamp");
  if (out.signature !== undefined && out.signature.includes(", ")) throw duplicate("webhook-signature");
  return out;
}

/** A header's value, unless another spelling of its name already gave one. */
function once(previous: string | undefined, value: string, name: Wanted): string {
  if (previous !== undefined) throw duplicate(name);
  return value;
}
