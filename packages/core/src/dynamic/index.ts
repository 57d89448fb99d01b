import { WebhookVerificationError } from "../errors.js";
import type { WebhookHeaders } from "../headers.js";
import type { JwksOptions } from "../types.js";

export interface DynamicDeps {
  now: () => number;
  toleranceSeconds: number;
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
  /** webhook-id, else jti, else SHA-256 of the token. */
  webhookId: string;
  timestamp: Date;
}

/** Verification against a JWKS: one key cache per receiver. */
export interface DynamicVerifier {
  verifyV1a(input: V1aInput): Promise<{ keyId?: string }>;
  verifyJwt(input: JwtInput): Promise<JwtVerified>;
}

export function createDynamicVerifier(_options: JwksOptions, _deps: DynamicDeps): DynamicVerifier {
  const notYet = (scheme: "v1a" | "jwt") =>
    new WebhookVerificationError("configuration", `Dynamic webhooks (${scheme}) are not available in this build.`, { scheme });
  return {
    async verifyV1a() {
      throw notYet("v1a");
    },
    async verifyJwt() {
      throw notYet("jwt");
    },
  };
}
