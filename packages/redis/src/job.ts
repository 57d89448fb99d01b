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
 * The BullMQ job id for an idempotency key. BullMQ refuses custom ids that contain ":" (unless they look like
 * its own repeat ids) or that are integers, and our keys are `namespace:webhook-id`. The mapping escapes "%"
 * and ":" percent-style, so it is deterministic and one-to-one: the same delivery always maps to the same job,
 * two deliveries never share one. An all-digit result (impossible for namespaced keys) gets a leading "%".
 */
export function jobIdFor(idempotencyKey: string): string {
  const id = idempotencyKey.replace(/%/g, "%25").replace(/:/g, "%3A");
  return /^\d+$/.test(id) ? `%${id}` : id;
}
