import { WebhookVerificationError } from "../errors.js";
import { base64ToBytes, bytesToBase64, NodeBuffer } from "../lib/bytes.js";

/** Most `v1a,` entries looked at per delivery: bounds the work a forged header can cause. */
const MAX_SIGNATURES = 16;

/** base64 signatures of exactly 64 bytes in canonical form (padded; re-encodes to the very same string). */
export function decodeV1aSignatures(signatures: readonly string[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const s of signatures) {
    if (out.length >= MAX_SIGNATURES) break;
    if (s.length !== 88) continue;
    if (NodeBuffer) {
      // Buffer skips characters outside the alphabet; the re-encoding check refuses anything not canonical
      const bytes = NodeBuffer.from(s, "base64");
      if (bytes.length === 64 && bytes.toString("base64") === s) out.push(bytes);
      continue;
    }
    const bytes = base64ToBytes(s);
    if (bytes && bytes.length === 64 && bytesToBase64(bytes) === s) out.push(bytes);
  }
  return out;
}

/** 400 `signature_mismatch` for v1a: the entries are not Ed25519 signatures at all. */
export function notV1aSignatures(): WebhookVerificationError {
  return new WebhookVerificationError("signature_mismatch", "No v1a signature matched: the v1a entries are not base64 Ed25519 signatures (64 bytes).", { scheme: "v1a" });
}
