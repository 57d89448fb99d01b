import { WebhookVerificationError, type WebhookErrorCode } from "../errors.js";
import type { HandleResult, VerifiedDelivery } from "../receiver/types.js";

/** The answers a receiver gives: one place for their status, JSON body and headers. */

const JSON_TYPE = "application/json; charset=utf-8";

type OkStatus = "received" | "ignored" | "duplicate";
// The three 200 bodies, shared and frozen, and their JSON: every delivery's answer is one of them, and
// bodyText() gives its text without serialising it again.
const RECEIVED = Object.freeze({ status: "received" as const });
const IGNORED = Object.freeze({ status: "ignored" as const });
const DUPLICATE = Object.freeze({ status: "duplicate" as const });
const RECEIVED_TEXT = JSON.stringify(RECEIVED);
const IGNORED_TEXT = JSON.stringify(IGNORED);
const DUPLICATE_TEXT = JSON.stringify(DUPLICATE);

/** 200 with `{"status": …}` (a frozen body), carrying the delivery's event and context when there is one. */
export function ok(status: OkStatus, verified?: VerifiedDelivery<any>): HandleResult<any> {
  const body = status === "received" ? RECEIVED : status === "ignored" ? IGNORED : DUPLICATE;
  if (verified) return { status: 200, body, headers: { "content-type": JSON_TYPE }, event: verified.event, ctx: verified.ctx };
  return { status: 200, body, headers: { "content-type": JSON_TYPE } };
}

/** The error answer: core's status for the code and `{"error": {code, message}}` (405 adds `allow: POST`). */
export function errorResult(error: WebhookVerificationError): HandleResult<any> {
  const headers: Record<string, string> = { "content-type": JSON_TYPE };
  if (error.code === "method_not_allowed") headers.allow = "POST";
  return { status: error.status, body: error.toJSON(), headers, error };
}

/** The error answer for a code found outside core's pipeline. */
export function errorResponse(code: WebhookErrorCode, message: string): HandleResult<any> {
  return errorResult(new WebhookVerificationError(code, message));
}

/** The JSON text of an answer's body. */
export function bodyText(body: unknown): string {
  if (body === RECEIVED) return RECEIVED_TEXT;
  if (body === DUPLICATE) return DUPLICATE_TEXT;
  if (body === IGNORED) return IGNORED_TEXT;
  return JSON.stringify(body);
}

/** Whether the connection should close after this answer (the rest of the body was left unread). */
export function closesConnection(result: HandleResult<any>): boolean {
  return result.status === 413 || result.status === 408;
}

/** A web-standard Response for a result. */
export function toResponse(result: HandleResult<any>): Response {
  return new Response(bodyText(result.body), { status: result.status, headers: result.headers });
}
