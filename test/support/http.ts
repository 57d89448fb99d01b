import { createServer, request as httpRequest, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Readable } from "node:stream";

/** A delivery as the signers make it. */
export interface Delivery {
  body: string;
  headers: Record<string, string>;
}

/** What came back: status, parsed JSON (or the text), headers. */
export interface Answer {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** `[status, "received" | "duplicate" | error code]`. */
export const row = (a: { status: number; body: any }) => [a.status, a.body?.status ?? a.body?.error?.code] as const;

export interface Running {
  /** http://127.0.0.1:<port> */
  base: string;
  server: Server;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (port 0); close() also drops open connections (hung or dripping clients). */
export async function serve(handlerOrServer: RequestListener | Server): Promise<Running> {
  const server = typeof handlerOrServer === "function" ? createServer(handlerOrServer) : handlerOrServer;
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  if (!server.listening) await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A node:http handler for a web-standard `(Request) => Response` (core's fetch(), a Next App Router
 * handler): the request body is streamed through as it arrives, as Next's own server does.
 */
export function fetchListener(handler: (request: Request) => Promise<Response>): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    const request = new Request(`http://127.0.0.1${req.url ?? "/"}`, {
      method: req.method ?? "GET",
      headers,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
    } as RequestInit);
    void handler(request).then(async (response) => {
      const out: Record<string, string> = {};
      response.headers.forEach((v, k) => (out[k] = v));
      res.writeHead(response.status, out);
      res.end(Buffer.from(await response.arrayBuffer()));
    });
  };
}

function parse(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** POSTs a delivery (the exact body as signed) with node:http; `chunked` sends it without content-length. */
export function send(url: string, d: Delivery, o: { method?: string; chunked?: boolean; headers?: Record<string, string> } = {}): Promise<Answer> {
  const bytes = Buffer.from(d.body, "utf8");
  const method = o.method ?? "POST";
  return new Promise<Answer>((resolve, reject) => {
    const req = httpRequest(url, {
      method,
      headers: { ...d.headers, ...(method === "GET" || method === "HEAD" || o.chunked ? {} : { "content-length": String(bytes.length) }), ...o.headers },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: parse(Buffer.concat(chunks).toString("utf8")), headers: res.headers }));
      res.on("error", reject);
    });
    if (method === "GET" || method === "HEAD") return void req.end();
    if (o.chunked) {
      // several writes: node sends them as chunks (transfer-encoding: chunked), no length declared
      for (let i = 0; i < bytes.length; i += 16 * 1024) req.write(bytes.subarray(i, i + 16 * 1024));
      req.end();
    } else req.end(bytes);
  });
}

/**
 * Sends the headers (with the full content-length) and then the body one byte every `intervalMs`, never the
 * last byte: the body can only end by the server giving up. Resolves with the server's answer and how many
 * bytes had been sent by then; rejects if no answer came within `giveUpMs` (the server waited forever).
 */
export function dripPost(url: string, d: Delivery, o: { intervalMs?: number; giveUpMs?: number } = {}): Promise<Answer & { sentBytes: number; totalBytes: number }> {
  const bytes = Buffer.from(d.body, "utf8");
  return new Promise((resolve, reject) => {
    let sent = 0;
    const req = httpRequest(url, { method: "POST", headers: { ...d.headers, "content-length": String(bytes.length) } });
    const stop = () => {
      clearInterval(timer);
      clearTimeout(deadline);
    };
    const timer = setInterval(() => {
      if (sent < bytes.length - 1 && !req.destroyed) req.write(bytes.subarray(sent, ++sent));
    }, o.intervalMs ?? 20);
    const deadline = setTimeout(() => {
      stop();
      req.destroy();
      reject(new Error(`no answer within ${o.giveUpMs ?? 5000} ms while the body was dripping (${sent}/${bytes.length} bytes sent): the server has no read timeout`));
    }, o.giveUpMs ?? 5000);
    req.on("error", (e) => {
      stop();
      reject(e);
    });
    req.on("response", (res) => {
      stop();
      const at = sent;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: parse(Buffer.concat(chunks).toString("utf8")), headers: res.headers, sentBytes: at, totalBytes: bytes.length });
      });
    });
    req.flushHeaders();
    req.write(bytes.subarray(0, ++sent));
  });
}

/**
 * Starts a POST with the full content-length, sends half the body, waits until `arrived` (the server saw the
 * request), then destroys the socket: a client that went away mid-body.
 */
export async function abortMidBody(url: string, d: Delivery, arrived: Promise<unknown>): Promise<{ answered: boolean }> {
  const bytes = Buffer.from(d.body, "utf8");
  const req = httpRequest(url, { method: "POST", headers: { ...d.headers, "content-length": String(bytes.length) } });
  let answered = false;
  req.on("response", () => (answered = true));
  req.on("error", () => undefined); // the socket we destroy
  req.write(bytes.subarray(0, bytes.length >> 1));
  await arrived;
  req.destroy();
  await new Promise<void>((resolve) => (req.socket?.destroyed ? resolve() : req.once("close", () => resolve())));
  return { answered };
}
