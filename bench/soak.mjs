// Soak: the Express receiver (express.raw + geminiWebhooks, core's default memoryStore) under a fixed
// rate of deliveries for SOAK_SECONDS, of which 5% forged (wrong secret), 5% stale (10 min old, correctly
// signed) and 5% duplicates (a delivery already answered, resent as-is: Gemini's at-least-once retry). The receiver runs in its own process
// and reports its RSS every second; its handler counts runs per webhook-id.
//   node bench/soak.mjs        (after `pnpm build`)
// Env: SOAK_SECONDS (default 60), SOAK_RATE (deliveries/s, default 500), SOAK_WARMUP_SECONDS (default 10).
import { createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import { ask, startServer, stopServer } from "./lib/child.mjs";
import { eventBody, fmtInt, fmtNum, machineLine, median, printTable, requireBuilt } from "./lib/common.mjs";
import { emit, figure } from "./lib/report.mjs";

requireBuilt("core");
requireBuilt("express");

const seconds = Number(process.env.SOAK_SECONDS ?? 60);
const rate = Number(process.env.SOAK_RATE ?? 500);
const warmup = Number(process.env.SOAK_WARMUP_SECONDS ?? Math.min(10, Math.floor(seconds / 3)));
const COMMAND = `SOAK_SECONDS=${seconds} SOAK_RATE=${rate} node bench/soak.mjs`;
const RSS_GOAL = 0.1;
const TICK_MS = 10;

const key = randomBytes(32);
const secret = `whsec_${key.toString("base64")}`;
const forgedKey = randomBytes(32);
const bodies = [eventBody(300), eventBody(600), eventBody(2048)].map((b) => Buffer.from(b));

function sign(k, id, ts, body) {
  return `v1,${createHmac("sha256", k).update(`${id}.${ts}.`).update(body).digest("base64")}`;
}

let seq = 0;
const prefix = randomBytes(4).toString("hex");
/** One delivery of a kind: "valid", "forged", "stale" or "duplicate" (of a valid one already answered). */
function delivery(kind, recent) {
  if (kind === "duplicate" && recent.length > 0) return { ...recent[Math.floor(Math.random() * recent.length)], kind };
  if (kind === "duplicate") kind = "valid";
  const now = Math.floor(Date.now() / 1000);
  const body = bodies[seq % bodies.length];
  const id = `${kind === "valid" ? "msg" : kind}_${prefix}${(seq++).toString(36)}`;
  const ts = String(kind === "stale" ? now - 600 : now);
  const sig = sign(kind === "forged" ? forgedKey : key, id, ts, body);
  return { kind, body, headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig } };
}

/** What each kind must get back. */
const EXPECTED = {
  valid: (s, b) => s === 200 && b.status === "received",
  forged: (s, b) => s === 400 && b.error?.code === "signature_mismatch",
  stale: (s, b) => s === 400 && b.error?.code === "timestamp_too_old",
  // resent after its first delivery was answered: already processed
  duplicate: (s, b) => s === 200 && b.status === "duplicate",
};

// The receiver gets --expose-gc: one full GC at the end of the warm-up and one at the end measure what
// stays reachable (a leak would show there); the RSS goal is judged on the raw samples.
const server = await startServer("express-gemini", { BENCH_SECRET: secret, BENCH_MAX_ENTRIES: "default", BENCH_TRACK_IDS: "1" }, ["--expose-gc"]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const counts = {};
for (const k of Object.keys(EXPECTED)) counts[k] = { sent: 0, answered: 0, unexpected: 0, accepted: 0 };
let inFlight = 0;
let errors = 0;
const latencies = []; // after warm-up
const oddities = []; // the first unexpected answers, to print
let measuring = false;
const received = new Map(); // webhook-id → "received" answers (must never exceed 1)
const answeredValid = []; // the last valid deliveries answered 200, for duplicates

function send(d) {
  counts[d.kind].sent++;
  inFlight++;
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = http.request(
      { agent, host: "127.0.0.1", port: server.port, method: "POST", path: "/hook", headers: { ...d.headers, "content-length": d.body.length } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          inFlight--;
          if (measuring) latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          const c = counts[d.kind];
          c.answered++;
          let body = {};
          try {
            body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            /* counted as unexpected below */
          }
          if (res.statusCode >= 200 && res.statusCode < 300 && (d.kind === "forged" || d.kind === "stale")) c.accepted++;
          if (body.status === "received") received.set(d.headers["webhook-id"], (received.get(d.headers["webhook-id"]) ?? 0) + 1);
          if (d.kind === "valid" && res.statusCode === 200) {
            answeredValid.push(d);
            if (answeredValid.length > 2000) answeredValid.shift();
          }
          if (!EXPECTED[d.kind](res.statusCode, body)) {
            c.unexpected++;
            if (oddities.length < 5) oddities.push(`${d.kind} ${d.headers["webhook-id"]}: ${res.statusCode} ${JSON.stringify(body)}`);
          }
          resolve();
        });
      },
    );
    req.on("error", (e) => {
      inFlight--;
      errors++;
      if (oddities.length < 5) oddities.push(`${d.kind} ${d.headers["webhook-id"]}: ${e.message}`);
      resolve();
    });
    req.end(d.body);
  });
}

console.log(`# soak: Express receiver, ${rate} deliveries/s for ${seconds} s (5% forged, 5% stale, 5% duplicate)`);
console.log(machineLine());
console.log(`receiver in its own process (core's default memoryStore(), 100,000 ids); RSS sampled every second; warm-up ${warmup} s\n`);

const samples = []; // { t, rss, heapUsed }
const pending = new Set();
const start = Date.now();
let sent = 0;
let nextSample = 1;
let afterGcWarm; // heap and RSS right after a full GC at the end of the warm-up, and at the end
let gcPending = false;
await new Promise((resolve) => {
  const timer = setInterval(async () => {
    const elapsed = (Date.now() - start) / 1000;
    if (elapsed >= seconds) {
      clearInterval(timer);
      resolve();
      return;
    }
    measuring = elapsed >= warmup;
    // fixed rate: send what the schedule says is due by now
    const due = Math.floor(elapsed * rate);
    for (; sent < due; sent++) {
      const r = Math.random();
      const kind = r < 0.05 ? "forged" : r < 0.1 ? "stale" : r < 0.15 ? "duplicate" : "valid";
      const d = delivery(kind, answeredValid);
      const p = send(d);
      pending.add(p);
      p.then(() => pending.delete(p));
    }
    if (elapsed >= nextSample) {
      nextSample++;
      const s = await ask(server, "stats", "stats");
      samples.push({ t: Math.round(elapsed), rss: s.rss, heapUsed: s.heapUsed });
      if (!afterGcWarm && !gcPending && elapsed >= warmup) {
        gcPending = true;
        await ask(server, "gc", "gc");
        afterGcWarm = { ...(await ask(server, "stats", "stats")), t: elapsed };
      }
    }
  }, TICK_MS);
});
await Promise.all(pending);
await ask(server, "gc", "gc");
const stats = await ask(server, "stats", "stats");
await stopServer(server);
// what stays after full GCs: the store's ids (by design, up to its 100,000 cap) and the bench's own id set
const retainedPerValid = (stats.heapUsed - afterGcWarm.heapUsed) / (stats.handled - afterGcWarm.handled);
agent.destroy();

// RSS after warm-up: the median of the 3 samples ending at the warm-up mark vs the median of the last 3.
const atWarm = samples.filter((s) => s.t > warmup - 3 && s.t <= warmup);
const last = samples.slice(-3);
const rssWarm = median(atWarm.map((s) => s.rss));
const rssEnd = median(last.map((s) => s.rss));
const rssMax = Math.max(...samples.filter((s) => s.t > warmup).map((s) => s.rss));
const growth = rssEnd / rssWarm - 1;
const heapWarm = median(atWarm.map((s) => s.heapUsed));
const heapEnd = median(last.map((s) => s.heapUsed));
const forgedAccepted = counts.forged.accepted + counts.stale.accepted;
const handlerForbidden = stats.forbidden;
const unexpected = Object.values(counts).reduce((s, c) => s + c.unexpected, 0);
const receivedTwice = [...received.values()].filter((n) => n > 1).length;
const achieved = Object.values(counts).reduce((s, c) => s + c.answered, 0) / seconds;
const lat = [...latencies].sort((a, b) => a - b);
const p99 = lat[Math.floor(lat.length * 0.99)];
const p50 = lat[Math.floor(lat.length * 0.5)];

printTable([
  ["kind", "sent", "answered", "unexpected answer", "2xx (must be 0 for forged/stale)"],
  ...Object.entries(counts).map(([k, c]) => [k, fmtInt(c.sent), fmtInt(c.answered), c.unexpected, k === "forged" || k === "stale" ? c.accepted : ""]),
]);
console.log("");
const MB = (b) => `${fmtNum(b / 2 ** 20, 1)} MB`;
printTable([
  ["figure", "value", "goal"],
  ["achieved rate", `${fmtInt(achieved)}/s (after warm-up: p50 ${fmtNum(p50, 1)} ms, p99 ${fmtNum(p99, 1)} ms; ${errors} socket errors)`, `${rate}/s`],
  [`RSS at warm-up (${warmup} s) → end`, `${MB(rssWarm)} → ${MB(rssEnd)} (max ${MB(rssMax)})`, ""],
  ["RSS growth after warm-up", `${fmtNum(growth * 100, 1)} %`, `≤ ${RSS_GOAL * 100} %: ${growth <= RSS_GOAL ? "met" : "NOT met"}`],
  ["heap used at warm-up → end", `${MB(heapWarm)} → ${MB(heapEnd)}`, ""],
  [
    "after a full GC: heap at warm-up → end",
    `${MB(afterGcWarm.heapUsed)} → ${MB(stats.heapUsed)} (${fmtInt(retainedPerValid)} B per processed delivery)`,
    "",
  ],
  ["forged or stale answered 2xx", forgedAccepted, `0: ${forgedAccepted === 0 ? "met" : "NOT met"}`],
  ["handler runs for forged or stale ids", handlerForbidden, `0: ${handlerForbidden === 0 ? "met" : "NOT met"}`],
  ["duplicates processed (handler ran twice for an id)", stats.repeats, `0: ${stats.repeats === 0 ? "met" : "NOT met"}`],
  ["ids answered 'received' more than once", receivedTwice, "0"],
  ["handler runs vs valid deliveries answered 'received'", `${fmtInt(stats.handled)} vs ${fmtInt(counts.valid.answered - counts.valid.unexpected)}`, "equal"],
  ["answers not as expected", unexpected + errors, "0"],
]);
if (oddities.length) console.log(`\nfirst unexpected answers:\n  ${oddities.join("\n  ")}`);
console.log(`\nRSS per second (MB): ${samples.map((s) => Math.round(s.rss / 2 ** 20)).join(" ")}`);

const handledOk = stats.handled === counts.valid.answered - counts.valid.unexpected;
emit("soak", [
  figure(`soak ${seconds} s at ${rate}/s: achieved rate`, Math.round(achieved), "req/s", "", null, COMMAND),
  figure(`soak: RSS growth after ${warmup} s warm-up`, +(growth * 100).toFixed(1), "%", "≤ 10 %", growth <= RSS_GOAL, COMMAND),
  figure("soak: forged or stale accepted", forgedAccepted + handlerForbidden, "", "0", forgedAccepted + handlerForbidden === 0, COMMAND),
  figure("soak: duplicates processed", stats.repeats + receivedTwice, "", "0", stats.repeats + receivedTwice === 0 && handledOk, COMMAND),
  figure("soak: answers not as expected", unexpected + errors, "", "0", unexpected + errors === 0, COMMAND),
]);
