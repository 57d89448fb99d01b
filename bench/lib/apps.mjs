// The apps the HTTP benchmark serves and the in-process benchmark calls: per framework a bare app (reads the
// body, answers 200 JSON), the app with our receiver, and the app with an inline minimal receiver. Each is a
// node:http request listener `(req, res) => void`, so bench/lib/server.mjs serves it over a socket and
// bench/receive.mjs calls it with a socketless IncomingMessage / ServerResponse: the same code both ways.
import { createHmac, timingSafeEqual } from "node:crypto";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";

export const PATH = "/hook";
const OK_BODY = '{"status":"received"}';
const JSON_TYPE = "application/json; charset=utf-8";

/**
 * The listeners for one secret. `packages`: another checkout's packages/ dir (its build instead of the
 * workspace's); `maxEntries`: memoryStore size ("default" = core's default, "off" = no store);
 * `onHandled(event, ctx)`: called by every receiver's no-op handler.
 */
export function benchApps({ secret, packages, maxEntries, onHandled = () => {} }) {
  /** One of our packages ("core", "express", "koa", "core/node") from the workspace or from `packages`. */
  function pkg(name) {
    if (!packages) return import(`@gemini-webhooks/${name}`);
    const [p, sub] = name.split("/");
    return import(pathToFileURL(`${packages}/${p}/dist/${sub ?? "index"}.js`).href);
  }

  async function webhooks(withStore = true) {
    const { createGeminiWebhooks, memoryStore } = await pkg("core");
    if (withStore === "map") {
      // a store of the least work: one Map, no expiry, no bound (what the inline receiver does)
      const m = new Map();
      const store = { claim: (k) => (m.has(k) ? (m.get(k) ? "done" : "in_progress") : (m.set(k, false), "new")), complete: (k) => void m.set(k, true), release: (k) => void m.delete(k) };
      return createGeminiWebhooks({ secret, idempotency: store, on: { "batch.succeeded": onHandled } });
    }
    if (withStore === "noop") {
      // a store that remembers nothing: the pipeline's claim/complete path without a Map
      const store = { claim: () => "new", complete: () => {}, release: () => {} };
      return createGeminiWebhooks({ secret, idempotency: store, on: { "batch.succeeded": onHandled } });
    }
    if (!withStore) return createGeminiWebhooks({ secret, idempotency: false, on: { "batch.succeeded": onHandled } });
    // "off": no idempotency store at all (to see what dedupe costs); "default": core's default memoryStore()
    const store = maxEntries === "off" ? false : maxEntries === "default" ? memoryStore() : memoryStore({ maxEntries: Number(maxEntries ?? 2_000_000) });
    return createGeminiWebhooks({ secret, idempotency: store, on: { "batch.succeeded": onHandled } });
  }

  /** node:http + core's receiveNode (this build's or `packages`') with the instance `wh`. */
  async function receiveNodeApp(wh) {
    const { receiveNode } = await pkg("core/node");
    return (req, res) => {
      receiveNode(wh, req, res, { framework: "node" }).catch((e) => fail(res, e));
    };
  }

  /**
   * The inline minimal receiver: the least any correct receiver does, written inline. HMAC check
   * (node:crypto), replay window, JSON.parse, dedupe in a plain Map, the handler, a JSON answer (the body
   * string; the caller writes it the framework's way). No error answers beyond 400.
   */
  function inlineReceiver(useMap = true) {
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
      if (!useMap || !done.has(id)) {
        if (useMap) done.set(id, Date.now());
        onHandled(event, { webhookId: id });
        status = "received";
      }
      return { status: 200, body: `{"status":"${status}"}` };
    };
  }

  return {
    /** Express 5, express.raw() reading the body, answering 200. */
    async "express-bare"() {
      const { default: express } = await import("express");
      const app = express();
      app.post(PATH, express.raw({ type: "*/*" }), (req, res) => {
        if (!Buffer.isBuffer(req.body)) return res.status(500).end();
        res.set("content-type", JSON_TYPE).status(200).end(OK_BODY);
      });
      return app;
    },
    /** The same app with geminiWebhooks (v1 verify, memoryStore claim/complete, no-op handler). */
    async "express-gemini"() {
      const { default: express } = await import("express");
      const { geminiWebhooks } = await pkg("express");
      const app = express();
      app.post(PATH, express.raw({ type: "*/*" }), geminiWebhooks(await webhooks()));
      return app;
    },
    /** Ablation: geminiWebhooks with no res.locals to put the event on (what exposing it costs). */
    async "express-gemini-nolocals"() {
      const { default: express } = await import("express");
      const { geminiWebhooks } = await pkg("express");
      const app = express();
      const mw = geminiWebhooks(await webhooks());
      app.post(PATH, express.raw({ type: "*/*" }), (req, res) => {
        res.locals = undefined;
        mw(req, res);
      });
      return app;
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
      return app;
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
      return app.callback();
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
      return app.callback();
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
      return app.callback();
    },
    /** node:http reading the body, answering 200. */
    async "node-bare"() {
      return bareNode(readBody);
    },
    /** node:http + the inline minimal receiver (see inlineReceiver). */
    async "node-inline"() {
      return inlineNode(inlineReceiver());
    },
    /**
     * node:http reading the body bounded, with raw-body (a size limit, content-length checked), answering 200:
     * the Koa pair's bare app without Koa. A receiver must bound its read (DESIGN: 413 body_too_large), so
     * this pair's inline receiver reads the same way and the comparison is of everything after the read.
     */
    async "node-bare-bounded"() {
      return bareNode(await boundedRead());
    },
    /** node:http + the inline minimal receiver, its body read bounded with raw-body (as koa-inline reads it). */
    async "node-inline-bounded"() {
      return inlineNode(inlineReceiver(), writeJson, undefined, await boundedRead());
    },
    /** node:http + core's receiveNode (@gemini-webhooks/core/node): what the adapters and the CLI's listen use. */
    async "node-receive"() {
      return receiveNodeApp(await webhooks());
    },
    // Ablations (HTTP_ABLATIONS=1 in http.mjs, RECEIVE_EXTRA in receive.mjs): what one part costs in the server
    /** receiveNode with no idempotency store (what the store costs). */
    async "node-receive-nostore"() {
      return receiveNodeApp(await webhooks(false));
    },
    /** receiveNode with a plain-Map store (memoryStore's own cost, against the least a store does). */
    async "node-receive-mapstore"() {
      return receiveNodeApp(await webhooks("map"));
    },
    /** receiveNode with a store that remembers nothing (the pipeline's claim/complete path without a Map). */
    async "node-receive-noopstore"() {
      return receiveNodeApp(await webhooks("noop"));
    },
    /** The inline receiver without its Map (what its dedupe costs). */
    async "node-inline-nomap"() {
      return inlineNode(inlineReceiver(false));
    },
    /** The inline receiver answering with statusCode + setHeader + end (sendNode's way, written inline). */
    async "node-inline-sethdr"() {
      return inlineNode(inlineReceiver(), (res, answer) => {
        res.statusCode = answer.status;
        res.setHeader("content-type", JSON_TYPE);
        res.end(answer.body);
      });
    },
    /** The inline receiver answering with writeHead(status, headers with content-length) + end. */
    async "node-inline-whcl"() {
      return inlineNode(inlineReceiver(), (res, answer) => {
        res.writeHead(answer.status, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(answer.body) });
        res.end(answer.body);
      });
    },
    /** The inline receiver with a read timer (setTimeout as the read starts, clearTimeout at its end). */
    async "node-inline-timer"() {
      return inlineNode(inlineReceiver(), writeJson, () => {
        const t = setTimeout(() => {}, 30_000);
        return () => clearTimeout(t);
      });
    },
    /** The inline receiver with a "close" listener on the request. */
    async "node-inline-close"() {
      return inlineNode(inlineReceiver(), writeJson, (req) => void req.on("close", () => {}));
    },
    /** The inline receiver answering with core's sendNode. */
    async "node-inline-oursend"() {
      const { sendNode } = await pkg("core/node");
      return inlineNode(inlineReceiver(), (res, answer) => sendNode(res, { status: answer.status, headers: { "content-type": JSON_TYPE }, body: JSON.parse(answer.body) }));
    },
    /** The inline receiver, its body read by core's readNodeBody. */
    async "node-inline-ourread"() {
      const { readNodeBody } = await pkg("core/node");
      return inlineNode(inlineReceiver(), writeJson, undefined, coreReader(readNodeBody));
    },
    /** The inline receiver, its body read by core's readNodeBody and its answer written by sendNode. */
    async "node-inline-ourreader"() {
      const { readNodeBody, sendNode } = await pkg("core/node");
      const headers = { "content-type": JSON_TYPE };
      return inlineNode(inlineReceiver(), (res, answer) => sendNode(res, { status: answer.status, headers, body: JSON.parse(answer.body) }), undefined, coreReader(readNodeBody));
    },
    /**
     * A what-if, not a receiver to ship: ours' v1 path fused into one closure. Every check ours makes on a v1
     * delivery, written inline (the headers read by name, the id rule, the timestamp's syntax and window,
     * each `v1,` entry of the signature header compared in constant time, the JSON parsed and the envelope
     * checked, the context with its Date), on core's reader, memoryStore and writer. Against ours it prices
     * the pipeline's structure; against the inline receiver, the checks ours makes that it skips.
     */
    async "node-fused"() {
      const { readNodeBody, sendNode } = await pkg("core/node");
      const { memoryStore } = await pkg("core");
      const store = memoryStore({ maxEntries: Number(maxEntries ?? 2_000_000) });
      const key = Buffer.from(secret.slice(6), "base64");
      const headers = { "content-type": JSON_TYPE };
      const answer = (status, code) => ({ status, headers, body: { error: { code, message: code } } });
      const RECEIVED = Object.freeze({ status: "received" });
      const DUPLICATE = Object.freeze({ status: "duplicate" });
      const validId = (id) => {
        if (id.length === 0 || id.length > 256) return false;
        for (let i = 0; i < id.length; i++) {
          const c = id.charCodeAt(i);
          if (c < 0x21 || c > 0x7e) return false;
        }
        return true;
      };
      const receive = (h, body) => {
        const id = h["webhook-id"];
        const ts = h["webhook-timestamp"];
        const sigs = h["webhook-signature"];
        if (id === undefined || ts === undefined || sigs === undefined) return answer(400, "missing_header");
        if (id.includes(", ") || ts.includes(", ") || sigs.includes(", ")) return answer(400, "invalid_header");
        if (!validId(id) || ts.length === 0 || ts.length > 15 || !/^\d+$/.test(ts)) return answer(400, "invalid_header");
        const seconds = Number(ts);
        const now = Math.floor(Date.now() / 1000);
        if (seconds < now - 300) return answer(400, "timestamp_too_old");
        if (seconds > now + 300) return answer(400, "timestamp_too_new");
        const expected = Buffer.from(createHmac("sha256", key).update(`${id}.${ts}.`).update(body).digest("base64"));
        let matched = false;
        for (const entry of sigs.split(" ")) {
          if (!entry.startsWith("v1,")) continue;
          const sig = Buffer.from(entry.slice(3));
          if (sig.length === expected.length && timingSafeEqual(sig, expected)) matched = true;
        }
        if (!matched) return answer(400, "signature_mismatch");
        const text = body.toString("utf8");
        let event;
        try {
          event = JSON.parse(text);
        } catch {
          return answer(400, "invalid_json");
        }
        if (event === null || typeof event !== "object" || Array.isArray(event) || typeof event.type !== "string" || event.type === "") return answer(400, "invalid_json");
        if (event.data === undefined) event.data = {};
        else if (event.data === null || typeof event.data !== "object" || Array.isArray(event.data)) return answer(400, "invalid_json");
        // (few enough braces that nothing can nest deeper than 64: ours' depth check, its cheap case)
        let containers = 0;
        for (let i = text.indexOf("{"); i !== -1 && containers <= 65; i = text.indexOf("{", i + 1)) containers++;
        for (let i = text.indexOf("["); i !== -1 && containers <= 65; i = text.indexOf("[", i + 1)) containers++;
        if (containers > 65) return answer(400, "invalid_json");
        const idempotencyKey = `gemini-webhooks:v1:${id}`;
        const ctx = { webhookId: id, timestamp: new Date(seconds * 1000), scheme: "v1", secretIndex: 0, rawBody: body, idempotencyKey };
        if (store.claim(idempotencyKey) !== "new") return { status: 200, headers, body: DUPLICATE };
        onHandled(event, ctx);
        store.complete(idempotencyKey);
        return { status: 200, headers, body: RECEIVED, event, ctx };
      };
      const read = coreReader(readNodeBody);
      return (req, res) => {
        read(req).then((body) => sendNode(res, receive(req.headers, body)), (e) => fail(res, e));
      };
    },
    /** node:http + core's handle() on the raw body (what an adapter does). */
    async "node-handle"() {
      const wh = await webhooks();
      return (req, res) => {
        readBody(req)
          .then((body) => wh.handle({ body, headers: req.headers, method: req.method }))
          .then((r) => {
            res.writeHead(r.status, r.headers);
            res.end(JSON.stringify(r.body));
          }, (e) => fail(res, e));
      };
    },
    /** node:http bridged to web Request/Response (as a fetch-style server does), reading the body, answering 200. */
    async "fetch-bare"() {
      return (req, res) => {
        const request = toRequest(req);
        request
          .arrayBuffer()
          .then(() => writeResponse(res, new Response(OK_BODY, { status: 200, headers: { "content-type": JSON_TYPE } })))
          .catch((e) => fail(res, e));
      };
    },
    /** The same bridge calling core's webhooks.fetch(request). */
    async "fetch-gemini"() {
      const wh = await webhooks();
      return (req, res) => {
        wh.fetch(toRequest(req))
          .then((response) => writeResponse(res, response))
          .catch((e) => fail(res, e));
      };
    },
  };
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

/** The inline answer: writeHead(status, content-type) + end(body), chunked (what node-inline does). */
function writeJson(res, answer) {
  res.writeHead(answer.status, { "content-type": JSON_TYPE });
  res.end(answer.body);
}

/**
 * node:http + an inline receiver: read the body with `read` (the bench's readBody by default), receive, write
 * the answer with `write`; `before(req)` runs as the request arrives and may return a function run once the
 * body is in (the ablations' extra work).
 */
function inlineNode(receive, write = writeJson, before, read = readBody) {
  return (req, res) => {
    const after = before?.(req);
    read(req).then((body) => {
      after?.();
      write(res, receive(req.headers, body));
    }, (e) => fail(res, e));
  };
}

/** core's readNodeBody as a reader giving a Buffer (the inline receiver's input). */
function coreReader(readNodeBody) {
  return (req) => readNodeBody(req, { limit: 1 << 20, timeoutMs: 30_000, framework: "node" }).then((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** node:http reading the body with `read`, answering 200 JSON (the bare apps). */
function bareNode(read) {
  return (req, res) => {
    read(req).then(() => {
      res.writeHead(200, { "content-type": JSON_TYPE });
      res.end(OK_BODY);
    }, (e) => fail(res, e));
  };
}

/** raw-body with a 1 MiB limit and the declared content-length checked (what koa-bare and koa-inline do). */
async function boundedRead() {
  const { default: getRawBody } = await import("raw-body");
  return (req) => getRawBody(req, { limit: 1 << 20, length: req.headers["content-length"] });
}

export function readBody(req) {
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
