import { WebhookVerificationError } from "../errors.js";
import { bytesToBase64Url, bytesToHex, bytesToText, timingSafeEqualString } from "../lib/bytes.js";
import type { CryptoProvider } from "../lib/crypto.js";
import { MAX_JSON_DEPTH, tooDeep } from "./envelope.js";

/** Registered JWT claims: they describe the token, not the event (they stay in ctx.claims). */
export const REGISTERED_CLAIMS = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"] as const;
const HASH_CLAIMS = ["body_sha256", "request_body_sha256"] as const;

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const B64URL_SHA256 = /^[A-Za-z0-9_-]{43}=?$/;

function mismatch(message: string): WebhookVerificationError {
  return new WebhookVerificationError("body_mismatch", `${message} (jwt): the body is not the one the token was issued for.`, { scheme: "jwt" });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Deep equality of JSON values, object key order ignored. */
export function jsonEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (depth > MAX_JSON_DEPTH) throw tooDeep("jwt");
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i], depth + 1));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k], depth + 1));
  }
  return false;
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(bytesToText(body));
  } catch {
    return undefined;
  }
}

/**
 * What a verified JWT vouches for ("Dynamic body binding" in DESIGN):
 * - a SHA-256 of the body in `body_sha256` / `request_body_sha256` (hex or base64url): the raw body must
 *   hash to it (constant time), and the event is the parsed body;
 * - else claims carrying the event (`type` and `data`): the event is the claims minus the registered ones,
 *   and a non-empty body must be the same event (`type`, `data`, `timestamp`, key order ignored);
 * - else `unbound_body`: no signature covers the content, so no handler gets it.
 */
export async function bindBody(claims: Record<string, unknown>, body: Uint8Array, crypto: CryptoProvider): Promise<unknown> {
  const hashClaims = HASH_CLAIMS.filter((c) => claims[c] !== undefined);
  if (hashClaims.length > 0) {
    const d = crypto.sha256(body);
    const digest = d instanceof Uint8Array ? d : await d;
    let hex: string | undefined;
    let b64url: string | undefined;
    for (const name of hashClaims) {
      const v = claims[name];
      if (typeof v !== "string") throw mismatch(`The "${name}" claim is not a string`);
      let ok: boolean;
      if (HEX_SHA256.test(v)) ok = timingSafeEqualString((hex ??= bytesToHex(digest)), v.toLowerCase());
      else if (B64URL_SHA256.test(v)) ok = timingSafeEqualString((b64url ??= bytesToBase64Url(digest)), v.replace(/=$/, ""));
      else throw mismatch(`The "${name}" claim is not a hex or base64url SHA-256`);
      if (!ok) throw mismatch(`The body's SHA-256 does not match the "${name}" claim`);
    }
    const parsed = parseJson(body);
    if (parsed === undefined) {
      throw new WebhookVerificationError("invalid_json", "The body matches the token's hash claim but is not valid JSON (jwt).", { scheme: "jwt" });
    }
    return parsed;
  }

  if (typeof claims.type === "string" && claims.data !== undefined) {
    const event: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(claims)) {
      // defineProperty, not assignment: a "__proto__" claim stays data and never becomes the prototype
      if (!(REGISTERED_CLAIMS as readonly string[]).includes(k)) Object.defineProperty(event, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    if (bytesToText(body).trim() !== "") {
      const sent = parseJson(body);
      if (!isPlainObject(sent)) throw mismatch("The body is not JSON, while the token carries the event in its claims");
      for (const field of ["type", "data", "timestamp"] as const) {
        if (!jsonEqual(sent[field], event[field])) throw mismatch(`The body's "${field}" differs from the event in the token's claims`);
      }
    }
    return event;
  }

  throw new WebhookVerificationError(
    "unbound_body",
    'The JWT verified but binds no content (jwt): it carries neither a body hash ("body_sha256" / "request_body_sha256") nor the event ("type" and "data"), so nothing in the body is covered by a signature.',
    { scheme: "jwt" },
  );
}
