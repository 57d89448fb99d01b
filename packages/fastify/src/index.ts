import type { FastifyPluginAsync } from "fastify";
import { bodyText, closesConnection, resolveWebhooks } from "@gemini-webhooks/core/adapter";
import { receiveNode } from "@gemini-webhooks/core/node";
import type { AnyGeminiEvent, GeminiWebhooks, GeminiWebhooksOptions, UserMetadata } from "@gemini-webhooks/core";

declare module "fastify" {
  interface FastifyRequest {
    /** The verified event, on the webhook route (set before the answer is sent: onSend/onResponse hooks see it). */
    geminiEvent?: AnyGeminiEvent | null;
  }
}

/** Where the route is: `path` (default "/gemini-callback"), under the plugin's `prefix` if one is given. */
interface RouteOptions {
  path?: string;
}

/** The receiver's options (secret, jwks, on, …), or `webhooks`: an instance made by createGeminiWebhooks. */
export type GeminiFastifyOptions<M = UserMetadata> = RouteOptions & (GeminiWebhooksOptions<M> | { webhooks: GeminiWebhooks<M> });

/**
 * `await app.register(geminiWebhooks, { path: "/gemini-callback", secret, on })` — Fastify 4 and 5. Registers the
 * route in its own encapsulated context, with a content-type parser that leaves the body unread: the route reads
 * the raw bytes itself (maxBodyBytes, readTimeoutMs), so the app's JSON parser stays as it is for every other
 * route. Answers with core's status and JSON (405 with `allow: POST` for other methods); the verified event is
 * on `request.geminiEvent`.
 */
export const geminiWebhooks: FastifyPluginAsync<GeminiFastifyOptions> = async (fastify, options) => {
  const webhooks = resolveWebhooks("webhooks" in options ? options.webhooks : (options as GeminiWebhooksOptions));
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser("*", (_request, _payload, done) => done(null, undefined));
  fastify.decorateRequest("geminiEvent", null);
  fastify.all(options.path ?? "/gemini-callback", async (request, reply) => {
    const result = await receiveNode(webhooks, request.raw, undefined, { framework: "fastify" });
    if (result.aborted) return reply.hijack(); // the client is gone: nothing to write
    if (result.event) request.geminiEvent = result.event;
    reply.code(result.status).headers(result.headers);
    if (closesConnection(result)) reply.header("connection", "close");
    return reply.send(bodyText(result.body));
  });
};

export default geminiWebhooks;

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
