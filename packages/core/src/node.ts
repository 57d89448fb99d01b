/**
 * `@gemini-webhooks/core/node`: the Node half of the adapter seam: read an IncomingMessage (size cap, read
 * timeout, parser detection, aborts) and write a ServerResponse. The Node adapters (Express, Koa, Next
 * Pages, NestJS, Fastify, the CLI) use it. Types only from node:http: nothing is imported at run time.
 */
import { closesConnection, handleNowOf, readFailed, type ReceiveResult } from "./receive.js";
import { isThenable, type MaybePromise } from "./maybe.js";
import { concatChunks } from "./read-limited.js";
import { bodyText } from "./answers.js";
import type { GeminiWebhooks } from "./create.js";
import { bodyAlreadyParsed, bodyTimeout, bodyTooLarge, ClientAbortError, type Framework } from "./messages.js";

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
 * the client goes away. It uses only the stream's own events, no node:* import and no dependency, so this
 * module also loads where @gemini-webhooks/next's single entry must (the Edge runtime bundles it).
 */
export function readNodeBody(req: NodeBodyStream, options: NodeReadOptions): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => readBody(req, options, resolve, reject));
}

/**
 * readNodeBody's work, calling back instead of settling a promise of its own: receiveNode runs the pipeline
 * in `done`, so a delivery pays one promise, not a read's and then a reaction's. Exactly one of `done` and
 * `failed` is called, once (synchronously when the read is refused before it starts).
 */
function readBody(req: NodeBodyStream, options: NodeReadOptions, done: (body: Uint8Array) => void, failed: (error: unknown) => void): void {
  if (streamConsumed(req)) return failed(bodyAlreadyParsed(options.framework));
  const declared = req.headers["content-length"];
  // (Number() of anything but digits is NaN or small enough: node:http itself refuses a malformed content-length)
  if (typeof declared === "string" && Number(declared) > options.limit) return failed(bodyTooLarge(options.limit));
  const chunks: Uint8Array[] = [];
  let total = 0;
  let settled = false;
  // The listeners stay attached once settled (each returns at once): removing five listeners costs more
  // than the request object they die with; an "error" after the end is absorbed here, never thrown.
  // One timer per read (a timer shared between reads would outlive a test's fake timers), armed only
  // when the body is still arriving once the current parse is over: a read that starts after node:http
  // marked the request complete (a framework that routes asynchronously) sets no timer. Over a socket the
  // check runs before the body of the headers' own packet is parsed (node:http runs microtasks between its
  // parser's callbacks), so such a read arms the timer and clears it as the body ends; the ways round that
  // measured so far cost as much as they saved (bench/README.md, sixth session).
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    settled = true;
    if (timer !== undefined) clearTimeout(timer);
  };
  const arm = () => {
    if (settled || req.complete === true) return;
    timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      req.pause?.(); // stop reading; the answer closes the connection
      failed(bodyTimeout(options.timeoutMs));
    }, options.timeoutMs);
  };
  // (a reaction on a settled promise: queueMicrotask would also make an AsyncResource and a bound function per read)
  void SETTLED.then(arm);
  const onData = (chunk: Uint8Array | string) => {
    if (settled) return;
    const c = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    total += c.byteLength;
    if (total > options.limit) {
      stop();
      req.pause?.();
      failed(bodyTooLarge(options.limit));
    } else chunks.push(c);
  };
  const onEnd = () => {
    if (settled) return;
    stop();
    done(concatChunks(chunks, total));
  };
  // an error or a close before the end: the client went away (an aborted request is destroyed with an
  // error, then closed; the deprecated "aborted" event adds nothing)
  const onAbort = () => {
    if (settled) return;
    stop();
    failed(new ClientAbortError());
  };
  req.on("data", onData);
  req.on("end", onEnd);
  req.on("error", onAbort);
  req.on("close", onAbort);
}

const encoder = new TextEncoder();
const SETTLED = Promise.resolve();

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
 * that map; with a content-length it also measured slower per request in bench/receive.mjs.
 */
export function sendNode(res: NodeResponse, result: ReceiveResult<any>): void {
  // (a destroyed response is written to as any other: Node drops what is written to it, and in Express every
  // property read on a response is an inline-cache miss, as Express gives each response a map of its own)
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
 * The whole receive path for a Node request: `raw` is the body a framework already captured (a Buffer or
 * the exact string), else the stream is read here. Returns the result (the adapter exposes its event).
 */
export function receiveNode<M>(
  webhooks: GeminiWebhooks<M>,
  req: NodeBodyStream & { method?: string | undefined },
  res: NodeResponse | undefined,
  options: {
    framework: Framework;
    raw?: Uint8Array | string | undefined;
    /** Called with the result just before it is written to `res` (e.g. to expose the event to later code). */
    beforeSend?: (result: ReceiveResult<M>) => void;
  },
): Promise<ReceiveResult<M>> {
  const method = req.method;
  const headers = req.headers;
  const before = options.beforeSend;
  try {
    const handle = handleNowOf(webhooks);
    // another method: the pipeline's 405 (the body is not read)
    if (method !== undefined && method !== "POST" && method.toUpperCase() !== "POST") return Promise.resolve(answerNode(res, before, handle({ method, body: "", headers }, true)));
    // a body a framework already captured: the whole pipeline now
    const raw = options.raw;
    if (raw !== undefined) return Promise.resolve(answerNode(res, before, handle({ method: method ?? "POST", body: raw, headers }, true)));
    // the body arrives after this call: the whole pipeline runs on it as the read ends (and writes the answer)
    return new Promise<ReceiveResult<M>>((resolve, reject) =>
      readBody(
        req,
        { limit: webhooks.maxBodyBytes, timeoutMs: webhooks.readTimeoutMs, framework: options.framework },
        (body) => {
          try {
            resolve(answerNode(res, before, handle({ method: "POST", body, headers }, true)));
          } catch (e) {
            reject(e);
          }
        },
        // 413, 408, 500 configuration, or an abort (nothing written)
        (e: unknown) => {
          try {
            resolve(answerNode(res, before, readFailed(webhooks, e)));
          } catch (x) {
            reject(x);
          }
        },
      ),
    );
  } catch (e) {
    return Promise.reject(e);
  }
}

/** The result, written to `res` when there is one (after `before`); a promise only when a step went asynchronous. */
function answerNode<M>(res: NodeResponse | undefined, before: ((result: ReceiveResult<M>) => void) | undefined, result: MaybePromise<ReceiveResult<M>>): MaybePromise<ReceiveResult<M>> {
  if (!res) return result;
  if (isThenable<ReceiveResult<M>>(result)) return Promise.resolve(result).then((r) => answerNode(res, before, r));
  before?.(result);
  sendNode(res, result);
  return result;
}
