import { unconfigured, type SignatureScheme } from "../errors.js";
import type { GeminiWebhookEvent } from "../events.js";
import type { Ed25519Verifier, HmacSigner } from "../lib/crypto.js";
import { jwtKey, deliveryKey } from "../pipeline/keys.js";
import type { VerifiedDelivery, WebhookContext } from "../receiver/types.js";
import type { DynamicVerifier } from "./dynamic.js";
import { checkEnvelope, parseEnvelope } from "./envelope.js";
import type { WebhookHeaders } from "./headers.js";
import { parseSignatureHeader } from "./signature-header.js";
import { checkTimestamp } from "./timestamp.js";
import { matchPublicKeys, publicKeyMismatch } from "./public-keys.js";
import { matchV1, v1Mismatch } from "./v1.js";
import { checkWebhookId, missingHeader } from "./webhook-id.js";

/** What verifying needs, built once per receiver. */
export interface VerifierState {
  secrets: HmacSigner[];
  /** Pinned v1a keys (`publicKey`), tried before the JWKS. */
  publicKeys: Ed25519Verifier[];
  /** The dynamic schemes (v1a against the JWKS, JWT), loaded on first use; undefined without `jwks`. */
  dynamic: (() => Promise<DynamicVerifier>) | undefined;
  toleranceSeconds: number;
  now: () => number;
  namespace: string;
}

/** What a v1 / v1a check has once the headers are read. */
export interface Signed {
  id: string;
  timestamp: Date;
  body: Uint8Array;
}

/** The verified delivery of a v1 / v1a check: the body parsed into the event (only now that it is verified). */
export function standardDelivery(s: Signed, scheme: "v1" | "v1a", extra: Pick<WebhookContext, "secretIndex" | "keyId">, state: VerifierState): VerifiedDelivery {
  const event = parseEnvelope(s.body, scheme) as GeminiWebhookEvent;
  const idempotencyKey = deliveryKey(state.namespace, s.id);
  // (a v1 context written out: no spread on the path every v1 delivery takes)
  if (extra.secretIndex !== undefined) {
    return { event, ctx: { webhookId: s.id, timestamp: s.timestamp, scheme, secretIndex: extra.secretIndex, rawBody: s.body, idempotencyKey } };
  }
  return { event, ctx: { webhookId: s.id, timestamp: s.timestamp, scheme, ...extra, rawBody: s.body, idempotencyKey } };
}

async function verifyJwtDelivery(token: string, h: WebhookHeaders, body: Uint8Array, state: VerifierState): Promise<VerifiedDelivery> {
  if (!state.dynamic) {
    throw unconfigured("jwt", 'A JWT-signed (dynamic) delivery arrived but this receiver does not accept dynamic webhooks: add jwks: { audience: "…" } to accept it.');
  }
  const r = await (await state.dynamic()).verifyJwt({ token, headers: h, body });
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
      idempotencyKey: jwtKey(state.namespace, r.webhookId),
    },
  };
}

/** 400 unsupported_signature for a v1 / v1a delivery this receiver is not configured for, naming the option. */
function notConfigured(v1: boolean): Error {
  return v1
    ? unconfigured("v1", 'A v1 (HMAC) signed delivery arrived but this receiver has no secret: set the secret option to the static webhook\'s "whsec_…" signing secret to accept it.')
    : unconfigured("v1a", 'A v1a (Ed25519) signed delivery arrived but this receiver does not accept dynamic webhooks: add jwks: {} (Google\'s JWKS is the default), or pin the sender\'s key with publicKey: "whpk_…", to accept it.');
}

/** A Standard Webhooks delivery whose headers passed every check before the signatures (see `checkDelivery`). */
export interface CheckedStandard {
  kind: "standard";
  signed: Signed;
  /** `id.timestamp.`: what the signature covers before the body. */
  prefix: string;
  v1: string[];
  v1a: string[];
  /** Whether the v1 signatures are checked (the header has some and the receiver has secrets). */
  useV1: boolean;
  /** Whether the v1a signatures are checked (the header has some and the receiver takes v1a). */
  useV1a: boolean;
}

/**
 * Every check before a signature is computed, in order, the scheme chosen by the shape of
 * `webhook-signature`: a JWT, or Standard Webhooks entries with their id and timestamp checked. A scheme
 * this receiver does not take is refused before any other check, naming the option to add.
 */
export function checkDelivery(h: WebhookHeaders, body: Uint8Array, state: VerifierState): CheckedStandard | { kind: "jwt"; token: string } {
  if (h.signature === undefined) throw missingHeader("webhook-signature");
  const parsed = parseSignatureHeader(h.signature);
  if (parsed.kind === "jwt") return { kind: "jwt", token: parsed.token };
  const useV1 = parsed.v1.length > 0 && state.secrets.length > 0;
  const useV1a = parsed.v1a.length > 0 && (state.publicKeys.length > 0 || state.dynamic !== undefined);
  if (!useV1 && !useV1a) throw notConfigured(parsed.v1.length > 0);
  const first: SignatureScheme & ("v1" | "v1a") = useV1 ? "v1" : "v1a";
  const id = checkWebhookId(h.id, first);
  if (h.timestamp === undefined) throw missingHeader("webhook-timestamp", first);
  const signed: Signed = { id, timestamp: checkTimestamp(h.timestamp, state, first), body };
  return { kind: "standard", signed, prefix: `${id}.${h.timestamp}.`, v1: parsed.v1, v1a: parsed.v1a, useV1, useV1a };
}

/**
 * The whole verification of one delivery: `checkDelivery`, then the signatures (v1 with the secrets, then
 * v1a with the pinned keys and the JWKS when the header has both), or the JWT.
 */
export async function verifyDelivery(h: WebhookHeaders, body: Uint8Array, state: VerifierState): Promise<VerifiedDelivery> {
  const c = checkDelivery(h, body, state);
  if (c.kind === "jwt") return await verifyJwtDelivery(c.token, h, body, state);
  const { signed: s, prefix } = c;
  if (c.useV1) {
    const secretIndex = await matchV1(state.secrets, prefix, body, c.v1);
    if (secretIndex !== undefined) return standardDelivery(s, "v1", { secretIndex }, state);
    if (!c.useV1a) throw v1Mismatch(state.secrets.length);
  }
  if (state.publicKeys.length > 0) {
    // pinned keys first: a pinned-key delivery verifies while the JWKS is down
    if ((await matchPublicKeys(state.publicKeys, prefix, body, c.v1a)) !== undefined) return standardDelivery(s, "v1a", {}, state);
    if (!state.dynamic) throw publicKeyMismatch(state.publicKeys.length);
  }
  const r = await (await state.dynamic!()).verifyV1a({ prefix, body, signatures: c.v1a });
  return standardDelivery(s, "v1a", r.keyId !== undefined ? { keyId: r.keyId } : {}, state);
}
