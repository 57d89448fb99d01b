import { bodyAlreadyParsed, bodyTimeout, errorResult, settingsOf } from "@gemini-webhooks/core/adapter";
import { readNodeBody, sendNode, streamConsumed, type NodeBodyStream, type NodeResponse } from "@gemini-webhooks/core/node";
import type { GeminiWebhooks } from "@gemini-webhooks/core";

/** The part of an Express or Fastify request the receiver reads. */
export interface NestRequestLike {
  method?: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody?: unknown;
  body?: unknown;
  /** Fastify: the Node request. */
  raw?: unknown;
}

const isStream = (v: unknown): v is NodeBodyStream => typeof (v as NodeBodyStream | null)?.on === "function" && typeof (v as NodeBodyStream).removeListener === "function";

/**
 * The exact bytes Gemini signed: Nest's `req.rawBody` (rawBody: true keeps it for JSON and urlencoded
 * bodies), a raw Buffer/string body, or, when no parser read the request (another content type, or none),
 * the stream itself, read here with the receiver's limits. Otherwise 500 `configuration` saying how to fix it.
 */
export async function rawBodyOf(req: NestRequestLike, webhooks: GeminiWebhooks<any>): Promise<Uint8Array | string> {
  if (req.rawBody instanceof Uint8Array || typeof req.rawBody === "string") return req.rawBody;
  if (req.body instanceof Uint8Array || typeof req.body === "string") return req.body;
  const stream = isStream(req.raw) ? req.raw : isStream(req) ? req : undefined;
  if (stream && !streamConsumed(stream)) {
    const { maxBodyBytes, readTimeoutMs } = settingsOf(webhooks);
    return readNodeBody(stream, { limit: maxBodyBytes, timeoutMs: readTimeoutMs, framework: "nestjs" });
  }
  const length = req.headers["content-length"];
  if ((length === undefined || length === "0") && (req.body === undefined || (typeof req.body === "object" && req.body !== null && Object.keys(req.body).length === 0))) return "";
  throw bodyAlreadyParsed("nestjs");
}

/**
 * Nest's own body parser reads webhook bodies (rawBody: true), before any route code: this puts the
 * receiver's `readTimeoutMs` on every request that carries a `webhook-signature`, so a dripped body gets
 * 408 `body_timeout` instead of holding its connection until Node's own timeout.
 */
export function armReadTimeout(req: NodeBodyStream & { complete?: boolean }, res: NodeResponse, webhooks: GeminiWebhooks<any>): void {
  if (req.headers["webhook-signature"] === undefined || req.complete) return;
  const { readTimeoutMs } = settingsOf(webhooks);
  const timer = setTimeout(() => {
    if (req.complete || res.headersSent) return;
    req.pause?.();
    sendNode(res, errorResult(bodyTimeout(readTimeoutMs)));
  }, readTimeoutMs);
  (timer as { unref?: () => void }).unref?.();
  const clear = () => clearTimeout(timer);
  req.on("end", clear);
  req.on("close", clear);
}
