import { bodyAlreadyParsed } from "@gemini-webhooks/core/adapter";

/** The part of an Express or Fastify request the receiver reads. */
export interface NestRequestLike {
  method?: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody?: unknown;
  body?: unknown;
}

/**
 * The exact bytes Gemini signed: Nest's `req.rawBody` (rawBody: true), or a raw Buffer/string body parser's
 * output; otherwise 500 `configuration` saying how to keep the raw body.
 */
export function rawBodyOf(req: NestRequestLike): Uint8Array | string {
  if (req.rawBody instanceof Uint8Array || typeof req.rawBody === "string") return req.rawBody;
  if (req.body instanceof Uint8Array || typeof req.body === "string") return req.body;
  throw bodyAlreadyParsed("nestjs");
}
