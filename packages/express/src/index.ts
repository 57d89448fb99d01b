import type { IncomingMessage, ServerResponse } from "node:http";
import { resolveWebhooks } from "@gemini-webhooks/core/adapter";
import { receiveNode } from "@gemini-webhooks/core/node";
import type { GeminiWebhooks, GeminiWebhooksOptions, UserMetadata } from "@gemini-webhooks/core";

/** An Express request handler that verifies, dedupes and dispatches Gemini webhooks. */
export type GeminiExpressMiddleware<M = UserMetadata> = ((req: any, res: any, next: (err?: unknown) => void) => void) & {
  readonly webhooks: GeminiWebhooks<M>;
};

type Req = IncomingMessage & { body?: unknown; rawBody?: unknown };

/** The exact bytes a parser kept: express.raw()'s Buffer, a captured req.rawBody, express.text()'s string. */
function keptBody(req: Req): Uint8Array | string | undefined {
  if (Buffer.isBuffer(req.body)) return req.body;
  if (Buffer.isBuffer(req.rawBody) || typeof req.rawBody === "string") return req.rawBody;
  if (typeof req.body === "string") return req.body;
  return undefined;
}

/** Puts the verified event on res.locals for the routes after this one. */
function exposeEvent(result: { event?: unknown }, res: { locals?: Record<string, unknown> }): void {
  const locals = res.locals;
  if (result.event && locals) locals.geminiEvent = result.event;
}

/**
 * `app.post("/gemini-callback", geminiWebhooks({ secret, on }))` — Express 4 and 5. Reads the raw body itself
 * (maxBodyBytes, readTimeoutMs), answers with core's status and JSON, and puts the verified event on
 * `res.locals.geminiEvent`. Client aborts are logged at debug level, never passed to next(err).
 */
export function geminiWebhooks<M = UserMetadata, X extends object = {}>(optionsOrInstance: GeminiWebhooksOptions<M, X> | GeminiWebhooks<M, X>): GeminiExpressMiddleware<M> {
  const webhooks = resolveWebhooks(optionsOrInstance);
  const middleware = (req: Req, res: ServerResponse & { locals?: Record<string, unknown> }): void => {
    // the answer is written as soon as receiveNode has it (after the read, or at once from a body a parser kept)
    void receiveNode(webhooks, req, res, { framework: "express", raw: keptBody(req), beforeSend: exposeEvent });
  };
  return Object.assign(middleware, { webhooks }) as GeminiExpressMiddleware<M>;
}

/** For apps that keep a global `express.json({ verify: captureRawBody })`: stores the raw bytes on req.rawBody. */
export function captureRawBody(req: IncomingMessage, _res: ServerResponse, buf: Buffer): void {
  (req as unknown as { rawBody?: unknown }).rawBody = buf;
}

// Every adapter re-exports core whole: a typical app imports from the adapter package only.
export * from "@gemini-webhooks/core";
