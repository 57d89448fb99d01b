import type { UserMetadata } from "../events.js";
import type { GeminiWebhooks } from "../receiver/create.js";
import { internalsOf } from "../receiver/internals.js";
import type { HandleResult, WebhookLogger } from "../receiver/types.js";
import type { IdempotencyStore } from "../stores/contracts.js";

/** What an adapter or an integration reads from a receiver: its read limits, store, key settings and logger. */
export interface ReceiverSettings {
  /** Largest body accepted (413 past it). */
  readonly maxBodyBytes: number;
  /** Longest wait for the whole body (408 past it). */
  readonly readTimeoutMs: number;
  /** The idempotency store (undefined with `idempotency: false`). */
  readonly store: IdempotencyStore | undefined;
  readonly dedupeBy: "delivery" | "event";
  /** The prefix of the receiver's idempotency keys. */
  readonly namespace: string;
  /** The receiver's logger (it never throws). */
  readonly logger: WebhookLogger;
}

/** A receiver's settings, for adapters (read limits) and integrations (its store, e.g. a reconciler's checkpoint). */
export function settingsOf(webhooks: GeminiWebhooks<any, any>): ReceiverSettings {
  const { options, logger } = internalsOf(webhooks);
  return { maxBodyBytes: options.maxBodyBytes, readTimeoutMs: options.readTimeoutMs, store: options.store, dedupeBy: options.dedupeBy, namespace: options.namespace, logger };
}

/** The answer for an error an adapter found itself (e.g. its own read failed), reported and observed like core's own. */
export function rejectWith<M = UserMetadata>(webhooks: GeminiWebhooks<M, any>, error: unknown): HandleResult<M> {
  return internalsOf(webhooks).reject(error);
}
