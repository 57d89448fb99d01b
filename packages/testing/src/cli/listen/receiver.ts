import type { IncomingMessage, ServerResponse } from "node:http";
import { errorResponse, type GeminiWebhooks, type HandleResult } from "@gemini-webhooks/core";
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
  /** A failure of the listener itself (never of a delivery). */
  onError(error: unknown): void;
}

type Read = { body: Buffer } | { answer: HandleResult };

/** Reads the raw body, stopping at `max` bytes (413). The one place the listener reads a request. */
function readBody(req: IncomingMessage, max: number): Promise<Read> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on("data", (c: Buffer) => {
      total += c.length;
      if (total <= max) chunks.push(c);
    });
    req.on("end", () =>
      resolve(total > max ? { answer: errorResponse("body_too_large", `The body is over maxBodyBytes (${max} bytes).`) } : { body: Buffer.concat(chunks) }),
    );
    req.on("error", reject);
  });
}

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
 * The listener's request handler: reads the body, verifies it (and, without --forward, runs the receiver;
 * with it, passes the delivery to the app and the app's answer back), answers, and adds a record to the log.
 */
export function createReceiver(options: ReceiverOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { webhooks, forward, log } = options;

  async function answer(req: IncomingMessage, headers: Record<string, string>): Promise<{ result: HandleResult; body?: Buffer; app?: AppAnswer; forwarded?: ForwardResult }> {
    const method = req.method ?? "GET";
    if (method !== "POST") {
      req.resume();
      return { result: await webhooks.handle({ method, body: "", headers }) };
    }
    const read = await readBody(req, webhooks.maxBodyBytes);
    if ("answer" in read) return { result: read.answer };
    const body = read.body;
    if (!forward) return { result: await webhooks.handle({ method, body, headers }), body };
    const begun = await webhooks.begin({ method, body, headers });
    if (begun.answer) return { result: begun.answer, body };
    const result = await begun.delivery.complete();
    const sent = await forwardDelivery(forward.url, { headers, body }, forward.timeoutMs);
    return { result, body, app: sent.answer ?? forwardFailed(sent.result), forwarded: sent.result };
  }

  return (req, res) => {
    const headers = headersOf(req);
    answer(req, headers).then(
      ({ result, body, app, forwarded }) => {
        const status = app?.status ?? result.status;
        const text = app ? Buffer.from(app.body).toString("utf8") : JSON.stringify(result.body);
        if (app) res.writeHead(app.status, app.headers).end(app.body);
        else res.writeHead(result.status, result.headers).end(text);
        const resendOf = Number(headers[RESEND_HEADER]);
        const record: DeliveryRecord = {
          seq: log.nextSeq(),
          receivedAt: new Date().toISOString(),
          method: req.method ?? "GET",
          path: req.url ?? "/",
          headers,
          body: body ? body.subarray(0, BODY_SHOWN).toString("utf8") : "",
          bodyTruncated: body !== undefined && body.length > BODY_SHOWN,
          answer: { status, body: text.length > BODY_SHOWN ? text.slice(0, BODY_SHOWN) : text },
          outcome: forwarded?.error !== undefined ? "forward_failed" : outcomeOf(status, text),
        };
        const verification = verificationOf(result);
        if (verification) record.verification = verification;
        if (result.event) {
          record.type = result.event.type;
          record.event = result.event;
        }
        if (forwarded) record.forward = forwarded;
        if (Number.isInteger(resendOf) && resendOf > 0) record.resendOf = resendOf;
        log.add(record);
      },
      (e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "configuration", message: "listener error" } }));
        options.onError(e);
      },
    );
  };
}
