/** Why an operation of this package failed: a stable code, and a message that says what to do. */
export type GenaiErrorCode =
  /** The results file (or the job's output) is still not there after the wait allowed (`maxWaitMs`). */
  | "not_ready"
  /** The Gemini API rejected the API key or its permissions (401/403): retrying cannot help. */
  | "unauthorized"
  /** The Gemini API kept failing (429/5xx, or the network) past the retries allowed. */
  | "unavailable"
  /** The Gemini API refused the request for another reason (4xx). */
  | "request_failed"
  /** The event names no results this package can read (e.g. a `gs://` URI, or a job that did not succeed). */
  | "unsupported"
  /** A line of the results file is not JSON, or is larger than `maxLineBytes`. */
  | "invalid_line"
  /** The checkpoint store is missing or holds something that is not a checkpoint. */
  | "configuration";

/** Raised by batchResults, reconcile and doctor with a stable `code`; never carries the API key. */
export class GenaiError extends Error {
  readonly code: GenaiErrorCode;
  /** The HTTP status of the last failed API call, when there was one. */
  readonly status: number | undefined;

  constructor(code: GenaiErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GenaiError";
    this.code = code;
    this.status = options.status;
  }
}

/** The HTTP status of an error thrown by `@google/genai` (its `ApiError` has `status`), if any. */
export function statusOf(error: unknown): number | undefined {
  const s = (error as { status?: unknown } | null)?.status;
  return typeof s === "number" && Number.isInteger(s) ? s : undefined;
}

/** Whether a failed API call may succeed when repeated: rate limits, server errors and network failures. */
export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status === undefined) return !(error instanceof GenaiError); // fetch failed, socket reset, timeout
  return status === 408 || status === 429 || status >= 500;
}

/** 401/403 as a GenaiError that says what to check. */
export function unauthorized(error: unknown, what: string): GenaiError {
  const status = statusOf(error);
  return new GenaiError(
    "unauthorized",
    `The Gemini API answered ${status} to ${what}: check that the GoogleGenAI client's API key (GEMINI_API_KEY) is valid and belongs to the project that owns the job.`,
    { status, cause: error },
  );
}
