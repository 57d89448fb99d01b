import { errorResponse, resolveWebhooks, toResponse } from "@gemini-webhooks/core/adapter";
import { receiveNode, sendNode, type NodeBodyStream, type NodeResponse } from "@gemini-webhooks/core/node";
import type { GeminiWebhooks, GeminiWebhooksOptions, HandleResult, UserMetadata } from "@gemini-webhooks/core";

// No node:* import anywhere (core/node uses only the stream's own events): the App Router handler must
// load on the Edge runtime.

type Source<M> = GeminiWebhooksOptions<M> | GeminiWebhooks<M>;

/** The Pages Router config every `pages/api` webhook route must export (as a literal, see the README). */
export const config = { api: { bodyParser: false } } as const;

/**
 * Options become a receiver on the first request, not at import: `next build` imports route modules without
 * the runtime environment. A bad option then answers 500 `configuration` with the reason (logged once).
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

/** `export const POST = geminiWebhookHandler({ secret, on })` in `app/**\/route.ts`, Node.js or Edge runtime. */
export function geminiWebhookHandler<M = UserMetadata>(optionsOrInstance: Source<M>): GeminiRouteHandler<M> {
  const get = lazyReceiver(optionsOrInstance);
  const handler = async (request: Request): Promise<Response> => {
    const w = get();
    return isResult(w) ? toResponse(w) : w.fetch(request);
  };
  return withWebhooks(handler, get);
}

/** The parts of Next's `NextApiRequest` / `NextApiResponse` (Node's request and response) this handler uses. */
export type PagesApiRequest = NodeBodyStream & { method?: string | undefined; body?: unknown };
export type PagesApiResponse = NodeResponse;

export type GeminiPagesHandler<M = UserMetadata> = ((req: PagesApiRequest, res: PagesApiResponse) => Promise<void>) & {
  readonly webhooks: GeminiWebhooks<M>;
};

/**
 * `export default geminiPagesHandler({ secret, on })` in `pages/api/*`, beside
 * `export const config = { api: { bodyParser: false } };`. Reads the request stream itself.
 */
export function geminiPagesHandler<M = UserMetadata>(optionsOrInstance: Source<M>): GeminiPagesHandler<M> {
  const get = lazyReceiver(optionsOrInstance);
  const handler = async (req: PagesApiRequest, res: PagesApiResponse): Promise<void> => {
    const w = get();
    if (isResult(w)) return sendNode(res, w);
    // Next's own parser leaves a parsed body (object or string) on req.body: mark the stream read
    const parsed = req.body !== undefined && !(req.body instanceof Uint8Array);
    await receiveNode(w, parsed ? Object.assign(req, { _body: true }) : req, res, { framework: "next-pages", raw: req.body instanceof Uint8Array ? req.body : undefined });
  };
  return withWebhooks(handler, get);
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
