import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { DeliveryLog, DeliveryRecord } from "../listen/record.js";
import { inspectorClient } from "./client.js";
import { FAVICON_SVG, PAGE_CSS, PAGE_HTML } from "./page.js";
import type { Resender, ResendProgress } from "./resend.js";

export interface InspectorOptions {
  /** Port on 127.0.0.1 (0: any free one). The inspector never binds another interface. */
  port: number;
  log: DeliveryLog;
  resender: Resender;
  /** The listener's address, the forward target and a command to try, for the page's header. */
  info: { listening: string; forward?: string; example: string };
}

export interface Inspector {
  url: string;
  /** Tells open pages about a resend's progress. */
  progress(p: ResendProgress): void;
  close(): Promise<void>;
}

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const SCRIPT = `"use strict";\n(${inspectorClient.toString()})();\n`;

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff", "content-security-policy": CSP }).end(body);
}

const json = (res: ServerResponse, status: number, value: unknown) => send(res, status, "application/json; charset=utf-8", JSON.stringify(value));

function readJson(req: IncomingMessage, max = 4096): Promise<unknown> {
  return new Promise((resolve) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      text += c;
      if (text.length > max) req.destroy();
    });
    req.on("end", () => {
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve(undefined);
      }
    });
    req.on("error", () => resolve(undefined));
  });
}

/**
 * The local inspector: a page that lists the listener's deliveries live (Server-Sent Events), with a detail
 * view and resend. Bound to 127.0.0.1 only; requests must name it as their Host (no DNS rebinding), and a
 * resend must come from the page itself (same Origin, a JSON body: no cross-site form can trigger one).
 */
export async function startInspector(options: InspectorOptions): Promise<Inspector> {
  const { log, resender } = options;
  const instance = randomUUID();
  const streams = new Set<ServerResponse>();
  /** The page's own origins (set once the port is known). */
  let origins: string[] = [];

  const payload = (r: DeliveryRecord) => JSON.stringify({ ...r, resend: resender.check(r) });
  const push = (event: string, data: string) => {
    for (const s of streams) s.write(`event: ${event}\ndata: ${data}\n\n`);
  };
  const unsubscribe = log.subscribe((r) => push("delivery", payload(r)));

  async function resend(req: IncomingMessage, res: ServerResponse, seq: number): Promise<void> {
    if (!origins.includes(req.headers.origin ?? "")) return json(res, 403, { error: "a resend must come from the inspector page" });
    if (!/^application\/json\b/.test(req.headers["content-type"] ?? "")) return json(res, 415, { error: "send JSON" });
    const body = (await readJson(req)) as { fresh?: unknown } | undefined;
    const record = log.get(seq);
    if (!record) return json(res, 404, { error: `no delivery #${seq} (only the last ${log.capacity} are kept)` });
    const check = resender.check(record);
    if (!check.available) return json(res, 409, { error: check.reason });
    return json(res, 202, resender.start(record, body?.fresh === true));
  }

  const server: Server = createServer((req, res) => {
    const host = req.headers.host ?? "";
    const port = (server.address() as AddressInfo).port;
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return json(res, 403, { error: "the inspector answers only as 127.0.0.1 or localhost" });
    const path = (req.url ?? "/").split("?")[0]!;
    if (req.method === "GET" && path === "/") return send(res, 200, "text/html; charset=utf-8", PAGE_HTML);
    if (req.method === "GET" && path === "/inspector.js") return send(res, 200, "text/javascript; charset=utf-8", SCRIPT);
    if (req.method === "GET" && path === "/inspector.css") return send(res, 200, "text/css; charset=utf-8", PAGE_CSS);
    // linked from the page; /favicon.ico too, for a browser that asks for it anyway (no 404 in its console)
    if (req.method === "GET" && (path === "/favicon.svg" || path === "/favicon.ico")) return send(res, 200, "image/svg+xml", FAVICON_SVG);
    if (req.method === "GET" && path === "/events") {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-content-type-options": "nosniff" });
      res.write(`retry: 1000\nevent: hello\ndata: ${JSON.stringify({ instance, ...options.info })}\n\n`);
      for (const r of log.all()) res.write(`event: delivery\ndata: ${payload(r)}\n\n`);
      streams.add(res);
      req.on("close", () => streams.delete(res));
      return;
    }
    const m = /^\/resend\/(\d+)$/.exec(path);
    if (m && req.method === "POST") {
      resend(req, res, Number(m[1])).catch(() => json(res, 500, { error: "resend failed to start" }));
      return;
    }
    json(res, 404, { error: "not found" });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  origins = [url, `http://localhost:${port}`];
  return {
    url: `${url}/`,
    progress: (p) => push("resend", JSON.stringify(p)),
    async close() {
      unsubscribe();
      resender.close();
      for (const s of streams) s.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
