// Each framework's request path without sockets: a real IncomingMessage carrying a pre-signed 0.6 KB
// delivery (every one a webhook-id of its own) and a real ServerResponse (its output buffered, never sent),
// through the apps bench/http.mjs serves (bench/lib/apps.mjs): per framework (node:http, Express 5, Koa 3)
// (a) the bare app (read the body, 200 JSON), (b) the app with the inline minimal receiver (HMAC, replay
// window, JSON.parse, Map dedupe, 200 JSON) and (c) the app with ours. No kernel, no load generator: only
// the JS each side runs, so a change of a fraction of a µs shows.
//
// Every candidate runs in a process of its own (its own heap: the ids a receiver keeps cost GC in that
// process only, as they do in a server), and the parent runs short rounds of each in turn over IPC.
//   node bench/receive.mjs           (after `pnpm build`)
// Env: RECEIVE_FRAMEWORKS (default node,koa; express runs too, but a socketless Express app costs 100+ µs per
// request and swings by tens of µs between rounds here, so its added figures drown: use bench/http.mjs), RECEIVE_ROUNDS (default 40), RECEIVE_ROUND_MS (default
// 100), RECEIVE_QUANTILE (the statistic over the rounds, default 0.25: the lower quartile), RECEIVE_CONCURRENCY
// (requests in flight, default 10), RECEIVE_BASELINE (other builds' packages/ dirs, comma-separated: also run
// their receiver), RECEIVE_PROCS (processes per candidate, taking turns by round, default 3: one process of
// the same code runs a few % faster or slower than another for its whole life, and an "added" figure is a
// small difference, so one process per candidate moved the ratio by ±0.1), RECEIVE_THRASH_KB (cold caches:
// one request at a time, a walk over a buffer of that size before each, outside the timed part; e.g. 2048,
// what a request meets in a server whose core also runs the kernel's network stack and other processes),
// RECEIVE_EXTRA (more kinds of bench/lib/apps.mjs, e.g. the node-inline-* and node-receive-* ablations).
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { benchApps } from "./lib/apps.mjs";
import { fmtNum, machineLine, median, printTable, quantile, requireBuilt } from "./lib/common.mjs";
import { emit, figure } from "./lib/report.mjs";
import { socketlessRequests } from "./lib/socketless.mjs";

const COMMAND = "node bench/receive.mjs";
const concurrency = Number(process.env.RECEIVE_CONCURRENCY ?? 10);
const procs = Number(process.env.RECEIVE_PROCS ?? 3);
const thrash = process.env.RECEIVE_THRASH_KB ? new Uint8Array(Number(process.env.RECEIVE_THRASH_KB) * 1024) : undefined;

if (process.env.RECEIVE_CHILD) await child(JSON.parse(process.env.RECEIVE_CHILD));
else await parent();

/** One candidate in its own process: runs a round of requests when asked, answers µs of CPU per request. */
async function child({ kind, packages, secret }) {
  let handled = 0;
  const app = await benchApps({ secret, packages, onHandled: () => void handled++ })[kind]();
  const { prepare: refill, one, left } = socketlessRequests({ app, secret });

  /** `concurrency` requests in flight, for about `ms` of CPU; µs of CPU per request. */
  async function runFor(ms) {
    // (a refill during the rounds happens only when the estimate at warm-up fell short)
    if (left() < 20_000) prepare(60_000);
    const start = process.cpuUsage();
    const used = () => {
      const u = process.cpuUsage(start);
      return (u.user + u.system) / 1000;
    };
    let n = 0;
    if (thrash) {
      // cold caches: a buffer larger than L2 is walked before each request, outside the timed part
      let acc = 0;
      do {
        for (let j = 0; j < thrash.length; j += 64) thrash[j]++;
        const c = process.cpuUsage();
        await one();
        const u = process.cpuUsage(c);
        acc += u.user + u.system;
        n++;
      } while (acc < ms * 1000);
      return acc / n;
    }
    do {
      const batch = [];
      for (let i = 0; i < concurrency; i++) batch.push(one());
      await Promise.all(batch);
      n += concurrency;
    } while (used() < ms);
    return (used() * 1000) / n;
  }

  /** n deliveries signed in advance, then a full GC: the timed rounds start with the pool in the old space. */
  function prepare(n) {
    refill(n);
    globalThis.gc?.();
  }

  process.on("message", async (m) => {
    if (m.prepare) {
      prepare(m.prepare);
      process.send({ prepared: true });
    } else if (m.run) process.send({ usPerReq: await runFor(m.run), handled });
    else if (m.exit) process.exit(0);
  });
  process.send({ ready: true });
}

async function parent() {
  requireBuilt("core");
  const rounds = Number(process.env.RECEIVE_ROUNDS ?? 40);
  const roundMs = Number(process.env.RECEIVE_ROUND_MS ?? 100);
  const q = Number(process.env.RECEIVE_QUANTILE ?? 0.25);
  const cpu = process.env.RECEIVE_CPU;
  // comma-separated: several builds side by side (e.g. one per commit)
  const baselines = (process.env.RECEIVE_BASELINE ?? "").split(",").filter(Boolean);
  const frameworks = (process.env.RECEIVE_FRAMEWORKS ?? "node,koa").split(",").filter(Boolean);
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  const ours = { node: "node-receive", express: "express-gemini", koa: "koa-gemini" };
  const LABEL = { node: "node:http", express: "Express 5", koa: "Koa 3" };

  function start(kind, packages) {
    return new Promise((resolve, reject) => {
      // RECEIVE_CPU: every candidate pinned to that CPU (taskset), so all of them meet the same (v)CPU
      const pin = cpu !== undefined ? { execPath: "taskset", execArgv: ["-c", cpu, process.execPath, "--expose-gc"] } : { execArgv: ["--expose-gc"] };
      const c = fork(fileURLToPath(import.meta.url), [], { ...pin, env: { ...process.env, RECEIVE_CHILD: JSON.stringify({ kind, packages, secret }) }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
      c.once("error", reject);
      c.once("exit", (code) => reject(new Error(`${kind} exited with ${code}`)));
      c.once("message", () => resolve(c));
    });
  }
  function ask(c, message) {
    return new Promise((resolve) => {
      c.once("message", resolve);
      c.send(message);
    });
  }
  const run = (c, ms) => ask(c, { run: ms });

  console.log("# receive: each framework's request path without sockets, µs of CPU per request");
  console.log(machineLine());
  console.log(`${rounds} rounds × ${roundMs} ms of CPU per candidate, interleaved; each candidate in ${procs > 1 ? `${procs} processes of its own (rounds take turns)` : "its own process"}; ${thrash ? `one request at a time, caches made cold before each (a ${thrash.length >> 10} KB walk, not timed)` : `${concurrency} requests in flight`}; every request a new webhook-id`);
  console.log(`the apps are bench/http.mjs's (bench/lib/apps.mjs), called with a socketless IncomingMessage / ServerResponse; the statistic is each candidate's p${q * 100} over the rounds\n`);
  const figures = [];
  for (const fw of frameworks) {
    const candidates = [
      { name: "bare (read the body, 200 JSON)", kind: `${fw}-bare` },
      { name: "inline minimal receiver", kind: `${fw}-inline` },
      { name: "ours (this build)", kind: ours[fw] },
      ...baselines.map((dir) => ({ name: `ours (build in ${dir})`, kind: ours[fw], packages: dir })),
      // RECEIVE_EXTRA: more of bench/lib/apps.mjs's kinds in the same run (e.g. the node-receive-* ablations)
      ...(process.env.RECEIVE_EXTRA ?? "").split(",").filter((k) => k.startsWith(`${fw}-`)).map((kind) => ({ name: kind, kind })),
    ];
    // RECEIVE_PROCS: processes per candidate (a process's heap and code placement make it a few % faster or
    // slower than another for its whole life: several per candidate average that out)
    for (const c of candidates) {
      c.procs = [];
      for (let p = 0; p < procs; p++) c.procs.push(await start(c.kind, c.packages));
    }
    // warm-up, then each process signs as many deliveries as its rounds will use (from its warm-up speed, with
    // a margin) and collects its garbage before the first timed round
    for (const c of candidates) {
      for (const proc of c.procs) {
        await ask(proc, { prepare: 40_000 });
        const us = (await run(proc, 500)).usPerReq;
        await ask(proc, { prepare: Math.ceil(((Math.ceil(rounds / procs) * roundMs * 1000) / us) * 1.5) });
      }
    }
    // samples[i][p]: candidate i's process p, one µs/req figure per round it ran
    const samples = candidates.map(() => Array.from({ length: procs }, () => []));
    const handled = candidates.map(() => 0);
    for (let r = 0; r < rounds; r++) {
      const p = r % procs;
      for (let k = 0; k < candidates.length; k++) {
        const i = (k + r) % candidates.length;
        const m = await run(candidates[i].procs[p], roundMs);
        samples[i][p].push(m.usPerReq);
        handled[i] += m.handled > 0 ? 1 : 0;
      }
    }
    for (const c of candidates) {
      for (const proc of c.procs) {
        proc.removeAllListeners("exit");
        proc.send({ exit: true });
      }
    }
    // bare apps run no handler; every receiver must have run its handler for each (new) delivery
    candidates.forEach((c, i) => {
      if (i > 0 && handled[i] === 0) throw new Error(`${c.name}: no handler ran (the deliveries were not received)`);
    });
    // The statistic: each candidate's lower quartile over the rounds. On shared cores the host only ever adds
    // time (a descheduled vCPU still counts as CPU here), so the quartile is the cost with the least of it;
    // the rounds are short and interleaved, so every candidate meets the same host. "added" is a candidate's
    // quartile minus the bare app's; the brackets give the ratio over each third of the rounds.
    // (with several processes: each process's quantile, averaged over the processes)
    const stat = (perProc) => perProc.reduce((a, xs) => a + quantile(xs, q), 0) / perProc.length;
    const addedOf = (rows, i) => stat(rows[i]) - stat(rows[0]);
    const ratioOf = (rows, i) => addedOf(rows, i) / addedOf(rows, 1);
    const thirds = [0, 1, 2].map((t) => samples.map((perProc) => perProc.map((xs) => xs.filter((_, r) => r % 3 === t))));
    console.log(`## ${LABEL[fw]}`);
    const rows = [["candidate", `µs/req (p${q * 100})`, "median", "added µs/req", "added ÷ inline's [each third of the rounds]"]];
    candidates.forEach((c, i) => {
      const spread = thirds.map((s) => fmtNum(ratioOf(s, i))).join(", ");
      rows.push([c.name, fmtNum(stat(samples[i]), 2), fmtNum(median(samples[i].flat()), 2), i === 0 ? "" : fmtNum(addedOf(samples, i), 2), i >= 2 ? `${fmtNum(ratioOf(samples, i))}x [${spread}]` : ""]);
    });
    printTable(rows);
    console.log("");
    const r = ratioOf(samples, 2);
    figures.push(
      figure(`receive (no sockets), ${LABEL[fw]}: bare / inline / ours µs per request (p${q * 100})`, `${fmtNum(stat(samples[0]), 2)} / ${fmtNum(stat(samples[1]), 2)} / ${fmtNum(stat(samples[2]), 2)}`, "µs", "", null, COMMAND),
      figure(`receive (no sockets), ${LABEL[fw]}: ours added ÷ inline added`, +r.toFixed(2), "x", "≤ 1.25x", r <= 1.25, COMMAND),
    );
  }
  emit("receive", figures);
}
