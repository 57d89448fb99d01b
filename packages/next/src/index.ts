import {
  concatChunks,
  errorResponse,
  resolveWebhooks,
  toResponse,
  WebhookVerificationError,
  type GeminiWebhooks,
  type GeminiWebhooksOptions,
  type HandleResult,
  type UserMetadata,
} from "@gemini-webhooks/core";

// No `node:*` import anywhere: the App Router handler must load on the Edge runtime, and the Pages
// handler only uses the request's own stream methods.

type Source<M> = GeminiWebhooksOptions<M> | GeminiWebhooks<M>;

/** The Pages Router config every `pages/api` webhook route must export (as a literal, see the README). */
export const config = { api: { bodyParser: false } } as const;

const FIX = "Add `export const config = { api: { bodyParser: false } };` to this pages/api file, written out as an object literal (Next.js reads page config statically), and read no body before the handler.";
const PARSED_BODY = `Next.js parsed the request body before the Gemini webhook handler, so the raw bytes needed to check the signature are gone. ${FIX}`;

/**
 * Options are turned into a receiver on the first request, not at import: `next build` imports route
 * modules without the runtime environment (no GEMINI_WEBHOOK_SECRET). A bad option then answers 500
 * `configuration` with the reason (logged once), instead of an HTML error page.
 */
function lazyReceiver<M>(source: Source<M>): () => GeminiWebhooks<M> | HandleResult {
  let made: GeminiWebhooks<M> | HandleResult | undefined;
  return () => {
    if (made) return made;
    try {
      made = resolveWebhooks(source);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      console.error(`[@gemini-webhooks/next] ${reason}`);
      made = errorResponse("configuration", `The Gemini webhook receiver is misconfigured: ${reason}`);
    }
    return made;
  };
}

const isResult = (v: unknown): v is HandleResult => typeof (v as HandleResult).status === "number";

function withWebhooks<F extends object, M>(fn: F, get: () => GeminiWebhooks<M> | HandleResult): F & { readonly webhooks: GeminiWebhooks<M> } {
  return Object.defineProperty(fn, "webhooks", {
    get() {
      const w = get();
      if (isResult(w)) throw w.error ?? new Error("misconfigured");
      return w;
    },
  }) as F & { readonly webhooks: GeminiWebhooks<M> };
}

/** An App Router route handler: `(request) => Response`. */
export type GeminiRouteHandler<M = UserMetadata> = ((request: Request) => Promise<Response>) & { readonly webhooks: GeminiWebhooks<M> };

/**
 * `export const POST = geminiWebhookHandler({ secret, on })` in `app/**\/route.ts`, on the Node.js or the
 * Edge runtime. Reads the body once (stopping at maxBodyBytes) and answers with core's status and JSON.
 */
export function geminiWebhookHandler<M = UserMetadata>(optionsOrInstance: Source<M>): GeminiRouteHandler<M> {
  const get = lazyReceiver(optionsOrInstance);
  const handler = async (request: Request): Promise<Response> => {
    const w = get();
    return isResult(w) ? toResponse(w) : w.fetch(request);
  };
  return withWebhooks(handler, get);
}

/** The parts of Next's `NextApiRequest` (a Node `IncomingMessage`) this handler uses. */
export interface PagesApiRequest {
  method?: string | undefined;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body?: unknown;
  readableEnded?: boolean;
  on(event: "data", listener: (chunk: Uint8Array | string) => void): unknown;
  on(event: "end" | "close", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
  pause?(): unknown;
}

/** The parts of Next's `NextApiResponse` (a Node `ServerResponse`) this handler uses. */
export interface PagesApiResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

export type GeminiPagesHandler<M = UserMetadata> = ((req: PagesApiRequest, res: PagesApiResponse) => Promise<void>) & {
  readonly webhooks: GeminiWebhooks<M>;
};

const tooLarge = (max: number) => new WebhookVerificationError("body_too_large", `The body is over maxBodyBytes (${max} bytes).`);

/** Reads the Node request stream, stopping (413) as soon as it passes `max` bytes. */
function readStream(req: PagesApiRequest, max: number): Promise<Uint8Array> {
  const declared = req.headers["content-length"];
  if (typeof declared === "string" && /^\d+$/.test(declared) && Number(declared) > max) return Promise.reject(tooLarge(max));
  if (req.readableEnded) {
    return Promise.reject(new WebhookVerificationError("configuration", `Something read the request stream before the Gemini webhook handler. ${FIX}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const done = (fn: () => void) => {
      req.removeListener("data", onData);
      req.removeListener("end", onEnd);
      req.removeListener("error", onError);
      req.removeListener("close", onClose);
      fn();
    };
    const onData = (chunk: Uint8Array | string) => {
      const c = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
      total += c.byteLength;
      if (total > max) {
        req.pause?.();
        done(() => reject(tooLarge(max)));
      } else chunks.push(c);
    };
    const onEnd = () => done(() => resolve(concatChunks(chunks, total)));
    const onError = (e: Error) => done(() => reject(e));
    const onClose = () => done(() => reject(new Error("The client closed the connection before the body arrived.")));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

function send(res: PagesApiResponse, result: HandleResult): void {
  res.statusCode = result.status;
  for (const [k, v] of Object.entries(result.headers)) res.setHeader(k, v);
  // The unread rest of an oversized body is left on the socket: do not reuse the connection.
  if (result.status === 413) res.setHeader("connection", "close");
  res.end(JSON.stringify(result.body));
}

async function pagesResult<M>(w: GeminiWebhooks<M>, req: PagesApiRequest): Promise<HandleResult> {
  const method = req.method ?? "POST";
  if (method.toUpperCase() !== "POST") return w.handle({ method, body: "", headers: req.headers }) as Promise<HandleResult>;
  let body: Uint8Array;
  if (req.body instanceof Uint8Array) body = req.body;
  else if (req.body !== undefined) return errorResponse("configuration", PARSED_BODY);
  else {
    try {
      body = await readStream(req, w.maxBodyBytes);
    } catch (e) {
      if (e instanceof WebhookVerificationError) return w.errorResult(e) as HandleResult;
      return errorResponse("configuration", "The request body could not be read.");
    }
  }
  return w.handle({ method, body, headers: req.headers }) as Promise<HandleResult>;
}

/**
 * `export default geminiPagesHandler({ secret, on })` in `pages/api/*`, beside
 * `export const config = { api: { bodyParser: false } };`. Reads the request stream itself.
 */
export function geminiPagesHandler<M = UserMetadata>(optionsOrInstance: Source<M>): GeminiPagesHandler<M> {
  const get = lazyReceiver(optionsOrInstance);
  const handler = async (req: PagesApiRequest, res: PagesApiResponse): Promise<void> => {
    const w = get();
    send(res, isResult(w) ? w : await pagesResult(w, req));
  };
  return withWebhooks(handler, get);
}

export { createGeminiWebhooks, memoryStore, WebhookVerificationError } from "@gemini-webhooks/core";
export type { GeminiWebhooks, GeminiWebhooksOptions, HandleResult, WebhookContext } from "@gemini-webhooks/core";
