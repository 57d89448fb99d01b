/**
 * The Node half of the adapter seam (`@gemini-webhooks/core/node`): read an IncomingMessage (size cap, read
 * timeout, parser detection, aborts) and write a ServerResponse. The Node adapters (Express, Koa, Next
 * Pages, NestJS, Fastify, the CLI) use it. Only the stream's own events: no node:* import, no dependency,
 * so it also loads where @gemini-webhooks/next's single entry must (the Edge runtime bundles it).
 */
import { ClientAbortError } from "../errors.js";
import { concatChunks } from "../lib/bytes.js";
import type { GeminiWebhooks } from "../receiver/create.js";
import { internalsOf } from "../receiver/internals.js";
import { bodyText, closesConnection } from "./answers.js";
import { bodyAlreadyParsed, bodyTimeout, bodyTooLarge, type Framework } from "./messages.js";
import { receive, type ReceiveResult } from "./receive.js";

export interface NodeReadOptions {
  /** maxBodyBytes: 413 as soon as the stream passes it (or content-length says it will). */
  limit: number;
  /** readTimeoutMs: 408 when the whole body has not arrived by then. */
  timeoutMs: number;
  /** Whose fix the "already parsed" message names. */
  framework: Framework;
}

/** Whether something already read this request's stream (a body parser), so its raw bytes are gone. */
export function streamConsumed(req: { _body?: unknown; readableDidRead?: boolean; readableEnded?: boolean }): boolean {
  return req._body === true || req.readableDidRead === true || req.readableEnded === true;
}

/** The parts of a Node request stream the reader uses (an IncomingMessage; Next's NextApiRequest). */
export interface NodeBodyStream {
  headers: Record<string, string | string[] | undefined>;
  on(event: "data", listener: (chunk: Uint8Array | string) => void): unknown;
  on(event: "end" | "close" | "aborted", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
  pause?(): unknown;
  readableDidRead?: boolean;
  readableEnded?: boolean;
  complete?: boolean;
  _body?: unknown;
}

/**
 * The raw body of a Node request, bounded in size and time: 413 as soon as it passes the limit (or
 * content-length says it will), 408 when it has not fully arrived within timeoutMs, ClientAbortError when
 * the client goes away, 500 `configuration` (naming the framework's fix) when a parser already read it.
 */
export function readNodeBody(req: NodeBodyStream, options: NodeReadOptions): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    if (streamConsumed(req)) return reject(bodyAlreadyParsed(options.framework));
    const declared = req.headers["content-length"];
    // (Number() of anything but digits is NaN: node:http itself refuses a malformed content-length)
    if (typeof declared === "string" && Number(declared) > options.limit) return reject(bodyTooLarge(options.limit));
    const chunks: Uint8Array[] = [];
    let total = 0;
    let settled = false;
    // the listeners stay attached once settled (each returns at once); an "error" after the end is absorbed here
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = () => {
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
    };
    // a read that starts after node:http marked the request complete (a framework that routes asynchronously) sets no timer
    if (req.complete !== true) {
      timer = setTimeout(() => {
        if (settled) return;
        stop();
        req.pause?.(); // stop reading; the answer closes the connection
        reject(bodyTimeout(options.timeoutMs));
      }, options.timeoutMs);
    }
    req.on("data", (chunk: Uint8Array | string) => {
      if (settled) return;
      const c = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
      total += c.byteLength;
      if (total > options.limit) {
        stop();
        req.pause?.();
        reject(bodyTooLarge(options.limit));
      } else chunks.push(c);
    });
    req.on("end", () => {
      if (settled) return;
      stop();
      resolve(concatChunks(chunks, total));
    });
    // an error or a close before the end: the client went away (an aborted request is destroyed with an
    // error, then closed)
    const aborted = () => {
      if (settled) return;
      stop();
      reject(new ClientAbortError());
    };
    req.on("error", aborted);
    req.on("close", aborted);
  });
}

const encoder = new TextEncoder();

/** Writes a result (status, headers, JSON); nothing for an aborted read or when an answer was already sent. */
export interface NodeResponse {
  statusCode: number;
  headersSent?: boolean;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/**
 * statusCode + setHeader + end(body): Node then writes the head with the body in one write and a
 * content-length of its own, and the headers stay in the response's header map, where loggers read them
 * (`res.getHeaders()` in pino-http, morgan's `:res[...]`). A writeHead(status, headers) answer would skip
 * that map, and with a content-length it is slower per request (bench/receive.mjs).
 */
export function sendNode(res: NodeResponse, result: ReceiveResult<any>): void {
  // (a destroyed response is written to as any other: Node drops what is written to it)
  if (result.aborted || res.headersSent) return;
  res.statusCode = result.status;
  setResultHeaders(res, result);
  res.end(bodyText(result.body));
}

/** A result's headers on a response (`connection: close` too when the answer must close it). */
export function setResultHeaders(res: Pick<NodeResponse, "setHeader">, result: ReceiveResult<any>): void {
  for (const name in result.headers) res.setHeader(name, result.headers[name]!);
  if (closesConnection(result)) res.setHeader("connection", "close");
}

/**
 * The whole receive path for a Node request: core's receive() with the Node reader and writer. `raw` is
 * the body a framework already captured (a Buffer or the exact string), else the stream is read here.
 * Writes the answer to `res` when given (after `beforeSend`) and returns it.
 */
export function receiveNode<M, R extends NodeResponse = NodeResponse>(
  webhooks: GeminiWebhooks<M, any>,
  req: NodeBodyStream & { method?: string | undefined },
  res: R | undefined,
  options: {
    framework: Framework;
    raw?: Uint8Array | string | undefined;
    /** Called with the result and `res` just before the result is written to it (e.g. to expose the event to later code). */
    beforeSend?: (result: ReceiveResult<M>, res: R) => void;
  },
): Promise<ReceiveResult<M>> {
  const { maxBodyBytes, readTimeoutMs } = internalsOf(webhooks).options;
  const raw = options.raw;
  const received = receive(webhooks, {
    method: req.method,
    headers: req.headers,
    body: () => raw ?? readNodeBody(req, { limit: maxBodyBytes, timeoutMs: readTimeoutMs, framework: options.framework }),
  });
  if (!res) return received;
  return received.then((result) => {
    options.beforeSend?.(result, res);
    sendNode(res, result);
    return result;
  });
}
