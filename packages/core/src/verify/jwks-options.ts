import { GeminiWebhooksConfigError } from "../errors.js";
import { numberOption } from "../lib/validate.js";
import type { JwksOptions } from "../receiver/types.js";

/** Google's JWKS for Gemini dynamic webhooks (kept here so core has one source for it). */
export const DEFAULT_JWKS_URI = "https://generativelanguage.googleapis.com/.well-known/jwks.json";

/** Asymmetric JWS algorithms a JWKS can verify. `none` and HMAC (`HS*`) can never be allowed. */
export const ASYMMETRIC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;

/** `jwks` with every default filled in, checked once at construction. */
export interface ResolvedJwksOptions {
  uri: string;
  /** The uri as messages and logs show it: origin + path (no query, no userinfo). */
  shownUri: string;
  audience: string[] | undefined;
  issuer: string[] | undefined;
  algorithms: string[];
  cooldownMs: number;
  cacheMaxAgeMs: number;
  timeoutMs: number;
  requiredClaims: string[];
  maxTokenBytes: number;
  clockToleranceSeconds: number;
}

function fail(message: string): never {
  const option = /^(\w+)/.exec(message)?.[1];
  throw new GeminiWebhooksConfigError(option ? `jwks.${option}` : "jwks", `jwks.${message}`);
}

/** Hosts a plain-http JWKS may live on (tests, a local issuer): the loopback interface only. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** origin + path: what messages and logs show of a URL (never its query or userinfo). */
export function showUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function strings(name: string, v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const list = typeof v === "string" ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === "string" && s.trim() !== "")) {
    fail(`${name} must be a non-empty string or a non-empty array of non-empty strings.`);
  }
  return list.map((s: string) => s.trim());
}

const num = (name: string, v: unknown, dflt: number, min: number): number => numberOption(`jwks.${name}`, v, dflt, min);

/** Validates the `jwks` option (a startup error, never a per-request one) and fills in the defaults. */
export function resolveJwksOptions(options: JwksOptions): ResolvedJwksOptions {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new GeminiWebhooksConfigError("jwks", "jwks must be an object, e.g. jwks: { audience: \"my-audience\" } (or jwks: {} for v1a only).");
  }
  const uri = options.uri ?? DEFAULT_JWKS_URI;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    fail("uri is not a URL.");
  }
  if (url.username !== "" || url.password !== "") {
    fail(`uri must not carry credentials (user:pass@); keys are fetched anonymously from ${showUrl(url)}.`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    fail(`uri must be an https: URL (plain http: only on a loopback host, for local tests); got ${url.protocol}//${url.host}.`);
  }

  const algorithms = options.algorithms ?? ["RS256"];
  if (!Array.isArray(algorithms) || algorithms.length === 0) fail('algorithms must be a non-empty array, e.g. ["RS256"].');
  for (const alg of algorithms) {
    if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
      fail(
        `algorithms: ${JSON.stringify(alg)} cannot be verified with a public JWKS` +
          `${/^HS/i.test(String(alg)) || String(alg).toLowerCase() === "none" ? " (it would let anyone forge tokens)" : ""}; use some of ${ASYMMETRIC_ALGORITHMS.join(", ")}.`,
      );
    }
  }
  const requiredClaims = options.requiredClaims ?? ["exp"];
  if (!Array.isArray(requiredClaims) || !requiredClaims.every((c) => typeof c === "string")) fail('requiredClaims must be an array of claim names, e.g. ["exp"].');

  return {
    uri: url.href,
    shownUri: showUrl(url),
    audience: strings("audience", options.audience),
    issuer: strings("issuer", options.issuer),
    algorithms: [...algorithms],
    cooldownMs: num("cooldownMs", options.cooldownMs, 30_000, 0),
    cacheMaxAgeMs: num("cacheMaxAgeMs", options.cacheMaxAgeMs, 600_000, 0),
    timeoutMs: num("timeoutMs", options.timeoutMs, 5_000, 1),
    requiredClaims: [...requiredClaims],
    maxTokenBytes: num("maxTokenBytes", options.maxTokenBytes, 8192, 16),
    clockToleranceSeconds: num("clockToleranceSeconds", options.clockToleranceSeconds, 30, 0),
  };
}
