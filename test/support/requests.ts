// Requests for the answers-table suites: a delivery posted with fetch, and a raw node:http request that can
// stop mid-body (408) or stream a chunked body (413). (test/support/http.ts has the security suites' helpers.)
import { request as httpRequest } from "node:http";

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (undefined when it is not JSON). */
  body: any;
}

/** The status word or error code of an answer: "received", "in_progress", … */
export const outcome = (a: Answer): string | undefined => a.body?.status ?? a.body?.error?.code;

/**
 * One request over a real socket with node:http, written as given: `chunks` are written one by one and the
 * request is ended only when `end` is not false, so a test can send a body that never finishes (408) or a
 * chunked body with no content-length (413 while streaming). Resolves with the answer as soon as it arrives.
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; chunks?: (string | Uint8Array)[]; end?: boolean } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? "POST", headers: options.headers ?? {} }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        req.destroy();
      });
    });
    req.on("error", (e) => reject(e));
    for (const c of options.chunks ?? []) req.write(c);
    if (options.end !== false) req.end();
    else req.flushHeaders();
  });
}

/** POSTs a signed delivery (exact body and headers) and reads the JSON answer. */
export async function deliver(url: string, d: { body: string; headers: Record<string, string> }, method = "POST"): Promise<Answer> {
  const res = await fetch(url, { method, headers: d.headers, body: method === "GET" || method === "HEAD" ? null : d.body });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: Object.fromEntries(res.headers), body };
}
