import { errorResponse, type HandleResult } from "@gemini-webhooks/core";

/** The part of an Express or Fastify request the receiver reads. */
export interface NestRequestLike {
  method?: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody?: unknown;
  body?: unknown;
}

const RAW_BODY_MISSING =
  "The raw request body is not available (req.rawBody is missing), so the Gemini webhook signature cannot be checked. " +
  "Create the app with the raw body kept: NestFactory.create(AppModule, { rawBody: true }), or on Fastify " +
  "NestFactory.create(AppModule, new FastifyAdapter(), { rawBody: true }).";

/** The exact bytes Gemini signed: Nest's `req.rawBody` (rawBody: true), or a raw Buffer/string body parser's output. */
export function rawBodyOf(req: NestRequestLike): Uint8Array | string | undefined {
  if (req.rawBody instanceof Uint8Array || typeof req.rawBody === "string") return req.rawBody;
  if (req.body instanceof Uint8Array || typeof req.body === "string") return req.body;
  return undefined;
}

/** 500 `configuration`, saying how to keep the raw body (and why Nest did not keep it for this request). */
export function rawBodyMissing(req: NestRequestLike): HandleResult {
  const type = String(req.headers["content-type"] ?? "");
  const hint = /json|urlencoded/i.test(type)
    ? ""
    : ` Nest keeps the raw body of application/json requests only; this one is ${type ? `"${type}"` : "without a content-type"} (Gemini sends application/json).`;
  return errorResponse("configuration", RAW_BODY_MISSING + hint);
}
