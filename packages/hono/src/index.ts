import type { Env, MiddlewareHandler } from "hono";
import { bodyAlreadyParsed, closesConnection, readLimited, receive, resolveWebhooks, settingsOf, toResponse } from "@gemini-webhooks/core/adapter";
import type { AnyGeminiEvent, GeminiWebhooks, GeminiWebhooksOptions, UserMetadata } from "@gemini-webhooks/core";

/** The context variables the middleware sets: `c.get("geminiEvent")`. Use it in your app's `Variables`. */
export interface GeminiVariables<M = UserMetadata> {
  geminiEvent?: AnyGeminiEvent<M>;
}

/** The env the middleware needs: its variables. Your app's env (Bindings, other Variables) may add to it. */
export interface GeminiEnv<M = UserMetadata> extends Env {
  Variables: GeminiVariables<M>;
}

/**
 * A Hono middleware that verifies, dedupes and dispatches Gemini webhooks. `E` is the env of the app it is called
 * with (give yours to call it from your own handler, e.g. `GeminiHonoMiddleware<AppEnv>`); it must have
 * `Variables: GeminiVariables` for `c.get("geminiEvent")` to be typed.
 */
export type GeminiHonoMiddleware<E extends Env = GeminiEnv, M = UserMetadata> = MiddlewareHandler<E> & {
  readonly webhooks: GeminiWebhooks<M>;
};

/**
 * `app.post("/gemini-callback", geminiWebhooks({ secret, on }))` — Hono 4 on Node (@hono/node-server), Bun, Deno
 * and Cloudflare Workers. Reads the raw body (maxBodyBytes, readTimeoutMs), answers with core's status and JSON,
 * and sets `c.get("geminiEvent")` (a middleware before it sees it after `await next()`). Web-standard only.
 */
export function geminiWebhooks<M = UserMetadata, E extends Env = GeminiEnv<M>, X extends object = {}>(
  optionsOrInstance: GeminiWebhooksOptions<M, X> | GeminiWebhooks<M, X>,
): GeminiHonoMiddleware<E, M> {
  const webhooks = resolveWebhooks(optionsOrInstance);
  const { maxBodyBytes, readTimeoutMs } = settingsOf(webhooks);
  const middleware: MiddlewareHandler<GeminiEnv<M>> = async (c) => {
    const request = c.req.raw;
    const result = await receive(webhooks, {
      method: request.method,
      headers: request.headers,
      body: () => {
        if (request.bodyUsed) throw bodyAlreadyParsed("hono"); // c.req.json() or .text() ran before us
        return readLimited(request, maxBodyBytes, readTimeoutMs);
      },
    });
    if (result.event) c.set("geminiEvent", result.event);
    const response = toResponse(result);
    // 413/408 leave the rest of the body unread: close the connection (Node honours it; Bun, Deno, workerd manage their own).
    if (closesConnection(result)) response.headers.set("connection", "close");
    return response;
  };
  return Object.assign(middleware as unknown as MiddlewareHandler<E>, { webhooks });
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
