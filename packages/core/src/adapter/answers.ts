import { WebhookVerificationError, type WebhookErrorCode } from "../errors.js";
import type { HandleResult, VerifiedDelivery } from "../receiver/types.js";

/** The answers a receiver gives: one place for their status, JSON body and headers. */

const JSON_TYPE = "application/json; charset=utf-8";

/** 200 with `{"status": …}`, carrying the delivery's event and context when there is one. */
export function ok(status: "received" | "ignored" | "duplicate", verified?: VerifiedDelivery<any>): HandleResult<any> {
  if (verified) return { status: 200, body: { status }, headers: { "content-type": JSON_TYPE }, event: verified.event, ctx: verified.ctx };
  return { status: 200, body: { status }, headers: { "content-type": JSON_TYPE } };
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
