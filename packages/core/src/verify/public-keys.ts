import { GeminiWebhooksConfigError, WebhookVerificationError } from "../errors.js";
import { base64ToBytes, bytesToBase64Url, concatBytes, utf8 } from "../lib/bytes.js";
import type { CryptoProvider, Ed25519Verifier } from "../lib/crypto.js";
import { decodeV1aSignatures, notV1aSignatures } from "./v1a-signatures.js";

/**
 * Standard Webhooks v1a with pinned keys (`publicKey: "whpk_…"`): Ed25519 public keys given in the options,
 * tried before any JWKS (so a pinned-key delivery verifies while the JWKS is down). `whpk_` followed by the
 * standard base64 (padded) of the 32-byte raw public key, as the Standard Webhooks spec defines it.
 */

const PREFIX = "whpk_";

/** Parses `publicKey` (one or several, e.g. during a rotation): a startup error naming the format for a bad one. */
export function parsePublicKeys(option: unknown, crypto: CryptoProvider): Ed25519Verifier[] {
  if (option === undefined) return [];
  const list = Array.isArray(option) ? option : [option];
  if (list.length === 0) throw new GeminiWebhooksConfigError("publicKey", 'publicKey is an empty array; give at least one "whpk_…" key, or leave it out.');
  return list.map((key, i) => {
    const where = i === 0 && !Array.isArray(option) ? "publicKey" : `publicKey[${i}]`;
    const expected = `${where} must be "whpk_" followed by the standard base64 of a 32-byte Ed25519 public key (44 characters, padded)`;
    if (typeof key !== "string") throw new GeminiWebhooksConfigError("publicKey", `${expected}; got ${key === null ? "null" : typeof key}.`);
    const trimmed = key.trim();
    if (trimmed === "") throw new GeminiWebhooksConfigError("publicKey", `${where} is empty. ${expected}.`);
    if (trimmed.startsWith("whsk_")) throw new GeminiWebhooksConfigError("publicKey", `${where} is a signing (secret) key, "whsk_…": give the receiver only the public key, "whpk_…".`);
    const body = trimmed.startsWith(PREFIX) ? trimmed.slice(PREFIX.length) : trimmed;
    const raw = /\s/.test(body) ? undefined : base64ToBytes(body);
    if (!raw || raw.length !== 32) throw new GeminiWebhooksConfigError("publicKey", `${expected}; this one ${raw ? `decodes to ${raw.length} bytes` : "is not base64"}.`);
    try {
      return crypto.ed25519Key(bytesToBase64Url(raw));
    } catch {
      throw new GeminiWebhooksConfigError("publicKey", `${where} is not a valid Ed25519 public key.`);
    }
  });
}

/** The index of the pinned key that verifies one of the `v1a,` signatures over `prefix || body`, or undefined. */
export async function matchPublicKeys(keys: readonly Ed25519Verifier[], prefix: string, body: Uint8Array, signatures: readonly string[]): Promise<number | undefined> {
  const sigs = decodeV1aSignatures(signatures);
  if (sigs.length === 0) throw notV1aSignatures();
  const data = concatBytes(utf8(prefix), body);
  for (let i = 0; i < keys.length; i++) {
    for (const sig of sigs) if (await keys[i]!.verify(data, sig)) return i;
  }
  return undefined;
}

/** 400 `signature_mismatch` for v1a when only pinned keys were tried. */
export function publicKeyMismatch(count: number): WebhookVerificationError {
  return new WebhookVerificationError(
    "signature_mismatch",
    `No v1a signature matched; tried Ed25519 over "webhook-id.webhook-timestamp.body" with ${count} pinned public key${count === 1 ? "" : "s"} (publicKey). Check the key, and that the receiver gets the raw, unmodified body (no JSON parser before it).`,
    { scheme: "v1a" },
  );
}
