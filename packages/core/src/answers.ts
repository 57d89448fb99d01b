import { WebhookVerificationError, type WebhookErrorCode } from "./errors.js";
import type { HandleResult, VerifiedDelivery } from "./types.js";

/** The answers a receiver gives: one place for their status, JSON body and headers. */

const JSON_TYPE = "application/json; charset=utf-8";

/** 200 with `{"status": …}`, carrying the delivery's event and context when there is one. */
export function ok(status: "received" | "ignored" | "duplicate", verified?: VerifiedDelivery<any>): HandleResult<any> {
  // one literal per shape (no properties added afterwards: V8 keeps one map for each)
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

function okText(status: unknown): string | undefined {
  if (status === "received") return '{"status":"received"}';
  if (status === "duplicate") return '{"status":"duplicate"}';
  if (status === "ignored") return '{"status":"ignored"}';
  return undefined;
}

/** The JSON text of an answer's body: a 200 answer's `{ status }` without JSON.stringify (it is on every delivery's path). */
export function bodyText(body: unknown): string {
  // a plain object whose only key is `status` (an own toJSON, an inherited key or a class would change JSON.stringify's text)
  if (typeof body === "object" && body !== null && Object.getPrototypeOf(body) === Object.prototype) {
    const text = okText((body as { status?: unknown }).status);
    if (text !== undefined) {
      let only = true;
      for (const key in body) if (key !== "status") only = false;
      if (only) return text;
    }
  }
  return JSON.stringify(body);
}

/** A web-standard Response for a result. */
export function toResponse(result: HandleResult<any>): Response {
  return new Response(bodyText(result.body), { status: result.status, headers: result.headers });
}
