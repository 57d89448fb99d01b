import { timingSafeEqualString, type HmacSigner } from "./crypto.js";
import { checkEnvelope, parseEnvelope } from "./body.js";
import type { DynamicVerifier } from "./dynamic/index.js";
import { unconfigured, WebhookVerificationError } from "./errors.js";
import type { GeminiWebhookEvent } from "./events.js";
import type { WebhookHeaders } from "./headers.js";
import { parseSignatureHeader } from "./signature-header.js";
import { checkTimestamp } from "./timestamp.js";
import type { VerifiedDelivery } from "./types.js";

const MAX_ID_LENGTH = 256;

export interface VerifierState {
  secrets: HmacSigner[];
  dynamic: DynamicVerifier | undefined;
  toleranceSeconds: number;
  now: () => number;
  namespace: string;
}

function missing(name: string, scheme?: "v1" | "v1a"): WebhookVerificationError {
  const tried = scheme === undefined ? "" : ` (${scheme})`;
  return new WebhookVerificationError(
    "missing_header",
    `The ${name} header is missing${tried}; Gemini sends webhook-id, webhook-timestamp and webhook-signature with every delivery.`,
    scheme === undefined ? undefined : { scheme },
  );
}

function visibleAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

function checkId(id: string | undefined, scheme: "v1" | "v1a"): string {
  if (id === undefined) throw missing("webhook-id", scheme);
  // visible ASCII only: a header is read as latin1 while the signed string is UTF-8, so anything else can never verify
  if (id.length === 0 || id.length > MAX_ID_LENGTH || !visibleAscii(id)) {
    throw new WebhookVerificationError("invalid_header", `webhook-id must be 1 to ${MAX_ID_LENGTH} visible ASCII characters (${scheme}).`, { scheme });
  }
  return id;
}

async function verifyJwtDelivery(token: string, h: WebhookHeaders, body: Uint8Array, state: VerifierState): Promise<VerifiedDelivery> {
  if (!state.dynamic) {
    throw unconfigured("jwt", 'A JWT-signed (dynamic) delivery arrived but this receiver does not accept dynamic webhooks: add jwks: { audience: "…" } to accept it.');
  }
  const r = await state.dynamic.verifyJwt({ token, headers: h, body });
  const event = checkEnvelope(r.event, false, "jwt") as GeminiWebhookEvent;
  return {
    event,
    ctx: {
      webhookId: r.webhookId,
      timestamp: r.timestamp,
      scheme: "jwt",
      ...(r.keyId !== undefined ? { keyId: r.keyId } : {}),
      claims: r.claims,
      rawBody: body,
      // its own key space: a JWT can never occupy, complete or release a v1/v1a delivery's id
      idempotencyKey: `${state.namespace}:jwt:${r.webhookId}`,
    },
  };
}

/** What a v1 / v1a check needs after the headers are read. */
interface Signed {
  id: string;
  timestamp: Date;
  prefix: string;
  body: Uint8Array;
  v1: string[];
  v1a: string[];
  state: VerifierState;
}

/** The v1 delivery when `expected` (secret i's HMAC) is one of the signatures, else undefined. */
function matchV1(s: Signed, expected: string, i: number): VerifiedDelivery | undefined {
  for (const sig of s.v1) {
    if (timingSafeEqualString(expected, sig)) {
      const event = parseEnvelope(s.body, "v1") as GeminiWebhookEvent;
      return { event, ctx: { webhookId: s.id, timestamp: s.timestamp, scheme: "v1", secretIndex: i, rawBody: s.body, idempotencyKey: `${s.state.namespace}:${s.id}` } };
    }
  }
  return undefined;
}

/** The rest of the v1 loop once a signer answered with a promise (Web Crypto), from secret `i` on. */
async function verifyV1From(s: Signed, i: number, pending: Promise<string>): Promise<VerifiedDelivery> {
  const found = matchV1(s, await pending, i);
  if (found) return found;
  for (let j = i + 1; j < s.state.secrets.length; j++) {
    const match = matchV1(s, await s.state.secrets[j]!.sign(s.prefix, s.body), j);
    if (match) return match;
  }
  return afterV1(s);
}

async function verifyV1a(s: Signed): Promise<VerifiedDelivery> {
  const r = await s.state.dynamic!.verifyV1a({ prefix: s.prefix, body: s.body, signatures: s.v1a });
  const event = parseEnvelope(s.body, "v1a") as GeminiWebhookEvent;
  return {
    event,
    ctx: { webhookId: s.id, timestamp: s.timestamp, scheme: "v1a", ...(r.keyId !== undefined ? { keyId: r.keyId } : {}), rawBody: s.body, idempotencyKey: `${s.state.namespace}:${s.id}` },
  };
}

/** 400 unsupported_signature for a v1 / v1a delivery this receiver is not configured for, naming the option. */
function notConfigured(v1: boolean): WebhookVerificationError {
  return v1
    ? unconfigured("v1", 'A v1 (HMAC) signed delivery arrived but this receiver has no secret: set the secret option to the static webhook\'s "whsec_…" signing secret to accept it.')
    : unconfigured("v1a", "A v1a (Ed25519) signed delivery arrived but this receiver does not accept dynamic webhooks: add jwks: {} (Google's JWKS is the default) to accept it.");
}

/** No v1 signature matched: v1a when the header has one and the receiver takes it, else signature_mismatch. */
function afterV1(s: Signed): Promise<VerifiedDelivery> | never {
  const { state } = s;
  if (s.v1a.length > 0 && state.dynamic) return verifyV1a(s);
  const n = state.secrets.length;
  throw new WebhookVerificationError(
    "signature_mismatch",
    `No signature matched; tried v1 (HMAC-SHA256, ${n} secret${n > 1 ? "s" : ""}) over "webhook-id.webhook-timestamp.body". Check the signing secret, and that the receiver gets the raw, unmodified body (no JSON parser before it).`,
    { scheme: "v1" },
  );
}

/**
 * The whole verification of one delivery: scheme chosen by the shape of `webhook-signature`. A v1 delivery
 * with a synchronous HMAC (Node) is verified synchronously: the result, or a throw; the other paths give a
 * promise. Callers handle both (no promise and no microtask on the hot path).
 */
export function verifyDelivery(h: WebhookHeaders, body: Uint8Array, state: VerifierState): VerifiedDelivery | Promise<VerifiedDelivery> {
  if (h.signature === undefined) throw missing("webhook-signature");
  const parsed = parseSignatureHeader(h.signature);
  if (parsed.kind === "jwt") return verifyJwtDelivery(parsed.token, h, body, state);

  const useV1 = parsed.v1.length > 0 && state.secrets.length > 0;
  // a scheme this receiver does not take is said before any other check (as for a JWT): the answer names the option to add
  if (!useV1 && !(parsed.v1a.length > 0 && state.dynamic)) throw notConfigured(parsed.v1.length > 0);
  // (past that check: v1 with a secret, or else v1a with jwks)
  const firstScheme = useV1 ? "v1" : "v1a";
  const id = checkId(h.id, firstScheme);
  if (h.timestamp === undefined) throw missing("webhook-timestamp", firstScheme);
  const timestamp = checkTimestamp(h.timestamp, state, firstScheme);
  const s: Signed = { id, timestamp, prefix: `${id}.${h.timestamp}.`, body, v1: parsed.v1, v1a: parsed.v1a, state };

  if (useV1) {
    for (let i = 0; i < state.secrets.length; i++) {
      const signed = state.secrets[i]!.sign(s.prefix, body);
      if (typeof signed !== "string") return verifyV1From(s, i, signed);
      const match = matchV1(s, signed, i);
      if (match) return match;
    }
    return afterV1(s);
  }
  return verifyV1a(s);
}
