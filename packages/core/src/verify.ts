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

function missing(name: string): WebhookVerificationError {
  return new WebhookVerificationError("missing_header", `The ${name} header is missing; Gemini sends webhook-id, webhook-timestamp and webhook-signature with every delivery.`);
}

function checkId(id: string | undefined): string {
  if (id === undefined) throw missing("webhook-id");
  // visible ASCII only: a header is read as latin1 while the signed string is UTF-8, so anything else can never verify
  if (id.length === 0 || id.length > MAX_ID_LENGTH || !/^[\x21-\x7e]+$/.test(id)) {
    throw new WebhookVerificationError("invalid_header", `webhook-id must be 1 to ${MAX_ID_LENGTH} visible ASCII characters.`);
  }
  return id;
}

/** The whole verification of one delivery: scheme chosen by the shape of `webhook-signature`. */
export async function verifyDelivery(h: WebhookHeaders, body: Uint8Array, state: VerifierState): Promise<VerifiedDelivery> {
  if (h.signature === undefined) throw missing("webhook-signature");
  const parsed = parseSignatureHeader(h.signature);

  if (parsed.kind === "jwt") {
    if (!state.dynamic) {
      throw unconfigured("jwt", 'A JWT-signed (dynamic) delivery arrived but this receiver does not accept dynamic webhooks: add jwks: { audience: "…" } to accept it.');
    }
    const r = await state.dynamic.verifyJwt({ token: parsed.token, headers: h, body });
    const event = checkEnvelope(r.event) as GeminiWebhookEvent;
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

  const id = checkId(h.id);
  if (h.timestamp === undefined) throw missing("webhook-timestamp");
  const firstScheme = parsed.v1.length > 0 && state.secrets.length > 0 ? "v1" : parsed.v1a.length > 0 ? "v1a" : "v1";
  const timestamp = checkTimestamp(h.timestamp, state, firstScheme);
  const prefix = `${id}.${h.timestamp}.`;
  // what was tried, for the error message (built only when nothing matched)
  let triedV1 = false;
  let triedV1a = false;

  if (parsed.v1.length > 0 && state.secrets.length > 0) {
    triedV1 = true;
    for (let i = 0; i < state.secrets.length; i++) {
      const signed = state.secrets[i]!.sign(prefix, body);
      const expected = typeof signed === "string" ? signed : await signed; // Node: synchronous, no extra tick
      for (const sig of parsed.v1) {
        if (timingSafeEqualString(expected, sig)) {
          const event = parseEnvelope(body) as GeminiWebhookEvent;
          return { event, ctx: { webhookId: id, timestamp, scheme: "v1", secretIndex: i, rawBody: body, idempotencyKey: `${state.namespace}:${id}` } };
        }
      }
    }
  }
  if (parsed.v1a.length > 0 && state.dynamic) {
    triedV1a = true;
    const r = await state.dynamic.verifyV1a({ prefix, body, signatures: parsed.v1a });
    const event = parseEnvelope(body) as GeminiWebhookEvent;
    return {
      event,
      ctx: { webhookId: id, timestamp, scheme: "v1a", ...(r.keyId !== undefined ? { keyId: r.keyId } : {}), rawBody: body, idempotencyKey: `${state.namespace}:${id}` },
    };
  }
  if (!triedV1 && !triedV1a) {
    if (parsed.v1.length > 0) {
      throw unconfigured("v1", 'A v1 (HMAC) signed delivery arrived but this receiver has no secret: set the secret option to the static webhook\'s "whsec_…" signing secret to accept it.');
    }
    throw unconfigured("v1a", "A v1a (Ed25519) signed delivery arrived but this receiver does not accept dynamic webhooks: add jwks: {} (Google's JWKS is the default) to accept it.");
  }
  const n = state.secrets.length;
  const tried = [
    ...(triedV1 ? [`v1 (HMAC-SHA256, ${n} secret${n > 1 ? "s" : ""})`] : []),
    ...(triedV1a ? ["v1a (Ed25519 against the JWKS)"] : []),
  ];
  throw new WebhookVerificationError(
    "signature_mismatch",
    `No signature matched; tried ${tried.join(" and ")} over "webhook-id.webhook-timestamp.body". Check the signing secret, and that the receiver gets the raw, unmodified body (no JSON parser before it).`,
    { scheme: "v1" },
  );
}
