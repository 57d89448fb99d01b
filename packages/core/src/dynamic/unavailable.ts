import { WebhookVerificationError } from "../errors.js";
import { JwksFetchError } from "./key-set.js";

/** 503 `keys_unavailable`: the JWKS could not be fetched, so the delivery could not be checked; the sender retries. */
export function keysUnavailable(scheme: "v1a" | "jwt", cause: unknown): WebhookVerificationError {
  if (cause instanceof WebhookVerificationError) return cause;
  const why = cause instanceof JwksFetchError ? cause.message : "the JWKS could not be fetched";
  return new WebhookVerificationError(
    "keys_unavailable",
    `Could not verify the ${scheme} delivery: ${why}. No cached key verified it; Gemini will retry, and the next delivery fetches the keys again.`,
    { scheme, cause },
  );
}
