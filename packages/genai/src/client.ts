import { GenaiError } from "./errors.js";

/**
 * The part of a `@google/genai` `GoogleGenAI` client this package uses, typed by shape so any release of
 * the SDK that has these methods fits (the SDK is a peer: the user passes their own client).
 */

/** A batch job as `ai.batches.get` / `ai.batches.list` return it (Gemini Developer API). */
export interface BatchJobLike {
  /** `batches/<id>`. */
  name?: string;
  /** `JOB_STATE_SUCCEEDED`, `JOB_STATE_FAILED`, … (the SDK maps the REST `BATCH_STATE_*` names to these). */
  state?: string;
  displayName?: string;
  createTime?: string;
  updateTime?: string;
  endTime?: string;
  dest?: {
    /** `files/<id>`: the JSONL results file. */
    fileName?: string;
    /** Results of a batch created with inlined requests. */
    inlinedResponses?: ReadonlyArray<{ response?: unknown; error?: unknown; metadata?: Record<string, string> }>;
  };
  error?: { code?: number; message?: string };
}

/** The `GoogleGenAI` surface used here. */
export interface GenAIClient {
  batches: {
    get(params: { name: string }): Promise<BatchJobLike>;
    list(params?: { config?: { pageSize?: number } }): Promise<AsyncIterable<BatchJobLike>>;
  };
  files: {
    /** Node: writes the file to `downloadPath`. */
    download(params: { file: string; downloadPath: string }): Promise<void>;
  };
}

/** The SDK's own HTTP layer (not public API, so only used when it is there): one authenticated request. */
interface SdkApiClient {
  request(request: { path: string; httpMethod: string; queryParams?: Record<string, string> }): Promise<{ responseInternal?: Response }>;
}

/** `files/abc`, `abc`, or a Gemini files URL → `files/abc`; anything else (e.g. `gs://…`) → undefined. */
export function geminiFileName(ref: string | undefined): string | undefined {
  if (typeof ref !== "string" || ref === "") return undefined;
  if (/^files\/[A-Za-z0-9_-]+$/.test(ref)) return ref;
  if (/^[A-Za-z0-9_-]+$/.test(ref)) return `files/${ref}`;
  let url: URL;
  try {
    url = new URL(ref);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  const m = /\/files\/([A-Za-z0-9_-]+)(?::download)?\/?$/.exec(url.pathname);
  return m ? `files/${m[1]}` : undefined;
}

/**
 * `batches/abc` or `abc` → `batches/abc`. The id comes from an event, and the SDK puts the name into the
 * request path as is: it is percent-encoded, so `?`, `#`, `/` or `..` in an id stay inside its path segment.
 */
export function batchName(id: string): string {
  const bare = id.startsWith("batches/") ? id.slice("batches/".length) : id;
  if (bare === "" || bare === "." || bare === "..") throw new GenaiError("unsupported", `"${id}" is not a batch id.`);
  return `batches/${encodeURIComponent(bare)}`;
}

/**
 * Opens the download of a Gemini file as a byte stream, through the user's client:
 * - when the client exposes its HTTP layer (every `@google/genai` release so far: `apiClient.request`), the
 *   same `files/<id>:download?alt=media` request `ai.files.download` makes, with the client's base URL, API
 *   version, credentials and `httpOptions`, read as a stream;
 * - otherwise `ai.files.download` into a temporary file, read back as a stream and deleted.
 * Either way the file is never held in memory whole.
 */
export async function openFileStream(ai: GenAIClient, fileName: string): Promise<AsyncIterable<Uint8Array>> {
  const api = (ai as unknown as { apiClient?: SdkApiClient }).apiClient;
  if (api && typeof api.request === "function") {
    const id = fileName.slice("files/".length);
    const res = await api.request({ path: `files/${id}:download`, httpMethod: "GET", queryParams: { alt: "media" } });
    const body = res?.responseInternal?.body;
    if (body) return readableBytes(body);
  }
  return downloadToTempFile(ai, fileName);
}

/** A web ReadableStream as an async iterable that cancels the stream when the consumer stops early. */
async function* readableBytes(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let done = false;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) {
        done = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

async function* downloadToTempFile(ai: GenAIClient, fileName: string): AsyncGenerator<Uint8Array> {
  const [{ mkdtemp, rm }, { createReadStream }, { tmpdir }, { join }] = await Promise.all([
    import("node:fs/promises"),
    import("node:fs"),
    import("node:os"),
    import("node:path"),
  ]);
  const dir = await mkdtemp(join(tmpdir(), "gemini-results-"));
  try {
    const path = join(dir, "results.jsonl");
    await ai.files.download({ file: fileName, downloadPath: path });
    for await (const chunk of createReadStream(path)) yield chunk as Uint8Array;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
