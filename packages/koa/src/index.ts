import type { IncomingMessage } from "node:http";
import getRawBody from "raw-body";
import {
  errorResponse,
  resolveWebhooks,
  type AnyGeminiEvent,
  type GeminiWebhooks,
  type GeminiWebhooksOptions,
  type HandleResult,
  type UserMetadata,
} from "@gemini-webhooks/core";

/** The part of a Koa 2/3 context the middleware touches (a real `ctx` is assignable to it). */
export interface KoaContextLike {
  method: string;
  req: IncomingMessage & { rawBody?: unknown };
  request: { body?: unknown; rawBody?: unknown };
  state: any;
  status: number;
  body: unknown;
  set(field: { [key: string]: string }): void;
}

/** What the middleware leaves on `ctx.state` (use it as the state type of your Router or Koa app). */
export interface GeminiKoaState<M = UserMetadata> {
  geminiEvent?: AnyGeminiEvent<M>;
}

/** A Koa middleware that verifies, dedupes and dispatches Gemini webhooks. */
export type GeminiKoaMiddleware<M = UserMetadata> = ((ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<void>) & {
  readonly webhooks: GeminiWebhooks<M>;
};

const PARSED_BODY =
  "A body parser read the request before the Gemini webhook middleware and did not keep the raw body, so the signature cannot be checked. Register geminiWebhooks() before the body parser (or set ctx.disableBodyParser = true for the webhook path), or use koa-bodyparser / @koa/bodyparser, which keep ctx.request.rawBody.";

const isBytes = (v: unknown): v is Buffer | string => Buffer.isBuffer(v) || typeof v === "string";

/** The exact bytes: a parser's kept raw body (ctx.request.rawBody, ctx.req.rawBody), a raw Buffer body, else the stream. */
async function rawBodyOf(ctx: KoaContextLike, limit: number): Promise<Buffer | string | HandleResult> {
  const { request, req } = ctx;
  if (isBytes(request.rawBody)) return request.rawBody;
  if (isBytes(req.rawBody)) return req.rawBody;
  if (isBytes(request.body)) return request.body;
  if (req.readableDidRead || req.readableEnded) return errorResponse("configuration", PARSED_BODY);
  try {
    return await getRawBody(req, { limit, length: req.headers["content-length"] });
  } catch (e) {
    if ((e as { type?: string }).type !== "entity.too.large") throw e;
    return errorResponse("body_too_large", `The body is over maxBodyBytes (${limit} bytes).`);
  }
}

/**
 * `router.post("/gemini-callback", geminiWebhooks({ secret, on }))` — Koa 2 and 3, or `app.use(...)`.
 * Reads the raw body itself (honouring maxBodyBytes), answers with core's status and JSON, and puts the
 * verified event on `ctx.state.geminiEvent`. After a first-time delivery (`received` or `ignored`) it calls
 * `next()`, so middleware after it on the route sees the event; errors and duplicates end the chain.
 */
export function geminiWebhooks<M = UserMetadata>(optionsOrInstance: GeminiWebhooksOptions<M> | GeminiWebhooks<M>): GeminiKoaMiddleware<M> {
  const webhooks = resolveWebhooks(optionsOrInstance);
  const middleware = async (ctx: KoaContextLike, next: () => Promise<unknown>): Promise<void> => {
    const method = ctx.method;
    const body = method.toUpperCase() === "POST" ? await rawBodyOf(ctx, webhooks.maxBodyBytes) : "";
    const result = isBytes(body) ? await webhooks.handle({ body, headers: ctx.req.headers, method }) : (body as HandleResult<M>);
    if (result.event) ctx.state.geminiEvent = result.event;
    ctx.set(result.headers);
    ctx.status = result.status;
    ctx.body = JSON.stringify(result.body);
    const status = (result.body as { status?: string }).status;
    if (status === "received" || status === "ignored") await next();
  };
  return Object.assign(middleware, { webhooks }) as GeminiKoaMiddleware<M>;
}

export { createGeminiWebhooks, WebhookVerificationError } from "@gemini-webhooks/core";
export type { GeminiWebhooksOptions, GeminiWebhooks } from "@gemini-webhooks/core";
