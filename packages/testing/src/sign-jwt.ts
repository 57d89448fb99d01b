import { createHash, createHmac, createPublicKey, sign, type KeyObject } from "node:crypto";
import { toKeyObject, type PrivateKeyInput } from "./private-key.js";
import { bodyOf, newMessageId, toEpochSeconds } from "./sign-static.js";

/** How the token vouches for the body ("Dynamic body binding" in the design). */
export type JwtBodyBinding = "hash" | "claims" | "none";

export interface SignJwtInput {
  /** The event. With bindBody "claims" it goes into the claims; the body defaults to its JSON. */
  event?: unknown;
  /** The exact body to send (default: JSON of `event`; "" sends an empty body). */
  body?: string | Uint8Array;
  /** `aud` claim (omitted when undefined). */
  audience?: string | string[];
  /** `iss` claim. */
  issuer?: string;
  /** Default "hash": a SHA-256 of the body in `body_sha256`. */
  bindBody?: JwtBodyBinding;
  /** Which hash claim, and its encoding. Default body_sha256, hex. */
  hashClaim?: "body_sha256" | "request_body_sha256";
  hashEncoding?: "hex" | "base64url";
  /** The time the token is issued (`iat`, and webhook-timestamp): epoch seconds or a Date; default now. */
  timestamp?: number | Date;
  /** `exp` = iat + expiresIn seconds (default 300); null leaves `exp` out. */
  expiresIn?: number | null;
  /**
   * Extra or overriding claims (undefined values remove a claim, e.g. { iat: undefined }). `jti` defaults to
   * the delivery's id (see `id`); `{ jti: undefined }` leaves it out, so the receiver keys the delivery on
   * the hash of the token's signing input.
   */
  claims?: Record<string, unknown>;
  /** Extra or overriding JWS header members (alg, kid, jku, jwk, crit…). */
  header?: Record<string, unknown>;
  /**
   * The delivery's id (default a fresh `msg_…`): sent as the `webhook-id` header and put in the `jti` claim,
   * since a receiver dedupes a JWT on its jti (the header is not signed). Re-signing with the same id (a
   * retry with a fresh timestamp) is then the same delivery. null sends no header (and a fresh jti).
   */
  id?: string | null;
  /** Whether to send webhook-timestamp (default true). */
  sendTimestamp?: boolean;
}

export interface JwtKeyInput {
  /** RSA (RS256/PS256…), EC or Ed25519 (EdDSA) private key; or… */
  privateKey?: PrivateKeyInput;
  /** …an HMAC key (for the "HS256 keyed with the public key" attack); or… */
  hmacKey?: string | Uint8Array;
  /** …`"none"` for an unsigned token (alg none). */
  unsigned?: boolean;
  /** `kid` header (default none). */
  kid?: string;
}

/** A JWT-signed delivery: webhook-id / webhook-timestamp are there unless turned off. */
export interface JwtDelivery {
  body: string;
  headers: Record<string, string>;
  /** The compact JWT sent in webhook-signature. */
  token: string;
  claims: Record<string, unknown>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

function defaultAlg(key: JwtKeyInput): string {
  if (key.unsigned) return "none";
  if (key.hmacKey !== undefined) return "HS256";
  const k = toKeyObject(key.privateKey!);
  if (k.asymmetricKeyType === "ed25519" || k.asymmetricKeyType === "ed448") return "EdDSA";
  if (k.asymmetricKeyType === "ec") {
    const crv = k.asymmetricKeyDetails?.namedCurve;
    return crv === "secp384r1" ? "ES384" : crv === "secp521r1" ? "ES512" : "ES256";
  }
  return "RS256";
}

function jwsSign(headerAlg: string, data: Buffer, key: JwtKeyInput): Buffer {
  if (headerAlg.toLowerCase() === "none" || key.unsigned) return Buffer.alloc(0);
  // an alg this helper does not know (a test may claim anything in the header): sign as the key would
  const alg = /^(?:(?:RS|PS|ES|HS)(?:256|384|512)|EdDSA)$/.test(headerAlg) ? headerAlg : defaultAlg(key);
  if (key.hmacKey !== undefined) return createHmac(`sha${alg.slice(2) || "256"}`, key.hmacKey).update(data).digest();
  const k = toKeyObject(key.privateKey!);
  const bits = alg.slice(2);
  if (alg === "EdDSA") return sign(null, data, k);
  if (alg.startsWith("PS")) return sign(`sha${bits}`, data, { key: k, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: Number(bits) / 8 });
  if (alg.startsWith("ES")) return sign(`sha${bits}`, data, { key: k, dsaEncoding: "ieee-p1363" });
  return sign(`sha${bits}`, data, k);
}

/** A compact JWS over arbitrary header and claims (for tests, attacks included). */
export function signJwsCompact(header: Record<string, unknown>, payload: unknown, key: JwtKeyInput): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(jwsSign(String(header.alg), Buffer.from(input), key))}`;
}

/** Signs a delivery the way Gemini's docs describe dynamic webhooks: a JWT in `webhook-signature`. */
export function signJwt(input: SignJwtInput & JwtKeyInput): JwtDelivery {
  const binding = input.bindBody ?? "hash";
  if (binding === "claims" && input.event === undefined) throw new TypeError('bindBody "claims" needs an event');
  const body = input.body !== undefined || input.event !== undefined ? bodyOf(input) : "";
  const iat = toEpochSeconds(input.timestamp);
  const id = input.id === undefined ? newMessageId() : input.id;
  const claims: Record<string, unknown> = {};
  if (input.issuer !== undefined) claims.iss = input.issuer;
  if (input.audience !== undefined) claims.aud = input.audience;
  claims.iat = iat;
  const expiresIn = input.expiresIn === undefined ? 300 : input.expiresIn;
  if (expiresIn !== null) claims.exp = iat + expiresIn;
  claims.jti = id ?? newMessageId();
  if (binding === "hash") {
    const digest = createHash("sha256").update(body).digest();
    claims[input.hashClaim ?? "body_sha256"] = input.hashEncoding === "base64url" ? digest.toString("base64url") : digest.toString("hex");
  } else if (binding === "claims") {
    Object.assign(claims, input.event as object);
  }
  for (const [k, v] of Object.entries(input.claims ?? {})) {
    if (v === undefined) delete claims[k];
    else claims[k] = v;
  }
  const header: Record<string, unknown> = { alg: defaultAlg(input), typ: "JWT", ...(input.kid !== undefined ? { kid: input.kid } : {}) };
  for (const [k, v] of Object.entries(input.header ?? {})) {
    if (v === undefined) delete header[k];
    else header[k] = v;
  }
  const token = signJwsCompact(header, claims, input);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (id !== null) headers["webhook-id"] = id;
  if (input.sendTimestamp !== false) headers["webhook-timestamp"] = String(iat);
  headers["webhook-signature"] = token;
  return { body, headers, token, claims };
}

/** The PEM (SPKI) of a public key: what an "HS256 keyed with the RSA public key" forger would use. */
export function publicKeyPem(key: KeyObject | { publicKey: KeyObject }): string {
  const k = "publicKey" in key ? key.publicKey : createPublicKey(key);
  return k.export({ format: "pem", type: "spki" }).toString();
}
