import type { SignatureScheme } from "../errors.js";
import type { AnyGeminiEvent } from "../events.js";
import { base64ToBytes, bytesToBase64 } from "../lib/bytes.js";
import type { WebhookContext } from "../receiver/types.js";

/** `WebhookContext` as JSON: what a queued job carries (BullMQ, pg-boss). */
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

/** The data of a job on a webhook queue. */
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
    rawBody: bytesToBase64(ctx.rawBody),
    idempotencyKey: ctx.idempotencyKey,
  };
}

export function deserializeContext(s: SerializedContext): WebhookContext {
  return {
    webhookId: s.webhookId,
    timestamp: new Date(s.timestamp),
    scheme: s.scheme,
    ...(s.secretIndex !== undefined ? { secretIndex: s.secretIndex } : {}),
    ...(s.keyId !== undefined ? { keyId: s.keyId } : {}),
    ...(s.claims !== undefined ? { claims: s.claims } : {}),
    rawBody: base64ToBytes(s.rawBody) ?? new Uint8Array(0),
    idempotencyKey: s.idempotencyKey,
  };
}
