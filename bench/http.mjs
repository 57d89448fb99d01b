// HTTP overhead: autocannon against a bare app and the same app with the Gemini receiver (v1 verify,
// memoryStore claim + complete, a no-op handler), for Express 5, Koa 3, core's receiveNode (and handle()) on
// node:http and core's fetch() behind a node:http → Request/Response bridge. Each server runs in its own process; the
// load generator (autocannon) runs in this one, so on 2 cores each side has one.
//   node bench/http.mjs        (after `pnpm build`)
// Env: HTTP_SECONDS (per round, default 2), HTTP_ROUNDS (default 4), HTTP_WARMUP_SECONDS (default 2),
//      HTTP_CONNECTIONS (default 10), HTTP_PAIRS (comma list of express,koa,node,fetch), HTTP_POOL (signed
//      requests per server), HTTP_SERVER_ARGS (node flags for the server processes, e.g. --cpu-prof),
//      HTTP_PROCS (server processes per variant, taking turns by round; default 1),
//      HTTP_CPU (pin every server to this CPU with taskset, e.g. 1), HTTP_SKIP (server kinds to leave out, e.g. node-handle), HTTP_ABLATIONS=1 (node:http: also ours without
//      a store, the inline receiver on core's reader and writer, the bounded pairing: bare and inline reading
//      with raw-body and a limit, ours' added ÷ that inline's added, and node-fused: ours' v1 checks written as
//      one closure, a what-if, ours' added ÷ its added), HTTP_BASELINE (another checkout's packages/
//      dir: its build as one more variant), HTTP_RATE (fixed req/s per server), HTTP_TOGETHER=1 (every
//      variant of a framework loaded at the same time, at HTTP_RATE, default 1,000 req/s each).
// Per framework: the bare app, the app with our receiver, and the app with an inline minimal receiver
// (HMAC, replay window, JSON.parse, Map dedupe, 200 JSON); the figure that counts is what ours adds in server
// CPU per request over the bare app, divided by what the inline receiver adds (same framework, same run).
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
const poolSize = Number(process.env.HTTP_POOL ?? 600_000);
const wanted = (process.env.HTTP_PAIRS ?? "express,koa,node,fetch").split(",");
const COMMAND = "node bench/http.mjs";
const ADDED_GOAL = 1.25;
const ablations = process.env.HTTP_ABLATIONS === "1";
const procs = Number(process.env.HTTP_PROCS ?? 1);
// HTTP_SKIP: server kinds to leave out, e.g. "node-handle" (a shorter run)
const skipped = (process.env.HTTP_SKIP ?? "").split(",").filter(Boolean);
// HTTP_BASELINE=/other/checkout/packages: also run "ours" from that checkout's build (before/after in one run)
const baseline = process.env.HTTP_BASELINE;
// HTTP_RATE: a fixed total rate (req/s) instead of as fast as the server answers
// HTTP_TOGETHER=1: load every variant of a framework at the same time (needs HTTP_RATE, per server), instead
// of one after the other
const together = process.env.HTTP_TOGETHER === "1";
const rate = process.env.HTTP_RATE ? Number(process.env.HTTP_RATE) : together ? 1000 : undefined;

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
    ...(rate ? { overallRate: rate } : {}),
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
  {
    key: "express",
    label: "Express 5",
    variants: [
      { which: "bare", kind: "express-bare", label: "bare (express.raw, 200 JSON)" },
      { which: "ours", kind: "express-gemini", label: "+ geminiWebhooks (@gemini-webhooks/express)" },
      { which: "inline", kind: "express-inline", label: "+ inline minimal receiver" },
    ],
  },
  {
    key: "koa",
    label: "Koa 3",
    needs: "koa",
    variants: [
      { which: "bare", kind: "koa-bare", label: "bare (raw-body, 200 JSON)" },
      { which: "ours", kind: "koa-gemini", label: "+ geminiWebhooks (@gemini-webhooks/koa)" },
      { which: "inline", kind: "koa-inline", label: "+ inline minimal receiver" },
    ],
  },
  {
    key: "node",
    label: "node:http",
    variants: [
      { which: "bare", kind: "node-bare", label: "bare (read the body, 200 JSON)" },
      { which: "ours", kind: "node-receive", label: "+ receiveNode (@gemini-webhooks/core/node)" },
      { which: "inline", kind: "node-inline", label: "+ inline minimal receiver" },
      { which: "handle", kind: "node-handle", label: "+ the bench's body reader → core handle()" },
      // HTTP_ABLATIONS=1, the bounded pairing: a bare app and an inline receiver that bound their read with
      // raw-body (size limit, content-length checked), as the Koa pair's do. Ours bounds its read too (413
      // body_too_large, 408 body_timeout), so against these "added" is what comes after a bounded read.
      { which: "bare-bounded", kind: "node-bare-bounded", label: "bare, its read bounded (raw-body with a limit) (ablation)", bounded: "bare", ablation: true },
      { which: "inline-bounded", kind: "node-inline-bounded", label: "+ inline minimal receiver, its read bounded (raw-body) (ablation)", bounded: "inline", ablation: true },
      // HTTP_ABLATIONS=1: what one part of ours costs in the server, in the same run
      { which: "nostore", kind: "node-receive-nostore", label: "+ receiveNode, idempotency: false (ablation)", ablation: true },
      { which: "inline-reader", kind: "node-inline-ourreader", label: "+ inline receiver on core's readNodeBody + sendNode (ablation)", ablation: true },
      { which: "inline-read", kind: "node-inline-ourread", label: "+ inline receiver on core's readNodeBody (ablation)", ablation: true },
      { which: "inline-send", kind: "node-inline-oursend", label: "+ inline receiver answering with core's sendNode (ablation)", ablation: true },
      { which: "mapstore", kind: "node-receive-mapstore", label: "+ receiveNode, a plain Map as the store (ablation)", ablation: true },
      { which: "fused", kind: "node-fused", label: "+ ours' v1 path fused into one closure, a what-if (ablation)", ablation: true },
    ],
  },
  {
    key: "fetch",
    label: "node:http → Request/Response",
    variants: [
      { which: "bare", kind: "fetch-bare", label: "bare (bridge, read the body, 200 JSON)" },
      { which: "ours", kind: "fetch-gemini", label: "+ core webhooks.fetch()" },
    ],
  },
];

console.log("# http: bare app, the same app with the Gemini receiver, and with an inline minimal receiver");
console.log(machineLine());
console.log(
  `autocannon in this process, each server in its own${procs > 1 ? ` (${procs} per variant, taking turns by round)` : ""}; ${connections} connections, 0.6 KB body, unique webhook-id per request; ` +
    `${warmup} s warm-up each, then ${rounds} × ${seconds} s rounds` + (together ? "" : ", the variants back to back in rotating order") +
    (rate ? `, at a fixed ${rate} req/s` : ", each as fast as it answers") + (together ? ", all variants loaded at the same time" : "") + ".\n" +
    `"added" = server CPU µs/req of the variant minus the bare app's (same framework, same run); ` +
    `"added ÷ inline" = that, divided by what the inline minimal receiver (HMAC, window, JSON.parse, Map dedupe, 200 JSON) adds: ` +
    `pooled over all rounds, then [min – max] of the per-round ratios. Goal ≤ ${ADDED_GOAL}x.\n`,
);

const rows = [["app", "req/s", "p50 ms", "p99 ms", "rounds req/s", "non-2xx", "÷ bare req/s", "server CPU µs/req (user+sys)", "added µs/req", "added ÷ inline"]];
const figures = [];
const summary = [];
for (const pair of PAIRS) {
  if (!wanted.includes(pair.key)) continue;
  if (pair.needs && !isBuilt(pair.needs)) {
    console.log(`${pair.key}: skipped (package not built)`);
    rows.push([`${pair.label}: skipped (packages/${pair.needs} not built)`, "", "", "", "", "", "", "", "", ""]);
    continue;
  }
  // signed per framework: the timestamps must stay inside the 5-minute window for the framework's whole run
  const pool = signPool(poolSize);
  const env = { BENCH_SECRET: secret };
  // e.g. HTTP_SERVER_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the servers
  const execArgv = (process.env.HTTP_SERVER_ARGS ?? "").split(" ").filter(Boolean);
  const variants = pair.variants
    .filter((v) => v.which === "bare" || (skipped.indexOf(v.kind) < 0 && (!v.ablation || ablations)))
    .map((v) => ({ ...v }));
  if (baseline) {
    const ours = variants.find((v) => v.which === "ours");
    variants.push({ which: "base", kind: ours.kind, label: `${ours.label} [baseline build: ${baseline}]`, env: { BENCH_PACKAGES: baseline } });
  }
  // HTTP_PROCS: server processes per variant, taking turns by round (a process's heap and code placement make
  // it a few % faster or slower than another of the same code for its whole life; several average that out)
  for (const v of variants) {
    v.servers = [];
    for (let p = 0; p < procs; p++) {
      const server = await startServer(v.kind, { ...env, ...v.env }, execArgv);
      server.cursor = { i: 0 };
      server.ok = 0;
      v.servers.push(server);
    }
    v.runs = [];
  }
  try {
    for (const v of variants) for (const server of v.servers) server.ok += (await load(server, pool, warmup)).ok;
    for (let r = 0; r < rounds; r++) {
      const p = r % procs;
      if (together) {
        // all variants loaded at once, each at the fixed rate: a busy moment of the machine hits all alike
        const res = await Promise.all(variants.map((v) => load(v.servers[p], pool, seconds)));
        variants.forEach((v, k) => {
          v.runs.push(res[k]);
          v.servers[p].ok += res[k].ok;
        });
        continue;
      }
      // rotate the order each round, so no variant always runs first
      for (let k = 0; k < variants.length; k++) {
        const v = variants[(k + r) % variants.length];
        const res = await load(v.servers[p], pool, seconds);
        v.runs.push(res);
        v.servers[p].ok += res.ok;
      }
    }
    const by = Object.fromEntries(variants.map((v) => [v.which, v]));
    const bare = by.bare;
    const b = merge(bare.runs);
    const perReq = (x) => x.cpuMicros / x.served;
    for (const v of variants) {
      v.m = merge(v.runs);
      // paired: round r against round r of bare (run back to back), median over rounds
      v.ratio = median(v.runs.map((x, i) => x.rps / bare.runs[i].rps));
      v.added = v.m.cpuPerReq - b.cpuPerReq;
      v.addedRounds = v.runs.map((x, i) => perReq(x) - perReq(bare.runs[i]));
    }
    const inline = by.inline;
    for (const v of variants) {
      if (!inline || v === bare || v === inline) continue;
      v.vsInline = v.added / inline.added;
      const per = v.addedRounds.map((a, i) => a / inline.addedRounds[i]).sort((x, y) => x - y);
      v.vsInlineRange = [per[0], per[per.length - 1]];
    }
    for (const v of variants) {
      rows.push([
        `${pair.label} ${v.label}`,
        fmtInt(v.m.rps),
        fmtNum(v.m.p50, 0),
        fmtNum(v.m.p99, 0),
        v.m.rounds.map(fmtInt).join(" / "),
        v.m.non2xx + v.m.errors,
        v === bare ? "" : fmtNum(v.ratio) + "x",
        `${fmtNum(v.m.cpuPerReq, 1)} (${fmtNum(v.m.userPerReq, 1)}+${fmtNum(v.m.cpuPerReq - v.m.userPerReq, 1)})`,
        v === bare ? "" : fmtNum(v.added, 1),
        v.vsInline === undefined ? "" : `${fmtNum(v.vsInline)}x [${fmtNum(v.vsInlineRange[0])} – ${fmtNum(v.vsInlineRange[1])}]`,
      ]);
    }
    // Every request carried a webhook-id of its own (no wrap-around of the pool), and the handler ran for
    // every 2xx (it may run a few more times: requests still in flight when a run's clock stops).
    const checks = [];
    for (const v of variants) {
      if (v === bare || v.bounded === "bare") continue;
      v.check = v.m.non2xx + v.m.errors === 0;
      if (!v.check) checks.push(`${v.which}: ${v.m.non2xx + v.m.errors} non-2xx/errors`);
      for (const server of v.servers) {
        const stats = await ask(server, "stats", "stats");
        const unique = server.cursor.i <= pool.length;
        const handlerOk = stats.handled >= server.ok && stats.handled <= server.ok + connections * (rounds + 1);
        if (!unique || !handlerOk) {
          v.check = false;
          checks.push(`${v.which} (pid ${server.child.pid}): ids unique ${unique}, handler ran ${stats.handled} times for ${server.ok} 2xx`);
        }
      }
    }
    const ours = by.ours;
    const o = ours.m;
    const met = inline ? inline.added > 0 && ours.vsInline <= ADDED_GOAL && ours.check : null;
    // the bounded pairing (node:http): ours and the bounded inline receiver, each over the bounded bare app
    const bareB = by["bare-bounded"];
    const inlineB = by["inline-bounded"];
    let bounded;
    if (bareB && inlineB) {
      const oursAdded = o.cpuPerReq - bareB.m.cpuPerReq;
      const inlineAdded = inlineB.m.cpuPerReq - bareB.m.cpuPerReq;
      const per = ours.runs
        .map((x, i) => (perReq(x) - perReq(bareB.runs[i])) / (perReq(inlineB.runs[i]) - perReq(bareB.runs[i])))
        .sort((x, y) => x - y);
      bounded = { oursAdded, inlineAdded, ratio: oursAdded / inlineAdded, range: [per[0], per[per.length - 1]] };
      bounded.met = inlineAdded > 0 && bounded.ratio <= ADDED_GOAL && ours.check && inlineB.check;
    }
    const line =
      `${pair.label}: server CPU µs/req bare ${fmtNum(b.cpuPerReq, 1)}, ours ${fmtNum(o.cpuPerReq, 1)} (+${fmtNum(ours.added, 1)})` +
      (inline ? `, inline ${fmtNum(inline.m.cpuPerReq, 1)} (+${fmtNum(inline.added, 1)}); ours added ÷ inline added ${fmtNum(ours.vsInline)}x [rounds ${fmtNum(ours.vsInlineRange[0])} – ${fmtNum(ours.vsInlineRange[1])}] (goal ≤ ${ADDED_GOAL}x: ${met ? "met" : "NOT met"})` : "") +
      (by.handle?.vsInline !== undefined ? `; handle() added ÷ inline added ${fmtNum(by.handle.vsInline)}x` : "") +
      (bounded
        ? `; bounded read (bare ${fmtNum(bareB.m.cpuPerReq, 1)}): ours +${fmtNum(bounded.oursAdded, 1)}, inline +${fmtNum(bounded.inlineAdded, 1)}, ours added ÷ inline added ${fmtNum(bounded.ratio)}x [rounds ${fmtNum(bounded.range[0])} – ${fmtNum(bounded.range[1])}] (goal ≤ ${ADDED_GOAL}x: ${bounded.met ? "met" : "NOT met"})`
        : "") +
      (by.fused
        ? `; fused what-if +${fmtNum(by.fused.added, 1)}, ours added ÷ fused added ${fmtNum(ours.added / by.fused.added)}x`
        : "") +
      (by.base?.vsInline !== undefined ? `; baseline build added ÷ inline added ${fmtNum(by.base.vsInline)}x [rounds ${fmtNum(by.base.vsInlineRange[0])} – ${fmtNum(by.base.vsInlineRange[1])}]` : "") +
      `; throughput ÷ bare: ours ${fmtNum(ours.ratio)}x${inline ? `, inline ${fmtNum(inline.ratio)}x` : ""}; checks: ${checks.length ? "PROBLEM " + checks.join("; ") : "ok"}`;
    console.log(line);
    summary.push(line);
    figures.push(
      figure(`http ${pair.label} bare req/s`, Math.round(b.rps), "req/s", "", null, COMMAND),
      figure(`http ${pair.label} ours req/s`, Math.round(o.rps), "req/s", "", null, COMMAND),
      figure(`http ${pair.label} ours p99`, o.p99, "ms", "", null, COMMAND),
      figure(
        `http ${pair.label} server CPU µs/req bare → ours${inline ? " / inline" : ""}`,
        `${fmtNum(b.cpuPerReq, 1)} → ${fmtNum(o.cpuPerReq, 1)}${inline ? ` / ${fmtNum(inline.m.cpuPerReq, 1)}` : ""}`,
        "µs",
        "",
        null,
        COMMAND,
      ),
      figure(`http ${pair.label} ours ÷ bare throughput`, +ours.ratio.toFixed(2), "x", "", null, COMMAND),
      ...(inline
        ? [
            figure(
              `http ${pair.label} CPU added: ours ÷ inline minimal receiver`,
              `${fmtNum(ours.vsInline)} [${fmtNum(ours.vsInlineRange[0])} – ${fmtNum(ours.vsInlineRange[1])}]`,
              "x",
              `≤ ${ADDED_GOAL}x`,
              met,
              COMMAND,
            ),
          ]
        : []),
      ...(bounded
        ? [
            figure(
              `http ${pair.label} CPU added, reads bounded: ours ÷ inline minimal receiver`,
              `${fmtNum(bounded.ratio)} [${fmtNum(bounded.range[0])} – ${fmtNum(bounded.range[1])}]`,
              "x",
              `≤ ${ADDED_GOAL}x`,
              bounded.met,
              COMMAND,
            ),
          ]
        : []),
    );
  } finally {
    for (const v of variants) for (const server of v.servers) await stopServer(server);
  }
}
console.log("");
printTable(rows);
console.log("");
for (const l of summary) console.log(l);
emit("http", figures);
