import type { IncomingMessage } from "node:http";
import { bodyText, resolveWebhooks } from "@gemini-webhooks/core/adapter";
import { receiveNode, setResultHeaders } from "@gemini-webhooks/core/node";
import type { AnyGeminiEvent, GeminiWebhooks, GeminiWebhooksOptions, UserMetadata } from "@gemini-webhooks/core";

/** The part of a Koa 2/3 context the middleware touches (a real `ctx` is assignable to it). */
export interface KoaContextLike {
  method: string;
  req: IncomingMessage & { rawBody?: unknown };
  res: { once(event: "close", listener: () => void): unknown; setHeader(name: string, value: string): unknown; readonly headersSent?: boolean };
  request: { body?: unknown; rawBody?: unknown };
  state: any;
  status: number;
  body: unknown;
  respond?: boolean;
}

/** What the middleware leaves on `ctx.state` (use it as the state type of your Router or Koa app). */
export interface GeminiKoaState<M = UserMetadata> {
  geminiEvent?: AnyGeminiEvent<M>;
}

/** A Koa middleware that verifies, dedupes and dispatches Gemini webhooks. */
export type GeminiKoaMiddleware<M = UserMetadata> = ((ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<void>) & {
  readonly webhooks: GeminiWebhooks<M>;
};

const isBytes = (v: unknown): v is Buffer | string => Buffer.isBuffer(v) || typeof v === "string";

/** The exact bytes a parser kept (koa-bodyparser, @koa/bodyparser: ctx.request.rawBody), or a raw Buffer body. */
function keptBody({ request, req }: KoaContextLike): Buffer | string | undefined {
  if (isBytes(request.rawBody)) return request.rawBody;
  if (isBytes(req.rawBody)) return req.rawBody;
  if (isBytes(request.body)) return request.body;
  return undefined;
}

const READING = Symbol("gemini-webhooks.reading");
type QuietSocket = NonNullable<IncomingMessage["socket"]> & { [READING]?: number };

/** Marks a socket error exposed (Koa's default handler skips those) while one of our reads is on the socket. */
function quiet(this: QuietSocket, e: Error & { expose?: boolean }): void {
  if (this[READING]! > 0) e.expose = true;
}

/**
 * A client that aborts mid-body makes its socket emit an error that Koa's default handler would print with
 * a stack; it is not the app's error. One listener per connection (prepended: Koa's own, from on-finished,
 * is already attached and reports synchronously) marks it exposed while this middleware reads: a keep-alive
 * connection's later requests pay a counter, not a listener each.
 */
function quietWhileReading(socket: IncomingMessage["socket"] | undefined): QuietSocket | undefined {
  const s = socket as (QuietSocket & { prependListener?: unknown }) | undefined | null;
  if (!s || typeof s.prependListener !== "function") return undefined;
  if (s[READING] === undefined) {
    s[READING] = 0;
    s.prependListener("error", quiet);
  }
  s[READING] += 1;
  return s;
}

/**
 * `router.post("/gemini-callback", geminiWebhooks({ secret, on }))` — Koa 2 and 3, or `app.use(...)`. Reads the
 * raw body itself (maxBodyBytes, readTimeoutMs), answers with core's status and JSON, and puts the verified
 * event on `ctx.state.geminiEvent`. After a first-time delivery (`received` or `ignored`) it calls `next()`.
 */
export function geminiWebhooks<M = UserMetadata, X extends object = {}>(optionsOrInstance: GeminiWebhooksOptions<M, X> | GeminiWebhooks<M, X>): GeminiKoaMiddleware<M> {
  const webhooks = resolveWebhooks(optionsOrInstance);
  const middleware = async (ctx: KoaContextLike, next: () => Promise<unknown>): Promise<void> => {
    const socket = quietWhileReading(ctx.req.socket);
    let result;
    try {
      result = await receiveNode(webhooks, ctx.req, undefined, { framework: "koa", raw: keptBody(ctx) });
    } finally {
      if (socket) socket[READING]! -= 1;
    }
    if (result.aborted) {
      ctx.respond = false; // the client is gone
      return;
    }
    if (result.event) ctx.state.geminiEvent = result.event;
    // what ctx.set(headers) does for string values, without its per-call entries and arrays (every delivery's path)
    if (!ctx.res.headersSent) setResultHeaders(ctx.res, result);
    ctx.status = result.status;
    ctx.body = bodyText(result.body);
    const status = (result.body as { status?: string }).status;
    if (status === "received" || status === "ignored") await next();
  };
  return Object.assign(middleware, { webhooks }) as GeminiKoaMiddleware<M>;
}

// The same core names from every adapter: a user needs only the adapter's package for a typical app.
export { createGeminiWebhooks, isEventType, memoryStore, WebhookVerificationError } from "@gemini-webhooks/core";
export type {
  AnyGeminiEvent,
  BatchCancelledEvent,
  BatchCompletedEvent,
  BatchExpiredEvent,
  BatchFailedEvent,
  BatchSucceededEvent,
  GeminiEventOf,
  GeminiWebhookEvent,
  GeminiWebhooks,
  GeminiWebhooksOptions,
  HandleResult,
  InteractionCancelledEvent,
  InteractionCompletedEvent,
  InteractionFailedEvent,
  InteractionRequiresActionEvent,
  VideoGeneratedEvent,
  WebhookContext,
  WebhookErrorCode,
} from "@gemini-webhooks/core";
