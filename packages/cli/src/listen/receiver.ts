import type { IncomingMessage, ServerResponse } from "node:http";
import type { GeminiWebhooks, HandleResult, WebhookRequest } from "@gemini-webhooks/core";
import { bodyText, receive, settingsOf } from "@gemini-webhooks/core/adapter";
import { readNodeBody, sendNode } from "@gemini-webhooks/core/node";
import { forwardDelivery, type AppAnswer } from "./forward.js";
import { BODY_SHOWN, outcomeOf, RESEND_HEADER, verificationOf, type DeliveryLog, type DeliveryRecord, type ForwardResult } from "./record.js";

export interface ReceiverOptions {
  /**
   * Verifies each request. Without `forward` it is the whole receiver (claim, handlers, answer); with
   * `forward` it must have no idempotency store: the app dedupes, and every retry has to reach it.
   */
  webhooks: GeminiWebhooks;
  /** Forward each verified delivery to the app and answer the sender with the app's answer. */
  forward?: { url: string; timeoutMs: number };
  log: DeliveryLog;
}

/** A verified delivery's result, with what the app made of it (`--forward`). */
type Forwarded = HandleResult & { app?: AppAnswer; forwarded?: ForwardResult };

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

function forwardFailed(f: ForwardResult): AppAnswer {
  const body = JSON.stringify({ error: { code: "forward_failed", message: `The app at ${f.url} was not reached (${f.error}); answering 502 so the sender retries.` } });
  return { status: 502, headers: { "content-type": "application/json; charset=utf-8" }, body: new TextEncoder().encode(body) };
}

/**
 * The receiver with `handle` swapped for verify → forward: the delivery is verified (no claim: the listener
 * keeps no dedupe state), passed to the app, and the app's answer rides along on the result.
 */
function forwarding(webhooks: GeminiWebhooks, forward: { url: string; timeoutMs: number }): GeminiWebhooks {
  const handle = async (request: WebhookRequest): Promise<Forwarded> => {
    const begun = await webhooks.begin(request);
    if (begun.answer) return begun.answer;
    const result = await begun.delivery.complete();
    const body = request.body instanceof Uint8Array ? request.body : new TextEncoder().encode(String(request.body));
    const sent = await forwardDelivery(forward.url, { headers: request.headers as Record<string, string>, body }, forward.timeoutMs);
    return { ...result, app: sent.answer ?? forwardFailed(sent.result), forwarded: sent.result };
  };
  return { ...webhooks, handle };
}

/**
 * The listener's request handler, on core's adapter seam (receive + readNodeBody + sendNode): verifies each
 * request (and, without --forward, runs the receiver; with it, passes the delivery to the app and the app's
 * answer back), answers, and adds a record to the log.
 */
export function createReceiver(options: ReceiverOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { log, forward } = options;
  const webhooks = forward ? forwarding(options.webhooks, forward) : options.webhooks;

  return (req, res) => {
    const headers = headersOf(req);
    let body: Uint8Array | undefined;
    void receive(webhooks, {
      method: req.method,
      headers,
      body: async () => (body = await readNodeBody(req, { limit: settingsOf(webhooks).maxBodyBytes, timeoutMs: settingsOf(webhooks).readTimeoutMs, framework: "node" })),
    }).then((r) => {
      if (req.method !== "POST") req.resume();
      if (r.aborted) return;
      const { app, forwarded } = r as Forwarded;
      if (app) res.writeHead(app.status, app.headers).end(app.body);
      else sendNode(res, r);
      const status = app?.status ?? r.status;
      const text = app ? Buffer.from(app.body).toString("utf8") : bodyText(r.body);
      const raw = body ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : undefined;
      const record: DeliveryRecord = {
        seq: log.nextSeq(),
        receivedAt: new Date().toISOString(),
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers,
        body: raw ? raw.subarray(0, BODY_SHOWN).toString("utf8") : "",
        bodyTruncated: raw !== undefined && raw.length > BODY_SHOWN,
        answer: { status, body: text.length > BODY_SHOWN ? text.slice(0, BODY_SHOWN) : text },
        outcome: forwarded?.error !== undefined ? "forward_failed" : outcomeOf(status, text),
      };
      const verification = verificationOf(r);
      if (verification) record.verification = verification;
      if (r.event) {
        record.type = r.event.type;
        record.event = r.event;
      }
      if (forwarded) record.forward = forwarded;
      const resendOf = Number(headers[RESEND_HEADER]);
      if (Number.isInteger(resendOf) && resendOf > 0) record.resendOf = resendOf;
      log.add(record);
    });
  };
}
