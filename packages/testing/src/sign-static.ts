import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { decodeSecret } from "@gemini-webhooks/core";

export interface SignStaticInput {
  /** The event to send (serialised with JSON.stringify), or… */
  event?: unknown;
  /** …the exact body to sign. */
  body?: string | Uint8Array;
  /** `whsec_…` secret (the prefix is optional). */
  secret: string;
  /** webhook-id; default a fresh `msg_…`. */
  id?: string;
  /** webhook-timestamp: epoch seconds, or a Date; default now. */
  timestamp?: number | Date;
}

export interface SignedDelivery {
  /** The exact body that was signed. */
  body: string;
  headers: { "content-type": string; "webhook-id": string; "webhook-timestamp": string; "webhook-signature": string };
}

/**
 * Decodes a `whsec_…` secret to its key bytes, by the receiver's own rules (core's decodeSecret): a secret
 * the receiver would refuse at startup throws the same GeminiWebhooksConfigError here.
 */
export function secretBytes(secret: string): Buffer {
  const bytes = decodeSecret(secret);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A new random `whsec_…` secret (32 bytes), like the one Gemini returns. */
export function generateSecret(bytes = 32): string {
  return `whsec_${randomBytes(bytes).toString("base64")}`;
}

export function newMessageId(): string {
  return `msg_${randomUUID().replace(/-/g, "")}`;
}

export function toEpochSeconds(t: number | Date | undefined): number {
  if (t === undefined) return Math.floor(Date.now() / 1000);
  return t instanceof Date ? Math.floor(t.getTime() / 1000) : Math.floor(t);
}

export function bodyOf(input: { event?: unknown; body?: string | Uint8Array }): string {
  if (input.body !== undefined) return typeof input.body === "string" ? input.body : Buffer.from(input.body).toString("utf8");
  if (input.event === undefined) throw new TypeError("give an event or a body to sign");
  return JSON.stringify(input.event);
}

/** The v1 signature (base64 HMAC-SHA256 over `id.timestamp.body`). */
export function v1Signature(secret: string, id: string, timestamp: number, body: string | Uint8Array): string {
  return createHmac("sha256", secretBytes(secret)).update(`${id}.${timestamp}.`).update(body).digest("base64");
}

/** Signs a delivery the way a static Gemini webhook does (Standard Webhooks v1, HMAC-SHA256). */
export function signStatic(input: SignStaticInput): SignedDelivery {
  const body = bodyOf(input);
  const id = input.id ?? newMessageId();
  const ts = toEpochSeconds(input.timestamp);
  return {
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(ts),
      "webhook-signature": `v1,${v1Signature(input.secret, id, ts, body)}`,
    },
  };
}
