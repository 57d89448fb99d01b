// HTTP overhead: autocannon against a bare app and the same app with the Gemini receiver (v1 verify,
// memoryStore claim + complete, a no-op handler), for Express 5, Koa 3, core's handle() on node:http and
// core's fetch() behind a node:http → Request/Response bridge. Each server runs in its own process; the
// load generator (autocannon) runs in this one, so on 2 cores each side has one.
//   node bench/http.mjs        (after `pnpm build`)
// Env: HTTP_SECONDS (per round, default 2), HTTP_ROUNDS (default 4), HTTP_WARMUP_SECONDS (default 2),
//      HTTP_CONNECTIONS (default 10), HTTP_PAIRS (comma list of express,koa,node,fetch), HTTP_POOL (signed
//      requests per server), HTTP_SERVER_ARGS (node flags for the server processes, e.g. --cpu-prof).
import { createHmac, randomBytes } from "node:crypto";
import autocannon from "autocannon";
import { ask, startServer, stopServer } from "./lib/child.mjs";
import { eventBody, fmtInt, fmtNum, isBuilt, machineLine, median, printTable, requireBuilt } from "./lib/common.mjs";
import { emit, figure } from "./lib/report.mjs";

requireBuilt("core");
requireBuilt("express");

const seconds = Number(process.env.HTTP_SECONDS ?? 2);
const rounds = Number(process.env.HTTP_ROUNDS ?? 4);
const warmup = Number(process.env.HTTP_WARMUP_SECONDS ?? 2);
const connections = Number(process.env.HTTP_CONNECTIONS ?? 10);
const poolSize = Number(process.env.HTTP_POOL ?? 250_000);
const wanted = (process.env.HTTP_PAIRS ?? "express,koa,node,fetch").split(",");
const COMMAND = "node bench/http.mjs";
const GOAL = 0.85;

const secretBytes = randomBytes(32);
const secret = `whsec_${secretBytes.toString("base64")}`;
const body = eventBody(600);
const bodyBuf = Buffer.from(body);

/** Pre-signed deliveries, each with its own webhook-id and a current timestamp (valid for 5 minutes). */
function signPool(n) {
  const ts = String(Math.floor(Date.now() / 1000));
  const prefix = randomBytes(6).toString("hex");
  const pool = new Array(n);
  for (let i = 0; i < n; i++) {
    const id = `msg_${prefix}${i.toString(16).padStart(10, "0")}`;
    const sig = createHmac("sha256", secretBytes).update(`${id}.${ts}.`).update(bodyBuf).digest("base64");
    pool[i] = { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": `v1,${sig}` };
  }
  return pool;
}

/**
 * One autocannon run; every request takes the next pre-signed delivery of this server's pool. Also the
 * server's CPU time per request over the run (user + system, from the server process itself): on a shared
 * machine it is steadier than req/s, and the ratio of CPU per request is what the throughput ratio would be
 * with a core to itself.
 */
async function load(server, pool, duration) {
  const cursor = server.cursor;
  const before = await ask(server, "stats", "stats");
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections,
    duration,
    requests: [
      {
        method: "POST",
        path: "/hook",
        setupRequest: (req) => ({ ...req, headers: pool[cursor.i++ % pool.length], body }),
      },
    ],
  });
  const after = await ask(server, "stats", "stats");
  return {
    requests: result.requests.total,
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    seconds: result.duration,
    rps: result.requests.total / result.duration,
    p99: result.latency.p99,
    p50: result.latency.p50,
    served: after.requests - before.requests,
    cpuMicros: after.cpuMicros - before.cpuMicros,
    userMicros: after.userMicros - before.userMicros,
  };
}

function merge(runs) {
  const total = runs.reduce((s, r) => s + r.requests, 0);
  const secs = runs.reduce((s, r) => s + r.seconds, 0);
  return {
    rps: total / secs,
    p99: Math.max(...runs.map((r) => r.p99)),
    p50: runs.map((r) => r.p50).sort((a, b) => a - b)[Math.floor(runs.length / 2)],
    non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
    errors: runs.reduce((s, r) => s + r.errors, 0),
    rounds: runs.map((r) => Math.round(r.rps)),
    cpuPerReq: runs.reduce((s, r) => s + r.cpuMicros, 0) / runs.reduce((s, r) => s + r.served, 0),
    userPerReq: runs.reduce((s, r) => s + r.userMicros, 0) / runs.reduce((s, r) => s + r.served, 0),
  };
}

const PAIRS = [
  { key: "express", label: "Express 5", bare: "express-bare", ours: "express-gemini", oursLabel: "+ geminiWebhooks (@gemini-webhooks/express)" },
  { key: "koa", label: "Koa 3", bare: "koa-bare", ours: "koa-gemini", oursLabel: "+ geminiWebhooks (@gemini-webhooks/koa)", needs: "koa" },
  {
    key: "node",
    label: "node:http",
    bare: "node-bare",
    ours: "node-handle",
    oursLabel: "+ core webhooks.handle()",
    floor: "node-floor",
    floorLabel: "+ floor: inline HMAC + JSON.parse + Map dedupe",
  },
  { key: "fetch", label: "node:http → Request/Response", bare: "fetch-bare", ours: "fetch-gemini", oursLabel: "+ core webhooks.fetch()" },
];

console.log("# http: bare app vs the same app with the Gemini receiver (v1 verify + dedupe + no-op handler)");
console.log(machineLine());
console.log(
  `autocannon in this process, each server in its own; ${connections} connections, 0.6 KB body, unique webhook-id per request; ` +
    `${warmup} s warm-up each, then ${rounds} × ${seconds} s rounds alternating bare/ours; ratio = median of per-round ratios\n`,
);

const rows = [["app", "req/s", "p50 ms", "p99 ms", "rounds req/s", "non-2xx", "ratio", "server CPU µs/req (user+sys)", "CPU ratio"]];
const figures = [];
const pool = signPool(poolSize);
for (const pair of PAIRS) {
  if (!wanted.includes(pair.key)) continue;
  if (pair.needs && !isBuilt(pair.needs)) {
    console.log(`${pair.key}: skipped (package not built)`);
    rows.push([`${pair.label}: skipped (packages/${pair.needs} not built)`, "", "", "", "", "", "", "", ""]);
    continue;
  }
  const env = { BENCH_SECRET: secret };
  // e.g. HTTP_SERVER_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the servers
  const execArgv = (process.env.HTTP_SERVER_ARGS ?? "").split(" ").filter(Boolean);
  const variants = [
    { which: "bare", kind: pair.bare, label: `${pair.label} (bare)` },
    { which: "ours", kind: pair.ours, label: `${pair.label} ${pair.oursLabel}` },
    ...(pair.floor ? [{ which: "floor", kind: pair.floor, label: `${pair.label} ${pair.floorLabel}` }] : []),
  ];
  for (const v of variants) {
    v.server = await startServer(v.kind, env, execArgv);
    v.server.cursor = { i: 0 };
    v.runs = [];
    v.ok = 0;
  }
  try {
    for (const v of variants) v.ok += (await load(v.server, pool, warmup)).ok;
    for (let r = 0; r < rounds; r++) {
      // rotate the order each round, so neither side always runs first
      for (let k = 0; k < variants.length; k++) {
        const v = variants[(k + r) % variants.length];
        const res = await load(v.server, pool, seconds);
        v.runs.push(res);
        v.ok += res.ok;
      }
    }
    const [bare, ours] = variants;
    const stats = await ask(ours.server, "stats", "stats");
    const b = merge(bare.runs);
    let o;
    for (const v of variants) {
      const m = merge(v.runs);
      if (v === ours) o = m;
      // paired: round r against round r of bare (run back to back), median over rounds
      const ratio = median(v.runs.map((x, i) => x.rps / bare.runs[i].rps));
      const cpuRatio = median(v.runs.map((x, i) => bare.runs[i].cpuMicros / bare.runs[i].served / (x.cpuMicros / x.served)));
      v.ratio = ratio;
      v.cpuRatio = cpuRatio;
      rows.push([
        v.label,
        fmtInt(m.rps),
        fmtNum(m.p50, 0),
        fmtNum(m.p99, 0),
        m.rounds.map(fmtInt).join(" / "),
        m.non2xx + m.errors,
        v === bare ? "" : fmtNum(ratio) + "x",
        `${fmtNum(m.cpuPerReq, 1)} (${fmtNum(m.userPerReq, 1)}+${fmtNum(m.cpuPerReq - m.userPerReq, 1)})`,
        v === bare ? "" : fmtNum(cpuRatio) + "x",
      ]);
    }
    // Every request carried a webhook-id of its own (no wrap-around of the pool), and the handler ran for
    // every 2xx (it may run a few more times: requests still in flight when a run's clock stops).
    const unique = ours.server.cursor.i <= pool.length;
    const handlerOk = stats.handled >= ours.ok && stats.handled <= ours.ok + connections * (rounds + 1);
    const check = unique && handlerOk ? "ok" : `PROBLEM (ids unique: ${unique}; handler ran ${stats.handled} times for ${ours.ok} 2xx)`;
    const floor = variants[2];
    console.log(
      `${pair.label}: throughput ratio ${fmtNum(ours.ratio)}x (goal ≥ ${GOAL}x: ${ours.ratio >= GOAL ? "met" : "NOT met"}), ` +
        `server CPU per request ratio ${fmtNum(ours.cpuRatio)}x` +
        (floor ? `; the floor's: ${fmtNum(floor.ratio)}x, CPU ${fmtNum(floor.cpuRatio)}x` : "") +
        `; handler ran ${fmtInt(stats.handled)} times for ${fmtInt(ours.ok)} 2xx answers: ${check}`,
    );
    figures.push(
      figure(`http ${pair.label} bare req/s`, Math.round(b.rps), "req/s", "", null, COMMAND),
      figure(`http ${pair.label} bare p99`, b.p99, "ms", "", null, COMMAND),
      figure(`http ${pair.label} ours req/s`, Math.round(o.rps), "req/s", "", null, COMMAND),
      figure(`http ${pair.label} ours p99`, o.p99, "ms", "", null, COMMAND),
      figure(
        `http ${pair.label} server CPU µs/req bare → ours (user part)`,
        `${fmtNum(b.cpuPerReq, 1)} → ${fmtNum(o.cpuPerReq, 1)} (${fmtNum(b.userPerReq, 1)} → ${fmtNum(o.userPerReq, 1)})`,
        "µs",
        "",
        null,
        COMMAND,
      ),
      ...(floor ? [figure(`http ${pair.label} floor ÷ bare throughput (reference)`, +floor.ratio.toFixed(2), "x", "", null, COMMAND)] : []),
      figure(`http ${pair.label} ours ÷ bare throughput`, +ours.ratio.toFixed(2), "x", `≥ ${GOAL}x`, ours.ratio >= GOAL && check === "ok" && o.non2xx + o.errors === 0, COMMAND),
    );
  } finally {
    for (const v of variants) await stopServer(v.server);
  }
}
console.log("");
printTable(rows);
emit("http", figures);
