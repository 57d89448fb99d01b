import { sign } from "node:crypto";
import { toKeyObject, type PrivateKeyInput } from "./private-key.js";
import { bodyOf, newMessageId, toEpochSeconds, type SignedDelivery } from "./sign-static.js";

export interface SignV1aInput {
  /** The event to send (serialised with JSON.stringify), or… */
  event?: unknown;
  /** …the exact body to sign. */
  body?: string | Uint8Array;
  /** webhook-id; default a fresh `msg_…`. */
  id?: string;
  /** webhook-timestamp: epoch seconds, or a Date; default now. */
  timestamp?: number | Date;
}

/** Signs a delivery the way a dynamic Gemini webhook is delivered: Standard Webhooks v1a, Ed25519 over `id.timestamp.body`. */
export function signV1a(input: SignV1aInput & { privateKey: PrivateKeyInput }): SignedDelivery {
  const body = bodyOf(input);
  const id = input.id ?? newMessageId();
  const ts = toEpochSeconds(input.timestamp);
  const data = Buffer.concat([Buffer.from(`${id}.${ts}.`), Buffer.from(body, "utf8")]);
  const sig = sign(null, data, toKeyObject(input.privateKey)).toString("base64");
  return {
    body,
    headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": `v1a,${sig}` },
  };
}
