import { WebhookVerificationError } from "../errors.js";
import { timingSafeEqualString } from "../lib/bytes.js";
import type { HmacSigner } from "../lib/crypto.js";

/**
 * Standard Webhooks v1: HMAC-SHA256 over `id.timestamp.body` with each configured secret (several during
 * a rotation), compared in constant time with every `v1,` signature of the header. The index of the
 * secret that matched, or undefined.
 */
export async function matchV1(secrets: readonly HmacSigner[], prefix: string, body: Uint8Array, signatures: readonly string[]): Promise<number | undefined> {
  for (let i = 0; i < secrets.length; i++) {
    const expected = await secrets[i]!.sign(prefix, body);
    for (const sig of signatures) if (timingSafeEqualString(expected, sig)) return i;
  }
  return undefined;
}

/** 400 `signature_mismatch` for v1, saying what was tried and the usual causes. */
export function v1Mismatch(secretCount: number): WebhookVerificationError {
  return new WebhookVerificationError(
    "signature_mismatch",
    `No signature matched; tried v1 (HMAC-SHA256, ${secretCount} secret${secretCount > 1 ? "s" : ""}) over "webhook-id.webhook-timestamp.body". Check the signing secret, and that the receiver gets the raw, unmodified body (no JSON parser before it).`,
    { scheme: "v1" },
  );
}
