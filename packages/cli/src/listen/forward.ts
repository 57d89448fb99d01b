import { BODY_SHOWN, RESEND_HEADER, type ForwardResult } from "./record.js";

/** Request headers that describe one hop, not the delivery: never forwarded. */
const HOP_BY_HOP = new Set(["host", "connection", "keep-alive", "content-length", "transfer-encoding", "te", "trailer", "upgrade", "expect", "proxy-authorization", "proxy-connection", RESEND_HEADER]);

/** The app's full answer, to pass back to the sender byte for byte. */
export interface AppAnswer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Answer headers passed back to the sender: what a sender may act on. */
const PASSED_BACK = ["content-type", "retry-after"];

function networkMessage(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}

/**
 * POSTs the delivery as received (same bytes, same webhook headers) to the app and returns its answer.
 * A network failure or a timeout is `{ error }`: the listener then answers 502 so the sender retries.
 */
export async function forwardDelivery(
  url: string,
  delivery: { headers: Record<string, string>; body: Uint8Array },
  timeoutMs: number,
): Promise<{ result: ForwardResult; answer?: AppAnswer }> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(delivery.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
  const started = Date.now();
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, { method: "POST", headers, body: delivery.body as Uint8Array<ArrayBuffer>, redirect: "manual", signal });
    const body = new Uint8Array(await res.arrayBuffer());
    const passed: Record<string, string> = {};
    for (const h of PASSED_BACK) {
      const v = res.headers.get(h);
      if (v !== null) passed[h] = v;
    }
    const text = Buffer.from(body.subarray(0, BODY_SHOWN)).toString("utf8");
    return {
      result: { url, status: res.status, body: text, durationMs: Date.now() - started },
      answer: { status: res.status, headers: passed, body },
    };
  } catch (e) {
    const error = signal.aborted ? `no answer within ${timeoutMs} ms` : networkMessage(e);
    return { result: { url, error, durationMs: Date.now() - started } };
  }
}
