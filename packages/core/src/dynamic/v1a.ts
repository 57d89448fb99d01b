import { base64ToBytes, bytesToBase64, concatBytes, utf8, type CryptoProvider, type Ed25519Verifier } from "../crypto.js";
import { WebhookVerificationError } from "../errors.js";
import { withKeys, type JwksKeySet, type JwksSnapshot, type PublicJwk } from "./key-set.js";
import { keysUnavailable } from "./unavailable.js";

/** Most `v1a,` entries and Ed25519 keys looked at per delivery: bounds the work a forged header can cause. */
const MAX_SIGNATURES = 16;
const MAX_KEYS = 32;

interface EdKey {
  kid: string | undefined;
  key: Ed25519Verifier;
}

/** Ed25519 keys, imported once each (by their `x`), shared across JWKS snapshots. */
export class Ed25519KeyCache {
  private byX = new Map<string, Ed25519Verifier>();

  constructor(private readonly crypto: CryptoProvider) {}

  /** The usable Ed25519 signing keys of a snapshot, computed once per snapshot. */
  keysOf(snap: JwksSnapshot): EdKey[] {
    const memo = snap.memo.get("v1a") as EdKey[] | undefined;
    if (memo) return memo;
    const out: EdKey[] = [];
    const seen = new Map<string, Ed25519Verifier>();
    for (const jwk of snap.keys) {
      if (out.length >= MAX_KEYS) break;
      if (!isEd25519SigningKey(jwk)) continue;
      const x = jwk.x as string;
      let key = this.byX.get(x) ?? seen.get(x);
      if (!key) {
        try {
          key = this.crypto.ed25519Key(x);
        } catch {
          continue; // a malformed key: skip it, the others may verify
        }
      }
      seen.set(x, key);
      out.push({ kid: typeof jwk.kid === "string" ? jwk.kid : undefined, key });
    }
    this.byX = seen; // keys that left the JWKS are forgotten
    snap.memo.set("v1a", out);
    return out;
  }
}

function isEd25519SigningKey(jwk: PublicJwk): boolean {
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(jwk.x)) return false;
  if (jwk.use !== undefined && jwk.use !== "sig") return false;
  if (jwk.alg !== undefined && jwk.alg !== "EdDSA" && jwk.alg !== "Ed25519") return false;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes("verify"))) return false;
  return true;
}

type NodeBuffer = { from(s: string, enc: "base64" | "utf8"): Uint8Array & { toString(enc: "base64"): string }; concat(list: Uint8Array[]): Uint8Array };
const Buf = (globalThis as { Buffer?: NodeBuffer }).Buffer;

/** base64 signatures of exactly 64 bytes in canonical form (padded; re-encodes to the very same string). */
function decodeSignatures(signatures: string[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const s of signatures) {
    if (out.length >= MAX_SIGNATURES) break;
    if (s.length !== 88) continue;
    if (Buf) {
      // Buffer skips characters outside the alphabet; the re-encoding check refuses anything not canonical
      const bytes = Buf.from(s, "base64");
      if (bytes.length === 64 && bytes.toString("base64") === s) out.push(bytes);
      continue;
    }
    const bytes = base64ToBytes(s);
    if (bytes && bytes.length === 64 && bytesToBase64(bytes) === s) out.push(bytes);
  }
  return out;
}

/**
 * Standard Webhooks v1a: Ed25519 over `id.timestamp.body`, against every Ed25519 key of the JWKS (a key may
 * have no `kid`, and the header names none). No key verifies: one reload (outside the cooldown), then
 * `signature_mismatch`; the reload failing: `keys_unavailable`.
 */
export async function verifyV1aSignatures(
  set: JwksKeySet,
  cache: Ed25519KeyCache,
  input: { prefix: string; body: Uint8Array; signatures: string[] },
): Promise<{ keyId?: string }> {
  const sigs = decodeSignatures(input.signatures);
  if (sigs.length === 0) {
    throw new WebhookVerificationError("signature_mismatch", "No v1a signature matched: the v1a entries are not base64 Ed25519 signatures (64 bytes).", { scheme: "v1a" });
  }
  const data = Buf ? Buf.concat([Buf.from(input.prefix, "utf8"), input.body]) : concatBytes(utf8(input.prefix), input.body);
  let result;
  try {
    result = await withKeys(set, async (snap) => {
      const keys = cache.keysOf(snap);
      for (const { kid, key } of keys) {
        for (const sig of sigs) {
          const ok = key.verify(data, sig);
          if (ok === true || (ok !== false && (await ok))) return { found: { kid } };
        }
      }
      return { found: undefined, reason: `${keys.length} Ed25519 key${keys.length === 1 ? "" : "s"}` };
    });
  } catch (e) {
    throw keysUnavailable("v1a", e);
  }
  if (result.found === undefined) {
    throw new WebhookVerificationError(
      "signature_mismatch",
      `No v1a signature matched; tried Ed25519 over "webhook-id.webhook-timestamp.body" with the JWKS's ${result.reason}. Check jwks.uri, and that the receiver gets the raw, unmodified body (no JSON parser before it).`,
      { scheme: "v1a" },
    );
  }
  return result.found.kid !== undefined ? { keyId: result.found.kid } : {};
}
