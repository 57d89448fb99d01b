import { WebhookVerificationError } from "../errors.js";

/** Longest delivery id accepted (a `webhook-id`, or a JWT's `jti`). */
export const MAX_ID_LENGTH = 256;

/**
 * The one rule for a delivery id: 1 to 256 visible ASCII characters. A header is read as latin1 while the
 * signed string is UTF-8, so any other character could never verify; a `jti` that breaks the rule is not
 * used as a key (the token's hash is).
 */
export function isWebhookId(id: string): boolean {
  if (id.length === 0 || id.length > MAX_ID_LENGTH) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/** `webhook-id` of a v1 / v1a delivery: 400 `missing_header` / `invalid_header` unless it follows the rule. */
export function checkWebhookId(id: string | undefined, scheme: "v1" | "v1a"): string {
  if (id === undefined) throw missingHeader("webhook-id", scheme);
  if (!isWebhookId(id)) throw new WebhookVerificationError("invalid_header", `webhook-id must be 1 to ${MAX_ID_LENGTH} visible ASCII characters (${scheme}).`, { scheme });
  return id;
}

/** 400 `missing_header`, naming the scheme when one was chosen. */
export function missingHeader(name: string, scheme?: "v1" | "v1a"): WebhookVerificationError {
  const tried = scheme === undefined ? "" : ` (${scheme})`;
  return new WebhookVerificationError(
    "missing_header",
    `The ${name} header is missing${tried}; Gemini sends webhook-id, webhook-timestamp and webhook-signature with every delivery.`,
    scheme === undefined ? undefined : { scheme },
  );
}
