import type { GeminiEventOf, GeminiEventType, GeminiWebhookEvent } from "@gemini-webhooks/core";

const TS = "2026-01-22T12:00:00Z";

/** A valid example event for every catalog type, shaped as Gemini sends it. */
export const fixtures: { readonly [T in GeminiEventType]: GeminiEventOf<T> } = {
  "batch.succeeded": { type: "batch.succeeded", version: "v1", timestamp: TS, data: { id: "batches/batch_123456", output_file_uri: "gs://my-bucket/results.jsonl" } },
  "batch.completed": { type: "batch.completed", version: "v1", timestamp: TS, data: { id: "batches/batch_123457", output_file_uri: "gs://my-bucket/results-2.jsonl", error_count: 0 } },
  "batch.cancelled": { type: "batch.cancelled", version: "v1", timestamp: TS, data: { id: "batches/batch_123458" } },
  "batch.expired": { type: "batch.expired", version: "v1", timestamp: TS, data: { id: "batches/batch_123459" } },
  "batch.failed": { type: "batch.failed", version: "v1", timestamp: TS, data: { id: "batches/batch_123460", error_code: "INVALID_ARGUMENT", error_message: "Request 17 has an unsupported mime type." } },
  "interaction.requires_action": { type: "interaction.requires_action", version: "v1", timestamp: TS, data: { id: "interactions/int_0001" } },
  "interaction.completed": { type: "interaction.completed", version: "v1", timestamp: TS, data: { id: "interactions/int_0002" } },
  "interaction.failed": { type: "interaction.failed", version: "v1", timestamp: TS, data: { id: "interactions/int_0003", error_code: "INTERNAL", error_message: "The model did not respond." } },
  "interaction.cancelled": { type: "interaction.cancelled", version: "v1", timestamp: TS, data: { id: "interactions/int_0004" } },
  "video.generated": { type: "video.generated", version: "v1", timestamp: TS, data: { file_id: "files/vid_0001", video_uri: "https://generativelanguage.googleapis.com/v1beta/files/vid_0001:download" } },
};

/** A fresh copy of the fixture for `type`, with `data` fields overridden. */
export function fixture<T extends GeminiEventType>(type: T, data: Partial<GeminiEventOf<T>["data"]> = {}, extra: Record<string, unknown> = {}): GeminiEventOf<T> {
  const base = (Object.prototype.hasOwnProperty.call(fixtures, type) ? fixtures[type] : undefined) as GeminiEventOf<T> | undefined;
  if (!base) throw new TypeError(`no fixture for event type ${JSON.stringify(type)}: there is one for each of ${Object.keys(fixtures).join(", ")}`);
  return { ...structuredClone(base), ...extra, data: { ...structuredClone(base.data), ...data } } as GeminiEventOf<T>;
}

/** Every fixture, in catalog order. */
export function allFixtures(): GeminiWebhookEvent[] {
  return (Object.keys(fixtures) as GeminiEventType[]).map((t) => structuredClone(fixtures[t]) as GeminiWebhookEvent);
}
