import { batchName, geminiFileName, openFileStream, type BatchJobLike, type GenAIClient } from "./client.js";
import { GenaiError } from "./errors.js";
import { splitLines } from "./lines.js";
import { withRetry, type RetryOptions } from "./retry.js";

/** A `GenerateContentResponse` as the results file holds it (REST JSON: plain data, no SDK getters). */
export interface GenerateContentResponseJson {
  candidates?: Array<{
    content?: { role?: string; parts?: Array<{ text?: string; [field: string]: unknown }> };
    finishReason?: string;
    [field: string]: unknown;
  }>;
  usageMetadata?: Record<string, unknown>;
  modelVersion?: string;
  responseId?: string;
  [field: string]: unknown;
}

/** Why one request of the batch failed (a `google.rpc.Status`). */
export interface BatchLineError {
  code?: number;
  message?: string;
  status?: string;
  details?: unknown[];
  [field: string]: unknown;
}

/** One result of the batch: its request's `key` and either a `response` or an `error`. */
export type BatchResultLine<R = GenerateContentResponseJson> =
  | { key: string; index: number; response: R; error?: undefined }
  | { key: string; index: number; error: BatchLineError; response?: undefined };

/** What batchResults reads: a `batch.succeeded` / `batch.completed` event (or anything with its data). */
export interface BatchEventLike {
  type?: "batch.succeeded" | "batch.completed";
  data: { id?: string; output_file_uri?: string; [field: string]: unknown };
}

export interface BatchResultsOptions extends RetryOptions {
  /** Longest line accepted, in characters. Default 64 Mi. */
  maxLineChars?: number;
}

const SUCCEEDED = new Set(["JOB_STATE_SUCCEEDED", "BATCH_STATE_SUCCEEDED", "JOB_STATE_PARTIALLY_SUCCEEDED"]);
const ENDED = new Set(["JOB_STATE_FAILED", "BATCH_STATE_FAILED", "JOB_STATE_CANCELLED", "BATCH_STATE_CANCELLED", "JOB_STATE_EXPIRED", "BATCH_STATE_EXPIRED"]);

/**
 * The result lines of a finished batch, streamed from its results file through the user's `@google/genai`
 * client (never read into memory whole: a file of any size keeps memory flat). "Not there yet" (the job or
 * its file not yet visible, 404) and transient failures (429, 5xx, network) are retried with exponential
 * backoff up to `maxWaitMs`; then it throws `GenaiError` `not_ready` / `unavailable`. 401/403 throw
 * `unauthorized` at once. Lines come in the file's order (the order of the batch's requests).
 *
 * The file is found from `data.output_file_uri` when it names a Gemini file (`files/…` or its URL), else
 * from the job (`ai.batches.get`), whose inlined responses are yielded the same way when it has no file.
 */
export async function* batchResults<R = GenerateContentResponseJson>(
  ai: GenAIClient,
  event: BatchEventLike,
  options: BatchResultsOptions = {},
): AsyncGenerator<BatchResultLine<R>> {
  const data = event?.data;
  if (data === null || typeof data !== "object") throw new GenaiError("unsupported", "batchResults(ai, event) needs a batch.succeeded event (with data).");
  const type = (event as { type?: string }).type;
  if (type !== undefined && type !== "batch.succeeded" && type !== "batch.completed") {
    throw new GenaiError("unsupported", `batchResults reads the results of a batch.succeeded event, not ${type}.`);
  }
  let fileName = geminiFileName(data.output_file_uri);
  if (fileName === undefined) {
    if (typeof data.id !== "string" || data.id === "") {
      throw new GenaiError("unsupported", "The event has neither a Gemini results file (output_file_uri) nor a batch id (data.id) to look one up.");
    }
    const name = batchName(data.id);
    const job = await withRetry(`Results of ${name}`, () => finishedJob(ai, name, data.output_file_uri), options);
    fileName = job.dest?.fileName;
    if (fileName === undefined) {
      yield* inlined<R>(job.dest?.inlinedResponses ?? []);
      return;
    }
  }
  const file = fileName;
  const stream = await withRetry(`Results file ${file}`, () => openFileStream(ai, file), options);
  let index = 0;
  let lineNo = 0;
  for await (const text of splitLines(stream, options.maxLineChars ?? 64 * 1024 * 1024)) {
    lineNo++;
    if (text.trim() === "") continue;
    yield parseLine<R>(text, index++, lineNo, file);
  }
}

/** The job once it has succeeded and names its output; "not ready" (retried) before that. */
async function finishedJob(ai: GenAIClient, name: string, uri: string | undefined): Promise<BatchJobLike> {
  const job = await ai.batches.get({ name });
  const state = job.state ?? "";
  if (ENDED.has(state)) throw new GenaiError("unsupported", `${name} ended in ${state}: it has no results to read.`);
  if (SUCCEEDED.has(state) && (job.dest?.fileName !== undefined || job.dest?.inlinedResponses !== undefined)) return job;
  if (SUCCEEDED.has(state) && uri) {
    throw new GenaiError("unsupported", `${name}'s results are at ${uri.split("?")[0]}, which the Gemini API client cannot read (read it with your storage client).`);
  }
  throw new GenaiError("not_ready", `${name} is ${state || "in an unknown state"} and names no results file yet.`);
}

function* inlined<R>(responses: ReadonlyArray<{ response?: unknown; error?: unknown; metadata?: Record<string, string> }>): Generator<BatchResultLine<R>> {
  let index = 0;
  for (const r of responses) {
    const key = r.metadata?.key ?? String(index);
    if (r.error !== undefined && r.error !== null) yield { key, index: index++, error: r.error as BatchLineError };
    else yield { key, index: index++, response: r.response as R };
  }
}

function parseLine<R>(text: string, index: number, lineNo: number, file: string): BatchResultLine<R> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GenaiError("invalid_line", `Line ${lineNo} of ${file} is not JSON.`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new GenaiError("invalid_line", `Line ${lineNo} of ${file} is not a JSON object.`);
  }
  const line = parsed as Record<string, unknown>;
  const key = typeof line.key === "string" ? line.key : String(index);
  const error = line.error ?? line.status;
  if (error !== undefined && error !== null && typeof error === "object") return { key, index, error: error as BatchLineError };
  if (line.response !== undefined && line.response !== null && typeof line.response === "object") return { key, index, response: line.response as R };
  return { key, index, error: { message: `Line ${lineNo} has neither a response nor an error.` } };
}

/** The text of a result line's first candidate ("" for an error line or a response without text). */
export function resultText(line: BatchResultLine<GenerateContentResponseJson>): string {
  const parts = line.response?.candidates?.[0]?.content?.parts ?? [];
  return parts.map((p) => (typeof p.text === "string" ? p.text : "")).join("");
}
