import type { IncomingMessage, ServerResponse } from "node:http";
import getRawBody from "raw-body";
import {
  errorResponse,
  resolveWebhooks,
  type GeminiWebhooks,
  type GeminiWebhooksOptions,
  type HandleResult,
  type UserMetadata,
} from "@gemini-webhooks/core";

type Req = Omit<IncomingMessage, "rawBody"> & { body?: unknown; rawBody?: unknown; _body?: boolean; headers: IncomingMessage["headers"]; method?: string; readableEnded: boolean; readableDidRead: boolean };
type Res = ServerResponse & { locals?: Record<string, unknown> };
type Next = (err?: unknown) => void;

/** An Express request handler that verifies, dedupes and dispatches Gemini webhooks. */
export type GeminiExpressMiddleware<M = UserMetadata> = ((req: any, res: any, next: Next) => void) & {
  readonly webhooks: GeminiWebhooks<M>;
};

const PARSED_BODY =
  "A body parser (express.json() or similar) consumed the request before the Gemini webhook middleware, so the raw body needed to check the signature is gone. Mount geminiWebhooks() on its route before app.use(express.json()), or keep the raw bytes with express.json({ verify: captureRawBody }) or express.raw({ type: 'application/json' }).";

/** Picks the exact bytes: express.raw()'s Buffer, a captured req.rawBody, express.text()'s string, else the stream. */
async function rawBodyOf(req: Req, limit: number): Promise<Uint8Array | string | HandleResult> {
  if (Buffer.isBuffer(req.body)) return req.body;
  if (Buffer.isBuffer(req.rawBody) || typeof req.rawBody === "string") return req.rawBody;
  if (typeof req.body === "string") return req.body;
  // Something read the stream and kept no raw bytes (body-parser marks req._body; any reader sets readableDidRead).
  if (req._body === true || req.readableDidRead || req.readableEnded) {
    return errorResponse("configuration", PARSED_BODY);
  }
  try {
    return await getRawBody(req, { limit, length: req.headers["content-length"] });
  } catch (e) {
    const type = (e as { type?: string }).type;
    if (type === "entity.too.large") return errorResponse("body_too_large", `The body is over maxBodyBytes (${limit} bytes).`);
    throw e;
  }
}

function send(res: Res, result: HandleResult): void {
  res.statusCode = result.status;
  for (const [k, v] of Object.entries(result.headers)) res.setHeader(k, v);
  res.end(JSON.stringify(result.body));
}

/**
 * `app.post("/gemini-callback", geminiWebhooks({ secret, on }))` — Express 4 and 5.
 * Reads the raw body itself (honouring maxBodyBytes), answers with core's status and JSON, and puts the
 * verified event on `res.locals.geminiEvent`.
 */
export function geminiWebhooks<M = UserMetadata>(optionsOrInstance: GeminiWebhooksOptions<M> | GeminiWebhooks<M>): GeminiExpressMiddleware<M> {
  const webhooks = resolveWebhooks(optionsOrInstance);
  const respond = async (req: Req, res: Res): Promise<void> => {
    const method = req.method ?? "POST";
    const body = method === "POST" ? await rawBodyOf(req, webhooks.maxBodyBytes) : "";
    const result = typeof body === "object" && !(body instanceof Uint8Array) ? body : await webhooks.handle({ body, headers: req.headers, method });
    if (result.event && res.locals) res.locals.geminiEvent = result.event;
    send(res, result as HandleResult);
  };
  const middleware = (req: Req, res: Res, next: Next): void => {
    respond(req, res).catch(next);
  };
  return Object.assign(middleware, { webhooks }) as GeminiExpressMiddleware<M>;
}

/** For apps that keep a global `express.json({ verify: captureRawBody })`: stores the raw bytes on req.rawBody. */
export function captureRawBody(req: IncomingMessage, _res: ServerResponse, buf: Buffer): void {
  (req as unknown as { rawBody?: unknown }).rawBody = buf;
}

export { createGeminiWebhooks, WebhookVerificationError } from "@gemini-webhooks/core";
export type { GeminiWebhooksOptions, GeminiWebhooks } from "@gemini-webhooks/core";
