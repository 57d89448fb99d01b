import { createHash } from "node:crypto";
import type { AnyGeminiEvent, SignatureScheme, WebhookContext } from "@gemini-webhooks/core";

/** `WebhookContext` as JSON: what a queued job carries. */
export interface SerializedContext {
  webhookId: string;
  /** ISO 8601. */
  timestamp: string;
  scheme: SignatureScheme;
  secretIndex?: number;
  keyId?: string;
  claims?: Record<string, unknown>;
  /** The verified bytes, base64. */
  rawBody: string;
  idempotencyKey: string;
}

/** The data of a job on the webhook queue. */
export interface GeminiJobData {
  event: AnyGeminiEvent;
  ctx: SerializedContext;
}

export function serializeContext(ctx: WebhookContext): SerializedContext {
  return {
    webhookId: ctx.webhookId,
    timestamp: ctx.timestamp.toISOString(),
    scheme: ctx.scheme,
    ...(ctx.secretIndex !== undefined ? { secretIndex: ctx.secretIndex } : {}),
    ...(ctx.keyId !== undefined ? { keyId: ctx.keyId } : {}),
    ...(ctx.claims !== undefined ? { claims: ctx.claims } : {}),
    rawBody: Buffer.from(ctx.rawBody.buffer, ctx.rawBody.byteOffset, ctx.rawBody.byteLength).toString("base64"),
    idempotencyKey: ctx.idempotencyKey,
  };
}

export function deserializeContext(s: SerializedContext): WebhookContext {
  const raw = Buffer.from(s.rawBody, "base64");
  return {
    webhookId: s.webhookId,
    timestamp: new Date(s.timestamp),
    scheme: s.scheme,
    ...(s.secretIndex !== undefined ? { secretIndex: s.secretIndex } : {}),
    ...(s.keyId !== undefined ? { keyId: s.keyId } : {}),
    ...(s.claims !== undefined ? { claims: s.claims } : {}),
    rawBody: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength),
    idempotencyKey: s.idempotencyKey,
  };
}

/**
 * The pg-boss job id of a delivery: a UUID derived from its idempotency key (SHA-256, shaped as a version 8
 * UUID), so every copy of one delivery names the same job and pg-boss's insert skips the copies while the job
 * is kept (its retention). pg-boss job ids must be UUIDs; our keys are `namespace:webhook-id`.
 */
export function jobIdFor(idempotencyKey: string): string {
  const h = createHash("sha256").update(idempotencyKey, "utf8").digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The key the worker claims for a delivery's handlers: apart from the receiver's (which the enqueue completes). */
export function workKeyFor(idempotencyKey: string): string {
  return `${idempotencyKey}:work`;
}
