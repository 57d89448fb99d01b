import type { BatchJob, GenerateVideosOperation, GoogleGenAIInteraction } from "@google/genai";
import type { GeminiEventType } from "@gemini-webhooks/core";
import { GenaiError, isTransient, statusOf, unauthorized } from "./errors.js";

/**
 * The job behind an event of type `T`, as the user's `@google/genai` client returns it: `batch.*` → the
 * `BatchJob`, `interaction.*` → the interaction, `video.generated` → the video generation operation.
 */
export type FetchedJob<T extends string> = T extends `batch.${string}`
  ? BatchJob
  : T extends `interaction.${string}`
    ? GoogleGenAIInteraction
    : T extends "video.generated"
      ? GenerateVideosOperation
      : never;

/** The `GoogleGenAI` surface fetchJob uses; a `GoogleGenAI` client fits it. */
export interface JobClient {
  batches: { get(params: { name: string }): Promise<BatchJob> };
  /** `ai.interactions`: absent from releases of @google/genai without the Interactions API. */
  interactions?: { get(id: string): Promise<GoogleGenAIInteraction> };
  operations: { getVideosOperation(params: { operation: GenerateVideosOperation }): Promise<GenerateVideosOperation> };
}

export interface FetchJobOptions {
  /**
   * The Veo model that made the video (`veo-3.1-generate-preview`), for a `video.generated` event whose
   * `data.id` is the bare operation id: Gemini names a video operation `models/<model>/operations/<id>`.
   * Not needed when `data.id` is that full name.
   */
  videoModel?: string;
}

/** What fetchJob reads from any event: its type and data (an event of the catch-all handler fits). */
export interface JobEventLike {
  type: string;
  data: object;
}

/** One path segment of a resource name: no `/`, `?`, `#`, `%`, `:` or whitespace, and not `.` or `..`. */
const SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,256}$/;

/**
 * The batch job, interaction or video operation behind a webhook event, fetched with the user's own
 * `@google/genai` client, and typed per event type (Stripe's `fetchRelatedObject` for thin events):
 *
 * - `batch.*` → `ai.batches.get({ name: "batches/<id>" })`: a `BatchJob`;
 * - `interaction.*` → `ai.interactions.get(<id>)`: the interaction;
 * - `video.generated` → `ai.operations.getVideosOperation(...)`: the `GenerateVideosOperation`, when the event
 *   names its operation (`data.id`). The `file_id` + `video_uri` shape names only the video file: that is an
 *   `unsupported` error (use `videoFile(event)` / `downloadVideo` for the file), never a guess.
 *
 * Ids work with or without their resource prefix (`batches/`, `interactions/`) and must be one plain path
 * segment. Throws `GenaiError`: `unsupported` (no job behind the event, an unknown type, a malformed id),
 * `unauthorized` (401/403), `request_failed` (404 and other 4xx: `status` says which), `unavailable`
 * (429, 5xx, network). One request, no retries: a handler that throws gets the delivery retried by Gemini.
 */
export function fetchJob<T extends GeminiEventType>(ai: JobClient, event: { type: T; data: object }, options?: FetchJobOptions): Promise<FetchedJob<T>>;
export function fetchJob(ai: JobClient, event: JobEventLike, options?: FetchJobOptions): Promise<BatchJob | GoogleGenAIInteraction | GenerateVideosOperation>;
export async function fetchJob(ai: JobClient, event: JobEventLike, options: FetchJobOptions = {}): Promise<BatchJob | GoogleGenAIInteraction | GenerateVideosOperation> {
  const type = (event as { type?: unknown } | null)?.type;
  const data = (event as { data?: unknown } | null)?.data as Record<string, unknown> | null | undefined;
  if (typeof type !== "string" || data === null || typeof data !== "object") {
    throw new GenaiError("unsupported", "fetchJob(ai, event) needs a webhook event: { type, data }.");
  }
  if (type.startsWith("batch.")) {
    const name = `batches/${idOf(type, data, "batches/")}`;
    return call(`batch ${name}`, () => ai.batches.get({ name }));
  }
  if (type.startsWith("interaction.")) {
    const id = idOf(type, data, "interactions/");
    if (typeof ai.interactions?.get !== "function") {
      throw new GenaiError("unsupported", "This @google/genai client has no Interactions API (ai.interactions.get): upgrade @google/genai (2.x has it).");
    }
    return call(`interaction ${id}`, () => ai.interactions!.get(id));
  }
  if (type === "video.generated") {
    const name = videoOperationName(data, options);
    const { GenerateVideosOperation } = await import("@google/genai");
    const operation = Object.assign(new GenerateVideosOperation(), { name });
    return call(`video operation ${name}`, () => ai.operations.getVideosOperation({ operation }));
  }
  throw new GenaiError(
    "unsupported",
    `fetchJob knows no job behind a ${printable(type)} event: it fetches the job of batch.*, interaction.* and video.generated events.`,
  );
}

/** `data.id` of a batch or interaction event, its resource prefix dropped, checked to be one path segment. */
function idOf(type: string, data: Record<string, unknown>, prefix: string): string {
  const raw = data.id;
  if (typeof raw !== "string" || raw === "") {
    throw new GenaiError("unsupported", `This ${printable(type)} event has no data.id: there is no job to fetch.`);
  }
  const id = raw.startsWith(prefix) ? raw.slice(prefix.length) : raw;
  if (!SEGMENT.test(id)) {
    throw new GenaiError("unsupported", `The ${printable(type)} event's data.id ${printable(raw)} is not a ${prefix.slice(0, -1)} id (expected ${prefix}<id> or <id>, letters, digits, . _ -).`);
  }
  return id;
}

/** `models/<model>/operations/<id>` from a video.generated event's `data.id` (with `videoModel` for a bare id). */
function videoOperationName(data: Record<string, unknown>, options: FetchJobOptions): string {
  const raw = data.id;
  if (typeof raw !== "string" || raw === "") {
    const has = ["file_id", "video_uri", "output_file_uri", "file_name"].filter((f) => typeof data[f] === "string" && data[f] !== "");
    throw new GenaiError(
      "unsupported",
      `This video.generated event carries no operation id (data.id)${has.length ? `, only ${has.join(" and ")}, which name the video, not the operation that made it` : ""}. ` +
        "Read the video with videoFile(event) or downloadVideo(ai, event, path) instead.",
    );
  }
  const full = /^models\/([^/]+)\/operations\/([^/]+)$/.exec(raw);
  if (full) {
    if (!SEGMENT.test(full[1]!) || !SEGMENT.test(full[2]!)) throw malformedVideoId(raw);
    return raw;
  }
  const id = raw.startsWith("operations/") ? raw.slice("operations/".length) : raw;
  if (!SEGMENT.test(id)) throw malformedVideoId(raw);
  const model = options.videoModel?.replace(/^models\//, "");
  if (model === undefined || !SEGMENT.test(model)) {
    throw new GenaiError(
      "unsupported",
      `The video.generated event's data.id ${printable(raw)} is an operation id without its model (Gemini names video operations models/<model>/operations/<id>): ` +
        'pass fetchJob(ai, event, { videoModel: "<the Veo model you called>" }).',
    );
  }
  return `models/${model}/operations/${id}`;
}

function malformedVideoId(raw: string): GenaiError {
  return new GenaiError("unsupported", `The video.generated event's data.id ${printable(raw)} is not an operation name (models/<model>/operations/<id>, or <id> with { videoModel }).`);
}

/** One API call, its failure as a GenaiError that names the job and the HTTP status. */
async function call<T>(what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (e) {
    const status = statusOf(e);
    if (status === 401 || status === 403) throw unauthorized(e, `the request for ${what}`);
    if (isTransient(e)) {
      throw new GenaiError("unavailable", `The Gemini API failed to answer for ${what} (${status ?? (e as Error)?.message ?? "network error"}); the handler fails so the delivery is retried later.`, { status, cause: e });
    }
    if (status === 404) throw new GenaiError("request_failed", `The Gemini API has no ${what} (404): the event names a job of another project or API key, or one already deleted.`, { status, cause: e });
    throw new GenaiError("request_failed", `The Gemini API refused the request for ${what} (${status ?? (e as Error)?.message}).`, { status, cause: e });
  }
}

/** A string from the event, quoted and cut short for an error message (the event is untrusted input). */
function printable(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}
