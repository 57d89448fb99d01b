// A receiver in its own process, for the HTTP and soak benchmarks (the load generator runs in the parent).
//   node bench/lib/server.mjs <kind>     kinds: see SERVERS below
// Env: BENCH_SECRET (the whsec_ secret), BENCH_PACKAGES (another checkout's packages/ dir: use its build), BENCH_MAX_ENTRIES (memoryStore size, default 2,000,000; "default" = core's
// default; "off" = no store), BENCH_TRACK_IDS=1 (count handler runs per webhook-id, for the soak).
// Talks over IPC: sends { port } once listening; answers "stats" with handler counts and memory.
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";

const kind = process.argv[2];
const secret = process.env.BENCH_SECRET;
const PATH = "/hook";
const OK_BODY = '{"status":"received"}';
const JSON_TYPE = "application/json; charset=utf-8";

// What the no-op handler saw: how often it ran, and ids it ran for more than once or that should never pass.
const stats = { requests: 0, handled: 0, repeats: 0, forbidden: 0 };
const seen = process.env.BENCH_TRACK_IDS === "1" ? new Set() : undefined;

function noop(_event, ctx) {
  stats.handled++;
  if (seen) {
    if (seen.has(ctx.webhookId)) stats.repeats++;
    else seen.add(ctx.webhookId);
    // the soak marks forged and stale deliveries' ids: their handler must never run
    if (ctx.webhookId.startsWith("forged_") || ctx.webhookId.startsWith("stale_")) stats.forbidden++;
  }
}

/**
 * One of our packages ("core", "express", "koa", "core/node"): the workspace's build, or, with
 * BENCH_PACKAGES=/path/to/other/checkout/packages, that checkout's build (an A/B of two builds in one run).
 */
function pkg(name) {
  const dir = process.env.BENCH_PACKAGES;
  if (!dir) return import(`@gemini-webhooks/${name}`);
  const [p, sub] = name.split("/");
  return import(pathToFileURL(`${dir}/${p}/dist/${sub ?? "index"}.js`).href);
}

async function webhooks() {
  const { createGeminiWebhooks, memoryStore } = await pkg("core");
  const max = process.env.BENCH_MAX_ENTRIES;
  // "off": no idempotency store at all (to see what dedupe costs); "default": core's default memoryStore()
  const store = max === "off" ? false : max === "default" ? memoryStore() : memoryStore({ maxEntries: Number(max ?? 2_000_000) });
  return createGeminiWebhooks({ secret, idempotency: store, on: { "batch.succeeded": noop } });
}

/** node:http IncomingMessage → web Request, and web Response → ServerResponse: the bridge any fetch-style server pays. */
function toRequest(req) {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else if (v !== undefined) headers.set(k, v);
  }
  const init = { method: req.method, headers };
  if (req.method !== "GET" && req.method !== "HEAD") {
    init.body = Readable.toWeb(req);
    init.duplex = "half";
  }
  return new Request(`http://${req.headers.host ?? "127.0.0.1"}${req.url}`, init);
}

async function writeResponse(res, response) {
  const headers = {};
  response.headers.forEach((v, k) => (headers[k] = v));
  res.writeHead(response.status, headers);
  res.end(Buffer.from(await response.arrayBuffer()));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function fail(res, e) {
  res.statusCode = 500;
  res.end(String(e));
}

/**
 * The inline minimal receiver: the least any correct receiver does, written inline. HMAC check
 * (node:crypto), replay window, JSON.parse, dedupe in a plain Map, the handler, a JSON answer (the body
 * string; the caller writes it the framework's way). No error answers beyond 400.
 */
function inlineReceiver() {
  const key = Buffer.from(secret.slice(6), "base64");
  const done = new Map();
  return (headers, body) => {
    const id = headers["webhook-id"];
    const ts = headers["webhook-timestamp"];
    const sig = String(headers["webhook-signature"]).slice(3);
    const expected = createHmac("sha256", key).update(`${id}.${ts}.`).update(body).digest("base64");
    const fresh = Math.abs(Date.now() / 1000 - Number(ts)) <= 300;
    if (!fresh || expected.length !== sig.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(sig))) {
      return { status: 400, body: '{"error":{"code":"signature_mismatch"}}' };
    }
    const event = JSON.parse(body.toString("utf8"));
    let status = "duplicate";
    if (!done.has(id)) {
      done.set(id, Date.now());
      noop(event, { webhookId: id });
      status = "received";
    }
    return { status: 200, body: `{"status":"${status}"}` };
  };
}

const SERVERS = {
  /** Express 5, express.raw() reading the body, answering 200. */
  async "express-bare"() {
    const { default: express } = await import("express");
    const app = express();
    app.post(PATH, express.raw({ type: "*/*" }), (req, res) => {
      if (!Buffer.isBuffer(req.body)) return res.status(500).end();
      res.set("content-type", JSON_TYPE).status(200).end(OK_BODY);
    });
    return http.createServer(app);
  },
  /** The same app with geminiWebhooks (v1 verify, memoryStore claim/complete, no-op handler). */
  async "express-gemini"() {
    const { default: express } = await import("express");
    const { geminiWebhooks } = await pkg("express");
    const app = express();
    app.post(PATH, express.raw({ type: "*/*" }), geminiWebhooks(await webhooks()));
    return http.createServer(app);
  },
  /** The same app with the inline minimal receiver instead of geminiWebhooks. */
  async "express-inline"() {
    const { default: express } = await import("express");
    const receive = inlineReceiver();
    const app = express();
    app.post(PATH, express.raw({ type: "*/*" }), (req, res) => {
      const answer = receive(req.headers, req.body);
      res.set("content-type", JSON_TYPE).status(answer.status).end(answer.body);
    });
    return http.createServer(app);
  },
  /** Koa 3 with raw-body reading the body, answering 200. */
  async "koa-bare"() {
    const { default: Koa } = await import("koa");
    const { default: getRawBody } = await import("raw-body");
    const app = new Koa();
    app.use(async (ctx) => {
      if (ctx.path !== PATH || ctx.method !== "POST") return;
      await getRawBody(ctx.req, { limit: 1 << 20, length: ctx.req.headers["content-length"] });
      ctx.status = 200;
      ctx.type = JSON_TYPE;
      ctx.body = OK_BODY;
    });
    return http.createServer(app.callback());
  },
  /** The same app with @gemini-webhooks/koa. */
  async "koa-gemini"() {
    const { default: Koa } = await import("koa");
    const { geminiWebhooks } = await pkg("koa");
    const app = new Koa();
    const mw = geminiWebhooks(await webhooks());
    app.use(async (ctx, next) => {
      if (ctx.path === PATH) return mw(ctx, next);
    });
    return http.createServer(app.callback());
  },
  /** The same app with the inline minimal receiver instead of @gemini-webhooks/koa. */
  async "koa-inline"() {
    const { default: Koa } = await import("koa");
    const { default: getRawBody } = await import("raw-body");
    const receive = inlineReceiver();
    const app = new Koa();
    app.use(async (ctx) => {
      if (ctx.path !== PATH || ctx.method !== "POST") return;
      const body = await getRawBody(ctx.req, { limit: 1 << 20, length: ctx.req.headers["content-length"] });
      const answer = receive(ctx.req.headers, body);
      ctx.status = answer.status;
      ctx.type = JSON_TYPE;
      ctx.body = answer.body;
    });
    return http.createServer(app.callback());
  },
  /** node:http reading the body, answering 200. */
  async "node-bare"() {
    return http.createServer((req, res) => {
      readBody(req).then(() => {
        res.writeHead(200, { "content-type": JSON_TYPE });
        res.end(OK_BODY);
      }, (e) => fail(res, e));
    });
  },
  /** node:http + the inline minimal receiver (see inlineReceiver). */
  async "node-inline"() {
    const receive = inlineReceiver();
    return http.createServer((req, res) => {
      readBody(req).then((body) => {
        const answer = receive(req.headers, body);
        res.writeHead(answer.status, { "content-type": JSON_TYPE });
        res.end(answer.body);
      }, (e) => fail(res, e));
    });
  },
  /** node:http + core's receiveNode (@gemini-webhooks/core/node): what the adapters and the CLI's listen use. */
  async "node-receive"() {
    const wh = await webhooks();
    const { receiveNode } = await pkg("core/node");
    return http.createServer((req, res) => {
      receiveNode(wh, req, res, { framework: "node" }).catch((e) => fail(res, e));
    });
  },
  /** node:http + core's handle() on the raw body (what an adapter does). */
  async "node-handle"() {
    const wh = await webhooks();
    return http.createServer((req, res) => {
      readBody(req)
        .then((body) => wh.handle({ body, headers: req.headers, method: req.method }))
        .then((r) => {
          res.writeHead(r.status, r.headers);
          res.end(JSON.stringify(r.body));
        }, (e) => fail(res, e));
    });
  },
  /** node:http bridged to web Request/Response (as a fetch-style server does), reading the body, answering 200. */
  async "fetch-bare"() {
    return http.createServer((req, res) => {
      const request = toRequest(req);
      request
        .arrayBuffer()
        .then(() => writeResponse(res, new Response(OK_BODY, { status: 200, headers: { "content-type": JSON_TYPE } })))
        .catch((e) => fail(res, e));
    });
  },
  /** The same bridge calling core's webhooks.fetch(request). */
  async "fetch-gemini"() {
    const wh = await webhooks();
    return http.createServer((req, res) => {
      wh.fetch(toRequest(req))
        .then((response) => writeResponse(res, response))
        .catch((e) => fail(res, e));
    });
  },
};

if (!SERVERS[kind]) {
  console.error(`unknown server kind ${kind}; one of ${Object.keys(SERVERS).join(", ")}`);
  process.exit(2);
}
const server = await SERVERS[kind]();
server.keepAliveTimeout = 60_000;
server.on("request", () => stats.requests++);
server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
process.on("message", (m) => {
  if (m === "stats") {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    process.send({ stats: { ...stats, rss: mem.rss, heapUsed: mem.heapUsed, cpuMicros: cpu.user + cpu.system, userMicros: cpu.user } });
  } else if (m === "gc") {
    globalThis.gc?.();
    process.send({ gc: true });
  } else if (m === "exit") {
    // with --cpu-prof: how many requests the profile covers (to turn its times into µs per request)
    if (process.execArgv.includes("--cpu-prof")) console.error(`[server ${kind}${process.env.BENCH_PACKAGES ? " (baseline)" : ""} pid ${process.pid}: ${stats.requests} requests]`);
    server.close();
    server.closeAllConnections?.();
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
