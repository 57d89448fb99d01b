import { importJWK, jwtVerify, type JWTPayload, type KeyLike, type ProtectedHeaderParameters } from "jose";
import { unconfigured, WebhookVerificationError } from "../errors.js";
import { base64UrlToText, bytesToHex, utf8 } from "../lib/bytes.js";
import { bindBody } from "./body-binding.js";
import type { DynamicDeps, JwtInput, JwtVerified } from "./dynamic.js";
import { keysUnavailable, withKeys, type JwksKeySet, type JwksSnapshot, type PublicJwk } from "./jwks.js";
import type { ResolvedJwksOptions } from "./jwks-options.js";
import { checkTimestamp } from "./timestamp.js";
import { isWebhookId } from "./webhook-id.js";

const MAX_KEYS = 32;

function invalid(message: string, cause?: unknown): WebhookVerificationError {
  return new WebhookVerificationError("invalid_jwt", `${message} (jwt)`, { scheme: "jwt", ...(cause !== undefined ? { cause } : {}) });
}

/** The JWK members that make a key (what a key is cached under). */
function material(jwk: PublicJwk): string {
  return [jwk.kty, jwk.crv, jwk.n, jwk.e, jwk.x, jwk.y].map((v) => (typeof v === "string" ? v : "")).join("|");
}

/** Whether a JWK can verify a JWS of algorithm `alg`. */
function fits(jwk: PublicJwk, alg: string): boolean {
  if (jwk.use !== undefined && jwk.use !== "sig") return false;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes("verify"))) return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if (alg.startsWith("RS") || alg.startsWith("PS")) return jwk.kty === "RSA" && typeof jwk.n === "string" && typeof jwk.e === "string";
  if (alg === "EdDSA") return jwk.kty === "OKP" && (jwk.crv === "Ed25519" || jwk.crv === "Ed448") && typeof jwk.x === "string";
  const crv = { ES256: "P-256", ES384: "P-384", ES512: "P-521" }[alg];
  return crv !== undefined && jwk.kty === "EC" && jwk.crv === crv && typeof jwk.x === "string" && typeof jwk.y === "string";
}

interface JwtKey {
  kid: string | undefined;
  /** The imported key; undefined when the JWK would not import (it is then skipped). */
  key: Promise<KeyLike | Uint8Array | undefined>;
  /** The same, once imported (saves an await per delivery). */
  ready?: KeyLike | Uint8Array | undefined;
  imported?: boolean;
}

/** Public keys for JWT verification, each imported once (per algorithm), forgotten when the JWKS drops it. */
export class JwtKeyCache {
  private imported = new Map<string, Promise<KeyLike | Uint8Array | undefined>>();

  /** The keys of a snapshot usable with `alg`, computed (and imported) once per snapshot and algorithm. */
  private fitting(snap: JwksSnapshot, alg: string): JwtKey[] {
    const memoKey = `jwt:${alg}`;
    let list = snap.memo.get(memoKey) as JwtKey[] | undefined;
    if (list) return list;
    list = [];
    const next = new Map<string, Promise<KeyLike | Uint8Array | undefined>>();
    for (const jwk of snap.keys) {
      if (list.length >= MAX_KEYS) break;
      if (!fits(jwk, alg)) continue;
      const cacheKey = `${alg}|${material(jwk)}`;
      let key = this.imported.get(cacheKey) ?? next.get(cacheKey);
      if (!key) {
        const { kty, crv, n, e, x, y } = jwk;
        key = importJWK({ kty, crv, n, e, x, y } as Parameters<typeof importJWK>[0], alg).catch(() => undefined);
      }
      next.set(cacheKey, key);
      const entry: JwtKey = { kid: typeof jwk.kid === "string" ? jwk.kid : undefined, key };
      void key.then((k) => {
        entry.ready = k;
        entry.imported = true;
      });
      list.push(entry);
    }
    // keep the other algorithms' keys of this snapshot; forget keys the JWKS no longer serves
    for (const [k, v] of this.imported) if (!k.startsWith(`${alg}|`) && this.imported.size <= 4 * MAX_KEYS) next.set(k, v);
    this.imported = next;
    snap.memo.set(memoKey, list);
    return list;
  }

  /** Candidate keys for a token: those with its `kid` when it names one, else every key fitting its `alg`. */
  candidates(snap: JwksSnapshot, alg: string, kid: string | undefined): JwtKey[] {
    const all = this.fitting(snap, alg);
    return kid === undefined ? all : all.filter((k) => k.kid === kid);
  }
}

/** The JWS protected header, decoded. */
function decodeHeader(token: string): ProtectedHeaderParameters {
  const segment = token.slice(0, token.indexOf("."));
  if (segment === "") throw new TypeError("no header");
  const header: unknown = JSON.parse(base64UrlToText(segment));
  if (header === null || typeof header !== "object" || Array.isArray(header)) throw new TypeError("not an object");
  return header as ProtectedHeaderParameters;
}

function readHeader(token: string, options: ResolvedJwksOptions): ProtectedHeaderParameters & { alg: string } {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeHeader(token);
  } catch {
    throw invalid("The token is not a JWS: its header is not base64url JSON");
  }
  const alg = header.alg;
  if (typeof alg !== "string" || !options.algorithms.includes(alg)) {
    throw invalid(`The token's alg ${JSON.stringify(alg ?? null).slice(0, 40)} is not allowed; accepted: ${options.algorithms.join(", ")}`);
  }
  if (header.crit !== undefined) {
    throw invalid("The token has critical header parameters (crit) this receiver does not understand");
  }
  if (header.kid !== undefined && typeof header.kid !== "string") throw invalid("The token's kid is not a string");
  return header as ProtectedHeaderParameters & { alg: string };
}

function joseCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * The JWT scheme: the token in `webhook-signature`, checked with jose against the JWKS — algorithm
 * allow-list, audience (required), issuer, exp/nbf with clock tolerance, iat within the replay window,
 * the size cap before any parsing — then bound to the body (see bindBody).
 */
export async function verifyJwtToken(
  set: JwksKeySet,
  cache: JwtKeyCache,
  options: ResolvedJwksOptions,
  deps: DynamicDeps,
  input: JwtInput,
): Promise<JwtVerified> {
  const { token, headers, body } = input;
  if (!options.audience) {
    throw unconfigured(
      "jwt",
      'A JWT-signed (dynamic) delivery arrived but this receiver does not accept the JWT scheme: jwks.audience is not set, so the token\'s "aud" cannot be checked. Add jwks: { audience: "…" } (the audience your dynamic webhooks are issued for) to accept it.',
    );
  }
  if (token.length > options.maxTokenBytes) {
    throw invalid(`The token is ${token.length} bytes, over jwks.maxTokenBytes (${options.maxTokenBytes})`);
  }
  const header = readHeader(token, options);

  const headerTime = headers.timestamp !== undefined ? checkTimestamp(headers.timestamp, deps, "jwt") : undefined;

  const nowMs = deps.now();
  const verifyOptions = {
    algorithms: options.algorithms,
    audience: options.audience,
    ...(options.issuer ? { issuer: options.issuer } : {}),
    clockTolerance: options.clockToleranceSeconds,
    currentDate: new Date(nowMs),
    requiredClaims: options.requiredClaims,
  };

  let result;
  try {
    result = await withKeys(set, async (snap) => {
      const candidates = cache.candidates(snap, header.alg, header.kid);
      for (const c of candidates) {
        const key = c.imported ? c.ready : await c.key;
        if (key === undefined) continue;
        try {
          const { payload } = await jwtVerify(token, key, verifyOptions);
          return { found: { payload, kid: c.kid } };
        } catch (e) {
          if (joseCode(e) === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") continue;
          const msg = e instanceof Error ? e.message : "rejected";
          throw invalid(`The token was rejected: ${msg.slice(0, 200)}`, e);
        }
      }
      return {
        found: undefined,
        reason:
          candidates.length === 0
            ? header.kid !== undefined
              ? `the JWKS has no ${header.alg} key with kid ${JSON.stringify(header.kid).slice(0, 80)}`
              : `the JWKS has no ${header.alg} key`
            : `its signature does not verify with the JWKS's ${candidates.length} matching key${candidates.length === 1 ? "" : "s"}`,
      };
    });
  } catch (e) {
    throw keysUnavailable("jwt", e);
  }
  if (result.found === undefined) throw invalid(`The token did not verify: ${result.reason}`);
  const payload: JWTPayload = result.found.payload;

  const nowSec = Math.floor(nowMs / 1000);
  if (payload.exp === undefined && payload.iat === undefined) {
    throw invalid("The token has neither exp nor iat, so nothing bounds how long it can be replayed");
  }
  if (payload.exp !== undefined && (payload.exp - nowSec) * 1000 > deps.doneTtlMs) {
    throw invalid(
      `The token's exp is ${Math.round((payload.exp - nowSec) / 3600)} h ahead, past the ${Math.round(deps.doneTtlMs / 3600_000)} h the idempotency store remembers a delivery: it could be replayed after its record expires`,
    );
  }
  if (payload.iat !== undefined) {
    const skew = nowSec - payload.iat;
    if (Math.abs(skew) > deps.toleranceSeconds) {
      throw invalid(`The token's iat is ${Math.abs(skew)} s ${skew > 0 ? "old" : "in the future"}, outside the ${deps.toleranceSeconds} s replay window`);
    }
  }

  const claims = payload as Record<string, unknown>;
  const event = await bindBody(claims, body, deps.crypto);

  // The dedupe id comes from signed material only: the jti, else the hash of the signing input (so a
  // re-spelled signature segment is the same delivery). The webhook-id header is not signed by a JWT.
  let webhookId: string;
  if (typeof payload.jti === "string" && isWebhookId(payload.jti)) {
    webhookId = payload.jti;
  } else {
    const signingInput = token.slice(0, token.lastIndexOf("."));
    const d = deps.crypto.sha256(utf8(signingInput));
    webhookId = bytesToHex(d instanceof Uint8Array ? d : await d);
  }

  const timestamp = headerTime ?? (typeof payload.iat === "number" ? new Date(payload.iat * 1000) : new Date(nowMs));
  return { event, claims, ...(result.found.kid !== undefined ? { keyId: result.found.kid } : {}), webhookId, timestamp };
}
