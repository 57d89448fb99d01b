// The node:http request path in this process, without sockets: a real IncomingMessage carrying a
// pre-signed 0.6 KB delivery (every one a webhook-id of its own) and a real ServerResponse (its output
// buffered, never sent), through (a) a bare handler (read the body, 200 JSON), (b) the inline minimal
// receiver (HMAC, replay window, JSON.parse, Map dedupe, 200 JSON) and (c) core's receiveNode. No kernel,
// no load generator: only the JS each side runs, so a change of a fraction of a µs shows. The HTTP
// benchmark (bench/http.mjs) is the figure that counts; this one is for working on the path.
//   node bench/receive.mjs           (after `pnpm build`)
// Env: RECEIVE_ROUNDS (default 15), RECEIVE_ROUND_MS (default 150), RECEIVE_CONCURRENCY (requests in
// flight, default 10), RECEIVE_BASELINE (other builds' packages/ dirs, comma-separated: also run their receiveNode).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import http from "node:http";
import { pathToFileURL } from "node:url";
import { eventBody, fmtNum, machineLine, median, printTable, requireBuilt } from "./lib/common.mjs";
import { emit, figure } from "./lib/report.mjs";

requireBuilt("core");
const rounds = Number(process.env.RECEIVE_ROUNDS ?? 15);
const roundMs = Number(process.env.RECEIVE_ROUND_MS ?? 150);
const concurrency = Number(process.env.RECEIVE_CONCURRENCY ?? 10);
// comma-separated: several builds side by side (e.g. one per commit)
const baselines = (process.env.RECEIVE_BASELINE ?? "").split(",").filter(Boolean);
const COMMAND = "node bench/receive.mjs";
const JSON_TYPE = "application/json; charset=utf-8";

const load = (dir, name, sub = "index") => (dir ? import(pathToFileURL(`${dir}/${name}/dist/${sub}.js`).href) : import(`@gemini-webhooks/${name}${sub === "index" ? "" : `/${sub}`}`));

const secretBytes = randomBytes(32);
const secret = `whsec_${secretBytes.toString("base64")}`;
const body = Buffer.from(eventBody(600));
const POOL = 400_000;
const ts = String(Math.floor(Date.now() / 1000));
const prefix = randomBytes(6).toString("hex");
const pool = new Array(POOL);
for (let i = 0; i < POOL; i++) {
  const id = `msg_${prefix}${i.toString(16).padStart(10, "0")}`;
  const sig = createHmac("sha256", secretBytes).update(`${id}.${ts}.`).update(body).digest("base64");
  pool[i] = {
    host: "127.0.0.1:3000",
    connection: "keep-alive",
    "content-type": "application/json",
    "content-length": String(body.length),
    "webhook-id": id,
    "webhook-timestamp": ts,
    "webhook-signature": `v1,${sig}`,
  };
}

/** A request as node:http's parser hands it over: headers parsed, the body arriving after the handler ran. */
function request(headers) {
  const req = new http.IncomingMessage(null);
  req.method = "POST";
  req.url = "/hook";
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.httpVersion = "1.1";
  req.headers = headers;
  return req;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function inlineReceiver() {
  const done = new Map();
  return (headers, b) => {
    const id = headers["webhook-id"];
    const t = headers["webhook-timestamp"];
    const sig = String(headers["webhook-signature"]).slice(3);
    const expected = createHmac("sha256", secretBytes).update(`${id}.${t}.`).update(b).digest("base64");
    const fresh = Math.abs(Date.now() / 1000 - Number(t)) <= 300;
    if (!fresh || expected.length !== sig.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(sig))) return { status: 400, body: '{"error":{"code":"signature_mismatch"}}' };
    const event = JSON.parse(b.toString("utf8"));
    let status = "duplicate";
    if (!done.has(id)) {
      done.set(id, Date.now());
      handled++;
      if (event.type !== "batch.succeeded") throw new Error("bad event");
      status = "received";
    }
    return { status: 200, body: `{"status":"${status}"}` };
  };
}

let handled = 0;
const noop = () => void handled++;

async function oursHandler(dir) {
  const { createGeminiWebhooks, memoryStore } = await load(dir, "core");
  const { receiveNode } = await load(dir, "core", "node");
  const wh = createGeminiWebhooks({ secret, idempotency: memoryStore({ maxEntries: 2_000_000 }), on: { "batch.succeeded": noop } });
  return (req, res) => receiveNode(wh, req, res, { framework: "node" });
}

const inline = inlineReceiver();
const candidates = [
  {
    name: "bare (read the body, 200 JSON)",
    handler: (req, res) =>
      readBody(req).then(() => {
        res.writeHead(200, { "content-type": JSON_TYPE });
        res.end('{"status":"received"}');
      }),
  },
  {
    name: "inline minimal receiver",
    handler: (req, res) =>
      readBody(req).then((b) => {
        const a = inline(req.headers, b);
        res.writeHead(a.status, { "content-type": JSON_TYPE });
        res.end(a.body);
      }),
  },
  { name: "receiveNode (this build)", handler: await oursHandler(undefined) },
  ...(await Promise.all(baselines.map(async (dir) => ({ name: `receiveNode (build in ${dir})`, handler: await oursHandler(dir) })))),
];
for (const c of candidates) c.cursor = 0;

/** One request through the handler: the handler runs on "request", then the body arrives, then it answers. */
function one(c) {
  const req = request(pool[c.cursor++ % POOL]);
  const res = new http.ServerResponse(req);
  const p = c.handler(req, res);
  req.push(body);
  req.push(null);
  return p;
}

/** `concurrency` requests in flight, for about `ms` of CPU; µs of CPU per request. */
async function runFor(c, ms) {
  const start = process.cpuUsage();
  const used = () => {
    const u = process.cpuUsage(start);
    return (u.user + u.system) / 1000;
  };
  let n = 0;
  do {
    const batch = [];
    for (let i = 0; i < concurrency; i++) batch.push(one(c));
    await Promise.all(batch);
    n += concurrency;
  } while (used() < ms);
  return (used() * 1000) / n;
}

console.log("# receive: the node:http request path in-process (no sockets), µs of CPU per request");
console.log(machineLine());
console.log(`${rounds} rounds × ${roundMs} ms per candidate, interleaved; ${concurrency} requests in flight; every request a new webhook-id\n`);
for (const c of candidates) await runFor(c, 300);
const samples = candidates.map(() => []);
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < candidates.length; k++) {
    const i = (k + r) % candidates.length;
    samples[i].push(await runFor(candidates[i], roundMs));
  }
}
const med = samples.map(median);
const added = (i) => samples[i].map((x, r) => x - samples[0][r]);
const addedRatio = (i) => {
  const per = added(i).map((a, r) => a / added(1)[r]);
  return { median: median(per), min: Math.min(...per), max: Math.max(...per) };
};
const rows = [["candidate", "µs/req (median)", "min..max", "added µs/req", "added ÷ inline's (median [min – max] of rounds)"]];
candidates.forEach((c, i) => {
  const a = i === 0 ? undefined : median(added(i));
  const r = i >= 2 ? addedRatio(i) : undefined;
  rows.push([c.name, fmtNum(med[i], 2), `${fmtNum(Math.min(...samples[i]), 2)}..${fmtNum(Math.max(...samples[i]), 2)}`, a === undefined ? "" : fmtNum(a, 2), r ? `${fmtNum(r.median)}x [${fmtNum(r.min)} – ${fmtNum(r.max)}]` : ""]);
});
printTable(rows);
const ours = addedRatio(2);
emit("receive", [
  figure("receive in-process: bare / inline / receiveNode µs per request", `${fmtNum(med[0], 2)} / ${fmtNum(med[1], 2)} / ${fmtNum(med[2], 2)}`, "µs", "", null, COMMAND),
  figure("receive in-process: receiveNode added ÷ inline added", +ours.median.toFixed(2), "x", "", null, COMMAND),
]);
