import { base64ToBytes } from "../lib/bytes.js";
import type { CryptoProvider, HmacSigner } from "../lib/crypto.js";
import { GeminiWebhooksConfigError } from "../errors.js";

const MIN_SECRET_BYTES = 16;

/**
 * Parses one signing secret: surrounding whitespace trimmed, optional `whsec_` prefix, strict base64,
 * at least 16 bytes. Throws a startup error that says what is wrong (never echoing the secret).
 */
export function decodeSecret(secret: unknown, index = 0): Uint8Array {
  const where = index === 0 ? "secret" : `secret[${index}]`;
  if (typeof secret !== "string") {
    throw new GeminiWebhooksConfigError("secret", `${where} must be a string like "whsec_…", got ${secret === null ? "null" : typeof secret}.`);
  }
  const trimmed = secret.trim();
  if (trimmed === "") throw new GeminiWebhooksConfigError("secret", `${where} is empty. Set GEMINI_WEBHOOK_SECRET to the "whsec_…" value Gemini returned when the webhook was created.`);
  const body = trimmed.startsWith("whsec_") ? trimmed.slice(6) : trimmed;
  if (/\s/.test(body)) {
    throw new GeminiWebhooksConfigError("secret", `${where} contains whitespace inside it; copy the secret again as one unbroken "whsec_…" string.`);
  }
  if (body === "") throw new GeminiWebhooksConfigError("secret", `${where} is only the "whsec_" prefix; the base64 part is missing.`);
  const bytes = base64ToBytes(body);
  if (!bytes) {
    throw new GeminiWebhooksConfigError("secret", `${where} is not base64 after its optional "whsec_" prefix; use the exact secret Gemini returned.`);
  }
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new GeminiWebhooksConfigError("secret", 
      `${where} decodes to ${bytes.length} bytes; a Standard Webhooks secret is at least ${MIN_SECRET_BYTES} (Gemini's are 24 to 64).`,
    );
  }
  return bytes;
}

/** Parses `secret: string | string[]` (several during a rotation grace period). */
export function parseSecrets(secret: unknown, crypto: CryptoProvider): HmacSigner[] {
  if (secret === undefined) return [];
  const list = Array.isArray(secret) ? secret : [secret];
  if (list.length === 0) throw new GeminiWebhooksConfigError("secret", "secret is an empty array; give at least one \"whsec_…\" secret, or leave it out and configure jwks.");
  return list.map((s, i) => crypto.hmacKey(decodeSecret(s, i)));
}
