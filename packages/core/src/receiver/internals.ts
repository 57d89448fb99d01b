import type { ResolvedOptions } from "./options.js";
import type { HandleResult, WebhookLogger } from "./types.js";

/** What marks a receiver (registry symbols: an ESM and a CJS copy of core still recognise each other's). */
export const BRAND = Symbol.for("gemini-webhooks.instance");
export const INTERNALS = Symbol.for("gemini-webhooks.internals");

/** What adapters and integrations read from a receiver (through `settingsOf` / `rejectWith`), never users. */
export interface ReceiverInternals {
  readonly options: Pick<ResolvedOptions, "maxBodyBytes" | "readTimeoutMs" | "store" | "dedupeBy" | "namespace">;
  readonly logger: WebhookLogger;
  /** The answer for an error an adapter found itself (a failed read), reported and observed like core's own. */
  reject(error: unknown): HandleResult<any>;
}

/** Whether a value is a receiver made by createGeminiWebhooks(). */
export function isGeminiWebhooks(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** A receiver's internals; a clear error for anything that is not a receiver. */
export function internalsOf(webhooks: object): ReceiverInternals {
  const internals = (webhooks as Record<symbol, ReceiverInternals | undefined>)[INTERNALS];
  if (!internals) throw new TypeError("Expected a receiver made by createGeminiWebhooks().");
  return internals;
}
