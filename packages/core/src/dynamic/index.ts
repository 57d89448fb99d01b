import type { CryptoProvider } from "../crypto.js";
import type { WebhookHeaders } from "../headers.js";
import type { JwksOptions } from "../types.js";
import { verifyJwtToken, JwtKeyCache } from "./jwt.js";
import { JwksKeySet } from "./key-set.js";
import { resolveJwksOptions, type ResolvedJwksOptions } from "./options.js";
import { Ed25519KeyCache, verifyV1aSignatures } from "./v1a.js";

export { DEFAULT_JWKS_URI, ASYMMETRIC_ALGORITHMS, resolveJwksOptions, type ResolvedJwksOptions } from "./options.js";

export interface DynamicDeps {
  now: () => number;
  toleranceSeconds: number;
  crypto: CryptoProvider;
  /** How long the idempotency store remembers a processed id: a JWT may not outlive it. */
  doneTtlMs: number;
}

export interface V1aInput {
  /** `${webhook-id}.${webhook-timestamp}.` */
  prefix: string;
  body: Uint8Array;
  /** base64 signatures from the `v1a,` entries. */
  signatures: string[];
}

export interface JwtInput {
  token: string;
  headers: WebhookHeaders;
  body: Uint8Array;
}

export interface JwtVerified {
  /** The event: the parsed body (hash-bound) or the claims themselves. */
  event: unknown;
  claims: Record<string, unknown>;
  keyId?: string;
  /** The `jti`, else the SHA-256 (hex) of the token's signing input `<header>.<payload>`. */
  webhookId: string;
  timestamp: Date;
}

/** Verification against a JWKS: one key cache per receiver. */
export interface DynamicVerifier {
  verifyV1a(input: V1aInput): Promise<{ keyId?: string }>;
  verifyJwt(input: JwtInput): Promise<JwtVerified>;
  /** The options in force, defaults filled in. */
  readonly options: ResolvedJwksOptions;
  /** Fetches the JWKS now (e.g. at startup, to warm the cache); rejects when it cannot be fetched. */
  reload(): Promise<void>;
  /** JWKS fetches started so far (every attempt, failed or not). */
  readonly fetches: number;
}

/**
 * The dynamic-webhook verifier of one receiver: validates `jwks` now (a bad option throws at startup) and
 * holds the receiver's single JWKS cache, shared by the v1a and JWT schemes.
 */
export function createDynamicVerifier(jwks: JwksOptions, deps: DynamicDeps): DynamicVerifier {
  const options = resolveJwksOptions(jwks);
  const set = new JwksKeySet(options, deps.now);
  const edKeys = new Ed25519KeyCache(deps.crypto);
  const jwtKeys = new JwtKeyCache();
  return {
    options,
    verifyV1a: (input) => verifyV1aSignatures(set, edKeys, input),
    verifyJwt: (input) => verifyJwtToken(set, jwtKeys, options, deps, input),
    reload: async () => {
      await set.reload();
    },
    get fetches() {
      return set.attempts;
    },
  };
}
