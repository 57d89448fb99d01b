// A local stand-in for the Gemini Developer API (generativelanguage.googleapis.com) on 127.0.0.1, answering
// the REST shapes of its public reference for what @gemini-webhooks/genai uses:
//   GET  /v1beta/batches/{id}                         → the batch as a long-running operation
//                                                       { name, metadata: { "@type", state: BATCH_STATE_*, createTime,
//                                                         updateTime, endTime, output: { responsesFile } }, done }
//   GET  /v1beta/batches?pageSize=&pageToken=          → { operations: [...], nextPageToken? } (omitted on the last page)
//   GET  /v1beta/files/{id}:download?alt=media          → the file's bytes (also under /download/v1beta/…)
//   GET  /v1beta/webhooks?page_size=&page_token=        → { webhooks: [...], next_page_token? }
//   GET  /v1beta/webhooks/{id}                          → one webhook
//   POST /v1beta/webhooks                               → { uri, subscribed_events, name? } → the webhook, with
//                                                         new_signing_secret (shown once; later reads show a truncated one)
//   PATCH /v1beta/webhooks/{id}?update_mask=a,b         → the updated webhook (only the fields in the mask change)
//   DELETE /v1beta/webhooks/{id}                         → {}
//   POST /v1beta/webhooks/{id}:ping                      → {}
//   POST /v1beta/webhooks/{id}:rotateSigningSecret       → { secret }; revocation_behavior
//                                                         revoke_previous_secrets_after_h24 keeps the old one 24 h (expire_time)
// Every call needs the x-goog-api-key header; errors use Google's { error: { code, message, status } } body.
// Tests drive the real @google/genai client at it with httpOptions.baseUrl (or GOOGLE_GEMINI_BASE_URL).
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { GoogleGenAI } from "@google/genai";

export type BatchState =
  | "BATCH_STATE_PENDING"
  | "BATCH_STATE_RUNNING"
  | "BATCH_STATE_SUCCEEDED"
  | "BATCH_STATE_FAILED"
  | "BATCH_STATE_CANCELLED"
  | "BATCH_STATE_EXPIRED";

export interface FakeBatch {
  /** `batches/<id>`. */
  name: string;
  state: BatchState;
  createTime: string;
  updateTime?: string;
  endTime?: string;
  /** `files/<id>` of the results file. */
  responsesFile?: string;
  inlinedResponses?: Array<{ response?: unknown; error?: unknown; metadata?: Record<string, string> }>;
  error?: { code: number; message: string };
  displayName?: string;
}

export interface FakeWebhook {
  id: string;
  name?: string;
  uri: string;
  subscribed_events: string[];
  state: string;
  signing_secrets?: Array<{ truncated_secret?: string; expire_time?: string }>;
  create_time?: string;
  update_time?: string;
}

/** A file's content: bytes, or a generator producing it chunk by chunk (a large file never held whole). */
export type FakeFile = string | Uint8Array | (() => AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>);

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

/** An injected failure: the next `times` requests whose path matches answer `status`. */
interface Fault {
  match: RegExp;
  status: number;
  times: number;
  retryAfter?: string;
}

const STATUS_NAME: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

export interface GeminiApi {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly batches: Map<string, FakeBatch>;
  readonly files: Map<string, FakeFile>;
  readonly webhooks: FakeWebhook[];
  /** Every request answered, in order. */
  readonly requests: RecordedRequest[];
  /** Page size used when a list request gives none (the real API's defaults are larger). */
  defaultPageSize: number;
  /** Largest page returned, whatever the request asks ("the service may return fewer than this value"). */
  maxPageSize: number;
  /** A broken API: every page of the batch (and webhook) listing answers this same page token (undefined: real paging). */
  stuckPageToken: string | undefined;
  /** The next `times` requests whose path matches `match` answer `status` (Google's error body). */
  fail(match: RegExp, status: number, times?: number, retryAfter?: string): void;
  addBatch(batch: Partial<FakeBatch> & { name: string }): FakeBatch;
  /** Forgets batches, files, webhooks, recorded requests and pending faults. */
  reset(): void;
  /** The full signing secrets the server issued, by webhook id, newest first (what a test compares against). */
  readonly secrets: Map<string, string[]>;
  /** Clock of expire_time (epoch ms). Default Date.now. */
  now: () => number;
  /** A GoogleGenAI client pointed at this server. */
  client(apiKey?: string): GoogleGenAI;
  close(): Promise<void>;
}

function sendError(res: ServerResponse, status: number, message: string, retryAfter?: string): void {
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=UTF-8");
  if (retryAfter) res.setHeader("retry-after", retryAfter);
  res.end(JSON.stringify({ error: { code: status, message, status: STATUS_NAME[status] ?? "UNKNOWN" } }));
}

function sendJson(res: ServerResponse, body: unknown): void {
  res.statusCode = 200;
  res.setHeader("content-type", "application/json; charset=UTF-8");
  res.end(JSON.stringify(body));
}

/** The batch as the API returns it: a long-running operation whose metadata is the GenerateContentBatch. */
function operationOf(b: FakeBatch): Record<string, unknown> {
  const done = !["BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"].includes(b.state);
  const output: Record<string, unknown> = {};
  if (b.responsesFile) output.responsesFile = b.responsesFile;
  if (b.inlinedResponses) output.inlinedResponses = { inlinedResponses: b.inlinedResponses };
  const metadata: Record<string, unknown> = {
    "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
    name: b.name,
    model: "models/gemini-2.5-flash",
    displayName: b.displayName ?? b.name,
    state: b.state,
    createTime: b.createTime,
    updateTime: b.updateTime ?? b.endTime ?? b.createTime,
    ...(b.endTime ? { endTime: b.endTime } : {}),
    ...(Object.keys(output).length ? { output } : {}),
  };
  return {
    name: b.name,
    metadata,
    done,
    ...(b.error ? { error: b.error } : {}),
    ...(done && b.state === "BATCH_STATE_SUCCEEDED" ? { response: { "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput", ...output } } : {}),
  };
}

/** One page of `items` from an opaque offset token. */
function page<T>(items: T[], size: number, token: string | undefined): { items: T[]; next?: string } {
  const start = token ? Number.parseInt(Buffer.from(token, "base64url").toString(), 10) : 0;
  const slice = items.slice(start, start + size);
  const end = start + slice.length;
  return end < items.length ? { items: slice, next: Buffer.from(String(end)).toString("base64url") } : { items: slice };
}

export async function startGeminiApi(options: { apiKey?: string } = {}): Promise<GeminiApi> {
  const apiKey = options.apiKey ?? "test-api-key";
  const batches = new Map<string, FakeBatch>();
  const files = new Map<string, FakeFile>();
  const webhooks: FakeWebhook[] = [];
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const secrets = new Map<string, string[]>();

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/^\/download(?=\/v1beta\/)/, "");
    const query = Object.fromEntries(url.searchParams);
    requests.push({ method: req.method ?? "GET", path: url.pathname, query });
    if (req.headers["x-goog-api-key"] !== apiKey) return sendError(res, 401, "API key not valid. Please pass a valid API key.");
    const fault = faults.find((f) => f.times > 0 && f.match.test(url.pathname));
    if (fault) {
      fault.times--;
      return sendError(res, fault.status, `Injected ${fault.status}.`, fault.retryAfter);
    }
    if (path.startsWith("/v1beta/webhooks")) return webhookAdmin(req, res, path, query);
    if (req.method !== "GET") return sendError(res, 400, `${req.method} is not served by this test server.`);
    const pageSize = (v: string | undefined) => Math.min(api.maxPageSize, v ? Math.max(1, Number.parseInt(v, 10)) : api.defaultPageSize);

    let m: RegExpExecArray | null;
    if (path === "/v1beta/batches") {
      if (api.stuckPageToken !== undefined) {
        const p = page([...batches.values()], pageSize(query.pageSize), undefined);
        return sendJson(res, { operations: p.items.map(operationOf), nextPageToken: api.stuckPageToken });
      }
      const p = page([...batches.values()], pageSize(query.pageSize), query.pageToken || undefined);
      return sendJson(res, { operations: p.items.map(operationOf), ...(p.next ? { nextPageToken: p.next } : {}) });
    }
    if ((m = /^\/v1beta\/batches\/([^/:]+)$/.exec(path))) {
      const id = decodeURIComponent(m[1]!);
      const b = batches.get(`batches/${id}`);
      return b ? sendJson(res, operationOf(b)) : sendError(res, 404, `Batch batches/${id} not found.`);
    }
    if ((m = /^\/v1beta\/files\/([^/:]+):download$/.exec(path))) {
      if (query.alt !== "media") return sendError(res, 400, "alt=media is required to download a file.");
      const f = files.get(`files/${m[1]}`);
      if (f === undefined) return sendError(res, 404, `File files/${m[1]} not found.`);
      res.statusCode = 200;
      res.setHeader("content-type", "application/octet-stream");
      if (typeof f === "function") {
        const stream = Readable.from(f() as AsyncIterable<string | Uint8Array>, { objectMode: false });
        stream.on("error", () => res.destroy());
        res.on("close", () => stream.destroy());
        stream.pipe(res);
        return;
      }
      res.end(f);
      return;
    }
    return sendError(res, 404, `No route for ${url.pathname}.`);
  }

  const truncated = (secret: string) => `${secret.slice(0, 10)}…${secret.slice(-4)}`;
  const newSecret = () => `whsec_${randomBytes(32).toString("base64")}`;
  let nextId = 1;

  async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    let text = "";
    for await (const chunk of req) text += chunk;
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }

  async function webhookAdmin(req: IncomingMessage, res: ServerResponse, path: string, query: Record<string, string>): Promise<void> {
    const method = req.method ?? "GET";
    if (path === "/v1beta/webhooks") {
      if (method === "GET" && api.stuckPageToken !== undefined) return sendJson(res, { webhooks: webhooks.slice(0, 1), next_page_token: api.stuckPageToken });
      if (method === "GET") {
        const p = page(webhooks, Math.min(api.maxPageSize, query.page_size ? Math.max(1, Number.parseInt(query.page_size, 10)) : api.defaultPageSize), query.page_token || undefined);
        return sendJson(res, { webhooks: p.items, ...(p.next ? { next_page_token: p.next } : {}) });
      }
      if (method !== "POST") return sendError(res, 400, `${method} /webhooks is not served.`);
      const body = await readJson(req);
      if (typeof body.uri !== "string" || !Array.isArray(body.subscribed_events)) return sendError(res, 400, "uri and subscribed_events are required.");
      const secret = newSecret();
      const now = new Date(api.now()).toISOString();
      const w: FakeWebhook = {
        id: `wh_${nextId++}`,
        uri: body.uri,
        subscribed_events: body.subscribed_events as string[],
        state: "enabled",
        signing_secrets: [{ truncated_secret: truncated(secret) }],
        create_time: now,
        update_time: now,
        ...(typeof body.name === "string" ? { name: body.name } : {}),
      };
      webhooks.push(w);
      secrets.set(w.id, [secret]);
      return sendJson(res, { ...w, new_signing_secret: secret });
    }
    const m = /^\/v1beta\/webhooks\/([^/:]+)(?::(ping|rotateSigningSecret))?$/.exec(path);
    if (!m) return sendError(res, 404, `No route for ${path}.`);
    const id = decodeURIComponent(m[1]!);
    const at = webhooks.findIndex((x) => x.id === id);
    if (at < 0) return sendError(res, 404, `Webhook ${id} not found.`);
    const w = webhooks[at]!;
    if (m[2] === "ping" && method === "POST") return sendJson(res, {});
    if (m[2] === "rotateSigningSecret" && method === "POST") {
      const body = await readJson(req);
      const secret = newSecret();
      const keep = body.revocation_behavior === "revoke_previous_secrets_after_h24";
      const expire = new Date(api.now() + 24 * 3600_000).toISOString();
      const previous = keep ? (w.signing_secrets ?? []).filter((s) => !s.expire_time).map((s) => ({ ...s, expire_time: expire })) : [];
      w.signing_secrets = [{ truncated_secret: truncated(secret) }, ...previous];
      secrets.set(id, [secret, ...(keep ? (secrets.get(id) ?? []).slice(0, 1) : [])]);
      return sendJson(res, { secret });
    }
    if (m[2]) return sendError(res, 400, `${method} :${m[2]} is not served.`);
    if (method === "GET") return sendJson(res, w);
    if (method === "DELETE") {
      webhooks.splice(at, 1);
      secrets.delete(id);
      return sendJson(res, {});
    }
    if (method === "PATCH") {
      const body = await readJson(req);
      const mask = (query.update_mask ?? Object.keys(body).join(",")).split(",").filter(Boolean);
      for (const field of mask) {
        if (!["uri", "subscribed_events", "name", "state"].includes(field)) return sendError(res, 400, `update_mask has an unknown field ${field}.`);
        (w as unknown as Record<string, unknown>)[field] = body[field];
      }
      w.update_time = new Date(api.now()).toISOString();
      return sendJson(res, w);
    }
    return sendError(res, 400, `${method} is not served by this test server.`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e) => {
      if (!res.headersSent) sendError(res, 500, String(e));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  const api: GeminiApi = {
    baseUrl,
    apiKey,
    batches,
    files,
    webhooks,
    requests,
    secrets,
    now: Date.now,
    defaultPageSize: 50,
    maxPageSize: 1000,
    stuckPageToken: undefined,
    fail(match, status, times = 1, retryAfter) {
      faults.push({ match, status, times, ...(retryAfter ? { retryAfter } : {}) });
    },
    addBatch(batch) {
      const now = new Date().toISOString();
      const b: FakeBatch = { state: "BATCH_STATE_SUCCEEDED", createTime: now, ...batch };
      batches.set(b.name, b);
      return b;
    },
    reset() {
      batches.clear();
      files.clear();
      webhooks.length = 0;
      secrets.clear();
      nextId = 1;
      api.now = Date.now;
      requests.length = 0;
      faults.length = 0;
      api.defaultPageSize = 50;
      api.maxPageSize = 1000;
      api.stuckPageToken = undefined;
    },
    client(key = apiKey) {
      return new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl } });
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return api;
}

/** A results-file line as Gemini writes it: the request's key and its GenerateContentResponse (or error). */
export function resultLine(key: string, text: string): string {
  return `${JSON.stringify({
    key,
    response: {
      candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "STOP", index: 0 }],
      usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 16, totalTokenCount: 24 },
      modelVersion: "gemini-2.5-flash",
    },
  })}\n`;
}

/** The webhook resource the doctor tests start from: a batch webhook to https://my.app/gemini-callback, signing with the tests' secret. */
export function fakeWebhook(over: Partial<FakeWebhook> = {}): FakeWebhook {
  return {
    id: "wh_1",
    name: "MyBatchWebhook",
    uri: "https://my.app/gemini-callback",
    subscribed_events: ["batch.succeeded", "batch.failed"],
    state: "enabled",
    signing_secrets: [{ truncated_secret: "whsec_MfKQ...LaSw" }],
    create_time: "2026-01-10T10:00:00Z",
    ...over,
  };
}
