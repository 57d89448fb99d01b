import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { config, geminiPagesHandler, geminiWebhookHandler, type GeminiPagesHandler } from "@gemini-webhooks/next";
import { webCryptoProvider, createGeminiWebhooks, type GeminiWebhooksOptions } from "@gemini-webhooks/core";
import { allFixtures } from "@gemini-webhooks/testing";
import { clock, NOW_S, SECRET, signed } from "../support/receiver.js";

const URL_ = "https://app.example/api/gemini";
const base = (o: Partial<GeminiWebhooksOptions> = {}) => ({ secret: SECRET, now: clock(), ...o }) as GeminiWebhooksOptions;
type Delivery = { body: string; headers: Record<string, string> };

const post = (d: Delivery, init: RequestInit = {}) => new Request(URL_, { method: "POST", body: d.body, headers: d.headers, ...init });
async function answer(res: Response) {
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}
const code = (a: { body: any }) => a.body?.error?.code;

// Type level (checked by `pnpm typecheck`): the handlers fit the shapes Next calls them with. Next's own
// NextApiHandler type is checked by the Next.js 16 build in e2e.test.ts (importing Next's types here would
// change NodeJS.ProcessEnv for every test file).
const pagesFits: (req: IncomingMessage & { body?: any; query: Record<string, string | string[]> }, res: ServerResponse) => unknown = geminiPagesHandler(base());
const routeFits: (request: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response> = geminiWebhookHandler(base());
void pagesFits;
void routeFits;

describe("App Router: geminiWebhookHandler(request) => Response", () => {

  it("receives every catalog event, typed, and answers core's JSON", async () => {
    const seen: string[] = [];
    const POST = geminiWebhookHandler(base({ on: { "*": (e, ctx) => void seen.push(`${e.type}:${ctx.webhookId}`) } }));
    for (const [i, ev] of allFixtures().entries()) {
      const a = await answer(await POST(post(signed(ev, { id: `msg_${i}` }))));
      expect([a.status, a.body]).toEqual([200, { status: "received" }]);
      expect(a.headers.get("content-type")).toMatch(/^application\/json/);
    }
    expect(seen).toHaveLength(allFixtures().length);
    expect(seen[0]).toBe(`${allFixtures()[0]!.type}:msg_0`);
  });

  it("valid, duplicate, tampered, stale, future, unknown scheme, missing header", async () => {
    let runs = 0;
    const POST = geminiWebhookHandler(base({ on: { "batch.succeeded": (e) => void (runs += e.data.output_file_uri === "gs://x" ? 1 : 100) } }));
    const d = signed();
    expect((await answer(await POST(post(d)))).body).toEqual({ status: "received" });
    expect((await answer(await POST(post(d)))).body).toEqual({ status: "duplicate" });
    expect(runs).toBe(1);
    const tampered = await answer(await POST(post({ ...d, body: d.body.replace("gs://x", "gs://evil") })));
    expect([tampered.status, code(tampered)]).toEqual([400, "signature_mismatch"]);
    const stale = await answer(await POST(post(signed(undefined, { id: "msg_old", timestamp: NOW_S - 301 }))));
    expect([stale.status, code(stale)]).toEqual([400, "timestamp_too_old"]);
    const future = await answer(await POST(post(signed(undefined, { id: "msg_new", timestamp: NOW_S + 301 }))));
    expect([future.status, code(future)]).toEqual([400, "timestamp_too_new"]);
    const unsup = await answer(await POST(post({ ...d, headers: { ...d.headers, "webhook-signature": "v9,abc" } })));
    expect([unsup.status, code(unsup)]).toEqual([400, "unsupported_signature"]);
    const { "webhook-id": _drop, ...noId } = d.headers;
    const missing = await answer(await POST(post({ ...d, headers: noId })));
    expect([missing.status, code(missing)]).toEqual([400, "missing_header"]);
    expect(runs).toBe(1);
  });

  it("non-POST gets a JSON 405 with Allow: POST", async () => {
    const GET = geminiWebhookHandler(base());
    const a = await answer(await GET(new Request(URL_, { method: "GET" })));
    expect([a.status, code(a), a.headers.get("allow")]).toEqual([405, "method_not_allowed", "POST"]);
  });

  it("413 on an oversized body, declared or streamed without a length", async () => {
    const POST = geminiWebhookHandler(base({ maxBodyBytes: 1024 }));
    const big = signed({ type: "batch.succeeded", data: { id: "x".repeat(2000), output_file_uri: "gs://x" } });
    const declared = await answer(await POST(post(big)));
    expect([declared.status, code(declared)]).toEqual([413, "body_too_large"]);
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(512));
        if (pulled > 100) c.close();
      },
    });
    const streamed = await answer(await POST(new Request(URL_, { method: "POST", body: stream, headers: big.headers, duplex: "half" } as RequestInit)));
    expect([streamed.status, code(streamed)]).toEqual([413, "body_too_large"]);
    expect(pulled).toBeLessThan(10); // stopped reading early, not after the whole stream
  });

  it("a handler that throws gives 500 handler_failed, and the retry runs again", async () => {
    let calls = 0;
    const POST = geminiWebhookHandler(base({ on: { "batch.succeeded": () => { if (++calls === 1) throw new Error("db down"); } } }));
    const d = signed();
    const first = await answer(await POST(post(d)));
    expect([first.status, code(first)]).toEqual([500, "handler_failed"]);
    expect(JSON.stringify(first.body)).not.toContain("db down");
    expect((await answer(await POST(post(d)))).body).toEqual({ status: "received" });
    expect(calls).toBe(2);
  });

  it("takes a ready instance (handlers added with .on) and exposes it as .webhooks", async () => {
    const webhooks = createGeminiWebhooks(base());
    const got: string[] = [];
    webhooks.on("batch.succeeded", (e) => void got.push(e.data.id));
    const POST = geminiWebhookHandler(webhooks);
    expect(POST.webhooks).toBe(webhooks);
    expect((await answer(await POST(post(signed())))).body).toEqual({ status: "received" });
    expect(got).toEqual(["b1"]);
  });

  it("options become a receiver on the first request: a missing secret is a JSON 500 configuration, logged once", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const POST = geminiWebhookHandler({ secret: undefined }); // as at `next build`, without the env
      for (let i = 0; i < 2; i++) {
        const a = await answer(await POST(post(signed(undefined, { id: `msg_c${i}` }))));
        expect([a.status, code(a)]).toEqual([500, "configuration"]);
        expect(a.body.error.message).toMatch(/GEMINI_WEBHOOK_SECRET/);
      }
      expect(log).toHaveBeenCalledTimes(1);
      expect(() => POST.webhooks).toThrow(/secret/);
      const bad = geminiWebhookHandler({ secret: "whsec_short" });
      const a = await answer(await bad(post(signed())));
      expect([a.status, code(a)]).toEqual([500, "configuration"]);
      expect(a.body.error.message).not.toContain("whsec_short");
    } finally {
      log.mockRestore();
    }
  });

  it("works on Web Crypto alone (as on the Edge runtime)", async () => {
    const POST = geminiWebhookHandler(base({ crypto: webCryptoProvider(), on: { "*": () => {} } }));
    const d = signed(undefined, { id: "msg_edge" });
    expect((await answer(await POST(post(d)))).body).toEqual({ status: "received" });
    const tampered = await answer(await POST(post({ ...d, body: d.body.replace("b1", "b2") })));
    expect(code(tampered)).toBe("signature_mismatch");
  });

  it("the package source imports no node:* module (Edge-safe)", () => {
    const src = readFileSync(new URL("../../packages/next/src/index.ts", import.meta.url), "utf8");
    expect(src).not.toMatch(/from\s*["'](node:|crypto|http|buffer|stream)/);
    expect(src).not.toMatch(/require\(/);
  });
});

describe("Pages Router: geminiPagesHandler(req, res) over node:http", () => {
  let server: Server;
  let url = "";
  // Each path mounts a handler the way Next.js would call it; "/parsed-*" simulate Next's body parser.
  const routes: Record<string, (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => unknown> = {};
  const events: string[] = [];
  const pages = geminiPagesHandler(base({ maxBodyBytes: 1024, on: { "*": (e, ctx) => void events.push(`${e.type}:${ctx.webhookId}`) } }));

  beforeAll(async () => {
    routes["/api/gemini"] = pages;
    routes["/api/parsed-json"] = async (req, res) => {
      let s = "";
      for await (const c of req) s += c;
      req.body = JSON.parse(s);
      return pages(req, res);
    };
    routes["/api/parsed-text"] = async (req, res) => {
      let s = "";
      for await (const c of req) s += c;
      req.body = s;
      return pages(req, res);
    };
    routes["/api/buffer-body"] = async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      req.body = Buffer.concat(chunks);
      return pages(req, res);
    };
    routes["/api/no-secret"] = geminiPagesHandler({ secret: "" });
    server = createServer((req, res) => void routes[req.url ?? ""]!(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function send(path: string, d: Delivery, init: RequestInit = {}) {
    const res = await fetch(url + path, { method: "POST", body: d.body, headers: d.headers, ...init });
    return { status: res.status, body: (await res.json()) as any, headers: res.headers };
  }

  it("exports the config users re-declare", () => {
    expect(config).toEqual({ api: { bodyParser: false } });
  });

  it("valid, duplicate, tampered, stale over real HTTP; handlers see typed events", async () => {
    const d = signed(undefined, { id: "msg_p1" });
    expect((await send("/api/gemini", d)).body).toEqual({ status: "received" });
    expect((await send("/api/gemini", d)).body).toEqual({ status: "duplicate" });
    const tampered = await send("/api/gemini", { ...d, body: d.body.replace("gs://x", "gs://y") });
    expect([tampered.status, code(tampered)]).toEqual([400, "signature_mismatch"]);
    const stale = await send("/api/gemini", signed(undefined, { id: "msg_p2", timestamp: NOW_S - 301 }));
    expect([stale.status, code(stale)]).toEqual([400, "timestamp_too_old"]);
    expect(events).toEqual(["batch.succeeded:msg_p1"]);
  });

  it("reads a body sent in several chunks exactly", async () => {
    const d = signed({ type: "batch.failed", data: { id: "f", error_code: "E", error_message: "é ünïcode" } }, { id: "msg_chunks" });
    const bytes = new TextEncoder().encode(d.body);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 7) c.enqueue(bytes.slice(i, i + 7)); // splits multi-byte characters
        c.close();
      },
    });
    const a = await send("/api/gemini", d, { body: stream, duplex: "half" } as RequestInit);
    expect(a.body).toEqual({ status: "received" });
  });

  it("GET gets a JSON 405 with Allow: POST", async () => {
    const res = await fetch(url + "/api/gemini");
    expect([res.status, res.headers.get("allow"), ((await res.json()) as any).error.code]).toEqual([405, "POST", "method_not_allowed"]);
  });

  it("a body parsed by Next (object or string) is a 500 configuration naming the fix", async () => {
    for (const path of ["/api/parsed-json", "/api/parsed-text"]) {
      const a = await send(path, signed(undefined, { id: `msg_${path}` }));
      expect([a.status, code(a)]).toEqual([500, "configuration"]);
      expect(a.body.error.message).toMatch(/^A body parser read the request before the Gemini webhook receiver/);
      expect(a.body.error.message).toContain("export const config = { api: { bodyParser: false } };");
    }
    expect(events).not.toContain("batch.succeeded:msg_/api/parsed-json");
  });

  it("raw bytes already on req.body (a Buffer) are used as the body", async () => {
    expect((await send("/api/buffer-body", signed(undefined, { id: "msg_buf" }))).body).toEqual({ status: "received" });
  });

  it("413 when the declared length or the streamed bytes pass maxBodyBytes", async () => {
    const big = signed({ type: "batch.succeeded", data: { id: "x".repeat(2000), output_file_uri: "gs://x" } });
    const declared = await send("/api/gemini", big);
    expect([declared.status, code(declared)]).toEqual([413, "body_too_large"]);
    const bytes = new TextEncoder().encode(big.body);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes);
        c.close();
      },
    });
    const streamed = await send("/api/gemini", big, { body: stream, duplex: "half" } as RequestInit);
    expect([streamed.status, code(streamed), streamed.headers.get("connection")]).toEqual([413, "body_too_large", "close"]);
    // the server still answers afterwards
    expect((await send("/api/gemini", signed(undefined, { id: "msg_after" }))).body).toEqual({ status: "received" });
  });

  it("stops reading the stream as soon as it passes maxBodyBytes", async () => {
    let pulled = 0;
    const req = Object.assign(
      Readable.from(
        (function* () {
          for (; pulled < 10_000; pulled++) yield Buffer.alloc(256);
        })(),
      ),
      { method: "POST", headers: signed().headers },
    );
    const res = { statusCode: 0, headers: {} as Record<string, string>, sent: "", setHeader(k: string, v: string) { this.headers[k] = v; }, end(b: string) { this.sent = b; } };
    await pages(req, res);
    expect([res.statusCode, JSON.parse(res.sent).error.code, res.headers.connection]).toEqual([413, "body_too_large", "close"]);
    expect(pulled).toBeLessThan(50);
  });

  it("a stream someone else already read is a 500 configuration, not a hang", async () => {
    const req = Object.assign(Readable.from([Buffer.from(signed().body)]), { method: "POST", headers: signed().headers });
    for await (const _ of req) void _;
    const res = { statusCode: 0, sent: "", setHeader() {}, end(b: string) { this.sent = b; } };
    await pages(req, res);
    expect([res.statusCode, JSON.parse(res.sent).error.code]).toEqual([500, "configuration"]);
    expect(JSON.parse(res.sent).error.message).toMatch(/A body parser read the request.*bodyParser: false/);
  });

  it("a bad secret is a JSON 500 configuration, never a crash", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const a = await send("/api/no-secret", signed());
      expect([a.status, code(a)]).toEqual([500, "configuration"]);
      expect(a.body.error.message).toMatch(/empty/);
    } finally {
      log.mockRestore();
    }
  });

  it("exposes the receiver as .webhooks", () => {
    const h: GeminiPagesHandler = pages;
    expect(typeof h.webhooks.handle).toBe("function");
  });
});
