import type { CryptoProvider } from "../lib/crypto.js";
import type { WebhookHeaders } from "./headers.js";
import { verifyJwtToken, JwtKeyCache } from "./jwt.js";
import { JwksKeySet } from "./jwks.js";
import type { ResolvedJwksOptions } from "./jwks-options.js";
import { Ed25519KeyCache, verifyV1aSignatures } from "./v1a.js";

/**
 * The dynamic schemes (v1a against the JWKS, JWT): jose and the JWKS machinery. This module is loaded on
 * the first dynamic delivery (verify/delivery.ts), so a receiver that only ever verifies v1 never loads it.
 */

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

/** Verification against a JWKS: one key cache per receiver, shared by the v1a and JWT schemes. */
export interface DynamicVerifier {
  verifyV1a(input: V1aInput): Promise<{ keyId?: string }>;
  verifyJwt(input: JwtInput): Promise<JwtVerified>;
}

export function createDynamicVerifier(options: ResolvedJwksOptions, deps: DynamicDeps): DynamicVerifier {
  const set = new JwksKeySet(options, deps.now);
  const edKeys = new Ed25519KeyCache(deps.crypto);
  const jwtKeys = new JwtKeyCache();
  return {
    verifyV1a: (input) => verifyV1aSignatures(set, edKeys, input),
    verifyJwt: (input) => verifyJwtToken(set, jwtKeys, options, deps, input),
  };
}
