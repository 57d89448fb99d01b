import { WebhookVerificationError } from "../errors.js";

/** The shape of a `webhook-signature` header: Standard Webhooks entries, or a compact JWT. */
export type ParsedSignatureHeader =
  | { kind: "standard"; v1: string[]; v1a: string[] }
  | { kind: "jwt"; token: string };

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
/** Upper bound on the header we even look at (a JWT is capped separately, by jwks.maxTokenBytes). */
export const MAX_SIGNATURE_HEADER = 16 * 1024;

/**
 * Splits `v1,<b64> v1a,<b64> …` into known versions; a value with no `,` shaped like a JWS is a JWT.
 * No known entry and not a JWT: `unsupported_signature`.
 */
export function parseSignatureHeader(value: string): ParsedSignatureHeader {
  if (value.length > MAX_SIGNATURE_HEADER) {
    throw new WebhookVerificationError("invalid_header", `webhook-signature is ${value.length} bytes, over the ${MAX_SIGNATURE_HEADER}-byte limit.`);
  }
  // trim() only when an end is not visible ASCII (a copy of the header on every delivery otherwise)
  const last = value.charCodeAt(value.length - 1);
  const first = value.charCodeAt(0);
  const trimmed = first > 0x20 && first < 0x7f && last > 0x20 && last < 0x7f ? value : value.trim();
  // the usual header, one "v1,<base64>" entry: the same result as the loop below, without the split
  if (trimmed.startsWith("v1,") && !trimmed.includes(" ")) return { kind: "standard", v1: [trimmed.slice(3)], v1a: [] };
  if (!trimmed.includes(",") && JWT_SHAPE.test(trimmed)) return { kind: "jwt", token: trimmed };
  const v1: string[] = [];
  const v1a: string[] = [];
  const seen: string[] = [];
  for (const entry of trimmed.split(" ")) {
    if (entry === "") continue;
    const comma = entry.indexOf(",");
    if (comma <= 0) continue;
    const version = entry.slice(0, comma);
    const sig = entry.slice(comma + 1);
    if (version === "v1") v1.push(sig);
    else if (version === "v1a") v1a.push(sig);
    else if (seen.length < 5) seen.push(version.slice(0, 16));
  }
  if (v1.length === 0 && v1a.length === 0) {
    const got = seen.length ? `versions ${seen.map((s) => JSON.stringify(s)).join(", ")}` : "no version,signature entry";
    throw new WebhookVerificationError(
      "unsupported_signature",
      `webhook-signature has ${got}; accepted: "v1,<base64>" (HMAC-SHA256), "v1a,<base64>" (Ed25519) or a JWT.`,
    );
  }
  return { kind: "standard", v1, v1a };
}
