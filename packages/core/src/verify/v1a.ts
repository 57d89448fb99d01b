import { WebhookVerificationError } from "../errors.js";
import { concatBytes, utf8 } from "../lib/bytes.js";
import type { CryptoProvider, Ed25519Verifier } from "../lib/crypto.js";
import { decodeV1aSignatures, notV1aSignatures } from "./v1a-signatures.js";
import { keysUnavailable, withKeys, type JwksKeySet, type JwksSnapshot, type PublicJwk } from "./jwks.js";

/** Most Ed25519 keys of a JWKS looked at per delivery: bounds the work a hostile JWKS can cause. */
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
  const sigs = decodeV1aSignatures(input.signatures);
  if (sigs.length === 0) throw notV1aSignatures();
  const data = concatBytes(utf8(input.prefix), input.body);
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
