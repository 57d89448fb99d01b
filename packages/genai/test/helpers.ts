import { createGeminiWebhooks, type AnyGeminiEvent, type GeminiWebhooks, type IdempotencyStore, type WebhookContext } from "@gemini-webhooks/core";
import { generateSecret, signStatic } from "@gemini-webhooks/testing";
import type { GeminiApi } from "../../../test/support/gemini-api.js";

export const SECRET = generateSecret();
/** The tests' fixed "now". */
export const NOW = Date.parse("2026-03-01T12:00:00Z");
export const MIN = 60_000;
export const iso = (t: number) => new Date(t).toISOString();

/** One handler run: which job, which event, and how it arrived. */
export interface Run {
  job: string;
  type: string;
  scheme: string;
}

/** A receiver with `dedupeBy: "event"` whose batch handlers record every run. */
export function receiver(options: { store?: IdempotencyStore; now?: () => number; fail?: (event: AnyGeminiEvent) => boolean; workMs?: number } = {}) {
  const runs: Run[] = [];
  const record = async (event: AnyGeminiEvent, ctx: WebhookContext) => {
    // let concurrent runs interleave (workMs: a handler that does some I/O)
    await (options.workMs ? new Promise((r) => setTimeout(r, options.workMs)) : Promise.resolve());
    if (options.fail?.(event)) throw new Error(`handler failed for ${String(event.data.id)}`);
    runs.push({ job: String(event.data.id), type: event.type, scheme: ctx.scheme });
  };
  const webhooks: GeminiWebhooks = createGeminiWebhooks({
    secret: SECRET,
    dedupeBy: "event",
    now: options.now ?? (() => NOW),
    logger: false,
    ...(options.store ? { idempotency: options.store } : {}),
    on: { "batch.succeeded": record, "batch.failed": record, "batch.cancelled": record, "batch.expired": record },
  });
  return { webhooks, runs };
}

/** Delivers an event to the receiver the way Gemini's static webhook does (a fresh webhook-id). */
export async function deliver(webhooks: GeminiWebhooks, event: unknown, at = NOW) {
  const d = signStatic({ event, secret: SECRET, timestamp: new Date(at) });
  return webhooks.handle({ method: "POST", body: d.body, headers: d.headers });
}

/** Adds a batch that ended `agoMs` before NOW in `state`. */
export function ended(api: GeminiApi, id: string, agoMs: number, state: "BATCH_STATE_SUCCEEDED" | "BATCH_STATE_FAILED" | "BATCH_STATE_CANCELLED" | "BATCH_STATE_EXPIRED" = "BATCH_STATE_SUCCEEDED") {
  return api.addBatch({
    name: `batches/${id}`,
    state,
    createTime: iso(NOW - agoMs - 30 * MIN),
    endTime: iso(NOW - agoMs),
    updateTime: iso(NOW - agoMs),
    ...(state === "BATCH_STATE_SUCCEEDED" ? { responsesFile: `files/batch-${id}` } : {}),
    ...(state === "BATCH_STATE_FAILED" ? { error: { code: 13, message: "Internal error while running the batch." } } : {}),
  });
}
